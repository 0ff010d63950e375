"""Quizzes: the Markdown quiz format, question types and their graders, attempts."""

"""The course catalog as files: loading course folders (courses + quizzes) into versions."""

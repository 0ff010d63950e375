"""Quiz translations (``quiz.zh-Hans.md``): the same questions, ids and options in the same
order as the source, with translated text. The answer key, points and types always come from
the source; a translation that drifts from it is an error, so learners in every language take
the same quiz."""

from __future__ import annotations

from lms.content import Problem
from quizzes.parser import QuizSpec, parse_quiz


def parse_quiz_translation(path: str, text: str, source: QuizSpec
                           ) -> tuple[dict[str, dict], list[Problem]]:
    """Translated text per question id, and the problems found (the translation's own, and
    every difference in structure from the source)."""
    translated, problems = parse_quiz(path, text, translation=True)
    by_key = {q.key: q for q in translated.questions}
    source_keys = [q.key for q in source.questions]
    for q in translated.questions:
        if q.key not in set(source_keys):
            problems.append(Problem(path, q.line, 1, f"question {q.key!r} is not in the source "
                                                     "quiz; ids must be the same as the source's"))
    result: dict[str, dict] = {}
    for q in source.questions:
        other = by_key.get(q.key)
        if other is None:
            problems.append(Problem(path, 1, 1, f"question {q.key!r} of the source is missing "
                                                "from this translation"))
            continue
        if len(other.options) != len(q.options):
            problems.append(Problem(path, other.line, 1,
                                    f"question {q.key!r} has {len(other.options)} options but "
                                    f"the source has {len(q.options)}; keep the same options in "
                                    "the same order"))
            continue
        result[q.key] = {
            "title": other.title, "prompt_md": other.prompt,
            "explanation_md": other.explanation, "hint_md": other.hint,
            "options": [{"text_md": o.text, "feedback_md": o.feedback} for o in other.options],
        }
    order = [k for k in (q.key for q in translated.questions) if k in set(source_keys)]
    if order != [k for k in source_keys if k in by_key]:
        problems.append(Problem(path, 1, 1, "questions are in a different order from the source",
                                "warning"))
    return result, problems


def attach_translations(quiz: QuizSpec, files: dict[str, tuple[str, str]]) -> list[Problem]:
    """Parse every quiz.LOCALE.md (locale -> (path, text)) into ``quiz.translations``."""
    problems: list[Problem] = []
    for locale, (path, text) in sorted(files.items()):
        quiz.translations[locale], found = parse_quiz_translation(path, text, quiz)
        problems.extend(found)
    return problems

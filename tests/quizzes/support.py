"""Shared by the quiz format tests."""

import dataclasses

from quizzes.parser import QuizSpec


def meaning(spec: QuizSpec) -> dict:
    """The quiz without line numbers (which say where a thing was written, not what it is)."""
    def drop_lines(value):
        if isinstance(value, dict):
            return {k: drop_lines(v) for k, v in value.items() if k != "line"}
        if isinstance(value, list):
            return [drop_lines(v) for v in value]
        return value
    return drop_lines(dataclasses.asdict(spec))

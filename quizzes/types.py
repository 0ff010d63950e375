"""Question types: one registry entry per type, each with its authoring checks and its grader.

Adding a type touches only this module. Graders take plain values (the options' correctness and
weights, the positions the learner chose) and return the fraction of the points earned.

Partial scoring of a multiple-choice question gives every option a weight, as a percentage of the
question's points: the author's ``{weight=N%}`` where there is one, otherwise an equal share
(``100% / number of correct options``) for a correct option and minus that share for a wrong one.
The chosen options' weights are added up and the result is kept between 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from lms.errors import lazy_gettext as _l

SCORINGS = ("all-or-nothing", "partial")
ONE = Decimal(1)
ZERO = Decimal(0)


class OptionLike(Protocol):
    correct: bool
    weight: Decimal | None


@dataclass(frozen=True)
class Grade:
    fraction: Decimal  # 0..1 of the question's points
    correct: bool  # fully right


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


def _check_chosen(options: list[OptionLike], chosen: set[int]) -> None:
    """Positions must name options: a negative one would silently pick from the end."""
    for index in chosen:
        if not 0 <= index < len(options):
            raise ValueError(f"option position {index} is not one of 0..{len(options) - 1}")


class SingleChoice:
    name = "single"
    multiple_answers = False

    def check(self, options: list[OptionLike], correct: int) -> list[str]:
        if correct != 1:
            return [_l("a single-choice question needs exactly one [x] option, found %(num)s",
                       num=correct)]
        return []

    def grade(self, options: list[OptionLike], chosen: set[int], scoring: str) -> Grade:
        _check_chosen(options, chosen)
        if len(chosen) != 1:
            return Grade(ZERO, False)
        option = options[next(iter(chosen))]
        if option.correct:
            return Grade(ONE, True)
        if option.weight is not None:
            return Grade(_clamp(option.weight / 100), False)
        return Grade(ZERO, False)


class TrueFalse(SingleChoice):
    name = "true-false"

    def check(self, options: list[OptionLike], correct: int) -> list[str]:
        problems = []
        if len(options) != 2:
            problems.append(_l("a true-false question needs exactly two options, found %(num)s",
                               num=len(options)))
        if correct != 1:
            problems.append(_l("a true-false question needs exactly one [x] option, found "
                               "%(num)s", num=correct))
        return problems


class MultipleChoice:
    name = "multiple"
    multiple_answers = True

    def check(self, options: list[OptionLike], correct: int) -> list[str]:
        if correct < 1:
            return [_l("a multiple-choice question needs at least one [x] option")]
        return []

    def grade(self, options: list[OptionLike], chosen: set[int], scoring: str) -> Grade:
        _check_chosen(options, chosen)
        right = {i for i, option in enumerate(options) if option.correct}
        if chosen == right:
            return Grade(ONE, True)
        if scoring != "partial" or not chosen or not right:
            return Grade(ZERO, False)
        # Exact arithmetic, one rounding at the end: 2 of 3 is 0.666...67, not 0.666...66.
        share = Fraction(100, len(right))
        total = sum(
            (Fraction(options[i].weight) if options[i].weight is not None
             else share if options[i].correct else -share)
            for i in chosen
        ) / 100
        return Grade(_clamp(Decimal(total.numerator) / Decimal(total.denominator)), False)


QUESTION_TYPES = {qtype.name: qtype for qtype in (SingleChoice(), MultipleChoice(), TrueFalse())}

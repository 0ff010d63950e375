"""Question types: authoring checks and graders, with plain option values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from quizzes.types import QUESTION_TYPES, SCORINGS, Grade

SINGLE = QUESTION_TYPES["single"]
TRUE_FALSE = QUESTION_TYPES["true-false"]
MULTIPLE = QUESTION_TYPES["multiple"]


@dataclass
class Opt:
    correct: bool
    weight: Decimal | None = None


def options(marks: str, *weights) -> list[Opt]:
    """``"x.x."`` -> correct, wrong, correct, wrong; weights (percent) in the same order."""
    weights = list(weights) + [None] * (len(marks) - len(weights))
    return [Opt(mark == "x", None if w is None else Decimal(str(w)))
            for mark, w in zip(marks, weights, strict=True)]


def fraction(qtype, opts, chosen, scoring="all-or-nothing") -> Decimal:
    return qtype.grade(opts, set(chosen), scoring).fraction


def test_registry():
    assert set(QUESTION_TYPES) == {"single", "multiple", "true-false"}
    assert SCORINGS == ("all-or-nothing", "partial")
    assert SINGLE.multiple_answers is False
    assert TRUE_FALSE.multiple_answers is False
    assert MULTIPLE.multiple_answers is True
    for name, qtype in QUESTION_TYPES.items():
        assert qtype.name == name


# -- single choice ------------------------------------------------------------------------------

@pytest.mark.parametrize("scoring", SCORINGS)
def test_single_right_and_wrong(scoring):
    opts = options(".x..")
    assert SINGLE.grade(opts, {1}, scoring) == Grade(Decimal(1), True)
    for wrong in (0, 2, 3):
        assert SINGLE.grade(opts, {wrong}, scoring) == Grade(Decimal(0), False)


def test_single_empty_or_several_answers_earn_nothing():
    opts = options(".x.")
    assert SINGLE.grade(opts, set(), "all-or-nothing") == Grade(Decimal(0), False)
    assert SINGLE.grade(opts, {0, 1}, "all-or-nothing") == Grade(Decimal(0), False)
    assert SINGLE.grade(opts, {0, 1, 2}, "partial") == Grade(Decimal(0), False)


def test_weight_on_a_wrong_single_option_gives_partial_credit():
    opts = options(".x..", 50, None, -30)
    assert SINGLE.grade(opts, {0}, "all-or-nothing") == Grade(Decimal("0.5"), False)
    # A negative weight cannot take the question below zero; an unweighted wrong one earns 0.
    assert SINGLE.grade(opts, {2}, "all-or-nothing") == Grade(Decimal(0), False)
    assert SINGLE.grade(opts, {3}, "all-or-nothing") == Grade(Decimal(0), False)
    assert SINGLE.grade(opts, {1}, "all-or-nothing") == Grade(Decimal(1), True)


def test_weight_on_the_correct_single_option_does_not_lower_it():
    opts = options("x.", 40)
    assert SINGLE.grade(opts, {0}, "all-or-nothing") == Grade(Decimal(1), True)


def test_weight_of_a_wrong_option_is_clamped_to_one_and_not_fully_correct():
    opts = options("x.", None, 100)
    assert SINGLE.grade(opts, {1}, "all-or-nothing") == Grade(Decimal(1), False)


def test_true_false_grades_like_single():
    opts = options(".x")
    assert TRUE_FALSE.grade(opts, {1}, "all-or-nothing") == Grade(Decimal(1), True)
    assert TRUE_FALSE.grade(opts, {0}, "all-or-nothing") == Grade(Decimal(0), False)
    assert TRUE_FALSE.grade(opts, set(), "all-or-nothing") == Grade(Decimal(0), False)
    assert TRUE_FALSE.grade(opts, {0, 1}, "all-or-nothing") == Grade(Decimal(0), False)


# -- multiple choice ----------------------------------------------------------------------------

def test_multiple_all_or_nothing():
    opts = options("xx..")
    assert MULTIPLE.grade(opts, {0, 1}, "all-or-nothing") == Grade(Decimal(1), True)
    for chosen in ({0}, {1}, {0, 1, 2}, {2}, {2, 3}, {0, 1, 2, 3}, set()):
        assert MULTIPLE.grade(opts, chosen, "all-or-nothing") == Grade(Decimal(0), False), chosen


def test_multiple_all_or_nothing_ignores_weights():
    opts = options("xx.", 50, 50, 0)
    assert fraction(MULTIPLE, opts, {0}) == 0


@pytest.mark.parametrize(("chosen", "expected"), [
    ({0, 1, 2}, Decimal(1)),
    ({0, 1}, Decimal(2) / 3),
    ({0}, Decimal(1) / 3),
    ({0, 3}, Decimal(0)),  # one right, one wrong: they cancel out
    ({0, 1, 3}, Decimal(1) / 3),
    ({3}, Decimal(0)),  # clamped at zero, never negative
    ({3, 4}, Decimal(0)),
    ({0, 1, 2, 3}, Decimal(2) / 3),
    ({0, 1, 2, 3, 4}, Decimal(1) / 3),
    (set(), Decimal(0)),
])
def test_multiple_partial_without_weights(chosen, expected):
    grade = MULTIPLE.grade(options("xxx.."), chosen, "partial")
    assert grade.fraction == expected
    assert grade.correct is (chosen == {0, 1, 2})
    assert Decimal(0) <= grade.fraction <= Decimal(1)


@pytest.mark.parametrize(("chosen", "expected"), [
    ({0, 1}, Decimal(1)),
    ({0}, Decimal("0.7")),
    ({1}, Decimal("0.3")),
    ({0, 2}, Decimal("0.2")),
    ({1, 2}, Decimal(0)),  # 30% - 50% is clamped to 0
    ({2}, Decimal(0)),
    ({0, 1, 2}, Decimal("0.5")),
    (set(), Decimal(0)),
])
def test_multiple_partial_with_weights(chosen, expected):
    grade = MULTIPLE.grade(options("xx.", 70, 30, -50), chosen, "partial")
    assert grade.fraction == expected
    assert grade.correct is (chosen == {0, 1})


def test_multiple_partial_weights_above_one_are_clamped():
    opts = options("xx.", 80, 80, 60)
    assert MULTIPLE.grade(opts, {0, 2}, "partial") == Grade(Decimal(1), False)


def test_multiple_partial_with_some_weights_gives_unweighted_options_an_equal_share():
    # Only the tempting wrong option has a weight: the two correct ones keep 50% each.
    opts = options("xx..", None, None, -100)
    assert fraction(MULTIPLE, opts, {0}, "partial") == Decimal("0.5")
    assert fraction(MULTIPLE, opts, {0, 3}, "partial") == Decimal(0)  # 50% - 50%
    assert fraction(MULTIPLE, opts, {0, 1, 3}, "partial") == Decimal("0.5")  # 100% - 50%
    assert fraction(MULTIPLE, opts, {0, 1, 2}, "partial") == Decimal(0)  # 100% - 100%
    assert fraction(MULTIPLE, opts, {0, 2}, "partial") == Decimal(0)  # clamped
    # Only one correct option has a weight: the other correct one keeps its share.
    opts = options("xx.", 20)
    assert fraction(MULTIPLE, opts, {1}, "partial") == Decimal("0.5")
    assert fraction(MULTIPLE, opts, {0}, "partial") == Decimal("0.2")
    assert fraction(MULTIPLE, opts, {0, 2}, "partial") == Decimal(0)


def test_multiple_with_one_correct_option():
    opts = options(".x.")
    assert fraction(MULTIPLE, opts, {1}, "partial") == 1
    assert fraction(MULTIPLE, opts, {1, 0}, "partial") == 0
    assert fraction(MULTIPLE, opts, {0}, "partial") == 0


@pytest.mark.parametrize("qtype", [SINGLE, TRUE_FALSE, MULTIPLE])
@pytest.mark.parametrize("bad", [-1, 3, 99])
def test_positions_outside_the_options_are_refused(qtype, bad):
    # A negative position must not silently pick the last option.
    with pytest.raises(ValueError, match=r"is not one of 0\.\.2"):
        qtype.grade(options("..x"), {bad}, "partial")


# -- authoring checks ---------------------------------------------------------------------------

def test_checks():
    assert SINGLE.check(options(".x."), 1) == []
    assert SINGLE.check(options("xx."), 2) == [
        "a single-choice question needs exactly one [x] option, found 2"]
    assert SINGLE.check(options("..."), 0) == [
        "a single-choice question needs exactly one [x] option, found 0"]
    assert TRUE_FALSE.check(options("x."), 1) == []
    assert TRUE_FALSE.check(options("x.."), 1) == [
        "a true-false question needs exactly two options, found 3"]
    assert TRUE_FALSE.check(options(".."), 0) == [
        "a true-false question needs exactly one [x] option, found 0"]
    assert MULTIPLE.check(options("xx."), 2) == []
    assert MULTIPLE.check(options("x.."), 1) == []
    assert MULTIPLE.check(options("..."), 0) == [
        "a multiple-choice question needs at least one [x] option"]

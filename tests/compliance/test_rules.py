"""The pure date rules of requirements (lms.compliance.rules)."""

from datetime import date

import pytest

from lms.compliance import rules
from lms.compliance.rules import Cycle, calendar_cycle, calendar_due, first_due, next_rolling_due


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2028, 2, 29), 48, date(2032, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 15), 24, date(2028, 12, 15)),
    (date(2026, 5, 31), 0, date(2026, 5, 31)),
])
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize(("day", "deadline", "expected"), [
    (date(2026, 1, 1), (12, 31), Cycle("2026", date(2026, 1, 1), date(2026, 12, 31))),
    (date(2026, 12, 31), (12, 31), Cycle("2026", date(2026, 1, 1), date(2026, 12, 31))),
    (date(2027, 1, 1), (12, 31), Cycle("2027", date(2027, 1, 1), date(2027, 12, 31))),
    (date(2026, 3, 31), (3, 31), Cycle("2026", date(2025, 4, 1), date(2026, 3, 31))),
    (date(2026, 4, 1), (3, 31), Cycle("2027", date(2026, 4, 1), date(2027, 3, 31))),
    # 29 February deadlines fall on 28 February in common years
    (date(2028, 2, 29), (2, 29), Cycle("2028", date(2027, 3, 1), date(2028, 2, 29))),
    (date(2028, 3, 1), (2, 29), Cycle("2029", date(2028, 3, 1), date(2029, 2, 28))),
    (date(2027, 2, 28), (2, 29), Cycle("2027", date(2026, 3, 1), date(2027, 2, 28))),
    (date(2029, 3, 1), (2, 29), Cycle("2030", date(2029, 3, 1), date(2030, 2, 28))),
])
def test_calendar_cycle_of_a_day(day, deadline, expected):
    assert calendar_cycle(day, *deadline) == expected


YEAR = Cycle("2026", date(2026, 1, 1), date(2026, 12, 31))
LONG_AGO = date(2020, 1, 1)


def test_people_already_in_the_audience_are_due_at_the_deadline():
    assert calendar_due(YEAR, date(2019, 5, 1), LONG_AGO, 30) == (date(2026, 12, 31), "cycle")
    assert calendar_due(YEAR, date(2025, 12, 31), LONG_AGO, None) == (date(2026, 12, 31),
                                                                      "cycle")


def test_entrants_with_an_entry_rule_are_due_that_many_days_after_entering():
    assert calendar_due(YEAR, date(2026, 3, 10), LONG_AGO, 30) == (date(2026, 4, 9),
                                                                   "new_entrant")
    assert calendar_due(YEAR, date(2026, 1, 1), LONG_AGO, 60) == (date(2026, 3, 2),
                                                                  "new_entrant")


def test_a_late_hire_in_december_gets_the_whole_onboarding_window():
    # entry rule of 30 days: past the cycle's deadline, into next year
    assert calendar_due(YEAR, date(2026, 12, 20), LONG_AGO, 30) == (date(2027, 1, 19),
                                                                    "new_entrant")
    # no entry rule: the deadline, but never fewer than ONBOARDING_MIN_DAYS
    assert calendar_due(YEAR, date(2026, 12, 20), LONG_AGO, None) == (date(2027, 1, 19),
                                                                      "new_entrant")
    assert calendar_due(YEAR, date(2026, 12, 31), LONG_AGO, None)[0] == date(2027, 1, 30)
    # an early hire without an entry rule keeps the deadline
    assert calendar_due(YEAR, date(2026, 2, 1), LONG_AGO, None)[0] == date(2026, 12, 31)
    assert rules.ONBOARDING_MIN_DAYS == 30


def test_a_requirement_arriving_late_in_the_cycle_gives_everyone_the_minimum_window():
    assert calendar_due(YEAR, date(2019, 1, 1), date(2026, 12, 15), None) == (
        date(2027, 1, 14), "cycle")
    assert calendar_due(YEAR, date(2019, 1, 1), date(2026, 6, 1), None) == (
        date(2026, 12, 31), "cycle")


def test_leap_day_hire_with_an_entry_rule():
    cycle = calendar_cycle(date(2028, 2, 29), 12, 31)
    assert calendar_due(cycle, date(2028, 2, 29), LONG_AGO, 30)[0] == date(2028, 3, 30)


def test_first_due_counts_from_entry_or_from_the_requirements_start():
    assert first_due(date(2026, 5, 1), LONG_AGO, 60) == date(2026, 6, 30)
    assert first_due(date(2019, 5, 1), date(2026, 5, 1), 60) == date(2026, 6, 30)
    assert first_due(date(2026, 5, 1), LONG_AGO, None) == date(2026, 5, 31)


@pytest.mark.parametrize(("completed", "expected", "why"), [
    (date(2026, 3, 1), date(2028, 3, 1), "long before the window: a new start"),
    (date(2026, 4, 30), date(2028, 4, 30), "the day before the window opens"),
    (date(2026, 5, 1), date(2028, 5, 31), "the day the window opens"),
    (date(2026, 5, 20), date(2028, 5, 31), "inside the window"),
    (date(2026, 5, 31), date(2028, 5, 31), "on the due date"),
    (date(2026, 6, 1), date(2028, 6, 1), "a day late: runs from completion"),
    (date(2026, 9, 15), date(2028, 9, 15), "months late"),
])
def test_next_rolling_cycle(completed, expected, why):
    assert next_rolling_due(date(2026, 5, 31), completed, 24, 30) == expected, why


def test_rolling_window_edges():
    assert rules.window_opens(date(2026, 3, 1), 30) == date(2026, 1, 30)
    assert rules.in_window(date(2026, 1, 30), date(2026, 3, 1), 30)
    assert not rules.in_window(date(2026, 1, 29), date(2026, 3, 1), 30)
    assert not rules.in_window(date(2026, 3, 2), date(2026, 3, 1), 30)
    # a zero-day window: only completing on the due date keeps the date
    assert next_rolling_due(date(2026, 3, 1), date(2026, 3, 1), 12, 0) == date(2027, 3, 1)
    assert next_rolling_due(date(2026, 3, 1), date(2026, 2, 28), 12, 0) == date(2027, 2, 28)


def test_early_recertification_on_a_leap_day_keeps_the_month_end():
    # due 29 Feb 2028, completed inside the window -> next due 28 Feb 2029 (not the 27th)
    assert next_rolling_due(date(2028, 2, 29), date(2028, 2, 10), 12, 30) == date(2029, 2, 28)

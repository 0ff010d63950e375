"""Pure date rules for requirements: cycles, due dates and recertification windows.

No database and no clock here: every function takes the dates it needs, so the rules can be
tested exhaustively and the sync only has to gather the inputs.

Definitions
- A *calendar* cycle ends on a fixed yearly deadline (month, day; 29 February is 28 February
  in a common year) and starts the day after the previous deadline. It is labelled with the
  year of its deadline ("2026").
- A *rolling* cycle is due ``months`` after the previous one's anchor: the previous due date
  when the person completed inside the recertification window (so completing early does not
  shorten the next cycle), otherwise the completion date itself (before the window opened, or
  late). Rolling cycles are numbered ("cycle-1", "cycle-2", ...).
- Someone entering the audience (hire, promotion, transfer) during a cycle is due
  ``due_days_after_entry`` days after entering when the requirement says so; otherwise at the
  cycle's deadline, but never sooner than ``ONBOARDING_MIN_DAYS`` after entering.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

ONBOARDING_MIN_DAYS = 30
"""A person entering a calendar cycle late still gets at least this many days."""


def add_months(day: date, months: int) -> date:
    """Same day N months later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline_in(year: int, month: int, day: int) -> date:
    """The yearly deadline in a given year, clamped to the month's end (29 Feb -> 28 Feb)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Cycle:
    label: str
    start: date
    deadline: date


def calendar_cycle(day: date, month: int, deadline_day: int) -> Cycle:
    """The calendar cycle containing ``day``: the first deadline on or after it."""
    deadline = deadline_in(day.year, month, deadline_day)
    if deadline < day:
        deadline = deadline_in(day.year + 1, month, deadline_day)
    previous = deadline_in(deadline.year - 1, month, deadline_day)
    return Cycle(str(deadline.year), previous + timedelta(days=1), deadline)


def calendar_due(cycle: Cycle, entered_on: date, starts_on: date,
                 due_days_after_entry: int | None) -> tuple[date, str]:
    """When a person must complete a calendar cycle, and why.

    ``entered_on``: the day they entered the audience; ``starts_on``: the day the requirement
    took effect. Returns (due date, reason) with reason ``new_entrant`` or ``cycle``."""
    if entered_on >= cycle.start:
        if due_days_after_entry is not None:
            return entered_on + timedelta(days=due_days_after_entry), "new_entrant"
        return max(cycle.deadline, entered_on + timedelta(days=ONBOARDING_MIN_DAYS)), "new_entrant"
    if starts_on >= cycle.start:  # the requirement itself arrived during the cycle
        return max(cycle.deadline, starts_on + timedelta(days=ONBOARDING_MIN_DAYS)), "cycle"
    return cycle.deadline, "cycle"


def first_due(entered_on: date, starts_on: date, due_days_after_entry: int | None) -> date:
    """Due date of a one-off requirement or a rolling requirement's first cycle: counted from
    entering the audience, or from the requirement's start for people already in it."""
    days = ONBOARDING_MIN_DAYS if due_days_after_entry is None else due_days_after_entry
    return max(entered_on, starts_on) + timedelta(days=days)


def window_opens(due_on: date, window_days: int) -> date:
    """The first day of the recertification window of a cycle due (expiring) on ``due_on``."""
    return due_on - timedelta(days=window_days)


def in_window(completed_on: date, due_on: date, window_days: int) -> bool:
    return window_opens(due_on, window_days) <= completed_on <= due_on


def next_rolling_due(previous_due: date, completed_on: date, months: int,
                     window_days: int) -> date:
    """Due date of the cycle after one due on ``previous_due`` and completed on
    ``completed_on``: inside the window the next cycle keeps its date (``previous_due +
    months``); before the window or late, it runs from the completion."""
    anchor = previous_due if in_window(completed_on, previous_due, window_days) else completed_on
    return add_months(anchor, months)

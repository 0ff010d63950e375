"""The ESG training summary for one calendar year: completion rate of required training,
training hours per employee and participation, for the whole organisation and by department,
location and (where HR records it) gender. One aggregate statement (``esg_report``); the
organisation's total is the sum of the department groups.

Definitions (the year runs 1 January to 31 December, in the company's time zone):

- *Headcount*: employees active at some point in the year (hired on or before 31 December, or
  no hire date; no leave date, or left on or after 1 January).
- *Completion rate*: of those people's assignments due in the year that were neither waived
  nor closed, the share completed by the end of the year (``completed``, or ``expired`` after
  being completed). Completing later does not change a closed year's figure.
- *Training hours per employee*: time spent in course modules (``ModuleProgress``, the time a
  module was open, capped per view) in courses completed in the year, divided by headcount.
- *Participation*: the share of headcount with at least one course completed in the year.

Small groups are suppressed so no person can be singled out (``suppress``): a group of fewer
than 5 people shows "<5" instead of its figures; see ``suppress`` for the complementary rule
that keeps a total from giving a hidden group away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all

from courses.models import Enrollment, ModuleProgress
from lms.clock import start_of
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location

THRESHOLD = 5
SMALL = "<5"  # the group itself has fewer than THRESHOLD people
WITHHELD = "[c]"  # a larger group withheld so the total cannot reveal a small one
DIMENSIONS = ("department", "location", "gender")
NOT_COUNTED = ("waived", "closed")
DONE = ("completed", "expired")


@dataclass(frozen=True)
class EsgGroup:
    """One row. ``label`` None: not recorded. ``hidden``/``rate_hidden``: None, SMALL or
    WITHHELD, for the headcount-based figures and for the completion rate (whose population,
    the people with training due, can be smaller than the headcount)."""

    label: str | None
    headcount: int
    participants: int
    seconds: int
    people_due: int
    due: int
    done: int
    hidden: str | None = None
    rate_hidden: str | None = None

    @property
    def participation(self) -> float | None:
        return round(100 * self.participants / self.headcount, 1) if self.headcount else None

    @property
    def hours_per_employee(self) -> float | None:
        return round(self.seconds / 3600 / self.headcount, 2) if self.headcount else None

    @property
    def completion_rate(self) -> float | None:
        return round(100 * self.done / self.due, 1) if self.due else None

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


@dataclass(frozen=True)
class EsgReport:
    year: int
    starts_on: date
    ends_on: date
    total: EsgGroup
    groups: dict[str, list[EsgGroup]]  # department, location, gender (empty: no gender data)


def suppress(populations: Sequence[int], threshold: int = THRESHOLD) -> list[str | None]:
    """Which cells of one dimension to hide, given each cell's population.

    Primary: every cell with 1 to ``threshold - 1`` people is SMALL (an empty population has no
    figure to hide). Complementary: the organisation's total is shown, so total minus the shown
    cells would give the hidden ones back. Whenever anything is hidden, more cells are withheld
    (the smallest first) until at least two are hidden and together they hold at least
    ``threshold`` people: what can be worked out from the total is then only a combination of
    several groups, never one small group. (Figures of *different* dimensions are not
    cross-checked: a department that is exactly one location could in principle be compared
    across the two tables; HR should merge such groups in its data.)"""
    marks: list[str | None] = [SMALL if 0 < n < threshold else None for n in populations]
    hidden = [i for i, mark in enumerate(marks) if mark]
    if hidden:
        spare = sorted((n, i) for i, n in enumerate(populations) if n > 0 and not marks[i])
        while spare and (len(hidden) < 2
                         or sum(populations[i] for i in hidden) < threshold):
            _, i = spare.pop(0)
            marks[i] = WITHHELD
            hidden.append(i)
    return marks


def _suppressed(groups: list[EsgGroup]) -> list[EsgGroup]:
    heads = suppress([g.headcount for g in groups])
    rates = suppress([g.people_due for g in groups])
    # A small group shows nothing at all, not even that none of its people had training due.
    return [replace(g, hidden=h, rate_hidden=r or (SMALL if h == SMALL else None))
            for g, h, r in zip(groups, heads, rates, strict=True)]


def esg_report(year: int) -> EsgReport:
    """The year's figures. One statement: a CTE with one row per person in the headcount (their
    place, time spent and training due), grouped three ways (PostgreSQL computes a CTE used
    more than once a single time)."""
    starts_on, ends_on = date(year, 1, 1), date(year, 12, 31)
    since, until = start_of(starts_on), start_of(ends_on + timedelta(days=1))
    learned = (
        select(Enrollment.employee_id,
               func.coalesce(func.sum(ModuleProgress.seconds_spent), 0).label("seconds"))
        .outerjoin(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .where(Enrollment.status == "completed", Enrollment.completed_at >= since,
               Enrollment.completed_at < until)
        .group_by(Enrollment.employee_id).subquery("learned"))
    finished = and_(Assignment.status.in_(DONE), Assignment.completed_at < until)
    owed = (
        select(Assignment.employee_id, func.count().label("due"),
               func.sum(case((finished, 1), else_=0)).label("done"))
        .where(Assignment.due_on >= starts_on, Assignment.due_on <= ends_on,
               Assignment.status.not_in(NOT_COUNTED))
        .group_by(Assignment.employee_id).subquery("owed"))
    present = and_(or_(Employee.hire_date.is_(None), Employee.hire_date <= ends_on),
                   or_(Employee.leave_date.is_(None), Employee.leave_date >= starts_on))
    people = (
        select(Employee.department_id, Employee.location_id,
               # No bound parameter here: the gender is grouped on below, and PostgreSQL
               # matches GROUP BY to SELECT by their text.
               func.nullif(func.trim(Employee.gender), literal_column("''")).label("gender"),
               case((learned.c.employee_id.is_(None), 0), else_=1).label("participated"),
               func.coalesce(learned.c.seconds, 0).label("seconds"),
               case((owed.c.employee_id.is_(None), 0), else_=1).label("owes"),
               func.coalesce(owed.c.due, 0).label("due"),
               func.coalesce(owed.c.done, 0).label("done"))
        .outerjoin(learned, learned.c.employee_id == Employee.id)
        .outerjoin(owed, owed.c.employee_id == Employee.id)
        .where(present)
    ).cte("people")
    measures = (func.count(), func.sum(people.c.participated), func.sum(people.c.seconds),
                func.sum(people.c.owes), func.sum(people.c.due), func.sum(people.c.done))
    rows = db.session.execute(union_all(
        select(literal_column("'department'").label("dimension"), Department.name, *measures)
        .select_from(people).outerjoin(Department, Department.id == people.c.department_id)
        .group_by(people.c.department_id, Department.name),
        select(literal_column("'location'"), Location.name, *measures)
        .select_from(people).outerjoin(Location, Location.id == people.c.location_id)
        .group_by(people.c.location_id, Location.name),
        select(literal_column("'gender'"), people.c.gender, *measures)
        .group_by(people.c.gender),
    )).all()
    groups: dict[str, list[EsgGroup]] = {dimension: [] for dimension in DIMENSIONS}
    for dimension, label, *values in rows:
        groups[dimension].append(EsgGroup(label, *(int(v or 0) for v in values)))
    for dimension in DIMENSIONS:
        groups[dimension].sort(key=lambda g: (g.label is None, (g.label or "").casefold()))
    if all(g.label is None for g in groups["gender"]):
        groups["gender"] = []  # HR records no gender: no table rather than one "not recorded"
    total = EsgGroup(None, *(sum(getattr(g, name) for g in groups["department"]) for name in (
        "headcount", "participants", "seconds", "people_due", "due", "done")))
    small = 0 < total.headcount < THRESHOLD
    total = replace(total, hidden=SMALL if small else None,
                    rate_hidden=SMALL if small or 0 < total.people_due < THRESHOLD else None)
    return EsgReport(year, starts_on, ends_on, total,
                     {dimension: _suppressed(groups[dimension]) for dimension in DIMENSIONS})


CSV_HEADER = ("Dimension", "Group", "Headcount", "Participation (%)",
              "Training hours per employee", "People with training due",
              "Completion rate (%)")
DIMENSION_NAMES = {"organisation": "Organisation", "department": "Department",
                   "location": "Location", "gender": "Gender"}
NOT_RECORDED = "Not recorded"


def figures(group: EsgGroup) -> tuple:
    """A group's figures for display: headcount, participation, hours per employee, people
    with training due, completion rate; suppressed cells as their marker, "" when there is
    nothing to show (no training due)."""
    if group.hidden:
        head = (group.hidden,) * 3
    else:
        head = (group.headcount, group.participation, group.hours_per_employee)
    if group.rate_hidden:
        rate = (group.rate_hidden,) * 2
    elif group.people_due == 0:
        rate = (0, "")
    else:
        rate = (group.people_due, group.completion_rate)
    return head + rate


def csv_rows(report: EsgReport):
    """The report as CSV rows (CSV_HEADER), the organisation first."""
    yield (DIMENSION_NAMES["organisation"], "All employees", *figures(report.total))
    for dimension in DIMENSIONS:
        for group in report.groups[dimension]:
            yield (DIMENSION_NAMES[dimension], group.label if group.label is not None
                   else NOT_RECORDED, *figures(group))

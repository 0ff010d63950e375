"""The dashboard's figures: completion and overdue counts by course and cycle, by department and
by location, and cumulative completions week by week. All of it is three statements, however
many people there are: the (course, cycle) catalogue, one statement that groups the scoped
assignments once by course, cycle, department and location and rolls that up three ways (GROUP
BY on a CTE, in the database), and the completions per week. Python only walks the groups.

What counts: every assignment that is neither waived nor closed (HR exempted the person, or it
no longer applies). *Completed* is ``completed`` or ``expired`` (done; the certificate lapsed
since); *overdue* is the roster's rule (``status_expression``: open and past due). People on
leave (``paused``) count as not completed: the training is still owed. Leavers' assignments
stay in, as on the roster, so a bar and the roster rows behind it always agree.

The page reads these figures from the rollup (``lms.dashboard.rollup``: the same grouping,
stored by a scheduled refresh) and reports when they were computed; before the first refresh
it computes them from the assignments here, as the refresh does (``source=LIVE``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)

from courses.models import Course, CourseVersion
from lms.clock import local_date, start_of
from lms.compliance.models import Assignment
from lms.dashboard.models import DashboardCompletion, DashboardFigure, DashboardRollup
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.reports.roster import status_expression

COUNTED = ("assigned", "in_progress", "completed", "paused", "expired")
DONE = ("completed", "expired")
# The same assignments in the roster's status vocabulary (where overdue is its own status).
ROSTER_COUNTED = ("assigned", "in_progress", "overdue", "paused", "completed", "expired")
MAX_CYCLES_SHOWN = 12  # a course's cycles on the by-cycle chart, latest first
MAX_POINTS = 60  # columns on the time chart; longer cycles get two-week (or longer) steps
WORK_MEM = "32MB"  # PostgreSQL, for the grouping statements only (see ``set_work_mem``)


@dataclass(frozen=True)
class DashboardFilters:
    course_id: int | None = None
    cycle: str | None = None  # None: each course's current cycle


@dataclass(frozen=True)
class CourseCycle:
    course_id: int
    title: str
    cycle: str
    last_due: date


@dataclass(frozen=True)
class Figure:
    """One group (a bar): its counted assignments, how many are completed, how many overdue.
    ``key``: (course id, cycle), a department or location id; None for "not recorded"."""

    key: object
    label: str | None
    total: int
    completed: int
    overdue: int
    first_assigned: date | None = None  # by (course, cycle) only: the range of the time chart
    last_due: date | None = None
    last_completed: datetime | None = None

    @property
    def percent(self) -> float:
        return round(100 * self.completed / self.total, 1) if self.total else 0.0


@dataclass(frozen=True)
class Week:
    starts_on: date
    ends_on: date
    cumulative: int  # completions up to the end of this week


@dataclass(frozen=True)
class Scope:
    """Which assignments the figures cover: (course, cycle) pairs, or one cycle label across
    every course (``cycle_only``)."""

    pairs: tuple[tuple[int, str], ...]
    cycle_only: str | None = None

    def condition(self, course=Assignment.course_id, cycle=Assignment.cycle):
        """The scope as SQL, on the assignments or on any (course, cycle) columns."""
        if self.cycle_only is not None:
            return cycle == self.cycle_only
        if len(self.pairs) == 1:
            (course_id, label), = self.pairs
            return and_(course == course_id, cycle == label)
        if self.pairs:
            return tuple_(course, cycle).in_(self.pairs)
        return false()

    def roster_filters(self, catalog: list[CourseCycle]) -> tuple[dict, bool]:
        """The roster's ``course``/``cycle`` parameters for this scope, and whether they select
        exactly these assignments (they cannot when several courses are at different cycles:
        the roster takes one course and one cycle)."""
        courses = {course_id for course_id, _ in self.pairs}
        cycles = {cycle for _, cycle in self.pairs}
        params = {}
        if self.cycle_only is not None:
            return {"cycle": self.cycle_only}, True
        if len(courses) == 1:
            params["course"] = next(iter(courses))
        if len(cycles) == 1:
            params["cycle"] = next(iter(cycles))
        matching = {(c.course_id, c.cycle) for c in catalog
                    if params.get("course", c.course_id) == c.course_id
                    and params.get("cycle", c.cycle) == c.cycle}
        return params, matching == set(self.pairs)


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    scope: Scope
    catalog: list[CourseCycle]
    current: dict[int, str]
    by_course: list[Figure]  # one bar per (course, cycle); a chosen course: its cycles
    by_department: list[Figure]
    by_location: list[Figure]
    weeks: list[Week]
    unknown_cycle: str | None = None  # asked for, but the course has no such cycle
    computed_at: datetime | None = None  # from the rollup refreshed then; None: computed now
    computed_for: date | None = None  # that refresh's company-local day
    version: str | None = None  # that refresh's (``DashboardRollup.version``)

    @property
    def total(self) -> Figure:
        """Everything in scope (every assignment is in exactly one department group)."""
        rows = self.by_department
        return Figure(None, None, sum(r.total for r in rows), sum(r.completed for r in rows),
                      sum(r.overdue for r in rows))

    def titles(self) -> dict[int, str]:
        return {c.course_id: c.title for c in self.catalog}

    def cycle_options(self) -> list[str]:
        """The cycle filter's choices: the chosen course's cycles, or every label, latest
        first."""
        latest: dict[str, date] = {}
        for c in self.catalog:
            if self.filters.course_id in (None, c.course_id):
                latest[c.cycle] = max(latest.get(c.cycle, c.last_due), c.last_due)
        return sorted(latest, key=lambda label: (latest[label], label), reverse=True)


def course_cycles(live: bool = True) -> list[CourseCycle]:
    """Every (course, cycle) that has assignments, with the course's title and the cycle's
    latest due date: one GROUP BY (grouped before the titles are joined, so the join is on a
    handful of rows, not on every assignment), of the assignments or of the rollup."""
    if live:
        grouped = (select(Assignment.course_id, Assignment.cycle,
                          func.max(Assignment.due_on).label("last_due"))
                   .group_by(Assignment.course_id, Assignment.cycle).subquery())
    else:
        grouped = (select(DashboardFigure.course_id, DashboardFigure.cycle,
                          func.max(DashboardFigure.any_last_due).label("last_due"))
                   .group_by(DashboardFigure.course_id, DashboardFigure.cycle).subquery())
    titles = (select(CourseVersion.course_id, func.max(CourseVersion.title).label("title"))
              .where(CourseVersion.status == "published")
              .group_by(CourseVersion.course_id).subquery())
    rows = db.session.execute(
        select(grouped.c.course_id, grouped.c.cycle, grouped.c.last_due,
               func.coalesce(titles.c.title, Course.slug))
        .join(Course, Course.id == grouped.c.course_id)
        .outerjoin(titles, titles.c.course_id == grouped.c.course_id)
    ).all()
    return sorted((CourseCycle(course_id, title, cycle, last_due)
                   for course_id, cycle, last_due, title in rows),
                  key=lambda c: (c.title.casefold(), c.course_id, -c.last_due.toordinal()))


def current_cycles(catalog: list[CourseCycle]) -> dict[int, str]:
    """Each course's current cycle: the one due latest (greatest due date, then label).

    Why this rule: for calendar requirements the sync only opens the cycle containing today,
    so the latest-due cycle *is* this year's; a one-off requirement has the single cycle
    "once". Rolling requirements number each person's own recertifications ("cycle-2" is a
    person's second round, not a period of time), so for them this picks the round due latest
    and HR chooses another from the cycle filter. It is always one label per course, so every
    bar maps onto the roster's ``course`` and ``cycle`` filters exactly."""
    current: dict[int, CourseCycle] = {}
    for c in catalog:
        best = current.get(c.course_id)
        if best is None or (c.last_due, c.cycle) > (best.last_due, best.cycle):
            current[c.course_id] = c
    return {course_id: c.cycle for course_id, c in current.items()}


def scope_for(filters: DashboardFilters, catalog: list[CourseCycle],
              current: dict[int, str]) -> Scope:
    if filters.course_id is not None:
        cycle = filters.cycle or current.get(filters.course_id)
        known = any(c.course_id == filters.course_id and c.cycle == cycle for c in catalog)
        return Scope(((filters.course_id, cycle),) if known else ())
    if filters.cycle is not None:
        return Scope(tuple((c.course_id, c.cycle) for c in catalog if c.cycle == filters.cycle),
                     cycle_only=filters.cycle)
    return Scope(tuple(sorted(current.items())))


def fine_figures(today: date, condition=None):
    """The assignments grouped at the finest grain the dashboard shows, (course, cycle,
    department, location), counted as the page counts them on ``today``: the statement the
    rollup stores (every (course, cycle), ``condition`` None) and the one the page groups when
    there is no rollup yet. ``any_last_due`` covers every status (the catalogue of cycles
    includes cycles whose assignments are all waived or closed); the other columns only the
    counted ones, so a group whose ``total`` is 0 counts nothing."""
    status = status_expression(today)
    counted = Assignment.status.in_(COUNTED)

    def when_counted(value):
        return case((counted, value))

    query = (
        select(Assignment.course_id.label("course_id"), Assignment.cycle.label("cycle"),
               Employee.department_id.label("department_id"),
               Employee.location_id.label("location_id"),
               func.count(when_counted(Assignment.id)).label("total"),
               func.coalesce(func.sum(case((Assignment.status.in_(DONE), 1), else_=0)), 0)
               .label("completed"),
               func.coalesce(func.sum(case((status == "overdue", 1), else_=0)), 0)
               .label("overdue"),
               func.min(when_counted(Assignment.assigned_on)).label("first_assigned"),
               func.max(when_counted(Assignment.due_on)).label("last_due"),
               func.max(when_counted(Assignment.completed_at)).label("last_completed"),
               func.max(Assignment.due_on).label("any_last_due"))
        .join(Employee, Employee.id == Assignment.employee_id)
        .group_by(Assignment.course_id, Assignment.cycle, Employee.department_id,
                  Employee.location_id))
    return query if condition is None else query.where(condition)


def set_work_mem() -> None:
    """PostgreSQL's default work_mem (4 MB) makes the grouping of a million assignments sort
    on disk; with a little more it hashes in memory (3.2 s -> 1.4 s at 1.25M rows). SET LOCAL
    ends with the transaction. Its callers (the dashboard's views and the rollup's job) plan
    each statement for its values already: the blueprint's hook and the job runner call
    ``plan_each_statement``."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def completion_figures(course_scope: Scope, scope: Scope, today: date,
                       titles: dict[int, str], live: bool = True,
                       ) -> tuple[list[Figure], list[Figure], list[Figure]]:
    """Completion by (course, cycle) over ``course_scope``, and by department and by location
    over ``scope`` (a part of it): the groups at the finest grain (course, cycle, department,
    location), from the assignments (``live``) or from the rollup, and the three views are
    GROUP BYs of those."""
    if live:
        set_work_mem()
        # Only the counted assignments: the (course, cycle) index narrows the scan first.
        fine = fine_figures(today, and_(course_scope.condition(),
                                        Assignment.status.in_(COUNTED))).cte("fine")
    else:
        rollup = DashboardFigure.__table__
        fine = (select(rollup).where(course_scope.condition(rollup.c.course_id,
                                                             rollup.c.cycle),
                                     rollup.c.total > 0)).cte("fine")
    sums = (func.sum(fine.c.total), func.sum(fine.c.completed), func.sum(fine.c.overdue))
    nothing = (literal_column("NULL"),) * 3
    in_scope = scope.condition(fine.c.course_id, fine.c.cycle)
    # The kinds are literal SQL rather than parameters, so the UNION's first column has one
    # plain type on both databases.
    rows = db.session.execute(union_all(
        select(literal_column("'course'").label("kind"), fine.c.course_id, fine.c.cycle,
               *sums, func.min(fine.c.first_assigned), func.max(fine.c.last_due),
               func.max(fine.c.last_completed))
        .group_by(fine.c.course_id, fine.c.cycle),
        select(literal_column("'department'"), fine.c.department_id, Department.name, *sums,
               *nothing)
        .select_from(fine).outerjoin(Department, Department.id == fine.c.department_id)
        .where(in_scope).group_by(fine.c.department_id, Department.name),
        select(literal_column("'location'"), fine.c.location_id, Location.name, *sums,
               *nothing)
        .select_from(fine).outerjoin(Location, Location.id == fine.c.location_id)
        .where(in_scope).group_by(fine.c.location_id, Location.name),
    )).all()
    out: dict[str, list[Figure]] = {"course": [], "department": [], "location": []}
    for kind, key, name, total, completed, overdue, first, last_due, last_done in rows:
        if kind == "course":
            out[kind].append(Figure((key, name), titles.get(key, ""), int(total),
                                    int(completed), int(overdue), first, last_due, last_done))
        else:
            out[kind].append(Figure(key, name, int(total), int(completed), int(overdue)))
    for kind in ("department", "location"):
        # Lowest completion first: where HR should look. Ties by name; "not recorded" last.
        out[kind].sort(key=lambda f: (f.percent, f.label is None, (f.label or "").casefold()))
    return out["course"], out["department"], out["location"]


def weeks(scope: Scope, courses: list[Figure], today: date, live: bool = True) -> list[Week]:
    """Cumulative completions at the end of each week of the cycle: weeks from the Monday of
    the first assignment to today, or to the cycle's end (its last due date or completion)
    if that is earlier. The range comes with the (course, cycle) figures; the completions are
    grouped by week in the database, from the assignments' completion times (``live``) or
    from the rollup's completions per company-local day (the same buckets: a completion is
    before the instant day D begins exactly when its local day is before D)."""
    chosen = [f for f in courses if scope.cycle_only == f.key[1] or f.key in scope.pairs]
    if not chosen:
        return []
    first = min(f.first_assigned for f in chosen)
    last_due = max(f.last_due for f in chosen)
    done = [local_date(f.last_completed) for f in chosen if f.last_completed]
    monday = first - timedelta(days=first.weekday())
    end = max(min(max([last_due, *done]), today), monday)
    days = (end - monday).days + 1
    step = 7 * -(-days // (7 * MAX_POINTS))  # whole weeks, at most MAX_POINTS columns
    count = -(-days // step)
    starts = [monday + timedelta(days=step * k) for k in range(count)]
    if live:
        moment, bound, weight = Assignment.completed_at, start_of, literal_column("1")
        where = (scope.condition(), Assignment.status.in_(DONE))
    else:
        moment, bound = DashboardCompletion.day, (lambda day: day)
        weight = DashboardCompletion.completions
        where = (scope.condition(DashboardCompletion.course_id, DashboardCompletion.cycle),)
    # Bucket k holds completions before the end of step k (in the company's time zone); the
    # comparisons are bound parameters, so the bucket is computed in a subquery and grouped
    # outside it (PostgreSQL cannot match a GROUP BY to a SELECT with its own parameters).
    bucket = case(*((moment < bound(s + timedelta(days=step)), k)
                    for k, s in enumerate(starts[:-1])), else_=count - 1) if count > 1 \
        else literal(0)
    completed = select(bucket.label("week"), weight.label("n")).where(*where).subquery()
    per_week = {week: int(n) for week, n in db.session.execute(
        select(completed.c.week, func.sum(completed.c.n)).group_by(completed.c.week)).all()}
    out, running = [], 0
    for k, s in enumerate(starts):
        running += per_week.get(k, 0)
        out.append(Week(s, min(s + timedelta(days=step - 1), end), running))
    return out


def dashboard(filters: DashboardFilters, today: date, *, live: bool | None = None) -> Dashboard:
    """Every figure of the dashboard for these filters: a fixed number of statements. From the
    rollup when there is one (``live`` None), the figures of the day it was computed for,
    kept per process for each (refresh, filters) since they cannot change; else (or ``live``
    True) from the assignments, for ``today``."""
    if not live:
        state = db.session.execute(select(DashboardRollup.version, DashboardRollup.computed_at,
                                          DashboardRollup.computed_for)).first()
        if state is None and live is False:
            raise LookupError("the dashboard's figures have not been computed yet")
        if state is not None:
            return rollup_dashboard(*state, filters)
    return _dashboard(filters, today, live=True)


# Kept per process for the last refreshes and filters, a few KB each: a refresh's figures never
# change, and a new refresh has a new version, so old entries simply age out. Names (course
# titles, departments, locations) are therefore those of the refresh too.
@lru_cache(maxsize=64)
def rollup_dashboard(version: str, computed_at: datetime, computed_for: date,
                     filters: DashboardFilters) -> Dashboard:
    """The figures of one rollup refresh (``DashboardRollup``'s version, time and day)."""
    return replace(_dashboard(filters, computed_for, live=False), computed_at=computed_at,
                   computed_for=computed_for, version=version)


def _dashboard(filters: DashboardFilters, today: date, *, live: bool) -> Dashboard:
    catalog = course_cycles(live)
    current = current_cycles(catalog)
    unknown = None
    if filters.cycle is not None and not any(
            c.cycle == filters.cycle and filters.course_id in (None, c.course_id)
            for c in catalog):
        unknown, filters = filters.cycle, DashboardFilters(filters.course_id)
    scope = scope_for(filters, catalog, current)
    titles = {c.course_id: c.title for c in catalog}
    if filters.course_id is not None:
        # One course: its cycles side by side (the latest few, and the chosen one), to
        # compare rounds.
        cycles = sorted((c for c in catalog if c.course_id == filters.course_id),
                        key=lambda c: (c.last_due, c.cycle), reverse=True)[:MAX_CYCLES_SHOWN]
        pairs = [(c.course_id, c.cycle) for c in cycles]
        course_scope = Scope(tuple(pairs + [p for p in scope.pairs if p not in pairs]))
    else:
        course_scope = scope
    courses, departments, locations = completion_figures(course_scope, scope, today, titles,
                                                         live)
    order = {(c.course_id, c.cycle): n for n, c in enumerate(catalog)}
    courses.sort(key=lambda f: order.get(f.key, len(order)))
    return Dashboard(filters, scope, catalog, current, courses, departments, locations,
                     weeks(scope, courses, today, live), unknown)

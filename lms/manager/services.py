"""A manager's team: the roster of everyone below them, a progress summary, the reminders
("nudges") they send and the rows of their CSV export.

Every list is the roster query (``lms.reports.roster``) with ``manager_id`` set to the manager
asking, so the org subtree is applied in SQL and no filter value reaches outside it: a
department or course id from another branch simply matches nobody."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from flask import current_app
from sqlalchemy import Date, bindparam, case, func, insert, select

from courses.models import CourseVersion
from lms.clock import local_date
from lms.compliance.models import Assignment, AssignmentEvent
from lms.db import db
from lms.i18n import translated
from lms.notifications.models import OutboxMessage
from lms.notifications.services import enqueue_template, message_key
from lms.people.models import Department, Employee, Location
from lms.people.org import manages_anyone, subtree_ids
from lms.reports.roster import OPEN, STATUSES, RosterFilters, roster_select, status_expression
from lms.reports.roster import _conditions as roster_conditions

PER_PAGE = 50
# Closed assignments (the person left the requirement's audience) are history, not work to
# do: hidden unless the status filter asks for them by name.
SHOWN_BY_DEFAULT = tuple(s for s in STATUSES if s != "closed")
# The summary's buckets, in the order the chart draws them.
BUCKETS = ("completed", "in_progress", "not_started", "overdue", "waived_paused", "expired",
           "closed")
BUCKET_OF = {"completed": "completed", "in_progress": "in_progress", "assigned": "not_started",
             "overdue": "overdue", "waived": "waived_paused", "paused": "waived_paused",
             "expired": "expired", "closed": "closed"}
REMINDABLE = (*OPEN, "overdue")
_KEY_CHUNK = 1000


def is_manager(employee_id: int) -> bool:
    """Has at least one active direct report (what makes someone a manager here)."""
    return bool(db.session.scalar(select(manages_anyone(employee_id))))


@dataclass(frozen=True)
class TeamQuery:
    """The page's filters as the manager chose them, already validated."""

    direct_only: bool = True
    course_id: int | None = None
    status: str | None = None
    department_id: int | None = None
    location_id: int | None = None
    page: int = 1

    def filters(self, manager_id: int) -> RosterFilters:
        """The roster filter: always this manager's subtree, current employees only (a
        leaver is no longer in anyone's team)."""
        return RosterFilters(
            manager_id=manager_id, direct_only=self.direct_only, course_id=self.course_id,
            department_id=self.department_id, location_id=self.location_id,
            statuses=(self.status,) if self.status else SHOWN_BY_DEFAULT,
            include_inactive=False)

    def args(self, **changes: object) -> dict[str, str]:
        """As URL parameters (links, hidden fields, the export), without the page unless
        given in ``changes``."""
        values = {"direct": "1" if self.direct_only else "0", "course": self.course_id,
                  "status": self.status, "department": self.department_id,
                  "location": self.location_id, **changes}
        return {name: str(value) for name, value in values.items() if value is not None}


def _whole_number(text: str) -> int | None:
    text = text.strip()
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def parse_query(values: Mapping[str, Sequence[str]]) -> TeamQuery:
    """A TeamQuery from request parameters (name -> all its values). Malformed values are
    ignored. ``direct`` defaults to direct reports only; the filter form sends a hidden
    ``direct=0`` before its checkbox's ``direct=1``, so an unticked box means the subtree."""

    def first(name: str) -> str:
        given = values.get(name) or [""]
        return given[0] or ""

    direct = list(values.get("direct") or [])
    status = first("status").strip()
    return TeamQuery(
        direct_only=not direct or "1" in direct,
        course_id=_whole_number(first("course")),
        status=status if status in STATUSES else None,
        department_id=_whole_number(first("department")),
        location_id=_whole_number(first("location")),
        page=max(_whole_number(first("page")) or 1, 1))


@dataclass(frozen=True)
class TeamRow:
    assignment_id: int
    employee_number: str
    name: str
    department: str | None
    location: str | None
    manager: str | None
    course: str | None
    cycle: str
    status: str
    due_on: date
    completed_on: date | None

    @property
    def remindable(self) -> bool:
        return self.status in REMINDABLE


@dataclass(frozen=True)
class Segment:
    key: str
    count: int
    percent: int  # whole percentages of all segments add up to 100
    x: float  # where the segment starts and how wide it is, in % of the bar
    width: float


@dataclass(frozen=True)
class Summary:
    total: int
    counts: dict[str, int]  # every bucket, zeros included
    percents: dict[str, int]
    segments: list[Segment]  # the non-empty buckets, in BUCKETS order


@dataclass(frozen=True)
class TeamPage:
    rows: list[TeamRow]
    summary: Summary
    page: int
    pages: int
    reminded: frozenset[int]  # assignment ids on this page already nudged today


def _narrow(filters: RosterFilters, today: date):
    """The roster's rows cut down to what ordering, counting and picking need, as a
    subquery: the roster's own WHERE clause (as ``roster_count`` uses it) on assignments and
    employees only. The full ``roster_select`` joins ten tables, more than PostgreSQL's
    ``join_collapse_limit``: the planner then keeps the written join order and scans every
    assignment, even for a manager of ten people; on two tables it starts from the team.

    "All but closed" is asked as ``status <> 'closed'`` on the stored status (closed is never
    computed) instead of as a list of the seven other computed statuses: the same rows, but
    an estimate the planner can make (it guesses a list on a computed value at 2 %)."""
    if filters.statuses == SHOWN_BY_DEFAULT:
        conditions = [*roster_conditions(replace(filters, statuses=()), today),
                      Assignment.status != "closed"]
    else:
        conditions = roster_conditions(filters, today)
    return (select(Assignment.id.label("assignment_id"),
                   status_expression(today).label("status"), Assignment.due_on.label("due_on"),
                   Employee.full_name.label("name"))
            .select_from(Assignment).join(Employee, Employee.id == Assignment.employee_id)
            .where(*conditions).subquery("team"))


def _order(rows) -> tuple:
    """The page's order: overdue first, then by due date (then name, for stable paging)."""
    return (case((rows.c.status == "overdue", 0), else_=1), rows.c.due_on, rows.c.name,
            rows.c.assignment_id)


@cache
def _full_rows_statement():
    """Built once: the ids and the day are parameters. Building the roster's ten joins and
    their column proxies was about a tenth of the team page's time, on every request."""
    full = (roster_select(RosterFilters(), bindparam("today", type_=Date)).order_by(None)
            .subquery("roster"))
    return (select(full).where(full.c.assignment_id.in_(bindparam("ids", expanding=True)))
            .order_by(*_order(full)))


def _full_rows(assignment_ids: list[int], today: date) -> list:
    """These assignments' roster rows (every column), in the page's order. No filter: the
    ids were picked under it; by primary key, the database starts from them."""
    if not assignment_ids:
        return []
    return db.session.execute(_full_rows_statement(),
                              {"ids": assignment_ids, "today": today}).all()


def _page_rows(team, today: date, page: int) -> list:
    """One page: its ids picked from the narrow rows (``team``, sorted narrow, without the
    display joins), then just those rows from the roster. Two statements whatever the team's
    size."""
    ids = list(db.session.scalars(select(team.c.assignment_id).order_by(*_order(team))
                                  .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return _full_rows(ids, today)


def team_count(filters: RosterFilters, today: date) -> int:
    """How many rows the page (and the CSV) has for a filter."""
    return db.session.scalar(select(func.count()).select_from(_narrow(filters, today)))


def whole_percentages(counts: Mapping[str, int]) -> dict[str, int]:
    """Percentages rounded so that they add up to 100 (largest remainder first)."""
    total = sum(counts.values())
    if not total:
        return dict.fromkeys(counts, 0)
    exact = {key: 100 * n / total for key, n in counts.items()}
    whole = {key: int(value) for key, value in exact.items()}
    short = 100 - sum(whole.values())
    for key in sorted(exact, key=lambda k: exact[k] - whole[k], reverse=True)[:short]:
        whole[key] += 1
    return whole


def summarise(filters: RosterFilters, today: date) -> Summary:
    """Counts by status bucket for a filter, in one GROUP BY query."""
    return _summary(_narrow(filters, today))


def _summary(team) -> Summary:
    counts = dict.fromkeys(BUCKETS, 0)
    for status, n in db.session.execute(
            select(team.c.status, func.count()).group_by(team.c.status)):
        counts[BUCKET_OF[status]] += n
    total = sum(counts.values())
    percents = whole_percentages(counts)
    segments, x = [], 0.0
    for key in BUCKETS:
        if counts[key]:
            width = 100 * counts[key] / total
            segments.append(Segment(key, counts[key], percents[key], x, width))
            x += width
    return Summary(total, counts, percents, segments)


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        found.update(db.session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.in_(keys[start:start + _KEY_CHUNK]))))
    return found


def nudge_key(assignment_id: int, day: date) -> str:
    """One nudge per assignment per company-local day, however often the button is pressed."""
    return message_key("nudge", assignment=assignment_id, day=day.isoformat())


def _team_row(row) -> TeamRow:
    return TeamRow(row.assignment_id, row.employee_number, row.name, row.department,
                   row.location, row.manager, row.course, row.cycle, row.status,
                   row.due_on, local_date(row.completed_at) if row.completed_at else None)


def team_page(manager_id: int, query: TeamQuery, today: date) -> TeamPage:
    """One page of the manager's team, its summary (whose sum is the total, so the count is
    the GROUP BY's) and which rows were already nudged today."""
    team = _narrow(query.filters(manager_id), today)  # built once: the summary and the page
    summary = _summary(team)
    pages = max(1, -(-summary.total // PER_PAGE))
    page = min(query.page, pages)
    rows = [_team_row(row) for row in _page_rows(team, today, page)]
    keys = {nudge_key(r.assignment_id, today): r.assignment_id for r in rows if r.remindable}
    reminded = frozenset(keys[k] for k in _existing_keys(list(keys)))
    return TeamPage(rows, summary, page, pages, reminded)


def team_rows(filters: RosterFilters, today: date, batch: int = 2000) -> Iterator[tuple]:
    """Every row of the filter in the page's order, as tuples in the roster's COLUMNS order
    (for the CSV), streamed in batches: one statement, memory flat."""
    if filters.statuses == SHOWN_BY_DEFAULT:  # as in _narrow
        query = (roster_select(replace(filters, statuses=()), today)
                 .where(Assignment.status != "closed"))
    else:
        query = roster_select(filters, today)
    roster = query.order_by(None).subquery("roster")
    result = db.session.execute(select(roster).order_by(*_order(roster))
                                .execution_options(yield_per=batch))
    for row in result:
        version = (f"v{row.version_number} ({row.version_hash})"
                   if row.version_number is not None else None)
        yield (row.employee_number, row.name, row.email, row.department, row.location,
               row.manager, row.course, version, row.cycle, row.status, row.due_on,
               local_date(row.completed_at) if row.completed_at else None, row.score,
               row.certificate_code)


def team_places(manager_id: int, direct_only: bool
                ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The departments and locations the people shown (direct reports, or the subtree) are
    in: the filter's choices, so never a name from outside the subtree. One query."""
    rows = db.session.execute(
        select(Department.id, Department.name, Location.id, Location.name)
        .select_from(Employee)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .where(Employee.id.in_(subtree_ids(manager_id, direct_only)),
               Employee.active.is_(True))
        .distinct()).all()
    departments = {(r[0], r[1]) for r in rows if r[0] is not None}
    locations = {(r[2], r[3]) for r in rows if r[2] is not None}
    return (sorted(departments, key=lambda d: d[1].casefold()),
            sorted(locations, key=lambda loc: loc[1].casefold()))


def _course_versions(course_ids: Iterable[int] | None = None) -> dict[int, object]:
    """Each course's title-bearing version: the published one, else the latest."""
    query = select(CourseVersion.course_id, CourseVersion.title, CourseVersion.translations,
                   CourseVersion.status, CourseVersion.number)
    if course_ids is not None:
        query = query.where(CourseVersion.course_id.in_(list(course_ids)))
    best: dict[int, object] = {}
    for row in db.session.execute(query):
        rank = (row.status == "published", row.number)
        held = best.get(row.course_id)
        if held is None or rank > (held.status == "published", held.number):
            best[row.course_id] = row
    return best


def course_titles(locale: str) -> dict[int, str]:
    """Published courses' titles in the manager's language (course filter, table)."""
    return {course_id: translated(version, "title", locale)
            for course_id, version in _course_versions().items()
            if version.status == "published"}


def titles_by_assignment(assignment_ids: list[int], titles: Mapping[int, str]
                         ) -> dict[int, str]:
    """{assignment id: its course's title from ``titles``} (a page's rows, one query)."""
    if not assignment_ids:
        return {}
    rows = db.session.execute(select(Assignment.id, Assignment.course_id)
                              .where(Assignment.id.in_(assignment_ids)))
    return {assignment_id: titles[course_id] for assignment_id, course_id in rows
            if course_id in titles}


class NotInTeam(LookupError):
    """No such assignment in this manager's subtree (whether it exists elsewhere is not
    told apart: both are a 404)."""


@dataclass(frozen=True)
class NudgeResult:
    sent: int = 0
    already: int = 0  # reminded earlier today
    not_open: int = 0  # completed, waived, paused, or the person left: nothing to remind
    failed: int = 0  # the address on file is not an e-mail address


def _people():
    return (select(Assignment.id.label("assignment_id"), Assignment.course_id,
                   Assignment.due_on, Employee.full_name.label("name"), Employee.email,
                   Employee.locale)
            .join(Employee, Employee.id == Assignment.employee_id))


def _send(manager: Employee, people: Sequence, today: date) -> NudgeResult:
    """Queue a nudge for each person whose key is new today: one query for the keys already
    used, one for the course titles, then one outbox row (and one event) per e-mail."""
    keys = {p.assignment_id: nudge_key(p.assignment_id, today) for p in people}
    done = _existing_keys(list(keys.values()))
    todo = [p for p in people if keys[p.assignment_id] not in done]
    versions = _course_versions({p.course_id for p in todo}) if todo else {}
    link = f"{current_app.config.get('LMS_BASE_URL', '')}/training"
    sent = raced = failed = 0
    events = []
    for p in todo:
        version = versions.get(p.course_id)
        course = translated(version, "title", p.locale) if version else ""
        try:
            queued = enqueue_template(
                keys[p.assignment_id], p.email, "nudge", p.locale, name=p.name,
                manager=manager.full_name, course=course, due_on=p.due_on,
                days_overdue=(today - p.due_on).days, link=link)
        except ValueError:
            failed += 1
            continue
        if not queued:  # a concurrent click queued it first
            raced += 1
            continue
        sent += 1
        events.append({"assignment_id": p.assignment_id, "kind": "nudged",
                       "detail": {"to": p.email, "key": keys[p.assignment_id],
                                  "by": manager.id}})
    if events:  # one executemany, not an INSERT per event
        db.session.execute(insert(AssignmentEvent), events)
    return NudgeResult(sent=sent, already=len(people) - len(todo) + raced, failed=failed)


def nudge(manager: Employee, assignment_id: int, today: date) -> NudgeResult:
    """Remind the person holding this assignment, if it is in the manager's subtree and
    still open; at most once a day. Raises NotInTeam otherwise. Flushes, never commits."""
    row = db.session.execute(
        _people().add_columns(status_expression(today).label("status"), Employee.active)
        .where(Assignment.id == assignment_id,
               Employee.id.in_(subtree_ids(manager.id)))).one_or_none()
    if row is None:
        raise NotInTeam(assignment_id)
    if row.status not in REMINDABLE or not row.active:
        return NudgeResult(not_open=1)
    return _send(manager, [row], today)


def nudge_overdue(manager: Employee, query: TeamQuery, today: date) -> NudgeResult:
    """Remind everyone overdue under the page's filter (never outside the manager's
    subtree: the filter is rebuilt here for this manager). One query for the candidates."""
    filters = query.filters(manager.id)
    if "overdue" not in filters.statuses:
        return NudgeResult()
    team = _narrow(replace(filters, statuses=("overdue",)), today)
    people = db.session.execute(
        _people().where(Assignment.id.in_(select(team.c.assignment_id)))
        .order_by(Assignment.id)).all()
    return _send(manager, people, today)

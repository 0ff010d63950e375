"""The compliance roster: one row per assignment with the person, the course and the outcome,
for any filter. One query, streamed (server-side cursor on PostgreSQL), so a million rows go
out with flat memory; every export, page and API listing of assignments is built on it.

Status is the stored one, except that an open assignment past its due date is ``overdue``
(computed in SQL with the company-local ``today``, never stored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import Date, String, and_, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from courses.models import Course, CourseVersion, Enrollment
from lms.clock import local_date, org_zone, start_of
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.people.org import subtree_ids
from lms.reports.spreadsheet import copy_csv_chunks, csv_chunks, neutralised_sql

STATUSES = ("assigned", "in_progress", "overdue", "completed", "waived", "paused", "expired",
            "closed")
OPEN = ("assigned", "in_progress")

COLUMNS = (
    ("employee_number", "Employee number"), ("name", "Name"), ("email", "Email"),
    ("department", "Department"), ("location", "Location"), ("manager", "Manager"),
    ("course", "Course"), ("version", "Version"), ("cycle", "Cycle"), ("status", "Status"),
    ("due_on", "Due date"), ("completed_on", "Completion date"), ("score", "Score (%)"),
    ("certificate_code", "Certificate code"),
)


@dataclass(frozen=True)
class RosterFilters:
    course_id: int | None = None
    cycle: str | None = None
    department_id: int | None = None
    location_id: int | None = None
    manager_id: int | None = None  # everyone in this manager's subtree
    direct_only: bool = False  # with manager_id: direct reports only
    statuses: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    completed_from: date | None = None
    completed_to: date | None = None
    employee_id: int | None = None
    include_inactive: bool = True  # leavers' records are part of the history

    def as_dict(self) -> dict:
        """For the audit log and job records: only what is set, dates as ISO strings."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, (), False) or (key == "include_inactive" and value is True):
                continue
            out[key] = (value.isoformat() if isinstance(value, date)
                        else list(value) if isinstance(value, tuple) else value)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> RosterFilters:
        values = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in ("due_from", "due_to", "completed_from", "completed_to") and value:
                value = date.fromisoformat(value)
            if f.name == "statuses":
                value = tuple(value)
            values[f.name] = value
        return cls(**values)


def status_expression(today: date):
    """SQL for the status as shown: the stored one, or ``overdue`` for an open assignment
    past its due date."""
    return case((and_(Assignment.status.in_(OPEN), Assignment.due_on < today),
                 literal("overdue")), else_=Assignment.status)


def _completed_bounds(filters: RosterFilters) -> tuple[datetime | None, datetime | None]:
    """The completion-date range as UTC instants. A day so far out that its instant is not
    representable (0001-01-01, 9999-12-31) bounds nothing (any completion date matches)
    instead of raising OverflowError."""
    lower = upper = None
    if filters.completed_from:
        try:
            lower = start_of(filters.completed_from)
        except OverflowError:
            lower = None
    if filters.completed_to:
        try:
            upper = start_of(filters.completed_to + timedelta(days=1))
        except OverflowError:
            upper = None
    return lower, upper


def _conditions(filters: RosterFilters, today: date) -> list:
    """The WHERE clause of the roster: it needs only Assignment and Employee."""
    conditions = []
    for column, value in ((Assignment.course_id, filters.course_id),
                          (Assignment.cycle, filters.cycle),
                          (Employee.department_id, filters.department_id),
                          (Employee.location_id, filters.location_id),
                          (Assignment.employee_id, filters.employee_id)):
        if value is not None:
            conditions.append(column == value)
    if filters.manager_id is not None:
        conditions.append(Employee.id.in_(subtree_ids(filters.manager_id,
                                                      filters.direct_only)))
    if filters.statuses:
        conditions.append(status_expression(today).in_(filters.statuses))
    if filters.due_from:
        conditions.append(Assignment.due_on >= filters.due_from)
    if filters.due_to:
        conditions.append(Assignment.due_on <= filters.due_to)
    if filters.completed_from or filters.completed_to:
        conditions.append(Assignment.completed_at.is_not(None))
    lower, upper = _completed_bounds(filters)
    if lower is not None:
        conditions.append(Assignment.completed_at >= lower)
    if upper is not None:
        conditions.append(Assignment.completed_at < upper)
    if not filters.include_inactive:
        conditions.append(Employee.active.is_(True))
    return conditions


def roster_select(filters: RosterFilters, today: date):
    """The roster SELECT: labelled columns in COLUMNS order, plus ``assignment_id`` and
    ``employee_id`` (for links), ordered for stable paging."""
    manager = aliased(Employee)
    titles = (select(CourseVersion.course_id, func.max(CourseVersion.title).label("title"))
              .where(CourseVersion.status == "published")
              .group_by(CourseVersion.course_id).subquery())
    taken = aliased(CourseVersion)
    query = (
        select(Employee.employee_number.label("employee_number"),
               Employee.full_name.label("name"), Employee.email.label("email"),
               Department.name.label("department"), Location.name.label("location"),
               manager.full_name.label("manager"),
               # The version the person took; else the published title; a retired course
               # with neither still shows its slug rather than an empty cell.
               func.coalesce(taken.title, titles.c.title, Course.slug).label("course"),
               taken.number.label("version_number"),
               func.substr(taken.content_hash, 1, 12).label("version_hash"),
               Assignment.cycle.label("cycle"),
               status_expression(today).label("status"), Assignment.due_on.label("due_on"),
               Assignment.completed_at.label("completed_at"),
               Enrollment.score_percent.label("score"),
               Certificate.code.label("certificate_code"),
               Assignment.id.label("assignment_id"), Employee.id.label("employee_id"))
        .select_from(Assignment)
        .join(Employee, Employee.id == Assignment.employee_id)
        .join(Course, Course.id == Assignment.course_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .outerjoin(manager, manager.id == Employee.manager_id)
        .outerjoin(titles, titles.c.course_id == Assignment.course_id)
        .outerjoin(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .outerjoin(taken, taken.id == Enrollment.course_version_id)
        .outerjoin(Certificate, and_(Certificate.enrollment_id == Assignment.enrollment_id,
                                     Certificate.revoked_at.is_(None)))
        .where(*_conditions(filters, today))
    )
    return query.order_by(Employee.employee_number, Assignment.course_id, Assignment.cycle,
                          Assignment.id)


def roster_count(filters: RosterFilters, today: date) -> int:
    """How many rows ``roster_select`` gives: the same WHERE without the display joins (each
    of those matches at most one row, so they never change the count)."""
    return db.session.scalar(
        select(func.count()).select_from(Assignment)
        .join(Employee, Employee.id == Assignment.employee_id)
        .where(*_conditions(filters, today)))


def _values(row) -> tuple:
    completed = local_date(row.completed_at) if row.completed_at else None
    version = (f"v{row.version_number} ({row.version_hash})"
               if row.version_number is not None else None)
    return (row.employee_number, row.name, row.email, row.department, row.location,
            row.manager, row.course, version, row.cycle, row.status, row.due_on,
            completed, row.score, row.certificate_code)


def roster_rows(filters: RosterFilters, today: date, batch: int = 2000) -> Iterator[tuple]:
    """Every matching row as a tuple in COLUMNS order, streamed in batches (a server-side
    cursor on PostgreSQL: memory stays flat whatever the number of rows)."""
    result = db.session.execute(roster_select(filters, today)
                                .execution_options(yield_per=batch))
    for row in result:
        yield _values(row)


def roster_page(filters: RosterFilters, today: date, page: int, per_page: int) -> list[dict]:
    """One page of the roster for a screen: dicts keyed by the COLUMNS keys, plus
    ``assignment_id`` and ``employee_id`` for links."""
    keys = [key for key, _ in COLUMNS]
    rows = db.session.execute(roster_select(filters, today).limit(per_page)
                              .offset((max(page, 1) - 1) * per_page)).all()
    return [{**dict(zip(keys, _values(row), strict=True)), "assignment_id": row.assignment_id,
             "employee_id": row.employee_id} for row in rows]


def roster_csv_select(filters: RosterFilters, today: date, zone: str, iso_dates: bool = False):
    """``roster_select`` with every cell as the CSV writer writes ``_values(row)``: text
    neutralised, dates as ISO days (the completion date in the company's zone ``zone``), the
    version as ``v3 (0123456789ab)``, NULL for an empty cell. ``iso_dates``: the session's
    DateStyle is ISO, so COPY writes a date as ``YYYY-MM-DD`` itself (cheaper than
    ``to_char``). PostgreSQL only."""
    query = roster_select(filters, today)
    c = query.selected_columns
    version = case((c.version_number.is_not(None),
                    literal("v", String) + cast(c.version_number, String) + " ("
                    + c.version_hash + ")"))
    completed = cast(func.timezone(zone, c.completed_at), Date)
    return query.with_only_columns(
        neutralised_sql(c.employee_number), neutralised_sql(c.name), neutralised_sql(c.email),
        neutralised_sql(c.department), neutralised_sql(c.location), neutralised_sql(c.manager),
        neutralised_sql(c.course), version, neutralised_sql(c.cycle), neutralised_sql(c.status),
        *((c.due_on, completed) if iso_dates else
          (func.to_char(c.due_on, "YYYY-MM-DD"), func.to_char(completed, "YYYY-MM-DD"))),
        c.score, neutralised_sql(c.certificate_code))


def roster_csv_chunks(filters: RosterFilters, today: date, bom: bool = False,
                      progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The roster as CSV, UTF-8 bytes in chunks: byte for byte what ``csv_chunks`` writes for
    ``roster_rows``. On PostgreSQL the database writes it (``COPY ... TO STDOUT``, about five
    times faster than formatting and neutralising each cell in Python); elsewhere the Python
    writer. ``progress``: called with the number of rows written so far, after each row."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        info = connection.connection.driver_connection.info
        if info.encoding == "utf-8" and info.parameter_status("server_encoding") == "UTF8":
            iso = (info.parameter_status("DateStyle") or "").startswith("ISO")
            yield from copy_csv_chunks(
                connection, roster_csv_select(filters, today, org_zone().key, iso_dates=iso),
                header(), bom=bom, progress=progress)
            return
    rows = roster_rows(filters, today)
    if progress is not None:
        rows = _counted(rows, progress)
    for chunk in csv_chunks(header(), rows, bom=bom):
        yield chunk.encode("utf-8")


def _counted(rows: Iterator[tuple], progress: Callable[[int], None]) -> Iterator[tuple]:
    for count, row in enumerate(rows, start=1):
        yield row
        progress(count)


def header() -> list[str]:
    return [title for _, title in COLUMNS]

"""The compliance roster: one row per assignment with the person, the course and the outcome,
for any filter. One query, streamed (server-side cursor on PostgreSQL), so a million rows go
out with flat memory; every export, page and API listing of assignments is built on it.

Status is the stored one, except that an open assignment past its due date is ``overdue``
(computed in SQL with the company-local ``today``, never stored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from courses.models import CourseVersion, Enrollment
from lms.clock import local_date, start_of
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.people.org import subtree_ids

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
    return case((and_(Assignment.status.in_(OPEN), Assignment.due_on < today),
                 literal("overdue")), else_=Assignment.status)


def roster_select(filters: RosterFilters, today: date):
    """The roster SELECT: labelled columns in COLUMNS order, plus ``assignment_id`` and
    ``employee_id`` (for links), ordered for stable paging."""
    manager = aliased(Employee)
    titles = (select(CourseVersion.course_id, func.max(CourseVersion.title).label("title"))
              .where(CourseVersion.status == "published")
              .group_by(CourseVersion.course_id).subquery())
    taken = aliased(CourseVersion)
    status = status_expression(today)
    query = (
        select(Employee.employee_number.label("employee_number"),
               Employee.full_name.label("name"), Employee.email.label("email"),
               Department.name.label("department"), Location.name.label("location"),
               manager.full_name.label("manager"),
               func.coalesce(taken.title, titles.c.title).label("course"),
               taken.number.label("version_number"),
               func.substr(taken.content_hash, 1, 12).label("version_hash"), Assignment.cycle.label("cycle"),
               status.label("status"), Assignment.due_on.label("due_on"),
               Assignment.completed_at.label("completed_at"),
               Enrollment.score_percent.label("score"),
               Certificate.code.label("certificate_code"),
               Assignment.id.label("assignment_id"), Employee.id.label("employee_id"))
        .select_from(Assignment)
        .join(Employee, Employee.id == Assignment.employee_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .outerjoin(manager, manager.id == Employee.manager_id)
        .outerjoin(titles, titles.c.course_id == Assignment.course_id)
        .outerjoin(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .outerjoin(taken, taken.id == Enrollment.course_version_id)
        .outerjoin(Certificate, and_(Certificate.enrollment_id == Assignment.enrollment_id,
                                     Certificate.revoked_at.is_(None)))
    )
    for column, value in ((Assignment.course_id, filters.course_id),
                          (Assignment.cycle, filters.cycle),
                          (Employee.department_id, filters.department_id),
                          (Employee.location_id, filters.location_id),
                          (Assignment.employee_id, filters.employee_id)):
        if value is not None:
            query = query.where(column == value)
    if filters.manager_id is not None:
        query = query.where(Employee.id.in_(subtree_ids(filters.manager_id,
                                                        filters.direct_only)))
    if filters.statuses:
        query = query.where(status.in_(filters.statuses))
    if filters.due_from:
        query = query.where(Assignment.due_on >= filters.due_from)
    if filters.due_to:
        query = query.where(Assignment.due_on <= filters.due_to)
    if filters.completed_from:
        query = query.where(Assignment.completed_at >= start_of(filters.completed_from))
    if filters.completed_to:
        query = query.where(Assignment.completed_at
                            < start_of(filters.completed_to + timedelta(days=1)))
    if not filters.include_inactive:
        query = query.where(Employee.active.is_(True))
    return query.order_by(Employee.employee_number, Assignment.course_id, Assignment.cycle,
                          Assignment.id)


def roster_count(filters: RosterFilters, today: date) -> int:
    query = roster_select(filters, today).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def roster_rows(filters: RosterFilters, today: date, batch: int = 2000) -> Iterator[tuple]:
    """Every matching row as a tuple in COLUMNS order, streamed in batches."""
    result = db.session.execute(roster_select(filters, today)
                                .execution_options(yield_per=batch))
    for row in result:
        completed = local_date(row.completed_at) if row.completed_at else None
        version = (f"v{row.version_number} ({row.version_hash})"
                   if row.version_number is not None else None)
        yield (row.employee_number, row.name, row.email, row.department, row.location,
               row.manager, row.course, version, row.cycle, row.status, row.due_on,
               completed, row.score, row.certificate_code)


def header() -> list[str]:
    return [title for _, title in COLUMNS]

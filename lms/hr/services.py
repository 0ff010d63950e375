"""The overdue list: one query with filters, sorting and paging, counted in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from courses.models import Course, CourseVersion
from lms.compliance.models import Assignment
from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.hr.models import FollowUp
from lms.people.models import Department, Employee, Location

OPEN_STATUSES = ("assigned", "in_progress")
SORTS = ("days", "name", "course", "department", "due")
NOTE_MAX = 2000


@dataclass(frozen=True)
class OverdueFilters:
    course_id: int | None = None
    department_id: int | None = None
    location_id: int | None = None
    manager_id: int | None = None
    min_days: int = 0
    sort: str = "days"
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class OverdueRow:
    assignment_id: int
    employee_number: str
    name: str
    email: str
    department: str | None
    location: str | None
    manager: str | None
    course: str
    cycle: str
    due_on: date
    days_overdue: int
    contacted: bool
    last_note: str | None
    last_note_at: datetime | None


def _course_title():
    return (select(CourseVersion.title)
            .where(CourseVersion.course_id == Assignment.course_id)
            .order_by((CourseVersion.status == "published").desc(), CourseVersion.number.desc())
            .limit(1).correlate(Assignment).scalar_subquery())


def overdue(today: date, filters: OverdueFilters) -> tuple[list[OverdueRow], int]:
    """The page of overdue assignments and how many there are in all."""
    manager = aliased(Employee)
    latest = (select(FollowUp.assignment_id, func.max(FollowUp.id).label("last_id"))
              .group_by(FollowUp.assignment_id).subquery())
    contacted = (select(func.count()).select_from(FollowUp)
                 .where(FollowUp.assignment_id == Assignment.id, FollowUp.contacted.is_(True))
                 .correlate(Assignment).scalar_subquery())
    last = aliased(FollowUp)
    conditions = [
        Assignment.status.in_(OPEN_STATUSES),
        Assignment.due_on < today,
        Employee.active.is_(True),
    ]
    if filters.min_days > 0:
        conditions.append(Assignment.due_on <= today - timedelta(days=filters.min_days))
    for column, value in ((Assignment.course_id, filters.course_id),
                          (Employee.department_id, filters.department_id),
                          (Employee.location_id, filters.location_id),
                          (Employee.manager_id, filters.manager_id)):
        if value is not None:
            conditions.append(column == value)
    base = (select(Assignment.id)
            .join(Employee, Employee.id == Assignment.employee_id)
            .where(*conditions))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    order = {
        "days": (Assignment.due_on.asc(), Employee.full_name),
        "due": (Assignment.due_on.asc(), Employee.full_name),
        "name": (Employee.full_name, Assignment.due_on),
        "course": (_course_title(), Assignment.due_on),
        "department": (Department.name, Assignment.due_on),
    }[filters.sort if filters.sort in SORTS else "days"]
    rows = db.session.execute(
        select(Assignment.id, Employee.employee_number, Employee.full_name, Employee.email,
               Department.name, Location.name, manager.full_name, _course_title(),
               Assignment.cycle, Assignment.due_on, contacted, last.note, last.created_at)
        .join(Employee, Employee.id == Assignment.employee_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .outerjoin(manager, manager.id == Employee.manager_id)
        .outerjoin(latest, latest.c.assignment_id == Assignment.id)
        .outerjoin(last, last.id == latest.c.last_id)
        .where(*conditions)
        .order_by(*order, Assignment.id)
        .limit(filters.per_page).offset((max(filters.page, 1) - 1) * filters.per_page)
    ).all()
    return [
        OverdueRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", r[8], r[9],
                   (today - r[9]).days, bool(r[10]), r[11], r[12])
        for r in rows
    ], total


class FollowUpError(UserError, ValueError):
    """A follow-up that cannot be saved as given; the message says why."""


def add_follow_up(assignment_id: int, author_id: int, note: str, contacted: bool) -> FollowUp:
    """Append HR's note (and the contacted mark) to an assignment's record."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise FollowUpError(_l("A note can be at most %(num)s characters.", num=NOTE_MAX))
    if not note and not contacted:
        raise FollowUpError(_l("Write a note or mark the person as contacted."))
    follow_up = FollowUp(assignment_id=assignment_id, author_id=author_id, note=note,
                         contacted=contacted)
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def filter_choices() -> dict[str, list[tuple[int, str]]]:
    """What the filters offer: courses, departments and locations. (Managers are chosen by
    employee number: a company has too many for a list.)"""
    return {
        "courses": db.session.execute(
            select(Course.id, func.max(CourseVersion.title)).join(CourseVersion)
            .where(CourseVersion.status == "published").group_by(Course.id)
            .order_by(func.max(CourseVersion.title))).all(),
        "departments": db.session.execute(
            select(Department.id, Department.name).order_by(Department.name)).all(),
        "locations": db.session.execute(
            select(Location.id, Location.name).order_by(Location.name)).all(),
    }


def manager_by_number(number: str) -> Employee | None:
    return db.session.scalar(select(Employee).where(Employee.employee_number == number.strip()))


@dataclass(frozen=True)
class Explanation:
    assignment: Assignment
    employee: Employee
    course_title: str
    requirement: object | None
    computed_from: dict
    events: list
    emails: list  # (OutboxMessage, its subject)
    follow_ups: list
    days_overdue: int


def explain(assignment_id: int, today: date) -> Explanation | None:
    """The compliance explanation (the requirement, the dates the due date was computed from,
    the events) plus what HR needs beside it: the e-mails sent about it and HR's notes."""
    from lms.compliance.models import AssignmentEvent
    from lms.compliance.services import explain as compliance_explain
    from lms.notifications.models import OutboxMessage
    from lms.notifications.services import email_of

    facts = compliance_explain(assignment_id)
    if facts is None:
        return None
    assignment = db.session.get(Assignment, assignment_id)
    title = db.session.scalar(select(_course_title()).where(Assignment.id == assignment_id))
    events = db.session.scalars(select(AssignmentEvent).where(
        AssignmentEvent.assignment_id == assignment_id).order_by(AssignmentEvent.at,
                                                                 AssignmentEvent.id)).all()
    # Keys are "kind:assignment=ID:..." (lms.notifications.services.message_key).
    emails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.key.like(f"%:assignment={assignment_id}:%")
        | OutboxMessage.key.like(f"%:assignment={assignment_id}")
    ).order_by(OutboxMessage.created_at)).all()
    notes = db.session.execute(
        select(FollowUp, Employee.full_name).join(Employee, Employee.id == FollowUp.author_id)
        .where(FollowUp.assignment_id == assignment_id).order_by(FollowUp.created_at)).all()
    overdue_days = ((today - assignment.due_on).days
                    if assignment.status in OPEN_STATUSES and assignment.due_on < today else 0)
    return Explanation(assignment, assignment.employee, title or "", assignment.requirement,
                       facts["computed_from"] or {}, list(events),
                       [(m, email_of(m).subject) for m in emails], list(notes),
                       overdue_days)


def leave_overview(employee_id: int) -> tuple[list, list]:
    """A person's leaves (latest first) and their current assignments, for the leave page."""
    from lms.people.models import Leave

    leaves = db.session.execute(
        select(Leave, Employee.full_name)
        .outerjoin(Employee, Employee.id == Leave.recorded_by_id)
        .where(Leave.employee_id == employee_id)
        .order_by(Leave.starts_on.desc())).all()
    assignments = db.session.execute(
        select(Assignment, _course_title())
        .where(Assignment.employee_id == employee_id,
               Assignment.status.in_((*OPEN_STATUSES, "paused", "waived")))
        .order_by(Assignment.due_on)).all()
    return list(leaves), list(assignments)

"""The API's listings: assignments, completions and the roster (all built on the roster query)
and certificates, each one page at a time by keyset on the row id.

Keyset paging (``id > last id ORDER BY id LIMIT n``) instead of OFFSET: a page costs the same
at row 1,000,000 as at row 1, and rows added while a client walks the pages neither shift nor
repeat what it has already seen (new rows get higher ids and come at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from courses.models import Course
from lms.clock import local_date, start_of
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.reports.roster import COLUMNS, RosterFilters, roster_select


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    last_id: int | None  # the id to continue after, None on the last page


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _lookup(column, key_column, value):
    return db.session.scalar(select(column).where(key_column == value))


def roster_filters(values: dict) -> RosterFilters | None:
    """The API's parsed parameters as RosterFilters; None when a named course, person,
    department or location does not exist (so nothing can match)."""
    ids = {}
    for name, column, key in (("course", Course.id, Course.slug),
                              ("employee_number", Employee.id, Employee.employee_number),
                              ("manager", Employee.id, Employee.employee_number),
                              ("department", Department.id, Department.name),
                              ("location", Location.id, Location.name)):
        if name in values:
            ids[name] = _lookup(column, key, values[name])
            if ids[name] is None:
                return None
    return RosterFilters(
        course_id=ids.get("course"), cycle=values.get("cycle"),
        department_id=ids.get("department"), location_id=ids.get("location"),
        manager_id=ids.get("manager"), direct_only=values.get("direct_only", False),
        statuses=values.get("status", ()), due_from=values.get("due_from"),
        due_to=values.get("due_to"), completed_from=values.get("completed_from"),
        completed_to=values.get("completed_to"), employee_id=ids.get("employee_number"),
        include_inactive=not values.get("active_only", False))


def _page(query, key, after: int, limit: int, shape: Callable) -> Page:
    query = query.where(key > after).order_by(None).order_by(key).limit(limit + 1)
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([shape(row) for row in rows], rows[-1].key if more else None)


def _version(row) -> str | None:
    if row.version_number is None:
        return None
    return f"v{row.version_number} ({row.version_hash})"


def _assignment(row) -> dict:
    return {
        "id": row.assignment_id, "employee_number": row.employee_number, "name": row.name,
        "email": row.email, "department": row.department, "location": row.location,
        "manager": row.manager, "course": row.course_slug, "course_title": row.course,
        "cycle": row.cycle, "status": row.status, "assigned_on": iso(row.assigned_on),
        "due_on": iso(row.due_on), "completed_at": timestamp(row.completed_at),
        "completed_on": iso(local_date(row.completed_at)) if row.completed_at else None,
        "version": _version(row), "score": row.score, "certificate_code": row.certificate_code,
    }


def _completion(row) -> dict:
    return {
        "assignment_id": row.assignment_id, "employee_number": row.employee_number,
        "name": row.name, "course": row.course_slug, "course_title": row.course,
        "cycle": row.cycle, "status": row.status, "completed_at": timestamp(row.completed_at),
        "completed_on": iso(local_date(row.completed_at)), "version": _version(row),
        "score": row.score, "certificate_code": row.certificate_code,
    }


def _roster(row) -> dict:
    """The roster row under the COLUMNS keys, with the values the roster exports carry."""
    values = {key: getattr(row, key, None) for key, _ in COLUMNS}
    values.update(version=_version(row), due_on=iso(row.due_on),
                  completed_on=iso(local_date(row.completed_at)) if row.completed_at else None,
                  assignment_id=row.assignment_id)
    return values


# The slug as a correlated lookup on an alias rather than a join: it holds whether or not the
# roster query joins courses itself, and adding a join to that many-FROM select costs more to
# build (~20 ms) than the page costs to run.
_COURSE = aliased(Course, name="api_course")
_SLUG = (select(_COURSE.slug).where(_COURSE.id == Assignment.course_id)
         .correlate(Assignment).scalar_subquery())


def _assignment_select(filters: RosterFilters, today: date):
    return roster_select(filters, today).add_columns(
        _SLUG.label("course_slug"), Assignment.assigned_on.label("assigned_on"),
        Assignment.id.label("key"))


def assignments_page(filters: RosterFilters, after: int, limit: int, today: date) -> Page:
    return _page(_assignment_select(filters, today), Assignment.id, after, limit, _assignment)


def completions_page(filters: RosterFilters, after: int, limit: int, today: date) -> Page:
    """Assignments that were completed (whatever became of them since: a lapsed certificate
    makes one ``expired``, but the completion stands)."""
    query = _assignment_select(filters, today).where(Assignment.completed_at.is_not(None))
    return _page(query, Assignment.id, after, limit, _completion)


def roster_page(filters: RosterFilters, after: int, limit: int, today: date) -> Page:
    query = roster_select(filters, today).add_columns(Assignment.id.label("key"))
    return _page(query, Assignment.id, after, limit, _roster)


def certificate_status(today: date):
    """valid / expired / revoked on ``today``, in SQL (as Certificate.status_on)."""
    return case((Certificate.revoked_at.is_not(None), literal("revoked")),
                (and_(Certificate.expires_on.is_not(None), Certificate.expires_on < today),
                 literal("expired")),
                else_=literal("valid"))


def _certificate(row) -> dict:
    return {
        "code": row.code, "holder": row.holder_name, "employee_number": row.employee_number,
        "course": row.slug, "course_title": row.course_title, "version": row.version_label,
        "score": row.score_percent, "completed_on": iso(row.completed_on),
        "expires_on": iso(row.expires_on), "issued_at": timestamp(row.issued_at),
        "revoked_at": timestamp(row.revoked_at), "status": row.status,
    }


def certificates_page(values: dict, after: int, limit: int, today: date) -> Page:
    """Certificates as issued (their snapshot), with today's status. ``values``: the parsed
    parameters (employee_number, course, status, issued_from, issued_to)."""
    status = certificate_status(today)
    query = (select(Certificate.code, Certificate.holder_name, Certificate.employee_number,
                    Course.slug, Certificate.course_title, Certificate.version_label,
                    Certificate.score_percent, Certificate.completed_on,
                    Certificate.expires_on, Certificate.issued_at, Certificate.revoked_at,
                    status.label("status"), Certificate.id.label("key"))
             .join(Course, Course.id == Certificate.course_id))
    if "employee_number" in values:
        # The person as they are now, so a renumbered employee's older certificates (which
        # keep the number they were issued under) still come with the rest.
        query = query.where(Certificate.employee_id.in_(
            select(Employee.id).where(Employee.employee_number == values["employee_number"])))
    if "course" in values:
        query = query.where(Course.slug == values["course"])
    if values.get("status"):
        query = query.where(status.in_(values["status"]))
    if values.get("issued_from"):
        query = query.where(Certificate.issued_at >= start_of(values["issued_from"]))
    if values.get("issued_to"):
        query = query.where(Certificate.issued_at
                            < start_of(values["issued_to"] + timedelta(days=1)))
    return _page(query, Certificate.id, after, limit, _certificate)

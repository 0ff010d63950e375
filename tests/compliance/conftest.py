from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.models import Course
from lms.compliance.models import Assignment, Requirement
from lms.db import db


@pytest.fixture
def make_course(app):
    def make(slug: str = "code-of-conduct") -> Course:
        course = Course(slug=slug)
        db.session.add(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def make_requirement(app):
    def make(course: Course, recurrence: str = "calendar", audience: dict | None = None,
             **fields) -> Requirement:
        if recurrence == "calendar":
            fields.setdefault("deadline_month", 12)
            fields.setdefault("deadline_day", 31)
        requirement = Requirement(
            course_id=course.id, name=fields.pop("name", f"{course.slug} ({recurrence})"),
            audience=audience or {"everyone": True}, recurrence=recurrence,
            starts_on=fields.pop("starts_on", date(2020, 1, 1)), **fields)
        db.session.add(requirement)
        db.session.commit()
        return requirement

    return make


def assignments_of(employee, course=None) -> list[Assignment]:
    query = select(Assignment).where(Assignment.employee_id == employee.id)
    if course is not None:
        query = query.where(Assignment.course_id == course.id)
    return list(db.session.scalars(query.order_by(Assignment.id)))


def complete(assignment: Assignment, on: date) -> None:
    """Mark an assignment completed on a company-local day (as the enrolment receiver does)."""
    assignment.status = "completed"
    assignment.completed_at = datetime.combine(on, time(15, 0), tzinfo=ZoneInfo("Asia/Shanghai"))
    db.session.commit()


def counts(created=0, updated=0, closed=0, unchanged=0, *, reopened=0, paused=0,
           resumed=0) -> dict:
    """A sync's counts as ``sync_assignments`` reports them."""
    return {"created": created, "updated": updated, "closed": closed, "unchanged": unchanged,
            "reopened": reopened, "paused": paused, "resumed": resumed}


def finish(assignment: Assignment, score: int = 100) -> None:
    """Take the assignment's course to completion through the domain services (now, by the
    clock): the enrolment completes, the certificate is issued, the assignment completes."""
    from courses.models import Attestation
    from courses.services import complete_enrollment
    from lms.compliance.services import begin

    enrollment = begin(assignment)
    version = enrollment.version
    if version.attestation_text and enrollment.attestation is None:
        db.session.add(Attestation(
            enrollment=enrollment, employee_id=assignment.employee_id,
            course_version_id=version.id, policy_hash=version.content_hash,
            statement=version.attestation_text, typed_name=assignment.employee.full_name))
    complete_enrollment(enrollment, score)
    db.session.commit()

"""Certificates that lapse: the completed assignment whose certificate has expired, with no
later cycle of the same course completed, becomes ``expired``, and its holder is told once.

One query finds them all (the "no later completion" test is a NOT EXISTS in the database); the
writes are bulk statements; each e-mail's outbox key names the certificate, so a second run,
or a second process, sends nothing again.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from courses.models import CourseVersion
from lms.compliance.models import Assignment, AssignmentEvent
from lms.db import db, utcnow
from lms.i18n import translated
from lms.notifications.services import enqueue_template, message_key
from lms.people.models import Employee
from lms.people.services import present

OPEN = ("assigned", "in_progress", "paused")


def expire_certificates(today: date) -> dict[str, int]:
    """Mark lapsed certifications expired and queue one e-mail each: ``{"expired",
    "notified"}``. Flushes; the job commits."""
    later = aliased(Assignment)
    renewal = aliased(Assignment)
    next_due = (select(func.min(renewal.due_on))
                .where(renewal.employee_id == Assignment.employee_id,
                       renewal.course_id == Assignment.course_id,
                       renewal.status.in_(OPEN))
                .correlate(Assignment).scalar_subquery())
    rows = db.session.execute(
        select(Assignment.id, Assignment.cycle, Certificate.id, Certificate.expires_on,
               Employee, CourseVersion, next_due)
        .join(Certificate, and_(Certificate.enrollment_id == Assignment.enrollment_id,
                                Certificate.revoked_at.is_(None)))
        .join(Employee, Employee.id == Assignment.employee_id)
        .join(CourseVersion, CourseVersion.id == Certificate.course_version_id)
        .where(Assignment.status == "completed", Certificate.expires_on < today,
               present(Employee, today),
               ~exists().where(later.employee_id == Assignment.employee_id,
                               later.course_id == Assignment.course_id,
                               later.status == "completed",
                               later.completed_at > Assignment.completed_at))
    ).all()
    if not rows:
        return {"expired": 0, "notified": 0}
    now = utcnow()
    link = f"{current_app.config.get('LMS_BASE_URL', '')}/training"
    db.session.execute(update(Assignment), [{"id": row[0], "status": "expired"} for row in rows])
    db.session.execute(insert(AssignmentEvent), [
        {"assignment_id": row[0], "at": now, "kind": "expired",
         "detail": {"certificate_id": row[2], "expires_on": row[3].isoformat(),
                    "on": today.isoformat()}} for row in rows])
    notified = 0
    for _assignment_id, _cycle, certificate_id, expires_on, person, version, due in rows:
        key = message_key("certificate-expired", certificate=certificate_id)
        if enqueue_template(key, person.email, "certificate_expired", person.locale,
                            name=person.full_name, course=translated(version, "title",
                                                                     person.locale),
                            expired_on=expires_on, next_due_on=due, link=link):
            notified += 1
    db.session.flush()
    return {"expired": len(rows), "notified": notified}

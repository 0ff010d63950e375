"""The demo organisation gets its assignments from requirements and a sync."""

from datetime import date

from sqlalchemy import func, select

from lms.compliance.models import Assignment, Requirement
from lms.compliance.sync import sync_assignments
from lms.db import db
from lms.demo.services import seed_demo
from lms.people.models import Employee


def test_demo_requirements_mirror_the_mission(catalog):
    today = date(2026, 11, 21)
    assert seed_demo(today, size=40)["created"]
    db.session.commit()
    names = set(db.session.scalars(select(Requirement.name)))
    assert len(names) == 7 and any("within 60 days" in n for n in names)
    assert "Self-defense practical class every two years" in names
    employee = db.session.scalar(select(Employee).where(Employee.email == "employee@example.com"))
    statuses = {a.course.slug: a.status for a in db.session.scalars(
        select(Assignment).where(Assignment.employee_id == employee.id))}
    assert statuses["self-defense-basics"] == "completed"
    assert {"code-of-conduct", "harassment-prevention"} <= {
        slug for slug, status in statuses.items() if status == "assigned"}
    assert "manager-track" not in statuses
    hr = db.session.scalar(select(Employee).where(Employee.email == "hr@example.com"))
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.employee_id == hr.id,
        Assignment.course_id == catalog["professional-track"].id)) == 1
    counts = sync_assignments(today)  # the seed left nothing for the next sync to do
    assert counts["created"] == counts["updated"] == counts["closed"] == 0
    assert counts["paused"] == counts["resumed"] == counts["reopened"] == 0
    # a waiver and a leave of absence, so the states show in the demo
    states = set(db.session.scalars(select(Assignment.status)))
    assert {"waived", "paused", "completed", "assigned"} <= states


def test_demo_classes_one_nearly_full_one_with_a_queue_and_one_taken_place(catalog):
    from datetime import UTC, datetime, time

    from certificates.models import Certificate
    from courses.models import Booking, ClassSession
    from lms.classroom.services import book
    from lms.clock import org_zone

    today = date(2026, 11, 21)
    assert seed_demo(today, size=40)["created"]
    db.session.commit()
    now = datetime.combine(today, time(11), tzinfo=org_zone()).astimezone(UTC)
    sessions = {(s.timezone, s.status, s.starts_at > now): s
                for s in db.session.scalars(select(ClassSession))}
    assert len(sessions) == 3

    def count(session, status, attendance=None):
        query = select(func.count()).select_from(Booking).where(
            Booking.session_id == session.id, Booking.status == status)
        if attendance:
            query = query.where(Booking.attendance == attendance)
        return db.session.scalar(query)

    hangzhou = sessions[("Asia/Shanghai", "scheduled", True)]
    dublin = sessions[("Europe/Dublin", "scheduled", True)]
    past = sessions[("Asia/Shanghai", "completed", False)]
    assert 0 < hangzhou.capacity - count(hangzhou, "booked") <= 2  # nearly full
    assert count(dublin, "booked") == dublin.capacity and count(dublin, "waitlisted") == 3
    assert [count(past, "booked", mark) for mark in ("present", "late", "absent")] == [5, 2, 1]
    assert db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.course_id == catalog["self-defense-class"].id)) == 7
    # the demo employee can book one of the last places
    employee = db.session.scalar(select(Employee).where(Employee.email == "employee@example.com"))
    assert book(hangzhou.id, employee.id, employee, now).status == "booked"
    db.session.rollback()
    counts = sync_assignments(today)  # the classes left nothing for the next sync to do
    assert counts["created"] == counts["updated"] == counts["closed"] == 0

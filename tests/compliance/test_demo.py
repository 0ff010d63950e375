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
    assert len(names) == 6 and any("within 60 days" in n for n in names)
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

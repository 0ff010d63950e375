from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.models import ClassSession, CourseVersion
from lms.db import db

NOW = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def in_person(catalog):
    """The self-defense course, with an in-person part (the class)."""
    course = catalog["self-defense-basics"]
    version = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.status == "published"))
    version.in_person = True
    db.session.commit()
    return course


@pytest.fixture
def make_class(app):
    def make(course, local_start: str = "2027-01-15 09:00", zone: str = "Asia/Shanghai",
             hours: int = 3, capacity: int = 20, venue: str = "Hangzhou HQ, room 3",
             deadline_days: int = 2) -> ClassSession:
        start = datetime.fromisoformat(local_start).replace(tzinfo=ZoneInfo(zone))
        session = ClassSession(
            course_id=course.id, starts_at=start.astimezone(UTC),
            ends_at=(start + timedelta(hours=hours)).astimezone(UTC), timezone=zone,
            venue=venue, capacity=capacity,
            signup_deadline=(start - timedelta(days=deadline_days)).astimezone(UTC),
            created_at=NOW - timedelta(days=10))
        db.session.add(session)
        db.session.commit()
        return session

    return make

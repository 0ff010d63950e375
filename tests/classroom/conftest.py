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


def local_start(days: int, clock: str = "09:00") -> str:
    """A wall-clock start ``days`` from the real today (views use the real clock)."""
    from lms.db import utcnow

    return f"{(utcnow() + timedelta(days=days)).date().isoformat()} {clock}"


@pytest.fixture
def cast(catalog, make_employee, make_assignment, make_class):
    """A coming class of the shipped in-person course and everyone who may look at it: the
    learner (assigned, with a manager), another learner, the learner's manager, another manager,
    the class's instructor, a trainer who does not teach it, HR and an admin."""
    from datetime import date

    course = catalog["self-defense-class"]
    boss = make_employee("Boss Manager", email="boss@example.com")
    other_boss = make_employee("Other Manager", email="otherboss@example.com")
    learner = make_employee("Lea Learner", email="learner@example.com", manager=boss)
    other = make_employee("Otto Other", email="other@example.com", manager=other_boss)
    instructor = make_employee("Ivy Instructor", email="instructor@example.com")
    make_employee("Tom Trainer", email="trainer@example.com", roles=("trainer",))
    make_employee("Hana Hr", email="hr@example.com", roles=("hr",))
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    due = date.today() + timedelta(days=120)
    for person in (learner, other):
        make_assignment(person, course, due_on=due)
    session = make_class(course, local_start(10), zone="Europe/Dublin", capacity=3,
                         venue="Dublin office, Grand Canal Dock, room 2")
    session.instructors = [instructor]
    db.session.commit()
    return {"course": course, "class": session, "learner": learner, "other": other,
            "boss": boss, "other_boss": other_boss, "instructor": instructor}


@pytest.fixture
def as_user(app, login):
    """A test client signed in as the person with this e-mail address."""
    def make(email: str):
        client = app.test_client()
        login(client, email)
        return client

    return make

"""Booking classes: capacity under concurrency, the waitlist, clashes, deadlines, attendance
completing the course, and calendar invitations in the venue's time zone."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from certificates.models import Certificate
from courses.models import Booking, Enrollment
from lms.classroom.services import (
    BookingError,
    book,
    cancel,
    complete_session,
    mark_attendance,
)
from lms.compliance.models import Assignment
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from lms.people.models import Employee
from tests.classroom.conftest import NOW


def statuses(session) -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(
        select(Booking.status, func.count()).where(Booking.session_id == session.id)
        .group_by(Booking.status)).all())


def mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.key.like(f"class-{kind}:%")).order_by(OutboxMessage.id)))


@pytest.fixture
def learners(make_employee, make_assignment, in_person):
    def make(n: int, **fields) -> list[Employee]:
        people = []
        for i in range(n):
            person = make_employee(f"Learner {i}", **fields)
            make_assignment(person, in_person, due_on=date(2027, 3, 31))
            people.append(person)
        return people

    return make


def test_thirty_people_booking_twenty_places_at_once(app, learners, make_class, in_person):
    session = make_class(in_person, capacity=20)
    people = learners(30)
    session_id, ids = session.id, [p.id for p in people]
    start, errors = threading.Barrier(30), []

    def attempt(employee_id: int) -> None:
        with app.app_context():
            try:
                start.wait()
                person = db.session.get(Employee, employee_id)
                book(session_id, employee_id, person, NOW)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert statuses(session) == {"booked": 20, "waitlisted": 10}
    assert len(mails("booked")) == 20 and len(mails("waitlisted")) == 10

    # the first in the queue gets a freed place, and only they do
    first_waiting = db.session.scalar(select(Booking).where(
        Booking.session_id == session_id, Booking.status == "waitlisted")
        .order_by(Booking.queued_at, Booking.id))
    someone = db.session.scalar(select(Booking).where(Booking.session_id == session_id,
                                                      Booking.status == "booked"))
    promoted = cancel(session_id, someone.employee_id, someone.employee, NOW)
    db.session.commit()
    assert promoted.id == first_waiting.id
    assert statuses(session) == {"booked": 20, "waitlisted": 9, "cancelled": 1}
    assert len(mails("promoted")) == 1 and len(mails("cancelled")) == 1


def test_clashes_deadlines_and_who_may_book(learners, make_class, in_person, make_employee):
    hangzhou = make_class(in_person, "2027-01-15 09:00")
    later = make_class(in_person, "2027-02-15 09:00")
    (person,) = learners(1)
    stranger = make_employee("Stranger")
    book(hangzhou.id, person.id, person, NOW)
    with pytest.raises(BookingError, match="another class of this course"):
        book(later.id, person.id, person, NOW)
    with pytest.raises(BookingError, match="yourself or the people you manage"):
        book(later.id, person.id, stranger, NOW)
    with pytest.raises(BookingError, match="assigned"):
        book(later.id, stranger.id, stranger, NOW)
    with pytest.raises(BookingError, match="too close to cancel"):
        cancel(hangzhou.id, person.id, person, hangzhou.signup_deadline + timedelta(hours=1))
    with pytest.raises(BookingError, match="Sign-up for this class has closed"):
        book(later.id, person.id, person, later.signup_deadline + timedelta(hours=1))
    cancel(hangzhou.id, person.id, person, NOW)
    assert book(later.id, person.id, person, NOW).status == "booked"


def test_a_manager_books_for_a_report(learners, make_class, in_person, make_employee):
    boss = make_employee("Boss")
    (report,) = learners(1, manager=boss)
    session = make_class(in_person)
    booking = book(session.id, report.id, boss, NOW)
    assert (booking.status, booking.booked_by_id) == ("booked", boss.id)
    # booking began the course: the class counts for this cycle's enrolment
    assert db.session.scalar(select(Assignment.status).where(
        Assignment.employee_id == report.id)) == "in_progress"


def test_attendance_completes_the_course_and_issues_the_certificate(
        learners, make_class, in_person):
    from courses.services import complete_enrollment

    session = make_class(in_person, capacity=2)
    came, missed = learners(2)
    for person in (came, missed):
        book(session.id, person.id, person, NOW)
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.employee_id == came.id))
    # the online part is done (modules read, quiz passed): it waits for the class
    for progress_module in enrollment.version.modules:
        from courses.services import complete_module
        complete_module(enrollment, progress_module.position)
    complete_enrollment(enrollment, 90)
    db.session.commit()
    assert (enrollment.status, enrollment.score_percent) == ("in_progress", 90)
    with pytest.raises(BookingError, match="attendance for everyone"):
        complete_session(session.id, came, NOW)
    mark_attendance(session.id, {came.id: ("present", ""), missed.id: ("absent", "ill")},
                    came, NOW)
    counts = complete_session(session.id, came, NOW)
    db.session.commit()
    assert counts == {"completed": 1, "waiting_for_online_part": 0, "absent": 1}
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).status == "completed"
    assert db.session.scalar(select(Certificate.employee_id)) == came.id
    assert [m.recipient for m in mails("missed")] == [missed.email]
    assert db.session.scalar(select(Assignment.status).where(
        Assignment.employee_id == missed.id)) == "in_progress"  # still assigned


def test_invitations_carry_the_venues_time_zone_and_a_stable_uid(learners, make_class,
                                                                  in_person):
    dublin = make_class(in_person, "2027-01-20 09:00", zone="Europe/Dublin",
                        venue="Dublin office, Grand Canal Dock")
    hangzhou = make_class(in_person, "2027-01-21 09:00", zone="Asia/Shanghai")
    irish, chinese = learners(2)
    book(dublin.id, irish.id, irish, NOW)
    book(hangzhou.id, chinese.id, chinese, NOW)
    cancel(dublin.id, irish.id, irish, NOW + timedelta(minutes=5))
    booked = {m.recipient: m for m in mails("booked")}
    events = {}
    for person, session in ((irish, dublin), (chinese, hangzhou)):
        calendar = Calendar.from_ical(booked[person.email].calendar)
        assert str(calendar["method"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        start = event.decoded("dtstart")
        events[person.email] = event
        assert start.utcoffset() is not None
        assert start.hour == 9  # 09:00 where the class is
        assert start.astimezone(session.starts_at.tzinfo) == session.starts_at
    assert str(events[irish.email].get("dtstart").params["TZID"]) == "Europe/Dublin"
    text = email_of(booked[irish.email]).text
    assert "9:00\u202fAM" in text and "Ireland" in text  # the venue's time, named
    assert "Wednesday, January 20, 2027" in text
    (cancelled,) = mails("cancelled")
    withdrawn = Calendar.from_ical(cancelled.calendar)
    (event,) = withdrawn.walk("VEVENT")
    assert str(withdrawn["method"]) == "CANCEL"
    assert str(event["uid"]) == str(events[irish.email]["uid"])  # replaces the same event
    assert int(event["sequence"]) >= int(events[irish.email]["sequence"])

"""Trainers schedule, change and cancel classes: the form's rules, and the calendar updates
that reach everyone booked or waiting."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from courses.models import Booking, ClassSession
from lms.classroom.services import book
from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of


def form_data(course_id: int, **changes) -> dict:
    day = (utcnow() + timedelta(days=30)).date()
    data = {"course_id": str(course_id), "day": day.isoformat(), "starts": "09:00",
            "ends": "12:00", "timezone": "Europe/Dublin",
            "venue": "Dublin office, Grand Canal Dock, room 4", "video_url": "",
            "capacity": "12", "instructors": "instructor@example.com", "deadline": "",
            "notes": "Bring water."}
    data.update(changes)
    return data


def mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.key.like(f"class-{kind}:%")).order_by(OutboxMessage.id)))


def event_of(message: OutboxMessage):
    calendar = Calendar.from_ical(message.calendar)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_a_trainer_schedules_a_class_in_the_venues_zone(cast, as_user):
    trainer = as_user("trainer@example.com")
    page = trainer.get("/classes/manage/new").text
    assert "Self-defense: practical class" in page
    assert '<optgroup label="Our locations">' in page
    assert '<option selected value="Asia/Shanghai">' in page  # the trainer's location's zone
    data = form_data(cast["course"].id)
    response = trainer.post("/classes/manage/new", data=data)
    assert response.status_code == 302, response.text
    session = db.session.scalar(select(ClassSession).order_by(ClassSession.id.desc()))
    start = datetime.fromisoformat(f"{data['day']}T09:00").replace(
        tzinfo=ZoneInfo("Europe/Dublin"))
    assert session.starts_at == start.astimezone(UTC)
    assert session.ends_at == (start + timedelta(hours=3)).astimezone(UTC)
    assert session.signup_deadline == (start - timedelta(days=2)).astimezone(UTC)
    assert [p.email for p in session.instructors] == ["instructor@example.com"]
    assert (session.capacity, session.status, session.notes) == (12, "scheduled", "Bring water.")
    assert response.location == f"/classes/{session.id}"
    listing = trainer.get("/classes/manage").text
    assert "Dublin office, Grand Canal Dock, room 4" in listing and "0 / 12" in listing


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"starts": "25:00"}, "starts", "Not a valid time value"),
    ({"starts": ""}, "starts", "Enter the start time"),
    ({"ends": "08:00"}, "ends", "The class must end after it starts"),
    ({"ends": "09:00"}, "ends", "The class must end after it starts"),
    ({"day": "2020-01-01"}, "day", "The class must start in the future"),
    ({"day": "31/12/2030"}, "day", "Not a valid date value"),
    ({"capacity": "0"}, "capacity", "Enter a number of places from 1 to 500"),
    ({"capacity": "-3"}, "capacity", "Enter a number of places from 1 to 500"),
    ({"capacity": "lots"}, "capacity", "Not a valid integer value"),
    ({"instructors": "nobody@example.com"}, "instructors",
     "Not an active employee: nobody@example.com"),
    ({"instructors": ""}, "instructors", "Name at least one instructor"),
    ({"video_url": "http://meet.example.com/x"}, "video_url",
     "The video link must be a full https:// address"),
    ({"video_url": "javascript:alert(1)"}, "video_url",
     "The video link must be a full https:// address"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose the venue's time zone"),
    ({"venue": "   "}, "venue", "Enter the venue"),
    ({"venue": "x" * 301}, "venue", "Keep the venue under 300 characters"),
    ({"course_id": "999999"}, "course_id", "Choose a course with an in-person part"),
    ({"deadline": "2099-01-01"}, "deadline", "Sign-up must close on or before the day"),
])
def test_the_form_refuses_what_cannot_be(cast, as_user, changes, field, message):
    trainer = as_user("trainer@example.com")
    response = trainer.post("/classes/manage/new",
                            data={**form_data(cast["course"].id), **changes})
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert f'id="{field}-error"' in response.text  # the message sits by its field
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert db.session.scalar(select(ClassSession).where(
        ClassSession.id != cast["class"].id)) is None


def test_a_time_the_clocks_skip_is_refused(cast, as_user):
    # Dublin springs forward at 01:00 on the last Sunday of March: 01:30 does not exist.
    year = utcnow().year + 1
    last_sunday = max(datetime(year, 3, day) for day in range(25, 32)
                      if datetime(year, 3, day).weekday() == 6)
    response = as_user("trainer@example.com").post("/classes/manage/new", data=form_data(
        cast["course"].id, day=last_sunday.date().isoformat(), starts="01:30", ends="03:00",
        deadline=""))
    assert response.status_code == 400 and "the clocks change" in response.text


def test_moving_a_class_sends_an_updated_invitation_to_everyone(cast, as_user,
                                                                make_employee,
                                                                make_assignment):
    session, learner, other = cast["class"], cast["learner"], cast["other"]
    session.capacity = 1
    db.session.commit()
    book(session.id, learner.id, learner, utcnow())
    book(session.id, other.id, other, utcnow())
    db.session.commit()
    (first,) = mails("booked")
    _, before = event_of(first)
    new_day = (session.starts_at + timedelta(days=7)).astimezone(ZoneInfo("Europe/Dublin"))
    trainer = as_user("trainer@example.com")
    page = trainer.get(f"/classes/manage/{session.id}").text
    assert 'value="09:00"' in page and '<option selected value="Europe/Dublin">' in page
    response = trainer.post(f"/classes/manage/{session.id}", data=form_data(
        cast["course"].id, day=new_day.date().isoformat(), starts="14:00", ends="17:00",
        capacity="1", venue="Dublin office, room 9"), follow_redirects=True)
    assert response.status_code == 200
    assert "2 people were told of the change" in response.text
    (changed,) = mails("changed")
    assert changed.recipient == learner.email
    calendar, after = event_of(changed)
    assert str(calendar["method"]) == "REQUEST"
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) >= int(before["sequence"])
    assert after.decoded("dtstart").hour == 14
    assert after.decoded("dtstart").date() == new_day.date()
    assert after.decoded("dtstart") != before.decoded("dtstart")
    assert "Dublin office, room 9" in str(after["location"])
    assert "Class changed" in email_of(changed).subject
    (queued,) = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == other.email, OutboxMessage.key.like("class-queue_changed%"))))
    assert "you keep your place in the queue" in email_of(queued).text
    db.session.expire_all()
    assert db.session.get(ClassSession, session.id).sequence == 1

    # fewer places than people booked: refused, with the reason
    fuller = make_employee("Third Person")
    make_assignment(fuller, cast["course"], due_on=utcnow().date())
    response = trainer.post(f"/classes/manage/{session.id}", data=form_data(
        cast["course"].id, day=new_day.date().isoformat(), starts="14:00", ends="17:00",
        capacity="0", venue="Dublin office, room 9"))
    assert response.status_code == 400
    session_row = db.session.get(ClassSession, session.id)
    session_row.capacity = 1
    # more places: the queue moves up, and nobody is told of a change that did not happen
    response = trainer.post(f"/classes/manage/{session.id}", data=form_data(
        cast["course"].id, day=new_day.date().isoformat(), starts="14:00", ends="17:00",
        capacity="2", venue="Dublin office, room 9"), follow_redirects=True)
    assert "Class saved." in response.text and "told" not in response.text
    assert [m.recipient for m in mails("promoted")] == [other.email]
    assert len(mails("changed")) == 1


def test_reducing_capacity_below_the_bookings_is_refused(cast, as_user):
    session, learner, other = cast["class"], cast["learner"], cast["other"]
    for person in (learner, other):
        book(session.id, person.id, person, utcnow())
    db.session.commit()
    local = session.starts_at.astimezone(ZoneInfo("Europe/Dublin"))
    response = as_user("trainer@example.com").post(f"/classes/manage/{session.id}", data=form_data(
        cast["course"].id, day=local.date().isoformat(), capacity="1",
        venue=session.venue, notes=""))
    assert response.status_code == 400
    assert "2 people are booked, so the class needs at least 2 places" in response.text
    db.session.expire_all()
    assert db.session.get(ClassSession, session.id).capacity == 3


def test_cancelling_a_class_withdraws_every_invitation(cast, as_user, make_employee,
                                                       make_assignment):
    session, learner, other = cast["class"], cast["learner"], cast["other"]
    session.capacity = 1
    db.session.commit()
    for person in (learner, other):
        book(session.id, person.id, person, utcnow())
    db.session.commit()
    (booked,) = mails("booked")
    _, invited = event_of(booked)
    trainer = as_user("trainer@example.com")
    assert "2 people booked or waiting will be told" in trainer.get("/classes/manage").text
    page = trainer.post(f"/classes/manage/{session.id}/cancel", follow_redirects=True).text
    assert "Class cancelled. 2 people were told." in page
    withdrawn = mails("session_cancelled")
    assert sorted(m.recipient for m in withdrawn) == sorted([learner.email, other.email])
    for message in withdrawn:
        calendar, event = event_of(message)
        assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
        assert str(event["uid"]) == str(invited["uid"])
        assert int(event["sequence"]) >= int(invited["sequence"])
    db.session.expire_all()
    assert db.session.get(ClassSession, session.id).status == "cancelled"
    assert set(db.session.scalars(select(Booking.status))) == {"cancelled"}
    # a cancelled class is neither editable nor cancellable again, nor bookable
    assert trainer.post(f"/classes/manage/{session.id}",
                        data=form_data(cast["course"].id)).status_code == 400
    page = trainer.post(f"/classes/manage/{session.id}/cancel", follow_redirects=True).text
    assert "Only a scheduled class can be cancelled." in page
    page = as_user("learner@example.com").get(f"/classes/{session.id}").text
    assert "This class is cancelled" in page and "Book a place" not in page

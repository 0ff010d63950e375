"""Trainers schedule classes: create, change and cancel them, with the rules checked here.

Times are entered as a day and a start and end time on the venue's clock, in the venue's IANA
zone; they are stored in UTC. A change of time or place tells everyone booked or waiting (an
updated calendar invitation replaces the event: same UID, higher SEQUENCE); a cancellation
withdraws the invitation from everyone and frees every place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from courses.models import Booking, ClassSession, CourseVersion
from lms.classroom import notices
from lms.classroom.display import zone_names
from lms.classroom.services import ACTIVE, booked_count, lock, promote
from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.models import Employee

CAPACITY_MAX = 500
VENUE_MAX = 300
URL_MAX = 500
NOTES_MAX = 2000
DEFAULT_DEADLINE_DAYS = 2
EMAIL_SPLIT = re.compile(r"[\s,;]+")


class ClassFormError(UserError, ValueError):
    """The input broke a rule; ``errors`` maps each form field to what is wrong with it (lazily
    translated messages)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    @property
    def message(self) -> str:
        return "; ".join(str(text) for text in self.errors.values())


@dataclass
class ClassInput:
    """The class form as plain values (None where the field was empty or unreadable)."""

    course_id: int | None = None
    day: date | None = None
    starts: time | None = None
    ends: time | None = None
    timezone: str = ""
    venue: str = ""
    video_url: str = ""
    capacity: int | None = None
    instructors: str = ""  # e-mail addresses, separated by commas, spaces or new lines
    deadline: date | None = None  # sign-up closes on this day at the class's start time
    notes: str = ""


@dataclass
class _Checked:
    course_id: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    video_url: str | None
    capacity: int
    signup_deadline: datetime
    notes: str
    instructors: list[Employee] = field(default_factory=list)


def in_person_courses() -> list[tuple[int, str]]:
    """(course id, title) of the courses whose published version has an in-person part."""
    return list(db.session.execute(
        select(CourseVersion.course_id, CourseVersion.title)
        .where(CourseVersion.status == "published", CourseVersion.in_person.is_(True))
        .order_by(CourseVersion.title)))


def as_input(session: ClassSession) -> ClassInput:
    """A class as the form shows it: times on the venue's clock."""
    zone = ZoneInfo(session.timezone)
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return ClassInput(
        course_id=session.course_id, day=start.date(), starts=start.time().replace(tzinfo=None),
        ends=end.time().replace(tzinfo=None), timezone=session.timezone, venue=session.venue,
        video_url=session.video_url or "", capacity=session.capacity,
        instructors="\n".join(sorted(p.email for p in session.instructors)),
        deadline=session.signup_deadline.astimezone(zone).date(), notes=session.notes)


def _moment(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or None if the clocks skip it (spring forward)."""
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return moment


def _instructors(text: str, errors: dict[str, str]) -> list[Employee]:
    emails = sorted({e.lower() for e in EMAIL_SPLIT.split(text or "") if e})
    if not emails:
        errors["instructors"] = _l("Name at least one instructor (their work e-mail address).")
        return []
    if len(emails) > 20:
        errors["instructors"] = _l("Name at most %(num)s instructors.", num=20)
        return []
    people = list(db.session.scalars(select(Employee).where(
        func.lower(Employee.email).in_(emails), Employee.active.is_(True))))
    unknown = sorted(set(emails) - {p.email.lower() for p in people})
    if unknown:
        errors["instructors"] = _l(
            "Not an active employee: %(emails)s. Instructors must be employees.",
            emails=", ".join(unknown)[:300])
    return people


def check(data: ClassInput, now: datetime, current: ClassSession | None = None) -> _Checked:
    """The input as stored values, or ClassFormError naming every problem at once."""
    errors: dict[str, str] = {}
    courses = dict(in_person_courses())
    if current is not None and data.course_id == current.course_id:
        pass  # a course may lose its in-person part later; its classes stay editable
    elif data.course_id not in courses:
        errors["course_id"] = _l("Choose a course with an in-person part.")
    zone = None
    if data.timezone not in zone_names():
        errors["timezone"] = _l("Choose the venue's time zone from the list.")
    else:
        zone = ZoneInfo(data.timezone)
    if data.day is None:
        errors["day"] = _l("Enter the date of the class.")
    if data.starts is None:
        errors["starts"] = _l("Enter the start time, for example 09:00.")
    if data.ends is None:
        errors["ends"] = _l("Enter the end time, for example 12:00.")
    elif data.starts is not None and data.ends <= data.starts:
        errors["ends"] = _l("The class must end after it starts (on the same day).")
    starts_at = ends_at = deadline = None
    if zone and data.day and data.starts and data.ends and "ends" not in errors:
        starts_at, ends_at = _moment(data.day, data.starts, zone), _moment(data.day, data.ends,
                                                                          zone)
        if starts_at is None or ends_at is None:
            errors["starts" if starts_at is None else "ends"] = _l(
                "That time does not exist on that day in that zone (the clocks change); "
                "choose another time.")
        else:
            moved = current is None or (starts_at, ends_at) != (current.starts_at,
                                                                current.ends_at)
            if moved and starts_at <= now:
                errors["day"] = _l("The class must start in the future.")
            deadline_day = data.deadline or data.day - timedelta(days=DEFAULT_DEADLINE_DAYS)
            deadline = datetime.combine(deadline_day, data.starts, tzinfo=zone).astimezone(UTC)
            if deadline > starts_at:
                errors["deadline"] = _l("Sign-up must close on or before the day of the class.")
    venue = (data.venue or "").strip()
    if not venue:
        errors["venue"] = _l("Enter the venue: the building and the room.")
    elif len(venue) > VENUE_MAX:
        errors["venue"] = _l("Keep the venue under %(num)s characters.", num=VENUE_MAX)
    url = (data.video_url or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
            errors["video_url"] = _l("The video link must be a full https:// address.")
        elif len(url) > URL_MAX:
            errors["video_url"] = _l("Keep the video link under %(num)s characters.",
                                     num=URL_MAX)
    if data.capacity is None or not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = _l("Enter a number of places from 1 to %(num)s.", num=CAPACITY_MAX)
    notes = (data.notes or "").strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = _l("Keep the notes under %(num)s characters.", num=NOTES_MAX)
    instructors = _instructors(data.instructors, errors)
    if errors:
        raise ClassFormError(errors)
    return _Checked(course_id=data.course_id, starts_at=starts_at, ends_at=ends_at,
                    timezone=data.timezone, venue=venue, video_url=url or None,
                    capacity=data.capacity, signup_deadline=deadline, notes=notes,
                    instructors=instructors)


def create_class(data: ClassInput, by: Employee, now: datetime) -> ClassSession:
    """A new class (nobody is booked yet, so nobody is told). Flushes."""
    values = check(data, now)
    session = ClassSession(
        course_id=values.course_id, starts_at=values.starts_at, ends_at=values.ends_at,
        timezone=values.timezone, venue=values.venue, video_url=values.video_url,
        capacity=values.capacity, signup_deadline=values.signup_deadline, notes=values.notes,
        instructors=values.instructors, created_by_id=by.id, created_at=now, status="scheduled")
    db.session.add(session)
    db.session.flush()
    return session


def update_class(session_id: int, data: ClassInput, by: Employee, now: datetime
                 ) -> tuple[ClassSession, int]:
    """Change a scheduled class. A new time or place bumps the class's sequence and tells
    everyone booked or waiting (returns how many were told); more places fill from the queue;
    fewer places than people booked is refused. Flushes."""
    session = lock(session_id)
    if session.status != "scheduled":
        raise ClassFormError({"form": _l("A completed or cancelled class cannot be changed.")})
    values = check(data, now, current=session)
    booked = booked_count(session_id)
    if values.course_id != session.course_id and booked:
        raise ClassFormError({"course_id": _l("People are booked for this course's class: "
                                              "cancel this class and schedule a new one.")})
    if values.capacity < booked:
        raise ClassFormError({"capacity": _l(
            "%(num)s people are booked, so the class needs at least %(num)s places. "
            "Cancel bookings first, or keep the capacity.", num=booked)})
    moved = ((values.starts_at, values.ends_at, values.timezone, values.venue, values.video_url)
             != (session.starts_at, session.ends_at, session.timezone, session.venue,
                 session.video_url))
    grew = values.capacity > session.capacity
    session.course_id = values.course_id
    session.starts_at, session.ends_at = values.starts_at, values.ends_at
    session.timezone, session.venue = values.timezone, values.venue
    session.video_url, session.capacity = values.video_url, values.capacity
    session.signup_deadline, session.notes = values.signup_deadline, values.notes
    session.instructors = values.instructors
    told = 0
    db.session.flush()
    if moved:
        session.sequence += 1
        db.session.expire(session, ["bookings"])
        told = notices.session_changed(session, now)
    if grew and session.starts_at > now:
        promote(session, now)
    db.session.flush()
    return session, told


def cancel_class(session_id: int, by: Employee, now: datetime) -> int:
    """Cancel a scheduled class: everyone booked or waiting gets a CANCEL invitation (the event
    leaves their calendar) and their place is freed. Returns how many were told. Flushes."""
    session = lock(session_id)
    if session.status != "scheduled":
        raise ClassFormError({"form": _l("Only a scheduled class can be cancelled.")})
    session.status = "cancelled"
    session.sequence += 1
    db.session.flush()
    db.session.expire(session, ["bookings"])
    told = notices.session_changed(session, now, cancelled=True)
    for booking in db.session.scalars(select(Booking).where(
            Booking.session_id == session_id, Booking.status.in_(ACTIVE))):
        booking.status, booking.cancelled_at = "cancelled", now
    db.session.flush()
    return told

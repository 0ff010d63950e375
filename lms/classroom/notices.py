"""The e-mails about classes, queued in the outbox in the transaction of the change, each with
its calendar invitation. Keys name the booking and the moment of the change, so each change is
told once and a later change (a new booking after a cancellation) is told again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from flask import current_app
from sqlalchemy import select

from courses.models import Booking, ClassSession, CourseVersion
from lms.classroom import ics
from lms.db import db
from lms.i18n import translated
from lms.notifications.services import enqueue_template, message_key

INVITING = ("booked", "promoted", "changed", "reminder")
WITHDRAWING = ("cancelled", "session_cancelled")


def when(session: ClassSession, locale: str) -> dict[str, str]:
    """The class's date and times in the venue's zone, written for the reader's language."""
    zone = ZoneInfo(session.timezone)
    babel_locale = (locale or "en").replace("-", "_")
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return {"date": format_date(start.date(), "full", locale=babel_locale),
            "start": format_time(start.time(), "short", locale=babel_locale),
            "end": format_time(end.time(), "short", locale=babel_locale),
            "zone": get_timezone_location(zone, locale=babel_locale),
            "deadline": format_date(session.signup_deadline.astimezone(zone).date(), "long",
                                    locale=babel_locale)}


def course_title(session: ClassSession, locale: str) -> str:
    version = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == session.course_id, CourseVersion.status == "published"))
    return translated(version, "title", locale) if version else session.course.slug


def _send(booking: Booking, kind: str, now: datetime, template: str = "class_booking",
          **extra) -> bool:
    session, person = booking.session, booking.employee
    title = course_title(session, person.locale)
    calendar = None
    if kind in INVITING or kind in WITHDRAWING:
        method = "CANCEL" if kind in WITHDRAWING else "REQUEST"
        calendar = ics.invitation(session, title, person.email, person.full_name, method, now)
    key = message_key(f"class-{kind}", booking=booking.id, at=now.strftime("%Y%m%dT%H%M%S%f"))
    link = f"{current_app.config.get('LMS_BASE_URL', '')}/classes/{session.id}"
    return enqueue_template(key, person.email, template, person.locale, calendar=calendar,
                            kind=kind, name=person.full_name, course=title,
                            venue=session.venue, video_url=session.video_url, link=link,
                            **when(session, person.locale), **extra)


def booking_changed(booking: Booking, now: datetime, kind: str) -> bool:
    """booked, waitlisted, promoted or cancelled."""
    return _send(booking, kind, now)


def session_changed(session: ClassSession, now: datetime, cancelled: bool = False) -> int:
    """Tell everyone with a place or a queue entry that the class moved or was cancelled."""
    kind = "session_cancelled" if cancelled else "changed"
    return sum(_send(b, kind if b.status == "booked" or cancelled else "queue_changed", now)
               for b in session.bookings if b.status in ("booked", "waitlisted"))


def missed(booking: Booking, now: datetime) -> bool:
    """A no-show: still assigned, please book another class."""
    return _send(booking, "missed", now, template="class_missed")


def reminder(booking: Booking, now: datetime) -> bool:
    """The day before; once per booking and start time (a moved class is reminded again)."""
    session, person = booking.session, booking.employee
    title = course_title(session, person.locale)
    key = message_key("class-reminder", booking=booking.id,
                      start=session.starts_at.strftime("%Y%m%dT%H%M"))
    calendar = ics.invitation(session, title, person.email, person.full_name, "REQUEST", now)
    link = f"{current_app.config.get('LMS_BASE_URL', '')}/classes/{session.id}"
    return enqueue_template(key, person.email, "class_booking", person.locale,
                            calendar=calendar, kind="reminder", name=person.full_name,
                            course=title, venue=session.venue, video_url=session.video_url,
                            link=link, **when(session, person.locale))

"""Calendar invitations for classes (RFC 5545), built with the icalendar library.

One UID per class (``class-<id>@<host>``), so every later message about it (a change, a
cancellation) replaces the event in the person's calendar instead of adding another.
SEQUENCE must grow with every message about the same UID; it is the number of minutes since
the class was created, which grows by itself, and DTSTAMP breaks ties within a minute.
Times carry the venue's TZID with its VTIMEZONE, so each calendar shows the class at the
right moment in the reader's own zone.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from courses.models import ClassSession
from lms.db import utcnow


def uid(session: ClassSession) -> str:
    host = urlsplit(current_app.config.get("LMS_BASE_URL", "")).hostname or "guardrail.local"
    return f"class-{session.id}@{host}"


def sequence(session: ClassSession, now: datetime) -> int:
    return max(0, int((now - session.created_at).total_seconds() // 60))


def invitation(session: ClassSession, title: str, attendee_email: str, attendee_name: str,
               method: str = "REQUEST", now: datetime | None = None) -> str:
    """The .ics text inviting one person to a class (REQUEST) or withdrawing it (CANCEL)."""
    now = now or utcnow()
    zone = ZoneInfo(session.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Guardrail//Classes//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid(session))
    event.add("sequence", sequence(session, now))
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", title)
    where = session.venue + (f" ({session.video_url})" if session.video_url else "")
    event.add("location", where)
    if session.video_url:
        event.add("url", session.video_url)
    if session.notes:
        event.add("description", session.notes)
    cancelled = method == "CANCEL" or session.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    name, address = parseaddr(current_app.config.get("LMS_MAIL_FROM", ""))
    organizer = vCalAddress(f"mailto:{address or 'no-reply@localhost'}")
    organizer.params["cn"] = vText(name or "Guardrail")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = vText(attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")

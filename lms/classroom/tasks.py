"""Periodic jobs of the classroom (listed in ``lms.scheduler.registry``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from courses.models import Booking, ClassSession
from lms.classroom import notices
from lms.db import db

AHEAD = timedelta(hours=36)


def class_reminders(now: datetime) -> dict[str, int]:
    """Remind everyone with a place in a class starting within the next 36 hours. Run daily,
    so each class is reminded the day before; the outbox key (booking and start time) makes
    it once, and a class moved to another day is reminded again."""
    bookings = db.session.scalars(
        select(Booking).join(Booking.session).options(contains_eager(Booking.session))
        .where(Booking.status == "booked", ClassSession.status == "scheduled",
               ClassSession.starts_at > now, ClassSession.starts_at <= now + AHEAD)).all()
    sent = sum(notices.reminder(booking, now) for booking in bookings)
    return {"classes_soon": len({b.session_id for b in bookings}), "reminded": sent}

"""Dates as the company sees them: 'today' and completion dates in the organisation's zone.

Timestamps are stored in UTC; a due date or a certificate's completion date is a calendar date in
the company's time zone (LMS_TIMEZONE), so someone finishing at 07:00 in Shanghai is not recorded
as finishing the day before.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from lms.db import utcnow

DEFAULT_ZONE = "Asia/Shanghai"


def org_zone() -> ZoneInfo:
    if not has_app_context():
        return ZoneInfo(DEFAULT_ZONE)
    name = current_app.config.get("LMS_TIMEZONE", DEFAULT_ZONE)
    return ZoneInfo(name)


def local_date(moment: datetime) -> date:
    return moment.astimezone(org_zone()).date()


def today() -> date:
    return local_date(utcnow())


def start_of(day: date) -> datetime:
    """The UTC instant the company-local ``day`` begins (for range filters on timestamps)."""
    from datetime import UTC, time

    return datetime.combine(day, time(0), tzinfo=org_zone()).astimezone(UTC)

"""Periodic jobs of the compliance area (listed in ``lms.scheduler.registry``)."""

from __future__ import annotations

from datetime import datetime

from lms.clock import local_date
from lms.compliance.sync import sync_assignments


def assignment_sync(now: datetime) -> dict[str, int]:
    """Sync assignments with the requirements for the company-local day of ``now``:
    ``{"created", "updated", "closed", "unchanged"}``. Idempotent; the runner commits."""
    return sync_assignments(local_date(now))


def reminders(now: datetime) -> dict[str, int]:
    """Queue today's reminders and escalations (each e-mail once, by its outbox key)."""
    from lms.compliance.reminders import send_reminders

    return send_reminders(local_date(now))


def hr_digest(now: datetime) -> dict[str, int]:
    """Queue today's digest for each HR person (once a day)."""
    from lms.compliance.reminders import send_hr_digest

    return send_hr_digest(local_date(now))


def certificate_expiry(now: datetime) -> dict[str, int]:
    """Mark lapsed certifications expired and tell their holders (once each)."""
    from lms.compliance.expiry import expire_certificates

    return expire_certificates(local_date(now))


def assignment_sync_requested(now: datetime) -> dict[str, int]:
    """Run the sync if provisioning asked for one since the last run; else nothing."""
    from lms.compliance.requests import take_request

    asked = take_request()
    if asked is None:
        return {"requested": 0}
    return {"requested": 1, **sync_assignments(local_date(now))}

"""The one list of periodic jobs. Each has a stable id (used by the lease, the run records,
``flask --app lms jobs run ID`` and the admin page), a function ``fn(now) -> dict of counts``
and a schedule.

Schedules are aligned to the clock (every N seconds counted from the Unix epoch, or a daily time
in the company's zone), so two scheduler processes fire for the same slots and the lease lets
only one of them run each slot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Every:
    """Every ``seconds``, at multiples of it since the epoch (``Every(60)``: each minute at :00)."""

    seconds: int

    def slot(self, now: datetime) -> datetime:
        """The latest fire time at or before ``now``."""
        elapsed = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=elapsed - elapsed % self.seconds)

    def trigger(self):
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(seconds=self.seconds, start_date=EPOCH, timezone=UTC)

    def describe(self) -> str:
        if self.seconds % 3600 == 0:
            return f"every {self.seconds // 3600} h"
        if self.seconds % 60 == 0:
            return f"every {self.seconds // 60} min"
        return f"every {self.seconds} s"


@dataclass(frozen=True)
class Daily:
    """Once a day at ``at`` in ``zone`` (an IANA zone name); by default the company's zone
    (``LMS_TIMEZONE``), read when the schedule is used, not when this module is imported."""

    at: time
    zone: str | None = None

    def _zone(self) -> ZoneInfo:
        from lms.clock import org_zone

        return ZoneInfo(self.zone) if self.zone else org_zone()

    def slot(self, now: datetime) -> datetime:
        zone = self._zone()
        local = now.astimezone(zone)
        fire = datetime.combine(local.date(), self.at, tzinfo=zone)
        if fire > local:
            fire = datetime.combine(local.date() - timedelta(days=1), self.at, tzinfo=zone)
        return fire.astimezone(UTC)

    def trigger(self):
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(hour=self.at.hour, minute=self.at.minute, second=self.at.second,
                           timezone=self._zone())

    def describe(self) -> str:
        return f"daily at {self.at.strftime('%H:%M')} ({self._zone().key})"


@dataclass(frozen=True)
class Job:
    id: str
    fn: Callable[[datetime], dict]
    schedule: Every | Daily
    description: str
    lease_seconds: int = 600  # a run that takes longer may be joined by another process


def _deliver_outbox(now: datetime) -> dict:
    from lms.notifications.tasks import deliver_outbox

    return deliver_outbox(now)


# The dashboard's figures are recomputed in the same transaction as a sync, so that they
# never lag one.
def _assignment_sync(now: datetime) -> dict:
    from lms.compliance.tasks import assignment_sync
    from lms.dashboard.rollup import refresh_figures

    counts = assignment_sync(now)
    refresh_figures(now)
    return counts


def _assignment_sync_requested(now: datetime) -> dict:
    from lms.compliance.tasks import assignment_sync_requested
    from lms.dashboard.rollup import refresh_figures

    counts = assignment_sync_requested(now)
    if counts["requested"]:
        refresh_figures(now)
    return counts


def _reminders(now: datetime) -> dict:
    from lms.compliance.tasks import reminders

    return reminders(now)


def _hr_digest(now: datetime) -> dict:
    from lms.compliance.tasks import hr_digest

    return hr_digest(now)


def _certificate_expiry(now: datetime) -> dict:
    from lms.compliance.tasks import certificate_expiry

    return certificate_expiry(now)


def _dashboard_figures(now: datetime) -> dict:
    from lms.dashboard.tasks import dashboard_figures

    return dashboard_figures(now)


def _export_jobs(now: datetime) -> dict:
    from lms.evidence.tasks import export_jobs

    return export_jobs(now)


def _class_reminders(now: datetime) -> dict:
    from lms.classroom.tasks import class_reminders

    return class_reminders(now)


JOBS: tuple[Job, ...] = (
    Job("outbox-delivery", _deliver_outbox, Every(60),
        "Send queued e-mail (retries with back-off while the SMTP server is down)."),
    Job("assignment-sync", _assignment_sync, Daily(time(2, 0)),
        "Create, update or close assignments from the requirements (idempotent)."),
    Job("assignment-sync-requested", _assignment_sync_requested, Every(60),
        "Sync assignments soon after provisioning changed people (when asked)."),
    Job("reminders", _reminders, Daily(time(9, 0)),
        "Remind employees before due dates; escalate overdue ones to managers and HR."),
    Job("hr-digest", _hr_digest, Daily(time(8, 30)),
        "A daily overdue summary to each HR person."),
    Job("certificate-expiry", _certificate_expiry, Daily(time(2, 30)),
        "Mark certifications whose certificate lapsed as expired; tell each holder once."),
    Job("class-reminders", _class_reminders, Daily(time(10, 0)),
        "Remind people booked in a class that starts within 36 hours (the day before)."),
    Job("dashboard-figures", _dashboard_figures, Every(60),
        "Recompute the HR dashboard's figures every 5 minutes, and soon after an HR import."),
    Job("export-jobs", _export_jobs, Every(60),
        "Build queued bulk exports (evidence packs), one at a time, with their progress."),
)


def jobs() -> tuple[Job, ...]:
    return JOBS


def get(job_id: str) -> Job:
    for job in JOBS:
        if job.id == job_id:
            return job
    known = ", ".join(job.id for job in JOBS)
    raise KeyError(f"no job {job_id!r} (known: {known})")

"""Bulk evidence exports as rows of ``export_jobs``: asking for one, and the states a run moves
it through (queued -> running -> done or failed).

Ownership of a running job is fenced by its ``started_at``: the process that claims the job
writes a fresh timestamp, refreshes it with each progress commit (a heartbeat), and every later
write is conditional on the value it wrote last. A job whose heartbeat is older than
``STALE_AFTER`` was left by a process that died; it is queued again and starts over. Should the
old process still be alive after all, its next conditional write changes no row, and it stops.
Every one of these functions commits (progress must be visible while the job goes on).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update

from lms.db import db, utcnow
from lms.people.models import Employee
from lms.reports.models import ExportJob
from lms.reports.roster import RosterFilters, roster_select

KIND = "evidence"
STALE_AFTER = timedelta(minutes=15)  # many heartbeats: a job beats at least every minute
ERROR_MAX = 4000


class LostClaim(RuntimeError):
    """Another process took the job over (this one was presumed dead); stop working on it."""


@dataclass(frozen=True)
class Claim:
    job_id: int
    beat: datetime  # the started_at this process wrote last


def export_dir() -> Path:
    return Path(current_app.config["LMS_EXPORT_DIR"])


def people_query(filters: RosterFilters, today: date):
    """Everyone with at least one roster row under ``filters``, by employee number."""
    rows = roster_select(filters, today).order_by(None).subquery()
    return (select(Employee.id, Employee.employee_number, Employee.full_name)
            .where(Employee.id.in_(select(rows.c.employee_id)))
            .order_by(Employee.employee_number, Employee.id))


def people_count(filters: RosterFilters, today: date) -> int:
    query = people_query(filters, today).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(query))


def create_job(requested_by_id: int, filters: RosterFilters, total: int) -> ExportJob:
    """Queue a bulk evidence export; the scheduler's ``export-jobs`` picks it up. Flushes."""
    job = ExportJob(kind=KIND, requested_by_id=requested_by_id, filters=filters.as_dict(),
                    status="queued", total=total, done=0)
    db.session.add(job)
    db.session.flush()
    return job


def _stamp(after: datetime | None = None) -> datetime:
    now = utcnow()
    # Strictly newer than the last beat, so a heartbeat always changes the fencing value.
    return now if after is None or now > after else after + timedelta(microseconds=1)


def queued_ids(limit: int = 10) -> list[int]:
    return list(db.session.scalars(
        select(ExportJob.id).where(ExportJob.kind == KIND, ExportJob.status == "queued")
        .order_by(ExportJob.created_at, ExportJob.id).limit(limit)))


def claim(job_id: int) -> Claim | None:
    """Take a queued job with one conditional UPDATE: of two processes trying at once, exactly
    one changes the row (PostgreSQL re-checks the condition after the first one's commit;
    SQLite runs writers one at a time). None if it was not queued any more."""
    beat = _stamp()
    result = db.session.execute(
        update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(status="running", started_at=beat, done=0, error=None, finished_at=None,
                file_name=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return Claim(job_id, beat) if result.rowcount == 1 else None


def claim_next() -> Claim | None:
    """The oldest queued job this process could claim, or None."""
    for job_id in queued_ids():
        claimed = claim(job_id)
        if claimed is not None:
            return claimed
    return None


def requeue_stale(now: datetime) -> list[int]:
    """Queue again the running jobs whose heartbeat stopped (their process died); delete the
    files they left. Returns their ids."""
    cutoff = now - STALE_AFTER
    stale = or_(ExportJob.started_at.is_(None), ExportJob.started_at < cutoff)
    ids = list(db.session.scalars(select(ExportJob.id).where(
        ExportJob.kind == KIND, ExportJob.status == "running", stale)))
    requeued = []
    for job_id in ids:
        result = db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "running", stale)
            .values(status="queued", started_at=None, done=0)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            requeued.append(job_id)
    db.session.commit()
    for job_id in requeued:
        # The part file, and a whole zip if the process died between renaming it into place
        # and committing "done": no job points at it, so nothing would ever delete it.
        for left in (*export_dir().glob(f".{KIND}-{job_id}-*.part"),
                     *export_dir().glob(f"{KIND}-{job_id}-*.zip")):
            left.unlink(missing_ok=True)
    return requeued


def _owned(claim: Claim):
    return (ExportJob.id == claim.job_id, ExportJob.status == "running",
            ExportJob.started_at == claim.beat)


def heartbeat(claim: Claim, **values) -> Claim:
    """Record progress (``done``, ``total``) in its own commit and refresh the heartbeat.
    Raises LostClaim if the job is not ours any more."""
    beat = _stamp(claim.beat)
    result = db.session.execute(
        update(ExportJob).where(*_owned(claim)).values(started_at=beat, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        raise LostClaim(f"export job {claim.job_id} was taken over")
    return Claim(claim.job_id, beat)


def finish(claim: Claim, file_name: str, total: int) -> bool:
    """Mark the job done with its file; False if it was not ours any more."""
    result = db.session.execute(
        update(ExportJob).where(*_owned(claim))
        .values(status="done", done=total, total=total, file_name=file_name,
                finished_at=_stamp(claim.beat))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def fail(claim: Claim, error: str) -> bool:
    result = db.session.execute(
        update(ExportJob).where(*_owned(claim))
        .values(status="failed", error=error[:ERROR_MAX], finished_at=_stamp(claim.beat))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def result_path(job: ExportJob) -> Path | None:
    """The finished file of a done job, if it is still there (never outside the directory)."""
    if job.status != "done" or not job.file_name:
        return None
    folder = export_dir().resolve()
    path = (folder / job.file_name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def part_name(job_id: int) -> str:
    return f".{KIND}-{job_id}-{os.urandom(6).hex()}.part"

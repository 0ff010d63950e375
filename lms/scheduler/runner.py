"""Running one job: take its lease, record the run, call it, commit, record the outcome."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from lms.db import db, plan_each_statement, utcnow
from lms.scheduler import lease, registry
from lms.scheduler.models import JobRun

log = logging.getLogger(__name__)

KEEP_RUNS_DAYS = 30  # older run records of a job are deleted when it runs
ERROR_MAX = 4000


def run_job(job_id: str, now: datetime | None = None, *, slot: datetime | None = None) -> dict:
    """Run the job now (``now`` is the time it works for; default the clock).

    Returns ``{"job_id", "run_id", "counts", "error"}``, or ``{"job_id", "skipped": reason}``
    when another process holds the lease or, for a scheduled run (``slot`` given), this slot
    already ran. The job's own errors are recorded on the run and returned, never raised; an
    unknown ``job_id`` raises KeyError."""
    job = registry.get(job_id)
    now = now or utcnow()
    holder = lease.new_holder()
    outcome = lease.acquire(job.id, holder, now, job.lease_seconds, slot=slot)
    if not outcome.acquired:
        log.debug("job %s skipped: %s", job.id, outcome.reason)
        return {"job_id": job.id, "skipped": outcome.reason}
    try:
        return _run_held(job, now, slot)
    finally:
        lease.release(job.id, holder, now)


def _run_held(job: registry.Job, now: datetime, slot: datetime | None) -> dict:
    run = JobRun(job_id=job.id, scheduled_for=slot, started_at=max(now, utcnow()),
                 host=socket.gethostname()[:255], pid=os.getpid())
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    counts: dict | None = None
    error: str | None = None
    try:
        plan_each_statement()  # jobs group and sweep many rows (lms/db.py)
        counts = dict(job.fn(now) or {})
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", job.id)
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    run = db.session.get(JobRun, run_id)
    run.counts = counts
    run.error = error
    run.finished_at = max(run.started_at, utcnow())
    db.session.execute(delete(JobRun).where(
        JobRun.job_id == job.id, JobRun.started_at < now - timedelta(days=KEEP_RUNS_DAYS)))
    db.session.commit()
    if error is None:  # quiet when there was nothing to do
        log.log(logging.INFO if any(counts.values()) else logging.DEBUG, "job %s done: %s",
                job.id, counts)
    return {"job_id": job.id, "run_id": run_id, "counts": counts, "error": error}


def last_runs(job_ids: list[str] | None = None) -> dict[str, JobRun]:
    """The latest run of each job, in one query."""
    latest = (select(JobRun.job_id, func.max(JobRun.id).label("id"))
              .group_by(JobRun.job_id).subquery())
    query = select(JobRun).join(latest, JobRun.id == latest.c.id)
    if job_ids is not None:
        query = query.where(JobRun.job_id.in_(job_ids))
    return {run.job_id: run for run in db.session.scalars(query)}


def recent_runs(limit: int = 100) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))

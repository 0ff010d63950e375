"""Job leases: at most one process runs a job at a time, and each schedule slot runs once.

Taking a lease is one statement, atomic on SQLite and PostgreSQL alike: a conditional UPDATE of
the job's lease row (free or expired, and, for a scheduled run, not yet run for this slot) or,
the first time ever, an INSERT that does nothing if another process inserted first. Whoever's
statement changed a row holds the lease. On PostgreSQL a second UPDATE waits for the first
transaction and then re-checks the condition against the new row, so it finds the lease taken.

Leases live in their own short transactions on their own connection, apart from the job's
session, so they are committed before the job starts and released even if the job failed.
A process that dies holding a lease blocks the job until ``expires_at``; then anyone takes over.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms.db import db
from lms.scheduler.models import JobLease


def new_holder() -> str:
    """A name for one run: host, process and a random part (two runs never share one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:255]


@dataclass(frozen=True)
class Outcome:
    acquired: bool
    reason: str | None = None  # why not: "running elsewhere" or "already ran for this slot"


def acquire(job_id: str, holder: str, now: datetime, ttl_seconds: int,
            slot: datetime | None = None) -> Outcome:
    """Take the lease on ``job_id`` until ``now + ttl_seconds``. With ``slot`` (a scheduled run),
    also only if no run has taken the lease for this slot or a later one."""
    expires = now + timedelta(seconds=ttl_seconds)
    table = JobLease.__table__
    conditions = [table.c.job_id == job_id, table.c.expires_at <= now]
    values = {"holder": holder, "expires_at": expires}
    if slot is not None:
        conditions.append(or_(table.c.slot_at.is_(None), table.c.slot_at < slot))
        values["slot_at"] = slot
    with db.engine.begin() as conn:
        if conn.execute(update(table).where(*conditions).values(**values)).rowcount == 1:
            return Outcome(True)
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        inserted = conn.execute(
            insert(table).values(job_id=job_id, holder=holder, expires_at=expires, slot_at=slot)
            .on_conflict_do_nothing(index_elements=["job_id"]).returning(table.c.job_id))
        if inserted.first() is not None:
            return Outcome(True)
        lease = conn.execute(select(table).where(table.c.job_id == job_id)).first()
    if lease is not None and lease.expires_at > now:
        return Outcome(False, "running elsewhere")
    return Outcome(False, "already ran for this slot")


def release(job_id: str, holder: str, now: datetime) -> bool:
    """Give the lease back (only if we still hold it): it expires at ``now``, the run's start,
    so the next run may take it at once. Keeps ``slot_at``."""
    table = JobLease.__table__
    with db.engine.begin() as conn:
        result = conn.execute(update(table).where(table.c.job_id == job_id,
                                                  table.c.holder == holder)
                              .values(expires_at=now))
    return result.rowcount == 1


def current(job_id: str) -> JobLease | None:
    return db.session.get(JobLease, job_id)

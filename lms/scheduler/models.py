from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base


class JobRun(Base):
    """One run of a job: when, where, what it did (``counts``) or how it failed (``error``).

    ``finished_at`` is empty while the run goes on (or if its process died). ``scheduled_for`` is
    the schedule slot the scheduler ran it for; empty for a run started by hand."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_id_started_at", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    scheduled_for: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobLease(Base):
    """Who may run a job now. A run takes the lease with one conditional UPDATE (or, the first
    time, an INSERT that does nothing on conflict), so exactly one process wins; a holder that
    dies simply lets ``expires_at`` pass. ``slot_at`` remembers the last schedule slot run, so a
    second scheduler process does not run the same slot again after the first has finished."""

    __tablename__ = "job_leases"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    slot_at: Mapped[datetime | None]

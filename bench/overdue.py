"""The daily reminder and escalation sweep on a large company, against counting the overdue
assignments (the least a sweep must do is find them). After the sync, about one assignment in
ten is made near due or overdue, as on an ordinary day; every run is rolled back, so each one
queues every message again."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select, update

from bench.harness import Result, Step, compare
from bench.scratch import rollback
from bench.sync import clear, ensure_synced
from lms.compliance.models import Assignment
from lms.compliance.reminders import send_reminders
from lms.db import db

OPEN = ("assigned", "in_progress")
SHARE = 0.10
# Due from 45 days ago (past every escalation threshold) to 14 days ahead (the first reminder).
DAYS = (-45, 14)


def make_some_due(today: date, share: float = SHARE, seed: int = 1) -> int:
    """Move ``share`` of the open assignments' due dates around ``today``; some are started.
    Commits; returns how many were moved."""
    rng = random.Random(seed)
    ids = list(db.session.scalars(select(Assignment.id).where(Assignment.status.in_(OPEN))
                                  .order_by(Assignment.id)))
    chosen = sorted(rng.sample(ids, round(len(ids) * share)))
    db.session.execute(update(Assignment), [
        {"id": i, "due_on": today + timedelta(days=rng.randint(*DAYS)),
         "status": "in_progress" if rng.random() < 0.3 else "assigned"} for i in chosen])
    db.session.commit()
    return len(chosen)


def run(employees: int, today: date, runs: int = 5) -> Result:
    clear()
    ensure_synced(today)
    moved = make_some_due(today)
    overdue = (select(func.count()).select_from(Assignment)
               .where(Assignment.status.in_(OPEN), Assignment.due_on < today))
    queued: dict[str, int] = {}

    def ours():
        queued.update(send_reminders(today))

    def floor():
        db.session.scalar(overdue)

    result = compare(f"overdue sweep, {employees} employees", Step(ours, teardown=rollback),
                     Step(floor, teardown=db.session.rollback), target_ratio=3.0, runs=runs)
    result.detail = {"near_due_or_overdue": moved, "overdue": db.session.scalar(overdue),
                     **queued}
    return result

"""The daily reminder and escalation sweep on a large company, against counting the overdue
assignments (the least a sweep must do is find them). After the sync, about one assignment in
ten is made near due or overdue; every run is rolled back, so each one does the same work.

Two days are measured. ``run`` is the first sweep over those assignments: nothing has been
queued yet, so every reminder and escalation they have reached is written at once (the worst
day: the sweep's first run after going live, or after a long outage). ``run_daily`` is an
ordinary day: yesterday's sweep has run and committed, so today's writes only the steps reached
today, and most of its work is finding, for every candidate, that its message is already
queued."""

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


def _overdue(today: date):
    return (select(func.count()).select_from(Assignment)
            .where(Assignment.status.in_(OPEN), Assignment.due_on < today))


def run(employees: int, today: date, runs: int = 5) -> Result:
    clear()
    ensure_synced(today)
    moved = make_some_due(today)
    return _compare(f"overdue sweep, {employees} employees", today, runs, moved=moved)


def run_daily(employees: int, today: date, runs: int = 5) -> Result:
    clear()
    ensure_synced(today)
    moved = make_some_due(today)
    yesterday = send_reminders(today - timedelta(days=1))
    db.session.commit()
    return _compare(f"overdue sweep, a day later, {employees} employees", today, runs,
                    moved=moved, **{f"yesterday_{key}": value for key, value in yesterday.items()})


def _compare(name: str, today: date, runs: int, **detail) -> Result:
    overdue = _overdue(today)
    queued: dict[str, int] = {}

    def ours():
        queued.update(send_reminders(today))

    def floor():
        db.session.scalar(overdue)

    result = compare(name, Step(ours, teardown=rollback),
                     Step(floor, teardown=db.session.rollback), target_ratio=3.0, runs=runs)
    result.detail = {"near_due_or_overdue": detail.pop("moved"),
                     "overdue": db.session.scalar(overdue), **detail, **queued}
    return result

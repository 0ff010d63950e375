"""The dashboard's rollup: its figures precomputed, so that the page groups a few thousand
stored groups instead of every assignment of the company on each request.

``refresh_figures`` rewrites it whole in the caller's transaction: the assignments grouped by
(course, cycle, department, location) as the page counts them (``services.fine_figures``,
the very statement the page runs when there is no rollup yet), the completions per (course,
cycle, company-local day), and when and for which day that was. Readers see the old figures
or the new ones, never a mixture (one transaction; DELETE rather than TRUNCATE, which would
block them). The ``dashboard-figures`` job runs it every few minutes and the requirement sync
jobs right after a sync (``should_refresh`` says when)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Date, cast, delete, func, insert, select, text

from lms.audit.models import AuditEvent
from lms.clock import local_date, org_zone
from lms.compliance.models import Assignment
from lms.dashboard.models import DashboardCompletion, DashboardFigure, DashboardRollup
from lms.dashboard.services import DONE, fine_figures, set_work_mem
from lms.db import db

REFRESH_EVERY = timedelta(minutes=5)  # the figures shown are at most this old (plus a run)
# Audit actions that change who is counted where (an HR import moves people and closes or
# opens assignments through the sync): the next job run refreshes without waiting.
CHANGES = ("import",)
ROLLUP_LOCK = 0x67726466  # "grdf": serialises refreshes (a job and a sync at the same time)
COUNTED_ROWS = {"preserve_rowcount": True}  # the rows an INSERT ... SELECT wrote
FIGURE_COLUMNS = ("course_id", "cycle", "department_id", "location_id", "total", "completed",
                  "overdue", "first_assigned", "last_due", "last_completed", "any_last_due")


def refresh_figures(now: datetime) -> dict[str, int]:
    """Recompute the rollup for the company-local day of ``now``. Flushes, never commits;
    returns the number of groups and of completion days written."""
    today = local_date(now)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A second refresh waits for the first to commit, then rewrites what it wrote
        # (without the lock, both DELETEs would miss the other's new rows).
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK})
    set_work_mem()
    db.session.execute(delete(DashboardFigure))
    figures = db.session.execute(insert(DashboardFigure.__table__).from_select(
        FIGURE_COLUMNS, fine_figures(today)), execution_options=COUNTED_ROWS).rowcount
    db.session.execute(delete(DashboardCompletion))
    if postgresql:
        day = cast(func.timezone(org_zone().key, Assignment.completed_at), Date)
        per_day = (select(Assignment.course_id, Assignment.cycle, day, func.count())
                   .where(Assignment.status.in_(DONE))
                   .group_by(Assignment.course_id, Assignment.cycle, day))
        days = db.session.execute(insert(DashboardCompletion.__table__).from_select(
            ("course_id", "cycle", "day", "completions"), per_day),
            execution_options=COUNTED_ROWS).rowcount
    else:
        days = _completions_in_python()
    db.session.execute(delete(DashboardRollup))
    db.session.add(DashboardRollup(id=1, version=uuid.uuid4().hex, computed_at=now,
                                   computed_for=today))
    db.session.flush()
    return {"groups": figures, "completion_days": days}


def _completions_in_python() -> int:
    """SQLite has no time zone conversion: the days are counted here (demo sizes only)."""
    counts = Counter(
        (course_id, cycle, local_date(done) if done else None)
        for course_id, cycle, done in db.session.execute(
            select(Assignment.course_id, Assignment.cycle, Assignment.completed_at)
            .where(Assignment.status.in_(DONE))))
    if counts:
        db.session.execute(insert(DashboardCompletion), [
            {"course_id": course_id, "cycle": cycle, "day": day, "completions": n}
            for (course_id, cycle, day), n in counts.items()])
    return len(counts)


def should_refresh(now: datetime) -> bool:
    """Whether the rollup needs recomputing: none yet, computed for another day (overdue
    moves with the date), older than ``REFRESH_EVERY``, or an HR import since."""
    state = db.session.execute(
        select(DashboardRollup.computed_at, DashboardRollup.computed_for)).first()
    if state is None:
        return True
    computed_at, computed_for = state
    if computed_for != local_date(now) or now - computed_at >= REFRESH_EVERY:
        return True
    return db.session.scalar(select(func.count()).select_from(
        select(AuditEvent.id).where(AuditEvent.action.in_(CHANGES),
                                    AuditEvent.at >= computed_at).limit(1).subquery())) > 0


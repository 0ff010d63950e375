"""Leave of absence: the training clock stops while a person is away.

While a leave covers today, the person's open assignments are ``paused``: no reminders, no
escalation, never overdue. On return each one resumes (in progress if it was started) with its
due date moved by the days it was paused, so a person with 20 days left when they left still
has 20 days when they come back. A leave recorded late pauses from its real first day; a leave
deleted or shortened credits only the days it really covered.

Set-based: three queries and bulk writes, whatever the number of people on leave.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import func, insert, or_, select, update

from lms.compliance.models import Assignment, AssignmentEvent
from lms.compliance.scope import among
from lms.db import db, utcnow
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.models import Leave

OPEN = ("assigned", "in_progress")
REASON_MAX = 2000


def on_leave(today: date, employee_ids: Collection[int] | None = None) -> dict[int, date]:
    """Who is on leave today, with the first day of the leave that covers today."""
    query = (select(Leave.employee_id, func.min(Leave.starts_on))
             .where(Leave.starts_on <= today, or_(Leave.ends_on.is_(None), Leave.ends_on > today))
             .group_by(Leave.employee_id))
    if employee_ids is not None:
        query = query.where(among(Leave.employee_id, employee_ids))
    return dict(db.session.execute(query).all())


def _returned_on(employee_ids: list[int], today: date) -> dict[int, date]:
    """The latest day back from a finished leave, per person."""
    if not employee_ids:
        return {}
    return dict(db.session.execute(
        select(Leave.employee_id, func.max(Leave.ends_on))
        .where(Leave.employee_id.in_(employee_ids), Leave.ends_on.is_not(None),
               Leave.ends_on <= today)
        .group_by(Leave.employee_id)).all())


def apply_leaves(today: date, employee_ids: Collection[int] | None = None) -> dict:
    """Pause the open assignments of people on leave and resume those of people back.
    ``employee_ids`` limits the work to some people (HR recording one leave). Flushes.
    Returns ``{"paused", "resumed", "away": {employee_id: leave start}}``."""
    away = on_leave(today, employee_ids)
    now = utcnow()
    events: list[dict] = []
    paused = _pause(away, now, events)
    scope = [] if employee_ids is None else [among(Assignment.employee_id, employee_ids)]

    to_resume = db.session.execute(
        select(Assignment.id, Assignment.employee_id, Assignment.paused_on, Assignment.due_on,
               Assignment.leave_days, Assignment.enrollment_id)
        .where(Assignment.status == "paused", Assignment.employee_id.not_in(list(away)),
               *scope)).all()
    back = _returned_on(sorted({row.employee_id for row in to_resume}), today)
    resumed = []
    for row in to_resume:
        since = row.paused_on or today
        returned = min(today, max(since, back.get(row.employee_id, since)))
        days = (returned - since).days
        due_on = row.due_on + timedelta(days=days)
        resumed.append({"id": row.id, "status": "in_progress" if row.enrollment_id else "assigned",
                        "paused_on": None, "due_on": due_on, "leave_days": row.leave_days + days})
        events.append({"assignment_id": row.id, "at": now, "kind": "resumed",
                       "detail": {"paused_on": since.isoformat(), "returned_on":
                                  returned.isoformat(), "days_away": days,
                                  "previous_due_on": row.due_on.isoformat(),
                                  "due_on": due_on.isoformat()}})
    if resumed:
        db.session.execute(update(Assignment), resumed)
    if events:
        db.session.execute(insert(AssignmentEvent), events)
    db.session.flush()
    return {"paused": paused, "resumed": len(resumed), "away": away}


def _pause(away: dict[int, date], now, events: list[dict]) -> int:
    """Pause the open assignments of these people from the day their leave started (or the
    day the assignment was made, if later). Appends the events; returns how many."""
    if not away:
        return 0
    rows = db.session.execute(
        select(Assignment.id, Assignment.employee_id, Assignment.assigned_on)
        .where(Assignment.status.in_(OPEN), Assignment.employee_id.in_(list(away)))).all()
    paused = []
    for assignment_id, employee_id, assigned_on in rows:
        since = max(away[employee_id], assigned_on)
        paused.append({"id": assignment_id, "status": "paused", "paused_on": since})
        events.append({"assignment_id": assignment_id, "at": now, "kind": "paused",
                       "detail": {"since": since.isoformat()}})
    if paused:
        db.session.execute(update(Assignment), paused)
    return len(paused)


class LeaveError(UserError, ValueError):
    pass


def record_leave(employee_id: int, starts_on: date | None, ends_on: date | None, reason: str,
                 by_id: int, today: date) -> Leave:
    """Record a leave of absence (``ends_on``: the first day back, if known) and pause or
    resume the person's assignments at once. Flushes."""
    if starts_on is None:
        raise LeaveError(_l("Give the first day of the leave (YYYY-MM-DD)."))
    if ends_on is not None and ends_on <= starts_on:
        raise LeaveError(_l("The day back must be after the first day of the leave."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise LeaveError(_l("The note can be at most %(num)s characters.", num=REASON_MAX))
    overlapping = db.session.scalar(
        select(Leave.id).where(
            Leave.employee_id == employee_id,
            or_(Leave.ends_on.is_(None), Leave.ends_on > starts_on),
            *([Leave.starts_on < ends_on] if ends_on is not None else [])).limit(1))
    if overlapping is not None:
        raise LeaveError(_l("This leave overlaps another one of the same person: end or change "
                            "that one first."))
    leave = Leave(employee_id=employee_id, starts_on=starts_on, ends_on=ends_on,
                  reason=reason, recorded_by_id=by_id)
    db.session.add(leave)
    db.session.flush()
    if starts_on <= today:
        # Recorded late: the clock stopped on the leave's first day, not today (and if the
        # person is already back, apply_leaves resumes at once with the days credited).
        events: list[dict] = []
        _pause({employee_id: starts_on}, utcnow(), events)
        if events:
            db.session.execute(insert(AssignmentEvent), events)
    apply_leaves(today, [employee_id])
    return leave


def end_leave(leave_id: int, back_on: date | None, today: date) -> Leave:
    """The person is back (or will be) on ``back_on``; their assignments resume on that day,
    with due dates moved by the days away. Flushes."""
    leave = db.session.get(Leave, leave_id)
    if leave is None:
        raise LeaveError(_l("No such leave."))
    if back_on is None:
        raise LeaveError(_l("Give the first day back (YYYY-MM-DD)."))
    if back_on <= leave.starts_on:
        raise LeaveError(_l("The day back must be after the first day of the leave."))
    leave.ends_on = back_on
    db.session.flush()
    apply_leaves(today, [leave.employee_id])
    return leave

"""The requirement sync on a large company, from empty and with nothing to do.

``sync``: our sync from no assignments, against the same rows written by plain SQL: one
``INSERT ... SELECT`` per requirement for the assignments (the sync's own audience queries,
with constant due dates), one for their "created" events and one for the audience members.
That is the least any sync writing the same rows must do. Every run is rolled back.

``sync-noop``: the sync when nothing changed since the last one, against the sync from empty:
a sync that finds nothing to do should cost a small fraction of one that does everything.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import JSON, Date, Integer, delete, func, insert, literal, select, update

from bench.harness import Result, Step, compare
from bench.scratch import rollback
from lms.compliance import rules
from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.compliance.sync import audience_query, sync_assignments
from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage
from lms.people.models import Employee


def clear() -> None:
    """Back to before the first sync, committed."""
    for model in (OutboxMessage, AssignmentEvent, Assignment, RequirementMember):
        db.session.execute(delete(model))
    db.session.execute(update(Requirement).values(last_synced_on=None))
    db.session.commit()


def ensure_synced(today: date) -> dict:
    """Assignments exist (the sync has run and been committed); returns its counts."""
    if db.session.scalar(select(func.count()).select_from(Assignment)):
        return {}
    counts = sync_assignments(today)
    db.session.commit()
    return counts


def _active_requirements(today: date) -> list[Requirement]:
    return list(db.session.scalars(select(Requirement).where(
        Requirement.active.is_(True), Requirement.starts_on <= today).order_by(Requirement.id)))


def _cycle_and_due(requirement: Requirement, today: date) -> tuple[str, date]:
    if requirement.recurrence == "calendar":
        cycle = rules.calendar_cycle(today, requirement.deadline_month, requirement.deadline_day)
        return cycle.label, cycle.deadline
    return ("once" if requirement.recurrence == "once" else "cycle-1"), today + timedelta(30)


def plain_sql_sync(today: date) -> int:
    """The same rows as a sync from empty, written by INSERT ... SELECT; returns the number of
    assignments. Due dates are constants: the floor chooses rows, it does not reason."""
    now = utcnow()
    # The detail of a typical "created" event, so the floor writes as many bytes as we do.
    detail = {"requirement_id": 1, "requirement": "Code of Conduct: annual certification",
              "recurrence": "calendar", "entered_on": "2019-03-04", "hire_date": "2019-03-04",
              "starts_on": "2026-01-01", "today": "2026-09-15", "cycle_start": "2026-01-01",
              "cycle_deadline": "2026-12-31", "due_on": "2026-12-31",
              "due_days_after_entry": None}
    created = 0
    for requirement in _active_requirements(today):
        cycle, due = _cycle_and_due(requirement, today)
        audience = audience_query(requirement, today)
        columns = {"employee_id": Employee.id,
                   "course_id": literal(requirement.course_id, Integer),
                   "cycle": literal(cycle), "assigned_on": literal(today, Date),
                   "due_on": literal(due, Date), "status": literal("assigned"),
                   "requirement_id": literal(requirement.id, Integer),
                   "reason": literal("cycle"),
                   "created_at": literal(now, Assignment.created_at.type)}
        created += db.session.execute(insert(Assignment).from_select(
            list(columns), audience.with_only_columns(*columns.values())),
            execution_options={"preserve_rowcount": True}).rowcount  # kept only if asked
        db.session.execute(insert(RequirementMember).from_select(
            ["requirement_id", "employee_id", "entered_on"],
            audience.with_only_columns(literal(requirement.id, Integer), Employee.id,
                                       func.coalesce(Employee.hire_date, today))))
    db.session.execute(insert(AssignmentEvent).from_select(
        ["assignment_id", "at", "kind", "detail"],
        select(Assignment.id, literal(now, AssignmentEvent.at.type), literal("created"),
               literal(detail, JSON))))
    db.session.execute(update(Requirement).values(last_synced_on=today))
    return created


def run_from_empty(employees: int, today: date, runs: int = 5) -> Result:
    clear()
    made: dict[str, int] = {}

    def ours():
        made["ours"] = sync_assignments(today)["created"]
        db.session.flush()

    def floor():
        made["floor"] = plain_sql_sync(today)
        db.session.flush()

    result = compare(f"sync from empty, {employees} employees", Step(ours, teardown=rollback),
                     Step(floor, teardown=rollback), target_ratio=3.0, runs=runs)
    if made["ours"] != made["floor"]:
        raise RuntimeError(f"the floor made {made['floor']} assignments, the sync {made['ours']}:"
                           " the floor no longer does the same work")
    result.detail = {"assignments": made["ours"]}
    return result


def run_noop(employees: int, today: date, runs: int = 5) -> Result:
    clear()
    made = ensure_synced(today)
    counts: dict[str, dict] = {}

    def ours():
        counts["ours"] = sync_assignments(today)

    def start_empty():
        clear()
        rollback()  # nothing to undo: this vacuums what clear() left dead

    def floor():
        sync_assignments(today)

    # The floor leaves a committed sync behind: the state the next no-op run starts from.
    result = compare(f"sync with nothing to do, {employees} employees",
                     Step(ours, teardown=rollback),
                     Step(floor, setup=start_empty, teardown=db.session.commit),
                     target_ratio=0.1, runs=runs)
    changed = {k: v for k, v in counts["ours"].items() if k != "unchanged" and v}
    if changed:
        raise RuntimeError(f"a second sync on the same day changed assignments: {changed}")
    result.detail = {"assignments": made["created"], "unchanged": counts["ours"]["unchanged"]}
    return result

"""The assignment sync: from the requirements, the HR data and the history, what each person
must take now; creates, updates or closes assignments. Idempotent and set-based.

Queries: the active requirements; one audience query per requirement (never per person); the
stored audience memberships; the existing assignments of the requirements' courses plus every
open one (as plain rows, not ORM objects); the latest certificate per person and course; the
leavers' open assignments. Writes are bulk statements: on PostgreSQL each table's new rows are
one ``INSERT ... SELECT`` from a JSON document of the rows (one parameter, however many rows),
elsewhere executemany. The number of statements does not grow with the org. The explain detail
of a decision is built only for the rows that are written: a sync that changes nothing builds
none.

Decisions
- An assignment made by hand (``requirement_id`` NULL) is never changed by the sync, except
  that a leaver's open assignments are all closed.
- Several requirements for the same course and cycle make one assignment: the earliest due
  date wins (e.g. "everyone by 31 December" and "new hires within 30 days").
- An open assignment made by a requirement is closed when its person is no longer in the
  audience of any active requirement for that course (transfer, demotion, requirement
  retired). Open assignments of past cycles stay open (they are overdue, not gone).
- Completed, expired and closed assignments are history: never updated. A waived one stays
  waived until its end date; then, if its cycle is still the current one, it reopens with at
  least the onboarding minimum from the waiver's end (rules.ONBOARDING_MIN_DAYS). A waiver
  reaching past a later calendar cycle's deadline covers that cycle too (it is created waived).
- People on leave: see leave.py. Their new assignments start paused; a paused assignment's
  due date is the rule's plus the leave days credited so far.
"""

from __future__ import annotations

import gc
import json
from collections import Counter, namedtuple
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from lms.clock import local_date
from lms.compliance import rules
from lms.compliance.leave import apply_leaves
from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.compliance.scope import among
from lms.db import db, utcnow
from lms.people.models import Department, Employee, Location
from lms.people.services import present

OPEN = ("assigned", "in_progress")
SYNC_LOCK = 0x67726473  # "grds": the advisory lock that serialises syncs on PostgreSQL
LIVE = ("assigned", "in_progress", "paused")  # the sync may still move or close these
DONE = ("completed", "expired")
SETTLED = ("completed", "expired", "closed")  # history: the sync never changes these
WAIVER_FIELDS = ("waived_until", "waiver_reason", "waived_by_id")


def audience_query(requirement: Requirement, today: date):
    """SELECT employee id and hire date of everyone in the requirement's audience today."""
    audience = requirement.audience or {}
    query = select(Employee.id, Employee.hire_date).where(present(Employee, today))
    if audience.get("new_hires"):
        query = query.where(Employee.hire_date >= requirement.starts_on)
    if audience.get("managers"):
        report = aliased(Employee)
        query = query.where(exists().where(report.manager_id == Employee.id,
                                           present(report, today)))
    for key, column, model in (("departments", Employee.department_id, Department),
                               ("locations", Employee.location_id, Location)):
        values = audience.get(key)
        if values:
            ids = [v for v in values if isinstance(v, int)]
            names = [v for v in values if isinstance(v, str)]
            query = query.where(or_(column.in_(ids),
                                    column.in_(select(model.id).where(model.name.in_(names)))))
    if audience.get("job_titles"):
        query = query.where(Employee.job_title.in_(audience["job_titles"]))
    return query


KEY = ("employee_id", "course_id", "cycle")  # an assignment's unique key
# The columns of an assignment the sync reasons about, loaded as plain tuples.
HISTORY = (Assignment.id, Assignment.employee_id, Assignment.course_id, Assignment.cycle,
           Assignment.status, Assignment.due_on, Assignment.requirement_id, Assignment.reason,
           Assignment.waived_until, Assignment.waiver_reason, Assignment.waived_by_id,
           Assignment.leave_days, Assignment.enrollment_id, Assignment.completed_at)
_History = namedtuple("_History", [column.key for column in HISTORY])


@dataclass
class _Want:
    due_on: date
    requirement_id: int
    reason: str
    # The explain detail, built on demand: only written rows need it.
    explain: Callable[[], dict]
    waiver: object | None = None  # set: created waived, covered by this waiver (a history row)

    @property
    def detail(self) -> dict:
        return self.explain()


# Stands for what is wanted of an assignment that is already history (``SETTLED``).
_Settled = object()


class _Plan:
    """A requirement as plain values, with what is the same for everyone in its audience today
    (the calendar cycles) worked out once: the sync asks it once per person."""

    COPIED = ("id", "name", "recurrence", "course_id", "starts_on", "due_days_after_entry",
              "every_months", "window_days", "deadline_month", "deadline_day", "last_synced_on")
    __slots__ = (*COPIED, "cycle", "previous", "opens", "current", "_dues")

    def __init__(self, requirement: Requirement, today: date):
        for name in self.COPIED:
            setattr(self, name, getattr(requirement, name))
        self.cycle = self.previous = self.opens = None
        self._dues: dict[tuple[date, bool], tuple[date, str]] = {}
        # The cycle ``_want`` answers whenever the person has an assignment of it (None:
        # rolling, whose cycle depends on the person's history).
        self.current = "once" if self.recurrence == "once" else None
        if self.recurrence == "calendar":
            self.cycle = rules.calendar_cycle(today, self.deadline_month, self.deadline_day)
            self.previous = rules.calendar_cycle(self.cycle.start - timedelta(days=1),
                                                 self.deadline_month, self.deadline_day)
            self.opens = max(self.cycle.start,
                             rules.window_opens(self.cycle.deadline, self.window_days))
            self.current = self.cycle.label

    def calendar_due(self, entered_on: date, hire_date: date | None) -> tuple[date, str]:
        """This cycle's due date and reason, before any waiver, for someone who entered the
        audience on ``entered_on``. An audience shares a few hundred entry days, so each is
        worked out once."""
        key = (entered_on, entered_on == hire_date)
        found = self._dues.get(key)
        if found is None:
            due, why = rules.calendar_due(self.cycle, entered_on, self.starts_on,
                                          self.due_days_after_entry)
            found = self._dues[key] = (due, _entry_reason(entered_on, hire_date)
                                       if why == "new_entrant" else "cycle")
        return found


def _cycle_number(cycle: str) -> int | None:
    if cycle.startswith("cycle-") and cycle[6:].isdecimal():
        return int(cycle[6:])
    return None


def _entry_reason(entered_on: date, hire_date: date | None) -> str:
    return "new_hire" if entered_on == hire_date else "entered_audience"


def sync_assignments(today: date, people: Collection[int] | None = None) -> dict:
    """Bring assignments in line with the requirements on ``today``. Flushes, never commits.
    Returns ``{created, updated, closed, unchanged, paused, resumed, reopened}``.

    ``people``: only these employees (ids) are looked at, in every query: what an HR import
    changed can only move them (see people.importing). The requirements' ``last_synced_on``
    is then left alone: it says when *everyone* was last looked at, and a person outside the
    scope hired since then must still enter the audience on their hire date."""
    # The sync makes a few small objects per person and frees none until it returns: the
    # cyclic garbage collector would walk the growing heap again and again (a fifth of the
    # sync's time at 25,000 people) to find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _sync(today, people)
    finally:
        if collecting:
            gc.enable()


def _sync(today: date, people: Collection[int] | None) -> dict:
    counts = {"created": 0, "updated": 0, "closed": 0, "unchanged": 0}

    def scoped(query, column):
        return query if people is None else query.where(among(column, people))

    # The reads below are plain rows: run as Core statements, they skip the ORM's result
    # processing (a quarter of a sync that finds nothing to do). The ORM's autoflush is done
    # once here instead, so what the caller has pending is seen.
    db.session.flush()
    connection = db.session.connection()

    def read(query) -> list:
        return connection.execute(query).all()  # one fetch, not one call per row

    if db.session.get_bind().dialect.name == "postgresql":
        # One sync at a time (nightly, on request, from the CLI): the second waits for the
        # first to commit, then finds nothing left to do. SQLite's BEGIN IMMEDIATE does this.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})
    leave = apply_leaves(today, people)
    away = leave.pop("away")
    counts.update(leave)
    now = utcnow()
    requirements = list(db.session.scalars(
        select(Requirement).where(Requirement.active.is_(True), Requirement.starts_on <= today)
        .order_by(Requirement.id)))

    # History: assignments of the requirements' courses and every open one; latest certificates.
    course_ids = {r.course_id for r in requirements}
    existing: dict[tuple[int, int, str], _History] = {}
    by_pair: dict[tuple[int, int], list[_History]] = {}
    live_made: list[_History] = []  # open and made by a requirement: may have to be closed
    for assignment in map(_History._make, read(scoped(select(*HISTORY).where(
            or_(Assignment.course_id.in_(course_ids), Assignment.status.in_(LIVE))),
            Assignment.employee_id))):
        pair = (assignment.employee_id, assignment.course_id)
        existing[(*pair, assignment.cycle)] = assignment
        if pair in by_pair:
            by_pair[pair].append(assignment)
        else:
            by_pair[pair] = [assignment]
        if assignment.status in LIVE and assignment.requirement_id is not None:
            live_made.append(assignment)
    certified: dict[tuple[int, int], date] = {
        (e, c): d for e, c, d in read(scoped(
            select(Certificate.employee_id, Certificate.course_id,
                   func.max(Certificate.completed_on))
            .where(Certificate.revoked_at.is_(None), Certificate.course_id.in_(course_ids))
            .group_by(Certificate.employee_id, Certificate.course_id), Certificate.employee_id))}

    # Audiences, the day each person entered them, and what each person must take now.
    stored: dict[tuple[int, int], date] = {
        (requirement_id, employee_id): entered_on
        for requirement_id, employee_id, entered_on in read(scoped(
            select(RequirementMember.requirement_id, RequirementMember.employee_id,
                   RequirementMember.entered_on), RequirementMember.employee_id))}
    new_members = []
    wanted: dict[tuple[int, int, str], _Want] = {}
    wanted_pairs: set[tuple[int, int]] = set()
    no_history: list = []
    courses = Counter(r.course_id for r in requirements)
    for requirement in requirements:
        plan = _Plan(requirement, today)
        course_id, current = plan.course_id, plan.current
        # The shortcut needs a calendar cycle, and no other requirement of the same course
        # competing for the same assignment.
        fast = plan.cycle is not None and courses[course_id] == 1
        for employee_id, hire_date in read(
                scoped(audience_query(requirement, today), Employee.id)):
            # Taken out: the members left in ``stored`` at the end have left the audience.
            entered_on = stored.pop((plan.id, employee_id), None)
            if entered_on is None:
                # New to the audience: hired since we last looked, or promoted/transferred today.
                last = plan.last_synced_on
                if hire_date is not None and (last is None or hire_date > last):
                    entered_on = hire_date
                else:
                    entered_on = today
                new_members.append({"requirement_id": plan.id,
                                    "employee_id": employee_id, "entered_on": entered_on})
            pair = (employee_id, course_id)
            wanted_pairs.add(pair)
            if current is not None:
                # This cycle's assignment is already history: whatever is wanted of it, it
                # stays as it is (most people, once they have done this year's course).
                key = (employee_id, course_id, current)
                done = existing.get(key)
                if done is not None and done.status in SETTLED:
                    wanted[key] = _Settled
                    continue
                if (done is not None and fast
                        and _unchanged_calendar(plan, done, entered_on, hire_date,
                                                by_pair[pair])):
                    wanted[key] = _Settled  # as the general path below would find it
                    continue
            found = _want(plan, today, entered_on, hire_date, by_pair.get(pair, no_history),
                          certified.get(pair))
            if found is None:
                continue
            cycle, want = found
            key = (*pair, cycle)
            earlier = wanted.get(key)
            if earlier is None or (earlier is not _Settled and want.due_on < earlier.due_on):
                wanted[key] = want
    active_ids = {r.id for r in requirements}
    gone = [{"r": r, "e": e} for (r, e) in stored]

    inserts, updates, events = [], [], []
    reopened = 0
    for key, want in wanted.items():
        if want is _Settled:
            counts["unchanged"] += 1
            continue
        assignment = existing.get(key)
        if assignment is None:
            inserts.append((key, want))
            continue
        if assignment.requirement_id is None:
            counts["unchanged"] += 1
            continue
        due_on = want.due_on
        if assignment.waived_until is not None:  # its own waiver: due no sooner than this
            due_on = max(due_on, assignment.waived_until
                         + timedelta(days=rules.ONBOARDING_MIN_DAYS))
        due_on += timedelta(days=assignment.leave_days or 0)
        status = assignment.status
        kind = "updated"
        if status == "waived" and assignment.waived_until and assignment.waived_until < today:
            status = ("paused" if key[0] in away
                      else "in_progress" if assignment.enrollment_id else "assigned")
            kind, reopened = "waiver_ended", reopened + 1
        elif status not in LIVE or (assignment.due_on, assignment.requirement_id,
                                    assignment.reason) == (due_on, want.requirement_id,
                                                           want.reason):
            counts["unchanged"] += 1
            continue
        updates.append({"id": assignment.id, "due_on": due_on, "status": status,
                        "requirement_id": want.requirement_id, "reason": want.reason})
        detail = {**want.detail, "due_on": due_on.isoformat(),
                  "previous_due_on": assignment.due_on.isoformat()}
        if assignment.leave_days:
            detail["leave_days"] = assignment.leave_days
        if kind == "waiver_ended":
            detail["waived_until"] = assignment.waived_until.isoformat()
        events.append({"assignment_id": assignment.id, "at": now, "kind": kind,
                       "detail": detail})

    # Leavers' open assignments, and requirement-made ones nobody requires any more.
    leaver_rows = read(scoped(
        select(Assignment.id, Employee.leave_date, Employee.active)
        .join(Employee, Employee.id == Assignment.employee_id)
        .where(Assignment.status.in_(LIVE), ~present(Employee, today),
               or_(Employee.hire_date.is_(None), Employee.hire_date <= today)),
        Assignment.employee_id))
    closing = {}
    for assignment_id, leave_date, active in leaver_rows:
        closing[assignment_id] = {"why": "left the company", "active": active,
                                  "leave_date": leave_date.isoformat() if leave_date else None}
    for assignment in live_made:
        if (assignment.id not in closing
                and (assignment.employee_id, assignment.course_id) not in wanted_pairs):
            retired = assignment.requirement_id not in active_ids
            closing[assignment.id] = {
                "why": "requirement no longer active" if retired else "no longer in the audience",
                "requirement_id": assignment.requirement_id}
    for assignment_id, detail in closing.items():
        events.append({"assignment_id": assignment_id, "at": now, "kind": "closed",
                       "detail": {**detail, "on": today.isoformat()}})

    # Writes, in bulk.
    if inserts:
        rows = [_new_row(key, want, today, now, key[0] in away) for key, want in inserts]
        for row, assignment_id in zip(rows, _insert_rows(Assignment.__table__, rows, KEY),
                                      strict=True):
            events.append({"assignment_id": assignment_id, "at": now, "kind": "created",
                           "detail": wanted[(row["employee_id"], row["course_id"],
                                             row["cycle"])].detail})
    if updates:
        db.session.execute(update(Assignment), updates)
    if closing:
        db.session.execute(update(Assignment), [{"id": i, "status": "closed"} for i in closing])
    if events:
        _insert_rows(AssignmentEvent.__table__, events)
    if new_members:
        _insert_rows(RequirementMember.__table__, new_members)
    if gone:
        db.session.execute(
            delete(RequirementMember.__table__).where(
                RequirementMember.requirement_id == bindparam("r"),
                RequirementMember.employee_id == bindparam("e")), gone)
    if requirements and people is None:
        db.session.execute(update(Requirement), [{"id": r.id, "last_synced_on": today}
                                                 for r in requirements])
    db.session.flush()
    db.session.expire_all()  # ORM objects loaded before (the caller's too) see the bulk writes
    counts.update(created=len(inserts), updated=len(updates) - reopened, closed=len(closing),
                  reopened=reopened)
    return counts


def _insert_rows(table: Table, rows: list[dict], key: tuple[str, ...] = ()) -> list[int] | None:
    """INSERT the rows (every row with the same keys); given the columns of a unique ``key``,
    returns the rows' new ids in order. PostgreSQL: the ids from the sequence in one query, then one
    ``INSERT ... SELECT`` from one JSON document of the rows: one parameter and one parse,
    however many rows (JSON values must not be null). SQLite (demo size): executemany."""
    if db.session.get_bind().dialect.name != "postgresql":
        if not key:
            db.session.execute(insert(table), rows)
            return None
        # RETURNING the key as well as the id: batched without relying on row order.
        made = {tuple(found[1:]): found[0] for found in db.session.execute(
            insert(table).returning(table.c.id, *(table.c[name] for name in key)), rows)}
        return [made[tuple(row[name] for name in key)] for row in rows]
    new_ids = None
    if key:
        new_ids = list(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}))
        rows = [{"id": i, **row} for i, row in zip(new_ids, rows, strict=True)]
    names = list(rows[0])
    # One JSON document of row arrays, taken apart by the server: serialised by the json
    # module's C encoder, where a parameter per column would be escaped value by value.
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        if table.c[name].type._type_affinity in (Date, DateTime):
            text_of = {value: value.isoformat() for value in set(values) if value is not None}
            values = [text_of.get(value) for value in values]
        columns.append(values)
    document = json.dumps(list(zip(*columns, strict=True)), separators=(",", ":"))
    elements = func.json_array_elements(
        cast(bindparam("rows", document, type_=Text), postgresql.JSON)).table_valued("value")
    fields = []
    for n, name in enumerate(names):
        column = table.c[name]
        if column.type._type_affinity is JSON:
            fields.append(cast(elements.c.value.op("->")(literal_column(str(n))), column.type))
        else:
            fields.append(cast(elements.c.value.op("->>")(literal_column(str(n))), column.type))
    db.session.execute(insert(table).from_select(names, select(*fields).select_from(elements)))
    return new_ids


def _new_row(key: tuple[int, int, str], want: _Want, today: date, now, away: bool) -> dict:
    """The INSERT values of a new assignment: assigned, paused (on leave) or waived (covered
    by a waiver that reaches past this cycle's deadline). Every row has the same keys, so the
    insert stays one batched statement."""
    waiver = want.waiver
    status = "waived" if waiver else "paused" if away else "assigned"
    return {"employee_id": key[0], "course_id": key[1], "cycle": key[2], "assigned_on": today,
            "due_on": want.due_on, "status": status, "requirement_id": want.requirement_id,
            "reason": want.reason, "created_at": now,
            "paused_on": today if status == "paused" else None,
            **{name: getattr(waiver, name) if waiver else None for name in WAIVER_FIELDS}}


def _want(requirement: _Plan, today: date, entered_on: date, hire_date: date | None,
          history: list, certified_on: date | None) -> tuple[str, _Want] | None:
    """The cycle a person must take now for one requirement, or None (nothing due yet)."""

    def base() -> dict:
        return {"requirement_id": requirement.id, "requirement": requirement.name,
                "recurrence": requirement.recurrence, "entered_on": entered_on.isoformat(),
                "hire_date": hire_date.isoformat() if hire_date else None,
                "starts_on": requirement.starts_on.isoformat(), "today": today.isoformat()}

    if requirement.recurrence == "calendar":
        return _want_calendar(requirement, today, entered_on, hire_date, history, certified_on,
                              base)
    if requirement.recurrence == "once":
        done = any(a.status in (*DONE, "waived") for a in history)
        if (done or certified_on is not None) and not any(a.cycle == "once" for a in history):
            return None
        due = rules.first_due(entered_on, requirement.starts_on, requirement.due_days_after_entry)
        return "once", _Want(due, requirement.id, _entry_reason(entered_on, hire_date),
                             lambda: {**base(), "due_on": due.isoformat()})
    # rolling
    months, window = requirement.every_months, requirement.window_days
    numbered = [(n, a) for a in history if (n := _cycle_number(a.cycle)) is not None]
    latest = max(numbered, key=lambda item: item[0], default=(0, None))[1]
    if latest is not None and latest.status == "waived":
        # The waived cycle stays the current one: it reopens when the waiver ends.
        return latest.cycle, _Want(latest.due_on - timedelta(days=latest.leave_days or 0),
                                   requirement.id, latest.reason or "recertification",
                                   lambda: {**base(), "waived_cycle": latest.cycle})
    done = [(n, a) for n, a in numbered if a.status in DONE]
    if done:
        number, previous = max(done, key=lambda item: item[0])
        completed_on = (local_date(previous.completed_at) if previous.completed_at
                        else previous.due_on)
        due = rules.next_rolling_due(previous.due_on, completed_on, months, window)

        def detail() -> dict:
            return {"previous_cycle": previous.cycle,
                    "previous_due_on": previous.due_on.isoformat(),
                    "completed_on": completed_on.isoformat(),
                    "in_window": rules.in_window(completed_on, previous.due_on, window)}
        number, reason = number + 1, "recertification"
    elif certified_on is not None and not numbered:
        due = rules.add_months(certified_on, months)

        def detail() -> dict:
            return {"certified_on": certified_on.isoformat()}
        number, reason = 1, "recertification"
    else:
        due = rules.first_due(entered_on, requirement.starts_on,
                              requirement.due_days_after_entry)

        def detail() -> dict:
            return {}
        number, reason = 1, _entry_reason(entered_on, hire_date)
    label = f"cycle-{number}"
    if reason == "recertification" and today < rules.window_opens(due, window) and not any(
            a.cycle == label for a in history):
        return None  # the next cycle's window is not open yet
    return label, _Want(due, requirement.id, reason, lambda: {
        **base(), **detail(), "every_months": months, "window_days": window,
        "window_opens": rules.window_opens(due, window).isoformat(), "due_on": due.isoformat()})


def _unchanged_calendar(plan: _Plan, assignment: _History, entered_on: date,
                        hire_date: date | None, history: list) -> bool:
    """The common case of a calendar requirement, decided without building what is wanted:
    this cycle's assignment is open, made by this requirement (no other requirement asks
    for the course), without waivers or leave in the person's history, and already due when
    and for the reason ``_want_calendar`` would say."""
    if (assignment.status not in LIVE or assignment.requirement_id != plan.id
            or assignment.leave_days or any(a.waived_until is not None for a in history)):
        return False
    return (assignment.due_on, assignment.reason) == plan.calendar_due(entered_on, hire_date)


def _latest_waiver(history: list, other_than: str):
    """The waiver reaching furthest among the person's other cycles (reopened ones too)."""
    waived = [a for a in history if a.waived_until is not None and a.cycle != other_than]
    return max(waived, key=lambda a: a.waived_until, default=None)


def _want_calendar(requirement: _Plan, today: date, entered_on: date,
                   hire_date: date | None, history: list, certified_on: date | None,
                   base: Callable[[], dict]) -> tuple[str, _Want] | None:
    """The calendar cycle containing today. Someone certified in the previous cycle holds a
    certificate valid to this cycle's deadline, so their assignment only opens with the
    recertification window (``window_days`` before the deadline, at the earliest on the
    cycle's first day); everyone else is assigned from the cycle's first day."""
    cycle, previous = requirement.cycle, requirement.previous
    if any(a.cycle == cycle.label for a in history):
        pass  # exists: computed for comparison
    elif certified_on is not None and certified_on >= cycle.start:
        return None  # already certified in this cycle, outside any assignment
    else:
        renewed = (certified_on is not None and certified_on >= previous.start) or any(
            a.cycle == previous.label and a.status in DONE for a in history)
        if renewed and today < requirement.opens:
            return None  # certified last cycle: the recertification window is not open yet
    waiver = _latest_waiver(history, cycle.label) if history else None
    due, reason = requirement.calendar_due(entered_on, hire_date)
    covering = ended = None
    if waiver is not None and waiver.waived_until >= cycle.deadline:
        covering = waiver
    elif waiver is not None and waiver.waived_until >= cycle.start:
        due = max(due, waiver.waived_until + timedelta(days=rules.ONBOARDING_MIN_DAYS))
        ended = waiver

    def explain() -> dict:
        detail = {**base(), "cycle_start": cycle.start.isoformat(),
                  "cycle_deadline": cycle.deadline.isoformat(),
                  "due_days_after_entry": requirement.due_days_after_entry,
                  "window_opens": requirement.opens.isoformat()}
        if covering is not None:
            detail.update(covered_by_waiver=covering.id,
                          waived_until=covering.waived_until.isoformat())
        elif ended is not None:
            detail["waiver_ended"] = ended.waived_until.isoformat()
        detail["due_on"] = due.isoformat()
        return detail

    return cycle.label, _Want(due, requirement.id, reason, explain, covering)

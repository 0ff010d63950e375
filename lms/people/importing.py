"""Running an HR import: check the file, and apply the plan in one transaction or not at all.

The apply is set-based: the new people's ids are reserved first, so every manager (new or
stored) is known by id; the rows to write go into a temporary table (COPY on PostgreSQL,
batched INSERTs on SQLite); then one INSERT ... SELECT and one UPDATE ... FROM write everyone,
managers included. The number of statements does not grow with the file.

Nothing commits here: the command or the view commits once, so any exception (or a plan with
errors) leaves the database as it was. The requirement sync runs in the same transaction, so
the new org chart and the assignments it implies are committed together.

The sync looks only at the people the import may have moved in or out of an audience (see
``affected``), so its cost follows the size of the change, not of the company; an import that
changes nothing writes nothing but its audit entry. Whatever depends on the date alone (a new
cycle, a waiver ending, a hire date reached) is the nightly sync's work, as it would be
without an import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)

from lms.audit.services import record
from lms.auth.models import AuthSession
from lms.compliance.sync import sync_assignments
from lms.db import db, utcnow
from lms.people.importer import Existing, Person, Plan, load_existing, plan_import, read_file
from lms.people.models import Department, Employee, Location

# Takes a label and a total; returns a context manager giving an object with update(n)
# (click.progressbar fits). None: no progress shown.
Progress = Callable[[str, int], AbstractContextManager]
BATCH = 10_000
# pg_advisory_xact_lock key: one import at a time (a constant; the value means nothing).
LOCK_KEY = 7_270_101

_temp = MetaData()
_rows = Table(
    "hr_import_rows", _temp,
    Column("id", Integer, primary_key=True), Column("is_new", Boolean),
    Column("employee_number", Text), Column("full_name", Text), Column("email", Text),
    Column("department_id", Integer), Column("location_id", Integer),
    Column("job_title", Text), Column("manager_id", Integer), Column("hire_date", Date),
    Column("leave_date", Date), Column("gender", Text), Column("locale", Text),
    Column("active", Boolean), prefixes=["TEMPORARY"])
_WRITTEN = ("employee_number", "full_name", "email", "department_id", "location_id",
            "job_title", "manager_id", "hire_date", "leave_date", "gender", "locale", "active")
# What requirement audiences are made of (sync.audience_query): a change to any other field
# (a name, an address, the language) cannot change anyone's assignments.
AUDIENCE_FIELDS = ("department", "location", "job_title", "manager", "hire_date", "leave_date",
                   "active")
# The counts of a sync that had nobody to look at.
NO_SYNC = {"created": 0, "updated": 0, "closed": 0, "unchanged": 0, "paused": 0, "resumed": 0,
           "reopened": 0}


class ImportRefused(RuntimeError):
    """apply_plan was given a plan with errors."""


@dataclass
class ImportResult:
    plan: Plan
    sha256: str
    applied: bool = False
    sync: dict | None = None


class _Quiet:
    def update(self, _n: int) -> None:
        pass


def _stage(progress: Progress | None, label: str, total: int) -> AbstractContextManager:
    return progress(label, total) if progress is not None else nullcontext(_Quiet())


def lock_people() -> None:
    """Hold the import lock until the transaction ends, so two imports never interleave. On
    SQLite the transaction's write lock already does this."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))


def check_file(data: bytes, name: str, fmt: str | None, today: date, *,
               deactivate_missing: bool = False,
               progress: Progress | None = None) -> tuple[Plan, Existing]:
    """The dry run: read the file, snapshot the stored people, plan. Writes nothing. Raises
    importer.ImportFileError if the file cannot be read."""
    raw = read_file(data, name, fmt)
    existing = load_existing()
    with _stage(progress, "Checking", raw.total) as bar:
        plan = plan_import(raw, existing, today, deactivate_missing=deactivate_missing,
                           on_rows=bar.update)
    return plan, existing


def run_import(data: bytes, name: str, fmt: str | None, today: date, *, apply: bool,
               deactivate_missing: bool = False, actor=None, actor_text: str | None = None,
               ip: str | None = None, progress: Progress | None = None) -> ImportResult:
    """Check the file and, if asked and it has no errors, apply it. Flushes, never commits:
    the caller commits on ``applied`` and rolls back otherwise."""
    if apply:
        lock_people()  # before the snapshot, so the plan is made against what it changes
    plan, existing = check_file(data, name, fmt, today, deactivate_missing=deactivate_missing,
                                progress=progress)
    result = ImportResult(plan, hashlib.sha256(data).hexdigest())
    if apply and plan.ok:
        result.sync = apply_plan(plan, existing, today, progress=progress)
        record("import", actor=actor, actor_text=actor_text, ip=ip, detail={
            "file": name[:200], "sha256": result.sha256, "format": plan.fmt,
            "deactivate_missing": deactivate_missing,
            **{k: v for k, v in plan.summary().items() if k not in ("errors", "warnings")},
            "sync": result.sync})
        db.session.flush()
        result.applied = True
    return result


def apply_plan(plan: Plan, existing: Existing, today: date, *,
               progress: Progress | None = None) -> dict:
    """Write the plan: new departments and locations, new and changed people with their
    managers, deactivations (their sessions end, their records stay), then the requirement
    sync of the people affected. Returns the sync's counts and ``people``, how many it looked
    at. Flushes, never commits."""
    if not plan.ok:
        raise ImportRefused("the plan has errors; nothing may be applied")
    if not (plan.adds or plan.writes or plan.ended_ids):
        return {**NO_SYNC, "people": 0}  # the file is what is stored: nothing to write
    now = utcnow()
    with _stage(progress, "Applying", len(plan.adds) + len(plan.writes)
                + len(plan.ended_ids) + 1) as bar:
        departments = _ensure_names(Department, plan.new_departments, existing.departments)
        locations = _ensure_names(Location, plan.new_locations, existing.locations)
        ids = _link_managers(plan, existing)
        rows = [_row(p, False, ids, departments, locations) for p in plan.writes]
        rows += [_row(p, True, ids, departments, locations) for p in plan.adds]
        _create_temp_table()
        _fill(rows, bar)
        del rows
        if plan.email_moves:
            _park_moving_emails()
        _write_people(now)
        _drop_temp_table()
        _deactivate(plan.ended_ids, now, bar)
        db.session.flush()
        db.session.expire_all()
        people = affected(plan, existing, ids)
        counts = sync_assignments(today, people) if people else dict(NO_SYNC)
        bar.update(1)
    return {**counts, "people": len(people)}


def affected(plan: Plan, existing: Existing, ids: dict[str, int]) -> set[int]:
    """The ids of everyone whose requirements the plan may change: the people added, the
    people whose audience fields change (department, location, job title, manager, hire and
    leave dates, active), and the managers they leave and join, who may stop or start being
    managers (the manager track's audience: someone with a present report). No audience
    depends on anyone else, so nobody else can move."""
    stored = existing.people
    people: set[int] = set()

    def moved(person: Person, old: Person | None) -> None:
        people.add(ids[person.number])
        for number in (person.manager, old.manager if old is not None else None):
            if number is not None:
                people.add(ids[number])

    for person in plan.adds:
        moved(person, None)
    for person in plan.writes:
        old = stored[person.number]
        if any(getattr(person, name) != getattr(old, name) for name in AUDIENCE_FIELDS):
            moved(person, old)
    for _row, old, _why in plan.deactivations:
        moved(old, old)  # deactivated for being missing from the file: as stored
    return people


def _ensure_names(model, names: Sequence[str], known: dict[str, int]) -> dict[str, int]:
    """Create the departments (or locations) not stored yet; every name's id."""
    if names:
        db.session.execute(insert(model), [{"name": name} for name in names])
        known = {**known, **dict(db.session.execute(
            select(model.name, model.id).where(model.name.in_(names))).all())}
    return known


def _reserve_ids(count: int) -> list[int]:
    """Ids for the new people, taken before they are inserted, so that everyone's manager
    (new or stored) is known as an id and the people and their links are written in one
    pass. An insert followed by an update of the same rows would cost twice, and more on
    PostgreSQL, which re-checks the foreign keys of rows updated in the transaction that
    inserted them."""
    if count == 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(Employee.__tablename__, "id")
        return list(db.session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    # SQLite: the transaction holds the write lock, so nobody takes these meanwhile.
    top = db.session.scalar(select(func.coalesce(func.max(Employee.id), 0)))
    return list(range(top + 1, top + 1 + count))


def _link_managers(plan: Plan, existing: Existing) -> dict[str, int]:
    """Every employee number's id, the new people's included: how managers are linked."""
    ids = {number: person.id for number, person in existing.people.items()}
    ids.update(zip((p.number for p in plan.adds), _reserve_ids(len(plan.adds)), strict=True))
    return ids


def _row(person, is_new: bool, ids: dict[str, int], departments: dict[str, int],
         locations: dict[str, int]) -> tuple:
    return (ids[person.number], is_new, person.number, person.full_name, person.email,
            departments[person.department] if person.department else None,
            locations[person.location] if person.location else None, person.job_title,
            ids[person.manager] if person.manager else None, person.hire_date,
            person.leave_date, person.gender, person.locale, person.active)


def _create_temp_table() -> None:
    connection = db.session.connection()
    _rows.drop(connection, checkfirst=True)
    _rows.create(connection)


def _drop_temp_table() -> None:
    _rows.drop(db.session.connection())


def _fill(rows: Sequence[tuple], bar) -> None:
    """Load the rows into the temporary table: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    names = [column.name for column in _rows.columns]
    if connection.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(_rows.name), sql.SQL(", ").join(map(sql.Identifier, names)))
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for done, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if done % BATCH == 0:
                        bar.update(BATCH)
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(_rows.name)))
        bar.update(len(rows) % BATCH)
        return
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        connection.execute(_rows.insert(), [dict(zip(names, row, strict=True)) for row in chunk])
        bar.update(len(chunk))


def _park_moving_emails() -> None:
    """Give everyone whose address changes a unique placeholder first, so addresses can pass
    from one person to another (or swap) without tripping the unique index half-way."""
    employees = Employee.__table__
    db.session.execute(
        update(employees)
        .where(employees.c.id == _rows.c.id, _rows.c.is_new.is_(False),
               employees.c.email != _rows.c.email)
        .values(email=literal("#hr-import-") + cast(employees.c.id, String)))


def _write_people(now) -> None:
    """Insert the new people, then update the changed ones (who may now report to a new
    person). Foreign keys are checked at the end of each statement, so a new person may
    report to another new person further down the file."""
    employees = Employee.__table__
    stamp = employees.c.created_at.type
    db.session.execute(insert(employees).from_select(
        ["id", *_WRITTEN, "created_at", "updated_at"],
        select(_rows.c.id, *(_rows.c[name] for name in _WRITTEN), literal(now, stamp),
               literal(now, stamp))
        .where(_rows.c.is_new.is_(True))))
    db.session.execute(
        update(employees)
        .where(employees.c.id == _rows.c.id, _rows.c.is_new.is_(False))
        .values(**{name: _rows.c[name] for name in _WRITTEN if name != "employee_number"},
                updated_at=now))


def _deactivate(employee_ids: Iterable[int], now, bar) -> None:
    """What people.services.deactivate does for one person (inactive, every session ended,
    records kept), for all the leavers at once."""
    ids = list(employee_ids)
    employees, sessions = Employee.__table__, AuthSession.__table__
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        db.session.execute(update(employees)
                           .where(employees.c.id.in_(chunk), employees.c.active.is_(True))
                           .values(active=False, updated_at=now))
        db.session.execute(update(sessions).where(sessions.c.employee_id.in_(chunk),
                                                  sessions.c.revoked_at.is_(None))
                           .values(revoked_at=now))
        bar.update(len(chunk))

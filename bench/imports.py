"""The HR import on the seeded company, as ``flask people import FILE --apply`` runs it
(read, snapshot, check, apply, requirement sync, audit entry), against PostgreSQL's COPY of
the same file into a scratch table: the least any import must do is read the file into the
database.

``import-noop``: a file of everyone as stored, so nothing changes.
``import-new``: a file of as many people again, all new (their own org tree), so everyone is
added and the requirement sync assigns them their courses.

Every run is rolled back (and on PostgreSQL the written tables vacuumed, untimed)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import text

from bench.harness import Result, Step, compare
from bench.scratch import WRITTEN, is_postgresql
from lms.db import db
from lms.people.importer import KNOWN_COLUMNS, load_existing
from lms.people.importing import run_import

COLUMNS = ("employee_number", "full_name", "email", "department", "location", "job_title",
           "manager_employee_number", "hire_date", "leave_date", "locale")


def people_csv(new: bool = False) -> bytes:
    """Everyone stored, in the HR import's CSV format; ``new``: the same people under new
    employee numbers and addresses, reporting to each other, as a file of new hires."""
    def number(value: str | None) -> str | None:
        return f"N{value}" if new and value else value

    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for person in load_existing().people.values():
        writer.writerow((
            number(person.number), person.full_name,
            f"new.{person.email}" if new else person.email, person.department or "",
            person.location or "", person.job_title or "", number(person.manager) or "",
            person.hire_date.isoformat() if person.hire_date else "",
            person.leave_date.isoformat() if person.leave_date else "", person.locale or ""))
    return stream.getvalue().encode("utf-8")


def copy_file(data: bytes) -> None:
    """The floor: the file's bytes into a scratch table of text columns."""
    columns = ", ".join(f"{name} text" for name in COLUMNS)
    connection = db.session.connection()
    connection.execute(text(f"CREATE TEMPORARY TABLE bench_import ({columns})"))
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
                "COPY bench_import FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            copy.write(data)
        return
    rows = csv.reader(io.StringIO(data.decode("utf-8")))
    next(rows)
    marks = ", ".join("?" for _ in COLUMNS)
    connection.connection.driver_connection.executemany(
        f"INSERT INTO bench_import VALUES ({marks})", rows)


def _undo() -> None:
    db.session.rollback()
    if is_postgresql():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM employees, audit_events, {', '.join(WRITTEN)}")


def run(employees: int, today: date, new: bool, runs: int = 5) -> Result:
    assert set(COLUMNS) <= set(KNOWN_COLUMNS)
    data = people_csv(new)
    db.session.rollback()
    outcome: dict = {}

    def ours():
        result = run_import(data, "people.csv", "csv", today, apply=True,
                            actor_text="benchmark")
        db.session.flush()
        outcome.update(result.plan.summary())
        outcome["applied"] = result.applied
        outcome["sync"] = result.sync

    def floor():
        copy_file(data)

    kind = "all new" if new else "no changes"
    result = compare(f"HR import, {kind}, {employees} employees", Step(ours, teardown=_undo),
                     Step(floor, teardown=db.session.rollback), target_ratio=5.0, runs=runs)
    if not outcome["applied"]:
        raise RuntimeError(f"the import was refused: {outcome}")
    expected = ("added", outcome["rows"]) if new else ("unchanged", outcome["rows"])
    if outcome[expected[0]] != expected[1]:
        raise RuntimeError(f"the import did not do what the benchmark says: {outcome}")
    result.detail = {"rows": outcome["rows"], "file_mb": round(len(data) / 1e6, 1),
                     "added": outcome["added"], "updated": outcome["updated"],
                     "unchanged": outcome["unchanged"], "sync": outcome["sync"]}
    return result

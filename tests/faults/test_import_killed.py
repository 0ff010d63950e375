"""``flask --app lms people import FILE --apply`` killed with SIGKILL part-way leaves the
database exactly as before (the whole import is one transaction), and running it again imports
everything."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.db import db
from lms.people.models import Department, Employee, Location
from tests.faults.killed import kill_after, run_command

pytestmark = pytest.mark.slow

PEOPLE = 300


def _file(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["employee_number", "full_name", "email", "department", "location",
                     "manager_employee_number", "hire_date"])
    for n in range(PEOPLE):
        manager = "" if n < 10 else f"H{n % 10:05d}"
        writer.writerow([f"H{n:05d}", f"Person {n}", f"h{n}@example.com", f"Dept {n % 7}",
                         f"Site {n % 3}", manager, "2024-01-15"])
    path = tmp_path / "people.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _state() -> dict:
    db.session.rollback()
    state = {
        "employees": db.session.scalar(select(func.count()).select_from(Employee)),
        "managed": db.session.scalar(select(func.count()).select_from(Employee).where(
            Employee.manager_id.is_not(None))),
        "departments": db.session.scalar(select(func.count()).select_from(Department)),
        "locations": db.session.scalar(select(func.count()).select_from(Location)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
    }
    db.session.rollback()
    return state



@pytest.mark.parametrize(("statement", "nth"), [
    ("INSERT INTO employees", 1),  # the first people, after the new departments
    ("INSERT INTO audit_events", 1),  # the import's last writes, just before COMMIT
], ids=["first-write", "last-write"])
def test_a_killed_import_changes_nothing_and_the_next_run_imports_everything(
        app, migrated, tmp_path, statement, nth):
    path = _file(tmp_path)
    before = _state()
    assert before["employees"] == 0
    command = ["people", "import", str(path), "--apply"]
    kill_after(command, statement, nth, migrated, tmp_path)
    assert _state() == before  # all or nothing: nothing

    done = run_command(command, migrated, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    after = _state()
    assert after["employees"] == PEOPLE
    assert after["managed"] == PEOPLE - 10
    assert (after["departments"], after["locations"]) == (7, 3)
    assert after["audit"] > before["audit"]
    # Every stored person is whole: e-mail and department set, no half-written row.
    assert db.session.scalar(select(func.count()).select_from(Employee).where(sa.or_(
        Employee.email.is_(None), Employee.department_id.is_(None)))) == 0
    db.session.rollback()

    again = run_command(command, migrated, tmp_path)  # and once more: nothing left to do
    assert again.returncode == 0, again.stdout + again.stderr
    assert _state()["employees"] == PEOPLE

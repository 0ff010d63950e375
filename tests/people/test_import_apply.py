"""Applying an HR import: dry run vs apply, all-or-nothing, leavers, managers, re-imports."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from courses.models import Course
from lms.audit.models import AuditEvent
from lms.auth.models import AuthSession
from lms.auth.services import hash_password
from lms.compliance.models import Assignment, Requirement
from lms.compliance.sync import sync_assignments
from lms.db import db
from lms.people import importing
from lms.people.models import Department, Employee, Location
from tests.conftest import PASSWORD
from tests.people.conftest import TODAY, csv_bytes, json_bytes, person


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> list[tuple]:
    """Everything the import may touch, to compare before and after."""
    db.session.expire_all()
    boss = aliased(Employee)
    people = db.session.execute(
        select(Employee.employee_number, Employee.full_name, Employee.email,
               Employee.department_id, Employee.location_id, Employee.job_title,
               boss.employee_number, Employee.hire_date, Employee.leave_date, Employee.locale,
               Employee.gender, Employee.active, Employee.updated_at)
        .outerjoin(boss, boss.id == Employee.manager_id).order_by(Employee.employee_number)
    ).all()
    return [*people, count(Department), count(Location), count(AuditEvent),
            db.session.scalar(select(func.count()).select_from(AuthSession)
                              .where(AuthSession.revoked_at.is_(None)))]


def managers() -> dict[str, str | None]:
    boss = aliased(Employee)
    return dict(db.session.execute(
        select(Employee.employee_number, boss.employee_number)
        .outerjoin(boss, boss.id == Employee.manager_id)).all())


FILE = [person("E1", "Ada Lovelace", job_title="CEO", department="Board"),
        person("E2", "Li Na", manager_employee_number="E4", location="Shanghai"),
        person("E3", "王芳", manager_employee_number="E1", locale="zh-Hans"),
        person("E4", "Grace Hopper", manager_employee_number="E1", gender=" female ")]


def test_a_dry_run_changes_nothing(do_import):
    before = snapshot()
    result = do_import(csv_bytes(FILE), apply=False)
    assert not result.applied
    assert result.plan.summary()["added"] == 4
    assert snapshot() == before


def test_apply_adds_people_and_links_managers_defined_later(do_import):
    result = do_import(csv_bytes(FILE))
    assert result.applied
    plan = result.plan
    assert plan.summary() | {} == {
        "rows": 4, "added": 4, "updated": 0, "unchanged": 0, "deactivated": 0,
        "reactivated": 0, "managers_linked": 3, "new_managers": 2, "new_departments": 2,
        "new_locations": 2, "errors": 0, "warnings": 0}
    assert managers() == {"E1": None, "E2": "E4", "E3": "E1", "E4": "E1"}
    grace = db.session.scalar(select(Employee).where(Employee.employee_number == "E4"))
    assert (grace.gender, grace.email, grace.locale, grace.active) == (
        "female", "e4@example.com", "en", True)
    assert grace.department.name == "Sales" and grace.location.name == "Hangzhou"
    assert grace.hire_date == date(2024, 1, 15) and grace.password_hash is None
    assert db.session.scalar(select(Employee.locale).where(
        Employee.employee_number == "E3")) == "zh-Hans"
    assert sorted(db.session.scalars(select(Department.name))) == ["Board", "Sales"]
    entry = db.session.scalar(select(AuditEvent))
    assert entry.action == "import" and entry.actor == "test"
    assert entry.detail["file"] == "people.csv" and entry.detail["sha256"] == result.sha256
    assert (entry.detail["added"], entry.detail["updated"], entry.detail["deactivated"]) == (
        4, 0, 0)


def test_importing_the_same_file_again_changes_nothing(do_import):
    do_import(csv_bytes(FILE))
    before = snapshot()
    result = do_import(csv_bytes(FILE))
    summary = result.plan.summary()
    assert (summary["updated"], summary["added"], summary["unchanged"]) == (0, 0, 4)
    assert summary["managers_linked"] == 0
    assert snapshot()[:4] == before[:4]  # people untouched (updated_at too)


def test_updates_are_listed_field_by_field_and_applied(do_import):
    do_import(csv_bytes(FILE))
    changed = [dict(row) for row in FILE]
    changed[1].update(manager_employee_number="E1", job_title="Engineer",
                      email="LI.NA@Example.com")
    changed[2].update(department="Research", leave_date="2030-01-01")
    result = do_import(csv_bytes(changed))
    updates = {u.new.number: u.fields for u in result.plan.updates}
    assert updates == {"E2": ("email", "job_title", "manager"),
                       "E3": ("department", "leave_date")}
    assert result.plan.new_departments == ["Research"]
    assert managers()["E2"] == "E1"
    li = db.session.scalar(select(Employee).where(Employee.employee_number == "E2"))
    assert (li.email, li.job_title) == ("li.na@example.com", "Engineer")
    # A future leave date keeps the person active.
    assert db.session.scalar(select(Employee.active).where(Employee.employee_number == "E3"))


def test_columns_the_file_does_not_have_are_kept(do_import):
    do_import(csv_bytes(FILE))
    header = ("employee_number", "full_name", "email")
    rows = [[r["employee_number"], r["full_name"] + " Jr", r["email"]] for r in FILE]
    result = do_import(csv_bytes(rows, header=header))
    assert {u.fields for u in result.plan.updates} == {("full_name",)}
    assert managers() == {"E1": None, "E2": "E4", "E3": "E1", "E4": "E1"}
    assert db.session.scalar(select(Employee.job_title).where(
        Employee.employee_number == "E1")) == "CEO"


def test_nothing_is_applied_while_there_are_errors(do_import, make_employee):
    make_employee("Stored", employee_number="S1")
    before = snapshot()
    rows = [*FILE, person("E5", email="broken")]
    result = do_import(csv_bytes(rows))
    assert not result.applied and len(result.plan.errors) == 1
    assert snapshot() == before
    with pytest.raises(importing.ImportRefused):
        importing.apply_plan(result.plan, importing.load_existing(), TODAY)


@pytest.mark.parametrize("step", ["_write_people", "_deactivate", "sync_assignments"])
def test_a_crash_half_way_applies_nothing(app, do_import, make_employee, monkeypatch, runner,
                                          tmp_path, step):
    """Through the command, in the app's own context: its transactions are the production
    ones (the test's twin context reads in autocommit mode on SQLite)."""
    do_import(csv_bytes(FILE))
    make_employee("Stored", employee_number="S1")
    before = snapshot()
    real = getattr(importing, step)

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the step's writes happen, then it fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, step, crash)
    changed = [dict(row, job_title="Changed") for row in FILE]
    changed[3]["leave_date"] = "2026-01-31"
    changed.append(person("E9", "New Person", department="Brand New",
                          manager_employee_number="E2"))
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(changed))
    with app.app_context():
        result = runner.invoke(args=["people", "import", str(path), "--apply",
                                     "--deactivate-missing"])
    assert isinstance(result.exception, RuntimeError), result.output
    assert snapshot() == before
    monkeypatch.setattr(importing, step, real)
    with app.app_context():
        result = runner.invoke(args=["people", "import", str(path), "--apply",
                                     "--deactivate-missing"])
    assert result.exit_code == 0, result.output
    assert snapshot() != before


def test_leavers_are_deactivated_signed_out_and_their_training_closed(
        app, do_import, login):
    do_import(csv_bytes(FILE))
    grace = db.session.scalar(select(Employee).where(Employee.employee_number == "E4"))
    grace.password_hash = hash_password(PASSWORD)
    db.session.commit()
    browser = app.test_client()
    login(browser, "e4@example.com")
    course = Course(slug="code-of-conduct")
    db.session.add(course)
    db.session.flush()
    db.session.add(Requirement(course_id=course.id, name="Everyone", audience={"everyone": True},
                               recurrence="once", starts_on=date(2026, 1, 1)))
    db.session.commit()
    sync_assignments(TODAY)
    db.session.commit()
    open_before = db.session.scalar(select(Assignment.status).where(
        Assignment.employee_id == grace.id))
    assert open_before == "assigned"

    leaving = [dict(row) for row in FILE]
    leaving[3]["leave_date"] = TODAY.isoformat()  # leaving today counts
    result = do_import(csv_bytes(leaving))
    assert [(row, p.number, why) for row, p, why in result.plan.deactivations] == [
        (5, "E4", "leave_date")]
    assert result.sync["closed"] == 1
    db.session.expire_all()
    grace = db.session.get(Employee, grace.id)
    assert not grace.active and grace.leave_date == TODAY
    assert db.session.scalar(select(func.count()).select_from(AuthSession).where(
        AuthSession.employee_id == grace.id, AuthSession.revoked_at.is_(None))) == 0
    assert db.session.scalar(select(Assignment.status).where(
        Assignment.employee_id == grace.id)) == "closed"
    assert browser.get("/training").status_code == 302  # signed out
    # The record is kept, and her reports are flagged.
    assert count(Employee) == 4
    assert any(p.code == "inactive_manager" for p in result.plan.warnings)


def test_reimporting_after_a_leave_reactivates_a_rehire(do_import):
    leaving = [dict(row) for row in FILE]
    leaving[1]["leave_date"] = "2025-12-31"
    do_import(csv_bytes(leaving))
    assert not db.session.scalar(select(Employee.active).where(Employee.employee_number == "E2"))
    result = do_import(csv_bytes(FILE))
    assert [p.number for p in result.plan.reactivations] == ["E2"]
    assert db.session.scalar(select(Employee.active).where(Employee.employee_number == "E2"))


def test_people_missing_from_the_file_are_kept_unless_asked(do_import, make_employee):
    make_employee("Not In File", employee_number="S1")
    result = do_import(csv_bytes(FILE))
    assert result.plan.deactivations == []
    assert db.session.scalar(select(Employee.active).where(Employee.employee_number == "S1"))
    result = do_import(csv_bytes(FILE), deactivate_missing=True)
    assert [(row, p.number, why) for row, p, why in result.plan.deactivations] == [
        (None, "S1", "missing")]
    assert not db.session.scalar(select(Employee.active).where(
        Employee.employee_number == "S1"))


def test_people_can_swap_email_addresses(do_import):
    do_import(csv_bytes(FILE))
    swapped = [dict(row) for row in FILE]
    swapped[0]["email"], swapped[1]["email"] = FILE[1]["email"], FILE[0]["email"]
    swapped.append(person("E5", email="e3@example.com"))  # a newcomer takes E3's old address
    swapped[2]["email"] = "wang.fang@example.com"
    result = do_import(csv_bytes(swapped))
    assert result.applied, [p.message for p in result.plan.problems]
    emails = dict(db.session.execute(select(Employee.employee_number, Employee.email)).all())
    assert emails == {"E1": "e2@example.com", "E2": "e1@example.com",
                      "E3": "wang.fang@example.com", "E4": "e4@example.com",
                      "E5": "e3@example.com"}


def test_someone_who_already_left_is_added_inactive(do_import):
    result = do_import(csv_bytes([person("E1", hire_date="2019-01-01",
                                         leave_date="2020-01-01")]))
    assert result.applied and result.plan.deactivations == []
    assert not db.session.scalar(select(Employee.active))


def test_json_keys_left_out_are_kept_and_null_clears(do_import):
    do_import(csv_bytes(FILE))
    records = [{"employee_number": "E2", "full_name": "Li Na", "email": "e2@example.com",
                "job_title": "Lead", "manager_employee_number": None},
               {"employee_number": "E3", "full_name": "王芳", "email": "e3@example.com",
                "locale": ""}]
    result = do_import(json_bytes(records), name="people.json")
    assert {u.new.number: u.fields for u in result.plan.updates} == {
        "E2": ("job_title", "manager")}
    assert managers()["E2"] is None
    li = db.session.scalar(select(Employee).where(Employee.employee_number == "E2"))
    assert (li.job_title, li.department.name, li.location.name) == ("Lead", "Sales", "Shanghai")
    assert db.session.scalar(select(Employee.locale).where(
        Employee.employee_number == "E3")) == "zh-Hans"


def test_the_number_of_statements_does_not_grow_with_the_file(app, do_import):
    from sqlalchemy import event

    def statements(rows: list[dict]) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert do_import(csv_bytes(rows)).applied
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def org(prefix: str, size: int) -> list[dict]:
        return [person(f"{prefix}{i}", manager_employee_number=f"{prefix}{i // 8}" if i else "",
                       department=f"Dept {prefix}{i % 3}", location=f"Site {prefix}",
                       leave_date="2026-01-01" if i % 20 == 7 else "") for i in range(size)]

    assert statements(org("A", 40)) == statements(org("B", 800))

"""An HR import syncs only the people it may have moved: the result must be exactly what a
full sync would leave, and an import that changes nothing writes nothing but its audit entry."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import aliased

from courses.models import Course
from lms.audit.models import AuditEvent
from lms.compliance.leave import record_leave
from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.compliance.sync import sync_assignments
from lms.compliance.waivers import waive
from lms.db import db
from lms.people import importing
from lms.people.models import Employee
from tests.people.conftest import TODAY, csv_bytes, person


def company() -> list[dict]:
    """Three teams under a CEO; managers E2 to E4; someone about to start (E5)."""
    rows = [person("E1", job_title="CEO", department="Board", hire_date="2015-01-01")]
    for boss, department, location in (("E2", "Sales", "Hangzhou"),
                                       ("E3", "Research", "Shanghai"),
                                       ("E4", "Legal", "Hangzhou")):
        rows.append(person(boss, job_title="Lead", department=department, location=location,
                           manager_employee_number="E1", hire_date="2018-06-01"))
        for i in range(4):
            number = f"{boss}{i}"
            rows.append(person(number, job_title="Engineer" if i % 2 else "Analyst",
                               department=department, location=location,
                               manager_employee_number=boss,
                               hire_date=f"20{20 + i}-0{i + 1}-10"))
    rows.append(person("E5", department="Legal", manager_employee_number="E4",
                       hire_date="2026-04-01"))
    return rows


def requirements() -> None:
    """One of each kind of audience and recurrence."""
    def course(slug: str) -> Course:
        made = Course(slug=slug)
        db.session.add(made)
        db.session.flush()
        return made

    start = date(2025, 1, 1)
    db.session.add_all([
        Requirement(course_id=course("conduct").id, name="Everyone", audience={"everyone": True},
                    recurrence="calendar", deadline_month=12, deadline_day=31, starts_on=start),
        Requirement(course_id=course("harassment").id, name="New hires",
                    audience={"new_hires": True}, recurrence="calendar", deadline_month=6,
                    deadline_day=30, due_days_after_entry=30, starts_on=start),
        Requirement(course_id=course("managers").id, name="Managers", audience={"managers": True},
                    recurrence="once", due_days_after_entry=60, starts_on=start),
        Requirement(course_id=course("research").id, name="Research",
                    audience={"departments": ["Research", "Legal"]}, recurrence="rolling",
                    every_months=24, window_days=60, starts_on=start),
        Requirement(course_id=course("analysts").id, name="Analysts in Hangzhou",
                    audience={"job_titles": ["Analyst"], "locations": ["Hangzhou"]},
                    recurrence="once", starts_on=start)])
    db.session.commit()


def state() -> dict:
    """Every row the sync writes, by natural keys (ids and timestamps differ between runs)."""
    db.session.flush()
    holder = aliased(Employee)
    assignments = sorted(db.session.execute(
        select(holder.employee_number, Assignment.course_id, Assignment.cycle,
               Assignment.status, Assignment.assigned_on, Assignment.due_on,
               Assignment.requirement_id, Assignment.reason, Assignment.waived_until,
               Assignment.paused_on, Assignment.leave_days)
        .join(holder, holder.id == Assignment.employee_id)).all())
    events = sorted((row[0], row[1], row[2], row[3], sorted(row[4].items()))
                    for row in db.session.execute(
        select(holder.employee_number, Assignment.course_id, Assignment.cycle,
               AssignmentEvent.kind, AssignmentEvent.detail)
        .join(Assignment, Assignment.id == AssignmentEvent.assignment_id)
        .join(holder, holder.id == Assignment.employee_id)).all())
    members = sorted(db.session.execute(
        select(RequirementMember.requirement_id, holder.employee_number,
               RequirementMember.entered_on)
        .join(holder, holder.id == RequirementMember.employee_id)).all())
    synced = sorted(db.session.execute(select(Requirement.id, Requirement.last_synced_on)).all())
    return {"assignments": assignments, "events": events, "members": members,
            "synced": synced}


@pytest.fixture
def synced_company(do_import):
    """The company imported and fully synced today, with some history: a completed
    assignment, a waiver, someone on leave."""
    requirements()
    assert do_import(csv_bytes(company())).applied
    sync_assignments(TODAY)
    db.session.commit()
    ids = dict(db.session.execute(select(Employee.employee_number, Employee.id)).all())
    first = db.session.scalar(select(Assignment).where(Assignment.employee_id == ids["E30"])
                              .order_by(Assignment.id).limit(1))
    first.status = "completed"
    waived = db.session.scalar(select(Assignment.id).where(Assignment.employee_id == ids["E21"])
                               .order_by(Assignment.id).limit(1))
    waive(waived, date(2026, 5, 1), "secondment", ids["E1"], TODAY)
    record_leave(ids["E31"], date(2026, 3, 1), None, "parental", ids["E1"], TODAY)
    db.session.commit()
    sync_assignments(TODAY)
    db.session.commit()
    return ids


def changed_company() -> list[dict]:
    rows = {row["employee_number"]: dict(row) for row in company()}
    rows["E20"].update(department="Research", location="Shanghai")  # into Research's audience
    rows["E30"].update(department="Sales", job_title="Analyst", location="Hangzhou")
    rows["E21"].update(manager_employee_number="E3")  # E2 -> E3
    # E4 stops managing (E5 is not there yet): the team moves to E3 and E22, or leaves.
    rows["E40"].update(manager_employee_number="E3")
    rows["E41"].update(manager_employee_number="E3")
    rows["E42"].update(leave_date="2026-03-01")  # gone: deactivated
    rows["E43"].update(manager_employee_number="E22")  # E22 becomes a manager
    rows["E23"].update(hire_date="2026-03-01")  # re-hired: a new hire again
    rows["E33"].update(full_name="Renamed Only")  # changes nobody's training
    rows["N1"] = person("N1", department="Legal", manager_employee_number="E32",
                        job_title="Analyst", hire_date="2026-03-10")
    rows["N2"] = person("N2", department="Research", manager_employee_number="N1",
                        hire_date="2026-03-15")
    del rows["E31"]  # on leave, missing from the file: deactivated with --deactivate-missing
    return list(rows.values())


def run_import(app, data: bytes, *, full: bool, monkeypatch, **options) -> tuple[dict, dict]:
    """The import, its sync scoped (as shipped) or full; the state it leaves, rolled back.
    In the app's own context: its transactions are the production ones (the test's twin
    context does not roll back on SQLite)."""
    if full:
        monkeypatch.setattr(importing, "sync_assignments",
                            lambda today, people=None: sync_assignments(today))
    with app.app_context():
        result = importing.run_import(data, "people.csv", "csv", TODAY, apply=True,
                                      actor_text="test", **options)
        assert result.applied, [p.message for p in result.plan.problems]
        after = state()
        db.session.rollback()
    monkeypatch.undo()
    return after, result.sync


def test_a_scoped_sync_leaves_what_a_full_sync_would(app, synced_company, monkeypatch):
    data = csv_bytes(changed_company())
    scoped, counts = run_import(app, data, full=False, monkeypatch=monkeypatch,
                                deactivate_missing=True)
    full, full_counts = run_import(app, data, full=True, monkeypatch=monkeypatch,
                                   deactivate_missing=True)
    assert scoped == full
    assert counts["created"] == full_counts["created"] > 0
    assert counts["closed"] == full_counts["closed"] > 0
    assert (counts["updated"], counts["reopened"]) == (full_counts["updated"],
                                                       full_counts["reopened"])
    # Nobody else was looked at: the other teams' assignments were not even counted.
    assert counts["unchanged"] < full_counts["unchanged"]
    # E20, E30, E21, E40-E43, E23, N1, N2, E31, and the managers E2, E3, E4, E22, E32
    assert counts["people"] == 16


@pytest.mark.parametrize("change", [
    {"E20": {"department": "Research"}},
    {"E21": {"manager_employee_number": "E3"}},
    {"E33": {"manager_employee_number": "E22"}},
    {"E2": {"leave_date": "2026-03-10"}},
    {"E32": {"job_title": "Analyst", "location": "Hangzhou"}},
    {"E22": {"hire_date": "2026-02-01"}},
    {"E40": {"hire_date": "2026-03-01"}},
    {"E5": {"hire_date": "2026-03-01"}},
    {"E42": {"leave_date": "2026-03-15"}},
])
def test_each_kind_of_change_alone(app, synced_company, monkeypatch, change):
    rows = company()
    for row in rows:
        row.update(change.get(row["employee_number"], {}))
    data = csv_bytes(rows)
    scoped, _ = run_import(app, data, full=False, monkeypatch=monkeypatch)
    full, _ = run_import(app, data, full=True, monkeypatch=monkeypatch)
    assert scoped == full


def test_an_import_of_new_people_syncs_them_as_a_full_sync_would(app, synced_company,
                                                                   monkeypatch):
    rows = [person(f"N{i}", department="Research" if i % 2 else "Sales",
                   job_title="Analyst", location="Hangzhou",
                   manager_employee_number=f"N{i // 3}" if i else "E1",
                   hire_date=f"2026-03-0{i % 9 + 1}") for i in range(12)]
    data = csv_bytes(rows)
    scoped, counts = run_import(app, data, full=False, monkeypatch=monkeypatch)
    full, _ = run_import(app, data, full=True, monkeypatch=monkeypatch)
    assert scoped == full
    assert counts["people"] == 13  # the twelve and E1, their first manager


def test_an_import_that_changes_nothing_writes_only_its_audit_entry(synced_company, app,
                                                                     do_import):
    before = state()
    audit = db.session.scalar(select(func.count()).select_from(AuditEvent))
    seen: list[str] = []

    def listener(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = do_import(csv_bytes(company()))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert result.applied and result.sync == {**importing.NO_SYNC, "people": 0}
    writes = [s for s in seen
              if not s.lstrip().upper().startswith(("SELECT", "WITH", "BEGIN"))]
    assert len(writes) == 1 and "audit_events" in writes[0], writes
    assert state() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit + 1
    entry = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert entry.detail["unchanged"] == len(company())
    assert entry.detail["sync"]["people"] == 0


def test_a_change_to_names_only_writes_people_but_syncs_nobody(synced_company, do_import,
                                                               monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no sync needed")

    monkeypatch.setattr(importing, "sync_assignments", refuse)
    rows = [dict(row, full_name=row["full_name"] + " Jr") for row in company()]
    result = do_import(csv_bytes(rows))
    assert result.applied and result.plan.summary()["updated"] == len(rows)
    assert result.sync["people"] == 0
    assert db.session.scalar(select(Employee.full_name).where(
        Employee.employee_number == "E1")) == "Person E1 Jr"

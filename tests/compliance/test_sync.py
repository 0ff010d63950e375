"""The assignment sync: idempotent, set-based, from requirements, HR data and history."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import func, select

from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.compliance.services import explain
from lms.compliance.sync import _unchanged_calendar, sync_assignments
from lms.db import db
from lms.people.models import Employee
from tests.compliance.conftest import assignments_of, complete, counts

DAY = date(2026, 5, 4)


def sync(day: date = DAY) -> dict:
    counts = sync_assignments(day)
    db.session.commit()
    return counts


def test_sync_creates_once_and_then_changes_nothing(make_employee, make_course,
                                                    make_requirement):
    course = make_course()
    make_requirement(course)
    people = [make_employee(f"P{i}") for i in range(3)]
    assert sync() == counts(3, 0, 0, 0)
    assert sync() == counts(0, 0, 0, 3)
    assert sync(date(2026, 5, 5)) == counts(0, 0, 0, 3)
    for person in people:
        (assignment,) = assignments_of(person)
        assert (assignment.cycle, assignment.due_on, assignment.status, assignment.reason) == (
            "2026", date(2026, 12, 31), "assigned", "cycle")
    assert db.session.scalar(select(func.count()).select_from(AssignmentEvent)) == 3


def test_a_leavers_open_assignments_are_closed_and_kept(make_employee, make_course,
                                                        make_requirement, make_assignment):
    course, other = make_course(), make_course("by-hand")
    make_requirement(course)
    stays, leaves, inactive = make_employee("Stays"), make_employee("Leaves"), make_employee("I")
    make_assignment(leaves, other)  # made by hand: closed too
    sync()
    complete(assignments_of(stays)[0], date(2026, 5, 1))
    db.session.get(Employee, leaves.id).leave_date = date(2026, 6, 1)
    db.session.get(Employee, inactive.id).active = False
    db.session.commit()
    assert sync(date(2026, 5, 31))["closed"] == 1  # the inactive one only, so far
    result = sync(date(2026, 6, 1))
    assert result == counts(0, 0, 2, 1)
    assert [a.status for a in assignments_of(leaves)] == ["closed", "closed"]
    assert [a.status for a in assignments_of(inactive)] == ["closed"]
    assert [a.status for a in assignments_of(stays)] == ["completed"]
    closed = db.session.scalars(select(AssignmentEvent).where(
        AssignmentEvent.kind == "closed",
        AssignmentEvent.assignment_id == assignments_of(leaves)[0].id)).one()
    assert closed.detail["why"] == "left the company"
    assert closed.detail["leave_date"] == "2026-06-01"
    assert sync(date(2026, 6, 2)) == counts(0, 0, 0, 1)
    assert db.session.scalar(select(func.count()).select_from(RequirementMember)) == 1


def test_new_hires_are_due_within_their_window(make_employee, make_course, make_requirement):
    course = make_course("harassment-prevention")
    make_requirement(course, due_days_after_entry=30)
    veteran = make_employee("Veteran", hire_date=date(2020, 1, 1))
    sync(date(2026, 3, 1))
    spring = make_employee("Spring", hire_date=date(2026, 3, 10))
    sync(date(2026, 3, 12))  # the sync missed two days: the hire date still counts
    december = make_employee("December", hire_date=date(2026, 12, 20))
    sync(date(2026, 12, 20))
    assert [(a.due_on, a.reason) for a in assignments_of(veteran)] == [
        (date(2026, 12, 31), "cycle")]
    assert [(a.due_on, a.reason) for a in assignments_of(spring)] == [
        (date(2026, 4, 9), "new_hire")]
    assert [(a.cycle, a.due_on, a.reason) for a in assignments_of(december)] == [
        ("2026", date(2027, 1, 19), "new_hire")]
    # next year, everyone is on the calendar cycle; the December hire's first one stays
    sync(date(2027, 1, 1))
    assert [(a.cycle, a.due_on) for a in assignments_of(december)] == [
        ("2026", date(2027, 1, 19)), ("2027", date(2027, 12, 31))]
    assert [(a.cycle, a.due_on) for a in assignments_of(spring)][-1] == (
        "2027", date(2027, 12, 31))


def test_future_hires_wait_for_their_first_day(make_employee, make_course, make_requirement):
    make_requirement(make_course())
    future = make_employee("Future", hire_date=date(2026, 6, 1))
    assert sync(date(2026, 5, 31))["created"] == 0
    assert sync(date(2026, 6, 1))["created"] == 1
    assert assignments_of(future)[0].due_on == date(2026, 12, 31)


def test_promotion_to_manager_brings_the_manager_track_within_60_days(
        make_employee, make_course, make_requirement):
    course = make_course("manager-track")
    make_requirement(course, audience={"managers": True}, due_days_after_entry=60)
    boss = make_employee("Boss", hire_date=date(2015, 1, 1))
    make_employee("Report", manager=boss)
    rising = make_employee("Rising", hire_date=date(2021, 1, 1))
    assert sync(date(2026, 2, 1))["created"] == 1
    assert [(a.due_on, a.reason) for a in assignments_of(boss)] == [
        (date(2026, 12, 31), "cycle")]
    assert assignments_of(rising) == []
    make_employee("New report", manager=rising)
    result = sync(date(2026, 6, 10))
    assert result == counts(1, 0, 0, 1)
    (assignment,) = assignments_of(rising)
    assert (assignment.due_on, assignment.reason) == (date(2026, 8, 9), "entered_audience")
    assert sync(date(2026, 6, 11))["unchanged"] == 2  # the entry date is kept, not today
    info = explain(assignment.id)
    assert info["requirement"]["name"] == "manager-track (calendar)"
    assert info["computed_from"]["entered_on"] == "2026-06-10"
    assert info["computed_from"]["cycle_deadline"] == "2026-12-31"
    assert [e["kind"] for e in info["events"]] == ["created"]


def test_leaving_the_audience_closes_the_open_assignment(make_employee, make_course,
                                                         make_requirement):
    from lms.people.models import Department

    course = make_course("professional-track")
    make_requirement(course, audience={"departments": ["Human Resources"]})
    person = make_employee("HR person")
    hr = Department(name="Human Resources")
    db.session.add(hr)
    db.session.get(Employee, person.id).department = hr
    db.session.commit()
    assert sync()["created"] == 1
    db.session.get(Employee, person.id).department_id = None
    db.session.commit()
    assert sync()["closed"] == 1
    (assignment,) = assignments_of(person)
    assert assignment.status == "closed"
    assert explain(assignment.id)["events"][-1]["detail"]["why"] == "no longer in the audience"


def test_audiences_combine_with_and(make_employee, make_course, make_requirement):
    course = make_course()
    make_requirement(course, audience={"locations": ["Hangzhou"],
                                       "job_titles": ["Investigator", "HR Partner"]})
    investigator = make_employee("I", job_title="Investigator")
    make_employee("S", job_title="Sales Representative")
    assert sync()["created"] == 1
    assert len(assignments_of(investigator)) == 1


def test_two_requirements_for_one_course_make_one_assignment(make_employee, make_course,
                                                             make_requirement):
    course = make_course("harassment-prevention")
    make_requirement(course)
    new_hires = make_requirement(course, audience={"new_hires": True}, due_days_after_entry=30,
                                 starts_on=date(2026, 1, 1))
    make_employee("Old", hire_date=date(2020, 1, 1))
    young = make_employee("Young", hire_date=date(2026, 4, 20))
    assert sync()["created"] == 2
    (assignment,) = assignments_of(young)
    assert (assignment.due_on, assignment.requirement_id) == (date(2026, 5, 20), new_hires.id)


def test_calendar_cycles_follow_the_calendar(make_employee, make_course, make_requirement):
    course = make_course()
    make_requirement(course, window_days=365)  # recertify any time in the year
    person = make_employee("P")
    sync(date(2026, 1, 5))
    complete(assignments_of(person)[0], date(2026, 11, 30))
    assert sync(date(2026, 12, 31))["created"] == 0
    assert sync(date(2027, 1, 1))["created"] == 1
    assert [(a.cycle, a.status, a.due_on) for a in assignments_of(person)] == [
        ("2026", "completed", date(2026, 12, 31)), ("2027", "assigned", date(2027, 12, 31))]


def test_rolling_cycles_roll_from_the_last_completion(make_employee, make_course,
                                                      make_requirement):
    course = make_course("self-defense-basics")
    make_requirement(course, "rolling", every_months=24, window_days=60,
                     due_days_after_entry=90, starts_on=date(2026, 1, 1))
    person = make_employee("P", hire_date=date(2020, 1, 1))
    sync(date(2026, 1, 1))
    (first,) = assignments_of(person)
    assert (first.cycle, first.due_on) == ("cycle-1", date(2026, 4, 1))
    complete(first, date(2026, 6, 15))  # late: the next cycle runs from the completion
    assert sync(date(2028, 4, 15))["created"] == 0  # window opens 16 April 2028
    assert sync(date(2028, 4, 16))["created"] == 1
    second = assignments_of(person)[1]
    assert (second.cycle, second.due_on, second.reason) == (
        "cycle-2", date(2028, 6, 15), "recertification")


def test_early_recertification_in_the_window_keeps_the_next_cycles_date(
        make_employee, make_course, make_requirement):
    course = make_course("self-defense-basics")
    make_requirement(course, "rolling", every_months=24, window_days=60,
                     due_days_after_entry=90, starts_on=date(2026, 1, 1))
    person = make_employee("P", hire_date=date(2020, 1, 1))
    sync(date(2026, 1, 1))
    complete(assignments_of(person)[0], date(2026, 3, 1))
    sync(date(2028, 2, 1))  # window of cycle 2 (due 1 April 2028) opened 1 Feb
    second = assignments_of(person)[1]
    assert second.due_on == date(2028, 4, 1)
    complete(second, date(2028, 2, 20))  # early, but inside the window
    assert sync(date(2030, 1, 30))["created"] == 0  # opens 31 January
    assert sync(date(2030, 1, 31))["created"] == 1
    third = assignments_of(person)[2]
    assert (third.cycle, third.due_on) == ("cycle-3", date(2030, 4, 1))
    assert explain(third.id)["computed_from"]["in_window"] is True


def test_once_requirements_are_done_once(make_employee, make_course, make_requirement):
    course = make_course()
    make_requirement(course, "once", due_days_after_entry=14)
    person = make_employee("P", hire_date=date(2026, 5, 1))
    sync(date(2026, 5, 1))
    (assignment,) = assignments_of(person)
    assert (assignment.cycle, assignment.due_on) == ("once", date(2026, 5, 15))
    complete(assignment, date(2026, 5, 3))
    assert sync(date(2027, 5, 1)) == counts(0, 0, 0, 1)


def test_a_changed_requirement_updates_open_assignments_only(make_employee, make_course,
                                                             make_requirement):
    course = make_course()
    requirement = make_requirement(course)
    done, todo = make_employee("Done"), make_employee("Todo")
    sync()
    complete(assignments_of(done)[0], date(2026, 5, 1))
    requirement.deadline_month, requirement.deadline_day = 12, 30
    db.session.commit()
    assert sync() == counts(0, 1, 0, 1)
    assert assignments_of(todo)[0].due_on == date(2026, 12, 30)
    assert assignments_of(done)[0].due_on == date(2026, 12, 31)
    assert explain(assignments_of(todo)[0].id)["events"][-1]["detail"]["previous_due_on"] == (
        "2026-12-31")


def _statements_for_a_sync(make_employee, size: int, offset: int) -> int:
    boss = make_employee(f"Boss {offset}")
    for i in range(size - 1):
        make_employee(f"P{offset}-{i}", manager=boss if i % 3 else None,
                      job_title="Investigator" if i % 2 else "Clerk",
                      hire_date=date(2026, 5, 1) if i % 5 == 0 else date(2020, 1, 1))
    count = 0

    def before(*_args, **_kw):
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        sync_assignments(DAY)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    db.session.rollback()
    # start the next measurement from the same state: no assignments, nobody known
    for model in (AssignmentEvent, Assignment, RequirementMember):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.update(Requirement).values(last_synced_on=None))
    db.session.execute(sa.update(Employee).values(active=False))
    db.session.commit()
    return count


def test_the_sync_issues_a_bounded_number_of_statements(make_employee, make_course,
                                                        make_requirement):
    for recurrence in ("calendar", "rolling", "once"):
        make_requirement(make_course(f"c-{recurrence}"), recurrence, every_months=12,
                         due_days_after_entry=30)
    make_requirement(make_course("managers"), audience={"managers": True})
    make_requirement(make_course("titles"), audience={"job_titles": ["Investigator"],
                                                      "locations": ["Hangzhou"]})
    small = _statements_for_a_sync(make_employee, 10, 0)
    large = _statements_for_a_sync(make_employee, 100, 1)
    assert small == large
    assert small <= 18  # constant: a few reads, bulk writes (and the lock on PostgreSQL)


def test_the_cli_command_and_the_job(runner, make_employee, make_course, make_requirement):
    from lms.scheduler.runner import run_job

    make_requirement(make_course())
    make_employee("P")
    result = runner.invoke(args=["compliance", "sync", "--date", "2026-05-04"])
    assert result.exit_code == 0, result.output
    assert "created=1" in result.output
    outcome = run_job("assignment-sync")
    assert outcome["error"] is None
    assert outcome["counts"]["created"] == 0


def test_a_calendar_recertification_opens_with_its_window(make_employee, make_course,
                                                         make_requirement):
    """Certified last year: the certificate holds until this year's deadline, so the new
    cycle's assignment opens ``window_days`` before it. Not certified: from 1 January."""
    course = make_course()
    make_requirement(course, window_days=92)  # the campaign runs October to December
    certified, missed = make_employee("Certified"), make_employee("Missed")
    sync(date(2026, 1, 5))
    complete(assignments_of(certified)[0], date(2026, 6, 30))
    assert sync(date(2027, 1, 1))["created"] == 1  # the one who missed 2026
    assert [a.cycle for a in assignments_of(missed)] == ["2026", "2027"]
    assert sync(date(2027, 9, 29))["created"] == 0
    assert sync(date(2027, 9, 30))["created"] == 1  # 31 December minus 92 days
    assignment = assignments_of(certified)[1]
    assert (assignment.cycle, assignment.due_on, assignment.assigned_on) == (
        "2027", date(2027, 12, 31), date(2027, 9, 30))
    assert explain(assignment.id)["computed_from"]["window_opens"] == "2027-09-30"


def test_a_requested_sync_runs_once_soon(make_employee, make_course, make_requirement):
    from lms.compliance.requests import request_sync
    from lms.scheduler.runner import run_job

    make_requirement(make_course())
    make_employee("P")
    assert run_job("assignment-sync-requested")["counts"] == {"requested": 0}
    request_sync()
    db.session.commit()
    first = run_job("assignment-sync-requested")["counts"]
    assert first["requested"] == 1 and first["created"] == 1
    assert run_job("assignment-sync-requested")["counts"] == {"requested": 0}


def _tamper(people: dict[str, Employee], course) -> None:
    """Open assignments the shortcut must leave to the full rules, or decide as they would."""
    due = {a.employee_id: a for a in db.session.scalars(
        select(Assignment).where(Assignment.cycle == "2026", Assignment.course_id == course.id))}
    due[people["moved"].id].due_on = date(2026, 6, 1)
    due[people["reason"].id].reason = "entered_audience"
    due[people["leave"].id].leave_days = 10
    due[people["leave"].id].due_on = date(2026, 12, 31)
    db.session.commit()


def _outcome(monkeypatch, people, course, shortcut: bool) -> tuple:
    import lms.compliance.sync as sync_module

    taken = []

    def spy(*args):
        result = shortcut and _unchanged_calendar(*args)
        taken.append(result)
        return result

    monkeypatch.setattr(sync_module, "_unchanged_calendar", spy)
    _tamper(people, course)
    before = db.session.scalar(select(func.max(AssignmentEvent.id)))
    result = sync()
    names = {p.id: name for name, p in people.items()}
    rows = sorted((names[a.employee_id], a.cycle, a.due_on, a.reason, a.status, a.leave_days)
                  for a in db.session.scalars(select(Assignment)))
    events = sorted((names[e.assignment.employee_id], e.kind, sorted(e.detail.items()))
                    for e in db.session.scalars(
                        select(AssignmentEvent).where(AssignmentEvent.id > before)))
    return result, rows, events, sum(taken)


def test_the_calendar_shortcut_decides_as_the_full_rules_do(monkeypatch, make_employee,
                                                            make_course, make_requirement,
                                                            make_assignment):
    """The sync settles most open calendar assignments without building what is wanted of
    them (``_unchanged_calendar``); with and without that shortcut it must do the same."""
    course, shared = make_course(), make_course("shared")
    make_requirement(course, due_days_after_entry=30)
    make_requirement(shared, name="one")  # two requirements for one course: no shortcut
    make_requirement(shared, name="two", due_days_after_entry=10)
    people = {name: make_employee(name, hire_date=hired) for name, hired in (
        ("ordinary", date(2020, 1, 1)), ("new hire", date(2026, 4, 20)),
        ("moved", date(2020, 1, 1)), ("reason", date(2020, 1, 1)),
        ("leave", date(2020, 1, 1)), ("waived before", date(2020, 1, 1)))}
    waived = make_assignment(people["waived before"], course, "2025", date(2025, 12, 31),
                             date(2025, 1, 1))
    waived.status, waived.waived_until = "waived", date(2026, 2, 1)
    db.session.commit()
    sync()

    full = _outcome(monkeypatch, people, course, shortcut=False)
    fast = _outcome(monkeypatch, people, course, shortcut=True)
    assert fast[:3] == full[:3]
    assert full[0]["updated"] == 3 and full[3] == 0
    assert fast[3] == 2  # the ordinary person and the new hire, of the required course

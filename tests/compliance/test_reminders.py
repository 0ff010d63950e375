"""Reminders, escalations and the HR digest: the exact e-mails on each day, each sent once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.compliance import reminders
from lms.compliance.models import AssignmentEvent
from lms.compliance.reminders import reminder_step, send_hr_digest, send_reminders
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from lms.org.services import set_org_settings

DUE = date(2026, 12, 31)


@pytest.mark.parametrize(("today", "step"), [
    (date(2026, 12, 1), None), (date(2026, 12, 17), 14), (date(2026, 12, 20), 14),
    (date(2026, 12, 28), 3), (date(2026, 12, 31), 0), (date(2027, 1, 1), None)])
def test_reminder_step(today, step):
    assert reminder_step([14, 3, 0], DUE, today) == step


@pytest.fixture
def overdue_case(catalog, make_employee, make_assignment, make_requirement):
    set_org_settings({"hr_contact": "hr-team@example.com"})
    boss = make_employee("Zhang Wei", email="boss@example.com")
    person = make_employee("Li <b>Na</b>", email="li.na@example.com", manager=boss)
    requirement = make_requirement(catalog["code-of-conduct"], reminder_days=[14, 3, 0],
                                   escalate_manager_days=7, escalate_hr_days=30)
    assignment = make_assignment(person, catalog["code-of-conduct"], due_on=DUE)
    assignment.requirement_id = requirement.id
    db.session.commit()
    return assignment


def _keys() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id)))


# FEW = 0: every message through the statement the sweep uses for many (the first sweep).
@pytest.mark.parametrize("few", [reminders.FEW, 0])
def test_the_exact_emails_on_each_day(overdue_case, monkeypatch, few):
    monkeypatch.setattr(reminders, "FEW", few)
    sent: dict[date, list[str]] = {}
    day = date(2026, 12, 1)
    while day <= date(2027, 2, 15):
        before = set(_keys())
        send_reminders(day)
        send_reminders(day)  # twice the same day: nothing more
        db.session.commit()
        new = [k for k in _keys() if k not in before]
        if new:
            sent[day] = [k.split(":")[0] + (":" + k.split(":")[-1] if "step" in k else "")
                         for k in new]
        day += timedelta(days=1)
    assert sent == {
        date(2026, 12, 17): ["reminder:step=14"],
        date(2026, 12, 28): ["reminder:step=3"],
        date(2026, 12, 31): ["reminder:step=0"],
        date(2027, 1, 7): ["escalation-manager"],
        date(2027, 1, 30): ["escalation-hr"],
    }
    recipients = dict(db.session.execute(select(OutboxMessage.key, OutboxMessage.recipient)).all())
    assert {v for k, v in recipients.items() if k.startswith("reminder")} == {"li.na@example.com"}
    assert [v for k, v in recipients.items() if k.startswith("escalation-manager")] == [
        "boss@example.com"]
    assert [v for k, v in recipients.items() if k.startswith("escalation-hr")] == [
        "hr-team@example.com"]
    kinds = sorted(db.session.scalars(select(AssignmentEvent.kind)))
    assert kinds.count("reminded") == 3 and "escalated_manager" in kinds


def test_names_are_escaped_in_the_html(overdue_case):
    send_reminders(date(2026, 12, 17))
    email = email_of(db.session.scalar(select(OutboxMessage)))
    assert "Li &lt;b&gt;Na&lt;/b&gt;" in email.html and "<b>Na</b>" not in email.html
    assert "Business Code of Conduct" in email.subject


def test_completed_and_leavers_get_nothing(overdue_case):
    overdue_case.status = "completed"
    db.session.commit()
    assert send_reminders(date(2026, 12, 31)) == {
        "reminded": 0, "escalated_manager": 0, "escalated_hr": 0}
    overdue_case.status = "assigned"
    overdue_case.employee.active = False
    db.session.commit()
    assert send_reminders(date(2026, 12, 31))["reminded"] == 0


def test_a_missed_day_is_caught_up_without_sending_stale_steps(overdue_case):
    # The job did not run from 1 to 29 December: on the 30th only the 3-day reminder goes.
    assert send_reminders(date(2026, 12, 30))["reminded"] == 1
    assert _keys() == [
        f"reminder:assignment={overdue_case.id}:cycle={overdue_case.cycle}:step=3"]


def test_hr_digest_once_a_day(overdue_case, make_employee):
    make_employee("Liu Min", email="liu.min@example.com", roles=("hr",))
    first = send_hr_digest(date(2027, 1, 1))
    assert first == {"digests": 1, "overdue": 1, "newly_overdue": 1}
    assert send_hr_digest(date(2027, 1, 1))["digests"] == 0
    assert send_hr_digest(date(2027, 1, 2))["digests"] == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("hr-digest%")))
    assert message.recipient == "liu.min@example.com" and "1 overdue" in email_of(message).subject


def test_explain_shows_the_rule_the_events_and_the_emails(app, overdue_case, make_employee):
    from tests.conftest import PASSWORD

    send_reminders(date(2026, 12, 17))
    db.session.commit()
    make_employee("Liu Min", email="liu.min@example.com", roles=("hr",))
    hr = app.test_client()
    hr.post("/login", data={"email": "liu.min@example.com", "password": PASSWORD})
    page = hr.get(f"/hr/assignments/{overdue_case.id}").text
    assert "code-of-conduct (calendar)" in page  # the requirement
    assert "days before due: 14, 3, 0" in page and "7 days after due" in page
    assert "reminded" in page and "li.na@example.com" in page  # event and e-mail
    assert "Li &lt;b&gt;Na&lt;/b&gt;" in page
    assert hr.get("/hr/assignments/999999").status_code == 404


def test_explain_after_a_sync_shows_how_the_due_date_was_worked_out(
        app, catalog, make_employee, make_requirement):
    from lms.compliance.models import Assignment
    from lms.compliance.sync import sync_assignments
    from tests.conftest import PASSWORD

    make_employee("New Hire", email="new.hire@example.com", hire_date=date(2026, 11, 20))
    make_requirement(catalog["harassment-prevention"], due_days_after_entry=30,
                     audience={"everyone": True})
    sync_assignments(date(2026, 11, 21))
    db.session.commit()
    assignment = db.session.scalar(select(Assignment))
    make_employee("Liu Min", email="liu.min@example.com", roles=("hr",))
    hr = app.test_client()
    hr.post("/login", data={"email": "liu.min@example.com", "password": PASSWORD})
    page = hr.get(f"/hr/assignments/{assignment.id}").text
    assert "How the due date was worked out" in page and "created" in page
    assert "2026-11-20" in page  # the hire date it was computed from

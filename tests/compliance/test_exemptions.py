"""Waivers, leave of absence, certificate expiry and the certificate's expiry date."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from certificates.models import Certificate
from lms.compliance.expiry import expire_certificates
from lms.compliance.leave import LeaveError, end_leave, record_leave
from lms.compliance.reminders import send_reminders
from lms.compliance.services import explain
from lms.compliance.sync import sync_assignments
from lms.compliance.waivers import WaiverError, waive
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from tests.compliance.conftest import assignments_of, finish

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sync(day: date) -> dict:
    counts = sync_assignments(day)
    db.session.commit()
    return counts


def at(day: date):
    """The clock on a company-local day (for completions that read it)."""
    return time_machine.travel(datetime.combine(day, time(10, 0), SHANGHAI), tick=False)


def state(employee, course) -> list[tuple]:
    db.session.expire_all()
    return [(a.cycle, a.status, a.due_on) for a in assignments_of(employee, course)]


def test_a_waiver_ending_mid_cycle_reopens_the_assignment(make_employee, make_course,
                                                          make_requirement):
    course = make_course()
    make_requirement(course)
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 5))
    (assignment,) = assignments_of(person)
    waive(assignment.id, date(2026, 12, 10), "Long-term sick leave, signed off by HR",
          hr.id, date(2026, 3, 1))
    db.session.commit()
    assert sync(date(2026, 12, 10))["reopened"] == 0
    assert state(person, course) == [("2026", "waived", date(2026, 12, 31))]
    assert sync(date(2026, 12, 11))["reopened"] == 1
    # reopened with at least 30 days from the end of the waiver, not three weeks
    assert state(person, course) == [("2026", "assigned", date(2027, 1, 9))]
    assert sync(date(2026, 12, 12))["updated"] == 0  # stable
    kinds = [e["kind"] for e in explain(assignment.id)["events"]]
    assert kinds == ["created", "waived", "waiver_ended"]


def test_a_waiver_past_the_next_deadline_covers_that_cycle(make_employee, make_course,
                                                           make_requirement):
    course = make_course()
    make_requirement(course)
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 5))
    waive(assignments_of(person)[0].id, date(2028, 3, 31), "Seconded abroad", hr.id,
          date(2026, 2, 1))
    db.session.commit()
    sync(date(2027, 1, 1))
    sync(date(2028, 1, 1))
    assert state(person, course) == [("2026", "waived", date(2026, 12, 31)),
                                     ("2027", "waived", date(2027, 12, 31)),
                                     ("2028", "assigned", date(2028, 12, 31))]
    covered = assignments_of(person)[1]
    assert (covered.waived_until, covered.waiver_reason) == (date(2028, 3, 31),
                                                            "Seconded abroad")


def test_a_waived_rolling_cycle_reopens_when_the_waiver_ends(make_employee, make_course,
                                                             make_requirement):
    course = make_course("self-defense-basics")
    make_requirement(course, "rolling", every_months=24, due_days_after_entry=90)
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 1))
    waive(assignments_of(person)[0].id, date(2026, 8, 31), "Injury: no physical training",
          hr.id, date(2026, 2, 1))
    db.session.commit()
    assert sync(date(2026, 6, 1))["created"] == 0  # no next cycle: the waived one is current
    sync(date(2026, 9, 1))
    assert state(person, course) == [("cycle-1", "assigned", date(2026, 9, 30))]


def test_waivers_need_a_reason_and_an_end_date(make_employee, make_course, make_requirement):
    make_requirement(make_course())
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 5))
    assignment_id = assignments_of(person)[0].id
    day = date(2026, 3, 1)
    for until, reason, message in ((date(2026, 6, 1), "  ", "reason"),
                                   (None, "ok", "end"), (date(2026, 2, 1), "ok", "past"),
                                   (date(2032, 1, 1), "ok", "five years")):
        with pytest.raises(WaiverError, match=message):
            waive(assignment_id, until, reason, hr.id, day)
    db.session.rollback()
    assert state(person, assignments_of(person)[0].course)[0][1] == "assigned"


def test_leave_pauses_the_clock_and_moves_the_due_date(make_employee, make_course,
                                                       make_requirement):
    course = make_course()
    make_requirement(course, reminder_days=[14, 3, 0], escalate_manager_days=0)
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 5))
    leave = record_leave(person.id, date(2026, 12, 1), None, "Parental leave", hr.id,
                         date(2026, 12, 1))
    db.session.commit()
    assert state(person, course) == [("2026", "paused", date(2026, 12, 31))]
    for day in (date(2026, 12, 17), date(2026, 12, 31), date(2027, 1, 5)):
        assert sync(day)["updated"] == 0
        assert send_reminders(day) == {"reminded": 0, "escalated_manager": 0,
                                       "escalated_hr": 0}
    # the 2027 cycle starts while the person is away: created paused
    assert [s for _, s, _ in state(person, course)] == ["paused", "paused"]
    end_leave(leave.id, date(2027, 3, 1), date(2027, 3, 1))
    db.session.commit()
    # 2026 had 30 days left on 1 December: 90 days away move it to 31 March 2027; 2027's
    # assignment, made on 5 January while away, moves by the 55 days from then
    assert state(person, course) == [("2026", "assigned", date(2027, 3, 31)),
                                     ("2027", "assigned", date(2028, 2, 24))]
    assert sync(date(2027, 3, 2))["updated"] == 0  # the credited days stick
    events = explain(assignments_of(person)[0].id)["events"]
    assert events[-1]["kind"] == "resumed"
    assert events[-1]["detail"]["days_away"] == 90
    assert "Parental" not in str(events)  # the reason stays on the leave record


def test_a_leave_recorded_late_counts_from_its_first_day(make_employee, make_course,
                                                         make_requirement):
    course = make_course()
    make_requirement(course)
    hr, person = make_employee("HR", roles=("hr",)), make_employee("P")
    sync(date(2026, 1, 5))
    record_leave(person.id, date(2026, 3, 1), date(2026, 3, 11), "", hr.id, date(2026, 3, 20))
    db.session.commit()
    assert state(person, course) == [("2026", "assigned", date(2027, 1, 10))]
    with pytest.raises(LeaveError, match="overlaps"):
        record_leave(person.id, date(2026, 3, 5), None, "", hr.id, date(2026, 3, 20))
    with pytest.raises(LeaveError, match="after"):
        record_leave(person.id, date(2026, 5, 5), date(2026, 5, 5), "", hr.id, date(2026, 5, 1))


def test_rolling_certificates_expire_on_the_next_cycles_due_date(
        make_employee, make_course, make_requirement, catalog):
    course = catalog["self-defense-basics"]
    make_requirement(course, "rolling", every_months=24, window_days=60,
                     due_days_after_entry=90, starts_on=date(2026, 1, 1))
    person = make_employee("P", hire_date=date(2020, 1, 1))
    sync(date(2026, 1, 1))
    # due 1 April 2026, window from 31 January: before it, the next cycle runs from completion
    with at(date(2026, 1, 15)):
        finish(assignments_of(person, course)[0])
    certificate = db.session.scalar(select(Certificate))
    assert certificate.expires_on == date(2028, 1, 15)
    sync(date(2027, 11, 16))  # the window opens 60 days before
    second = assignments_of(person, course)[1]
    assert second.due_on == date(2028, 1, 15)
    with at(date(2027, 12, 20)):  # inside the window: the next cycle keeps its date
        finish(second)
    db.session.expire_all()
    latest = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()[-1]
    assert latest.expires_on == date(2030, 1, 15)


def test_a_lapsed_certificate_marks_the_cycle_expired_once(make_employee, make_course,
                                                           make_requirement, catalog):
    course = catalog["self-defense-basics"]
    make_requirement(course, "rolling", every_months=24, window_days=60,
                     due_days_after_entry=30, starts_on=date(2026, 1, 1))
    person = make_employee("P", hire_date=date(2020, 1, 1))
    sync(date(2026, 1, 1))
    with at(date(2026, 1, 20)):
        finish(assignments_of(person, course)[0])  # in the window: expires 31 Jan 2028
    assert expire_certificates(date(2028, 1, 31)) == {"expired": 0, "notified": 0}
    sync(date(2027, 12, 2))  # the window of cycle 2 opens
    assert expire_certificates(date(2028, 2, 1)) == {"expired": 1, "notified": 1}
    db.session.commit()
    assert expire_certificates(date(2028, 2, 2)) == {"expired": 0, "notified": 0}
    assert [s for _, s, _ in state(person, course)] == ["expired", "assigned"]
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.key.like("certificate-expired%")))
    assert message.recipient == person.email
    assert "31 January 2028" in email_of(message).text
    assert "expired" in email_of(message).subject.lower()

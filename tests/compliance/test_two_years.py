"""Two whole years of a small organisation, one day at a time, with the clock moved by
time-machine and every scheduled job run as the scheduler runs it: hires, assignments,
reminders, overdue, escalation to the manager and to HR, a waiver, a leave of absence,
completions and certificates, recertification windows, an early recertification, a lapsed
certificate, a promotion to manager and a leaver. The states on the days that matter, and
the exact e-mails of every single day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from certificates.models import Certificate
from lms.compliance.leave import end_leave, record_leave
from lms.compliance.waivers import waive
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from lms.people.models import Employee, Leave
from lms.scheduler.runner import run_job
from tests.compliance.conftest import assignments_of, finish

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2027, 1, 1), date(2028, 12, 31)
# The daily jobs in the order of their times (lms.scheduler.registry); people act at 10:00.
MORNING = (("assignment-sync", time(2, 0)), ("certificate-expiry", time(2, 30)),
           ("hr-digest", time(8, 30)), ("reminders", time(9, 0)))
HR = "hr@example.com"

# Every e-mail of the two years, day by day: (kind, recipient, course). Nothing else is sent.
CONDUCT, SELFDEF, TRACK = "Code of Conduct", "Self-defense", "manager"
EXPECTED_EMAILS = {
    # Alice (hired 1 Jan 2027) and Hannah have self-defense due 2 March (60 days from the
    # requirement's start); Hannah, a manager, the manager track too. Bob's is waived.
    date(2027, 2, 23): [("reminder", "alice", SELFDEF), ("reminder", "hannah", SELFDEF),
                        ("reminder", "hannah", TRACK)],
    date(2027, 3, 2): [("reminder", "alice", SELFDEF), ("reminder", "hannah", SELFDEF)],
    date(2027, 3, 5): [("escalation-manager", "boss", SELFDEF)],  # Alice, 3 days late
    # Bob's waiver ends 30 June: reopened due 30 July, done 20 July, before any reminder.
    # Code of Conduct 2027: Carol is on leave (paused), Alice, Boss and Dan are done.
    date(2027, 12, 17): [("reminder", "bob", CONDUCT), ("reminder", "hannah", CONDUCT)],
    date(2027, 12, 28): [("reminder", "bob", CONDUCT), ("reminder", "hannah", CONDUCT)],
    date(2027, 12, 31): [("reminder", "bob", CONDUCT), ("reminder", "hannah", CONDUCT)],
    # Dan's self-defense (done 10 Jan 2027, before its window) is due 10 Jan 2028.
    date(2028, 1, 3): [("reminder", "dan", SELFDEF)],
    date(2028, 1, 7): [("escalation-manager", "boss", CONDUCT)],  # Bob, 7 days late
    date(2028, 1, 10): [("reminder", "dan", SELFDEF)],
    date(2028, 1, 11): [("certificate-expired", "dan", SELFDEF)],
    date(2028, 1, 13): [("escalation-manager", "hannah", SELFDEF)],  # Dan, 3 days late
    date(2028, 1, 30): [("escalation-hr", "HR", CONDUCT), ("escalation-hr", "HR", CONDUCT)],
    # Alice finished self-defense late (10 March 2027): the next one runs from then.
    date(2028, 3, 3): [("reminder", "alice", SELFDEF)],
    date(2028, 3, 10): [("reminder", "alice", SELFDEF)],
    date(2028, 3, 11): [("certificate-expired", "alice", SELFDEF)],
    date(2028, 3, 13): [("escalation-manager", "boss", SELFDEF)],
    # Carol's 2027 Code of Conduct moved by her 92 days away: due 1 April 2028.
    date(2028, 3, 18): [("reminder", "carol", CONDUCT)],
    date(2028, 6, 24): [("reminder", "dan", TRACK)],  # a manager since 1 May: due 1 July
    # Bob left on 30 June: his certificate lapsing in July tells nobody.
    # Code of Conduct 2028: Dan's window opened 30 Sept; Hannah never did 2027 either.
    date(2028, 12, 17): [("reminder", "dan", CONDUCT), ("reminder", "hannah", CONDUCT)],
    date(2028, 12, 28): [("reminder", "dan", CONDUCT), ("reminder", "hannah", CONDUCT)],
    date(2028, 12, 31): [("reminder", "dan", CONDUCT), ("reminder", "hannah", CONDUCT)],
}

# States on the days that matter, after the morning's jobs and the day's actions:
# day -> person -> {(course, cycle): (status, due)}.
C, S, T = "code-of-conduct", "self-defense-basics", "manager-track"
CHECKS = {
    date(2027, 1, 1): {"alice": {(C, "2027"): ("assigned", date(2027, 12, 31)),
                                 (S, "cycle-1"): ("assigned", date(2027, 3, 2))},
                       "boss": {(T, "once"): ("assigned", date(2027, 3, 2))}},
    date(2027, 2, 1): {"bob": {(S, "cycle-1"): ("waived", date(2027, 3, 2))}},
    date(2027, 7, 1): {"bob": {(S, "cycle-1"): ("assigned", date(2027, 7, 30))}},
    date(2027, 11, 1): {"carol": {(C, "2027"): ("paused", date(2027, 12, 31))}},
    date(2028, 1, 1): {"carol": {(C, "2028"): ("paused", date(2028, 12, 31))},
                       "bob": {(C, "2027"): ("assigned", date(2027, 12, 31)),
                               (C, "2028"): ("assigned", date(2028, 12, 31))},
                       "alice": {(C, "2027"): ("completed", date(2027, 12, 31))}},
    date(2028, 1, 11): {"dan": {(S, "cycle-1"): ("expired", date(2027, 3, 2)),
                                (S, "cycle-2"): ("assigned", date(2028, 1, 10))}},
    date(2028, 2, 1): {"carol": {(C, "2027"): ("assigned", date(2028, 4, 1)),
                                 (C, "2028"): ("assigned", date(2029, 1, 31)),
                                 (S, "cycle-2"): ("assigned", date(2028, 3, 2))}},
    date(2028, 3, 11): {"alice": {(S, "cycle-1"): ("expired", date(2027, 3, 2)),
                                  (S, "cycle-2"): ("assigned", date(2028, 3, 10))}},
    date(2028, 5, 2): {"dan": {(T, "once"): ("assigned", date(2028, 7, 1))}},
    date(2028, 6, 30): {"bob": {(C, "2028"): ("closed", date(2028, 12, 31)),
                                (S, "cycle-1"): ("completed", date(2027, 7, 30))}},
    date(2028, 9, 29): {"alice": {}},
    date(2028, 9, 30): {"alice": {(C, "2028"): ("assigned", date(2028, 12, 31))}},
    date(2028, 12, 31): {"boss": {(S, "cycle-3"): ("assigned", date(2029, 1, 10))},
                         "alice": {(S, "cycle-2"): ("completed", date(2028, 3, 10)),
                                   (C, "2028"): ("completed", date(2028, 12, 31))}},
}


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


@pytest.mark.slow
def test_two_years_of_a_small_organisation(app, catalog, make_employee, make_requirement):
    conduct, selfdef, track = (catalog["code-of-conduct"], catalog["self-defense-basics"],
                               catalog["manager-track"])
    slug = {conduct.id: conduct.slug, selfdef.id: selfdef.slug, track.id: track.slug}
    make_requirement(conduct, window_days=92, reminder_days=[14, 3, 0],
                     escalate_manager_days=7, escalate_hr_days=30, starts_on=START)
    make_requirement(selfdef, "rolling", every_months=12, window_days=30,
                     due_days_after_entry=60, reminder_days=[7, 0], escalate_manager_days=3,
                     starts_on=START)
    make_requirement(track, "once", audience={"managers": True}, due_days_after_entry=60,
                     reminder_days=[7], starts_on=START)
    hr = make_employee("Hannah", email="hannah@example.com", hire_date=date(2015, 1, 1))
    boss = make_employee("Boss", email="boss@example.com", hire_date=date(2015, 1, 1))
    people = {"boss": boss}
    for name, hired in (("alice", date(2027, 1, 1)), ("bob", date(2025, 3, 1)),
                        ("carol", date(2024, 6, 1)), ("dan", date(2026, 9, 1))):
        people[name] = make_employee(name.title(), email=f"{name}@example.com", manager=boss,
                                     hire_date=hired)
    people["bob"].leave_date = date(2028, 6, 30)
    people["dan"].manager = hr  # Dan reports to Hannah (who records HR's decisions)
    db.session.commit()
    names = {p.email: name for name, p in people.items()} | {hr.email: "hannah", HR: "HR"}
    ids = {name: p.id for name, p in people.items()}

    def open_one(name: str, course, cycle: str | None = None):
        db.session.expire_all()
        return next(a for a in assignments_of(db.session.get(Employee, ids[name]), course)
                    if cycle is None or a.cycle == cycle)

    def state(name: str) -> dict:
        db.session.expire_all()
        return {(slug[a.course_id], a.cycle): (a.status, a.due_on)
                for a in assignments_of(db.session.get(Employee, ids[name]))}

    def act(day: date) -> None:
        """What people and HR do during the day (at 10:00)."""
        if day == date(2027, 1, 10):
            for name in ("boss", "dan"):
                finish(open_one(name, conduct))
                finish(open_one(name, selfdef))
            finish(open_one("boss", track))
        if day == date(2027, 2, 1):
            waive(open_one("bob", selfdef).id, date(2027, 6, 30), "Knee injury: no physical "
                  "training until the end of June (doctor's note on file).", hr.id, day)
        if day == date(2027, 2, 20):
            finish(open_one("carol", selfdef))
        if day == date(2027, 3, 10):
            finish(open_one("alice", selfdef))
        if day == date(2027, 7, 20):
            finish(open_one("bob", selfdef))
        if day == date(2027, 10, 15):
            finish(open_one("alice", conduct, "2027"))
        if day == date(2027, 11, 1):
            record_leave(ids["carol"], day, None, "Parental leave", hr.id, day)
        if day == date(2027, 12, 15):
            finish(open_one("boss", selfdef, "cycle-2"))
        if day == date(2028, 1, 20):
            finish(open_one("dan", selfdef, "cycle-2"))
        if day == date(2028, 1, 25):  # HR learns Carol's return date in advance
            end_leave(db.session.scalar(select(Leave.id)), date(2028, 2, 1), day)
        if day == date(2028, 2, 15):
            finish(open_one("bob", conduct, "2027"))
        if day == date(2028, 2, 20):
            finish(open_one("carol", selfdef, "cycle-2"))
        if day == date(2028, 3, 20):
            finish(open_one("carol", conduct, "2027"))
        if day == date(2028, 4, 1):
            finish(open_one("alice", selfdef, "cycle-2"))
        if day == date(2028, 5, 1):  # Alice moves under Dan: Dan becomes a manager
            db.session.get(Employee, ids["alice"]).manager_id = ids["dan"]
        if day == date(2028, 6, 25):
            finish(open_one("dan", track))
        if day == date(2028, 10, 1):
            finish(open_one("boss", conduct, "2028"))
        if day == date(2028, 10, 5):
            finish(open_one("alice", conduct, "2028"))
        if day == date(2028, 11, 15):
            finish(open_one("carol", conduct, "2028"))
        db.session.commit()

    emails: dict[date, list] = {}
    day = START
    with time_machine.travel(datetime.combine(day, time(2, 0), SHANGHAI), tick=False) as clock:
        while day <= END:
            before = db.session.scalar(select(OutboxMessage.id).order_by(
                OutboxMessage.id.desc()).limit(1)) or 0
            for job_id, at in MORNING:
                clock.move_to(datetime.combine(day, at, SHANGHAI))
                outcome = run_job(job_id)
                assert outcome["error"] is None, (day, outcome)
            clock.move_to(datetime.combine(day, time(10, 0), SHANGHAI))
            act(day)
            sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)
                                      ).all()
            if sent:
                emails[day] = sorted((kind_of(m.key), names.get(m.recipient, m.recipient),
                                      _course(m)) for m in sent)
            for name, expected in CHECKS.get(day, {}).items():
                now = state(name)
                if not expected:  # nothing of that year yet
                    assert (C, "2028") not in now, (day, name, now)
                for key, value in expected.items():
                    assert now.get(key) == value, (day, name, key, now)
            day += timedelta(days=1)
    assert emails == EXPECTED_EMAILS

    # Certificates run to the next cycle's due date: early inside the window costs nothing.
    expiries = {(c.employee_id, c.course_id, c.completed_on): c.expires_on
                for c in db.session.scalars(select(Certificate))}
    assert expiries[(ids["alice"], conduct.id, date(2028, 10, 5))] == date(2029, 12, 31)
    assert expiries[(ids["boss"], selfdef.id, date(2027, 12, 15))] == date(2029, 1, 10)
    assert expiries[(ids["alice"], selfdef.id, date(2027, 3, 10))] == date(2028, 3, 10)
    assert expiries[(ids["dan"], track.id, date(2028, 6, 25))] is None  # once: never


def _course(message: OutboxMessage) -> str | None:
    for title in (CONDUCT, SELFDEF, TRACK):
        if title.lower() in email_of(message).subject.lower():
            return title
    return None

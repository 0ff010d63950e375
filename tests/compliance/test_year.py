"""A year of daily syncs for a three-person organisation, with the clock moved by time-machine:
the states on the days that matter."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lms.compliance.models import RequirementMember
from lms.db import db
from lms.people.models import Employee
from lms.scheduler.runner import run_job
from tests.compliance.conftest import assignments_of, complete, counts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def states(employee) -> dict:
    db.session.expire_all()
    return {(a.course.slug, a.cycle): (a.status, a.due_on) for a in assignments_of(employee)}


@pytest.mark.slow
def test_a_year_of_daily_syncs(make_employee, make_course, make_requirement):
    conduct, harassment, managers = (make_course("code-of-conduct"),
                                     make_course("harassment-prevention"),
                                     make_course("manager-track"))
    make_requirement(conduct)
    make_requirement(harassment, due_days_after_entry=30)
    make_requirement(managers, audience={"managers": True}, due_days_after_entry=60)
    boss = make_employee("Boss", hire_date=date(2015, 1, 1))
    worker = make_employee("Worker", manager=boss, hire_date=date(2020, 1, 1),
                           leave_date=date(2027, 9, 30))
    newbie = make_employee("Newbie", hire_date=date(2027, 3, 1))
    seen = {}

    def on(day: date) -> None:
        """What happens during a day, before the night's sync."""
        if day == date(2027, 4, 10):
            complete(next(a for a in assignments_of(worker) if a.course_id == conduct.id), day)
        if day == date(2027, 5, 20):
            complete(next(a for a in assignments_of(boss)
                          if a.course_id == managers.id), day)
        if day == date(2027, 6, 15):  # the worker moves to the new hire, now a manager
            db.session.get(Employee, worker.id).manager_id = newbie.id
            db.session.commit()

    day = date(2027, 1, 1)
    with time_machine.travel(datetime.combine(day, time(2, 0), SHANGHAI), tick=False) as clock:
        while day <= date(2028, 1, 1):
            on(day)
            clock.move_to(datetime.combine(day, time(2, 0), SHANGHAI))
            outcome = run_job("assignment-sync")
            assert outcome["error"] is None, outcome
            seen[day] = outcome["counts"]
            if day == date(2027, 1, 1):
                assert states(boss) == {
                    ("code-of-conduct", "2027"): ("assigned", date(2027, 12, 31)),
                    ("harassment-prevention", "2027"): ("assigned", date(2027, 12, 31)),
                    ("manager-track", "2027"): ("assigned", date(2027, 12, 31))}
                assert len(states(worker)) == 2
                assert states(newbie) == {}
            if day == date(2027, 3, 1):
                assert states(newbie) == {
                    ("code-of-conduct", "2027"): ("assigned", date(2027, 12, 31)),
                    ("harassment-prevention", "2027"): ("assigned", date(2027, 3, 31))}
            if day == date(2027, 6, 15):
                assert states(newbie)[("manager-track", "2027")] == (
                    "assigned", date(2027, 8, 14))
                # the boss has no report left, but finished the track: history is kept
                assert states(boss)[("manager-track", "2027")][0] == "completed"
            if day == date(2027, 9, 30):
                assert states(worker) == {
                    ("code-of-conduct", "2027"): ("completed", date(2027, 12, 31)),
                    ("harassment-prevention", "2027"): ("closed", date(2027, 12, 31))}
                # with the worker gone, the new hire manages nobody: the track is closed
                assert states(newbie)[("manager-track", "2027")][0] == "closed"
            day += timedelta(days=1)

    # quiet days change nothing: the sync is idempotent day after day
    assert seen[date(2027, 1, 2)] == counts(0, 0, 0, 5)
    assert seen[date(2027, 3, 1)]["created"] == 2
    assert seen[date(2027, 6, 15)] == counts(1, 0, 0, 6)
    assert seen[date(2027, 9, 30)]["closed"] == 2
    assert seen[date(2028, 1, 1)]["created"] == 4
    assert set(states(boss)) >= {("code-of-conduct", "2028"), ("harassment-prevention", "2028")}
    assert ("manager-track", "2028") not in states(boss)
    assert not any(cycle == "2028" for _, cycle in states(worker))
    assert db.session.query(RequirementMember).filter_by(employee_id=worker.id).count() == 0

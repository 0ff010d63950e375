"""Reminders a manager sends: through the outbox, at most once a day per person and course,
naming the manager, in the person's language; "remind everyone overdue" is set-based and
touches only overdue rows of the manager's subtree under the page's filters."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine
from sqlalchemy import func, select

from lms.clock import today
from lms.compliance.models import AssignmentEvent
from lms.db import db
from lms.manager.services import TeamQuery, nudge_key, nudge_overdue
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from tests.manager.conftest import add_reports

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _flashes(client) -> list[str]:
    import re

    return re.findall(r'<p class="flash[^"]*">([^<]*)</p>', client.get("/team").text)


def test_a_reminder_goes_through_the_outbox_once_a_day(org, as_user):
    client = as_user("boss@example.com")
    url = f"/team/assignments/{org['a']['lead_late']}/remind"
    first = client.post(url, data={"back": "/team?direct=0"})
    assert first.status_code == 302 and first.location.endswith("/team?direct=0")
    assert "Reminder sent to 1 person." in _flashes(client)
    assert client.post(url).status_code == 302
    assert "Already reminded today." in _flashes(client)
    [message] = _outbox()
    assert message.key == nudge_key(org["a"]["lead_late"], today())
    assert message.key == f"nudge:assignment={org['a']['lead_late']}:day={today().isoformat()}"
    assert message.recipient == "lead@example.com"
    email = email_of(message)
    assert "Zhang Wei" in email.subject and "Business Code of Conduct" in email.subject
    assert email.subject.startswith("Overdue: ")
    assert "Your manager, Zhang Wei, asks you" in email.text
    assert "10 days overdue" in email.text
    events = db.session.scalars(select(AssignmentEvent).where(
        AssignmentEvent.kind == "nudged")).all()
    assert [e.assignment_id for e in events] == [org["a"]["lead_late"]]
    assert events[0].detail["by"] == org["boss"].id
    page = client.get("/team").text
    assert "✓ Reminded today" in page


def test_the_next_day_another_reminder_may_go(org, make_employee, as_user):
    day = today() + timedelta(days=1)
    url = f"/team/assignments/{org['a']['lead_late']}/remind"
    as_user("boss@example.com").post(url)
    with time_machine.travel(datetime.combine(day, time(9, 0), SHANGHAI), tick=False):
        client = as_user("boss@example.com")
        assert "✓ Reminded today" not in client.get("/team").text
        client.post(url)
        client.post(url)
        assert "Already reminded today." in _flashes(client)
    keys = [m.key for m in _outbox()]
    assert len(keys) == 2 and keys[1].endswith(f":day={day.isoformat()}")


def test_a_reminder_that_is_not_overdue_yet_and_in_chinese(org, as_user, catalog,
                                                           make_assignment):
    from lms.people.models import Employee

    make_assignment(org["dev"], catalog["harassment-prevention"],
                    due_on=today() + timedelta(days=9))
    assignment_id = db.session.scalar(sa.text(
        "SELECT id FROM assignments WHERE employee_id = :e AND course_id = :c"),
        {"e": org["dev"].id, "c": catalog["harassment-prevention"].id})
    client = as_user("lead@example.com")
    client.post(f"/team/assignments/{assignment_id}/remind")
    [message] = _outbox()
    assert message.recipient == "dev@example.com"
    assert db.session.get(Employee, org["dev"].id).locale == "zh-Hans"
    email = email_of(message)
    assert email.subject.startswith("Lead Li提醒您完成培训：《")
    assert "您的经理Lead Li提醒您完成必修培训" in email.text
    due = today() + timedelta(days=9)
    assert f"该培训将于{due.year}年{due.month}月{due.day}日到期。" in email.text
    assert 'lang="zh-Hans"' in email.html


def test_nothing_to_remind_about_a_finished_or_closed_assignment(org, as_user):
    client = as_user("boss@example.com")
    for key in ("ops_done", "ops_closed"):
        assert client.post(f"/team/assignments/{org['a'][key]}/remind").status_code == 302
        assert any("nothing to remind" in f for f in _flashes(client))
    assert _outbox() == []


def test_a_leaver_is_not_reminded(org, as_user):
    org["dev"].active = False
    db.session.commit()
    client = as_user("lead@example.com")  # still manages... nobody active: not a manager
    assert client.post(f"/team/assignments/{org['a']['dev_late']}/remind").status_code == 403
    boss = as_user("boss@example.com")
    assert boss.post(f"/team/assignments/{org['a']['dev_late']}/remind").status_code == 302
    boss.post("/team/remind-overdue", data={"direct": "0"})
    assert [m.recipient for m in _outbox()] == ["lead@example.com"]


def test_remind_everyone_overdue_follows_the_filters(org, as_user):
    client = as_user("boss@example.com")
    response = client.post("/team/remind-overdue", data={"direct": "1"})
    assert response.status_code == 302 and response.location.endswith("/team?direct=1")
    assert [m.recipient for m in _outbox()] == ["lead@example.com"]
    client.post("/team/remind-overdue", data={"direct": "0"})
    flashes = _flashes(client)
    assert "Reminder sent to 1 person." in flashes
    assert "1 person was already reminded today." in flashes
    assert sorted(m.recipient for m in _outbox()) == ["dev@example.com", "lead@example.com"]
    # ops is not overdue, outsider is not in the subtree: never reminded
    client.post("/team/remind-overdue", data={"direct": "0", "status": "completed"})
    client.post("/team/remind-overdue", data={"direct": "0", "status": "assigned"})
    assert len(_outbox()) == 2


def test_remind_everyone_with_a_course_filter(org, as_user):
    client = as_user("boss@example.com")
    client.post("/team/remind-overdue",
                data={"direct": "0", "course": str(org["courses"]["harassment"])})
    assert _outbox() == []
    assert "Nobody is overdue with these filters." in _flashes(client)


def _selects_for_remind_all(boss) -> int:
    assert boss.full_name  # loaded before counting: the view has its manager loaded already
    count = 0

    def before(_conn, _cursor, statement, *_args):
        nonlocal count
        count += statement.lstrip().upper().startswith("SELECT")

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = nudge_overdue(boss, TeamQuery(), today())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    db.session.commit()
    assert result.sent > 0
    return count


def test_remind_everyone_reads_with_a_fixed_number_of_queries(make_employee, catalog):
    small = make_employee("Small Boss", email="small@example.com")
    large = make_employee("Large Boss", email="large@example.com")
    add_reports(small, [f"S {n}" for n in range(3)], catalog["manager-track"], "SM")
    add_reports(large, [f"L {n}" for n in range(60)], catalog["manager-track"], "LG")
    # The organisation settings (the e-mails' footer) are read once per request or job run:
    # here both calls share one, so only the first (the small team's) pays that one read.
    counts = (_selects_for_remind_all(small), _selects_for_remind_all(large))
    assert counts[0] - 1 == counts[1] <= 3, counts  # candidates, keys already used, titles
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 63
    # a second run the same day sends nothing
    assert nudge_overdue(large, TeamQuery(), today()).already == 60


def test_an_invalid_address_is_reported_not_fatal(org, as_user):
    org["dev"].email = "not-an-address"
    db.session.commit()
    client = as_user("boss@example.com")
    client.post("/team/remind-overdue", data={"direct": "0"})
    flashes = _flashes(client)
    assert "Reminder sent to 1 person." in flashes
    assert any("could not be sent" in f for f in flashes)
    assert [m.recipient for m in _outbox()] == ["lead@example.com"]


def test_back_links_stay_on_the_team_page(org, as_user):
    client = as_user("boss@example.com")
    url = f"/team/assignments/{org['a']['lead_late']}/remind"
    for back in ("https://evil.example/", "//evil.example/team", "/teamx", "/hr/overdue",
                 "/team?\\\\evil"):
        response = client.post(url, data={"back": back})
        assert response.location.endswith("/team"), back

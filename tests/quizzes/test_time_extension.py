"""A timed quiz can be extended where the course allows it (WCAG 2.2.1): by half the limit a
time, as many times as the course says, never after the time ran out, enforced on the server
even when requests race; without script the answers chosen so far survive the extension."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import update

from courses.models import CourseVersion
from lms.db import db, utcnow
from quizzes.models import QuizAttempt
from tests import helpers
from tests.conftest import PASSWORD


@pytest.fixture
def timed(client, make_employee, make_assignment, catalog, login):
    """A started attempt at a 20-minute quiz that allows two extensions."""
    course = catalog["code-of-conduct"]
    db.session.execute(update(CourseVersion).where(CourseVersion.course_id == course.id)
                       .values(time_limit_minutes=20, time_extensions=2))
    db.session.commit()
    person = make_employee("Quiz Taker", email="timed@example.com")
    assignment = make_assignment(person, course)
    login(client, "timed@example.com")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, "Quiz Taker", PASSWORD)
    return helpers.open_attempt(client, enrollment)


def _reload(attempt: QuizAttempt) -> QuizAttempt:
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt.id)


def _extend_json(client, attempt):
    return client.post(f"/quiz/attempts/{attempt.id}/extend",
                       headers={"Accept": "application/json"})


def test_each_extension_adds_half_the_limit_as_often_as_the_course_allows(client, timed):
    first = timed.deadline_at
    assert first - timed.started_at == timedelta(minutes=20)
    page = client.get(f"/quiz/attempts/{timed.id}").text
    assert 'id="quiz-extend"' in page and "you can do this 2 more times" in page

    reply = _extend_json(client, timed)
    assert reply.status_code == 200, reply.text
    body = reply.get_json()
    assert body["extensions_left"] == 1 and "1 more time." in body["help"]
    assert _reload(timed).deadline_at == first + timedelta(minutes=10)
    assert body["deadline"] == _reload(timed).deadline_at.isoformat()

    assert _extend_json(client, timed).get_json()["extensions_left"] == 0
    refused = _extend_json(client, timed)
    assert refused.status_code == 409 and refused.get_json()["error"]
    again = _reload(timed)
    assert (again.deadline_at, again.extensions_used) == (first + timedelta(minutes=20), 2)
    assert 'id="quiz-extend"' not in client.get(f"/quiz/attempts/{timed.id}").text


def test_without_script_the_form_comes_back_with_its_answers_ticked(client, timed):
    form = helpers.answers(timed, right=True)
    chosen = dict(list(form.items())[:3])
    page = client.post(f"/quiz/attempts/{timed.id}/extend", data=chosen)
    assert page.status_code == 200
    ticked = set(re.findall(r'id="(q\d+-\d+)"[^>]*\schecked', page.text))
    assert ticked == {f"{name}-{value}" for name, values in chosen.items() for value in values}
    assert "Time extended: submit by" in page.text
    assert _reload(timed).extensions_used == 1


def test_the_deadline_is_shown_in_the_companys_zone(client, timed):
    local = timed.deadline_at.astimezone(ZoneInfo("Asia/Shanghai"))
    page = client.get(f"/quiz/attempts/{timed.id}").text
    shown = re.search(r'id="quiz-deadline-text">([^<]*)<', page).group(1)
    assert local.strftime("%-I:%M") in shown and "UTC" not in shown


def test_no_extension_once_the_time_has_run_out(client, timed):
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == timed.id)
                       .values(deadline_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert _extend_json(client, timed).status_code == 409
    assert _reload(timed).extensions_used == 0


def test_a_course_without_extensions_offers_none(client, timed):
    db.session.execute(update(CourseVersion).values(time_extensions=0))
    db.session.commit()
    assert 'id="quiz-extend"' not in client.get(f"/quiz/attempts/{timed.id}").text
    assert _extend_json(client, timed).status_code == 409
    assert _reload(timed).deadline_at == timed.deadline_at


def test_answers_sent_after_the_first_deadline_count_once_extended(client, timed):
    _extend_json(client, timed)
    form = helpers.answers(timed, right=True)
    with time_machine.travel(timed.deadline_at + timedelta(minutes=5)):
        client.post(f"/quiz/attempts/{timed.id}", data=form)
    graded = _reload(timed)
    assert graded.status == "submitted" and graded.passed is True


def test_someone_elses_attempt_cannot_be_extended(client, timed, make_employee, login):
    make_employee("Other", email="other@example.com")
    other = client.application.test_client()
    login(other, "other@example.com")
    assert other.post(f"/quiz/attempts/{timed.id}/extend").status_code == 404
    assert _reload(timed).extensions_used == 0


def test_racing_extensions_never_take_more_than_allowed(app, client, timed):
    cookie = client.get_cookie("session").value
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def go():
        own = app.test_client()
        own.set_cookie("session", cookie)
        barrier.wait()
        statuses.append(_extend_json(own, timed).status_code)

    threads = [threading.Thread(target=go) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Requests that read the same count race for one UPDATE: the losers are refused, so the
    # number granted is what was recorded, never more than the course allows.
    final = _reload(timed)
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) == final.extensions_used and 1 <= final.extensions_used <= 2
    assert final.deadline_at - final.started_at == timedelta(
        minutes=20 + 10 * final.extensions_used)

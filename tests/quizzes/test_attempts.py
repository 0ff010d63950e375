"""Quiz integrity: the key never reaches the browser, a submission counts once, tampering is
refused, and the limits hold under concurrency."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from certificates.models import Certificate
from lms.db import db
from quizzes.models import Option, QuizAttempt
from tests import helpers
from tests.conftest import PASSWORD


@pytest.fixture
def ready(client, make_employee, make_assignment, catalog, login):
    """A learner who has read everything and signed: the quiz is open."""
    person = make_employee("Wang Fang", email="learner@example.com")
    assignment = make_assignment(person, catalog["code-of-conduct"])
    login(client, "learner@example.com")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, "Wang Fang", PASSWORD)
    return enrollment


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_answer_key_never_reaches_the_browser(client, ready):
    attempt = helpers.open_attempt(client, ready)
    page = client.get(f"/quiz/attempts/{attempt.id}").text
    options = db.session.scalars(select(Option).where(
        Option.id.in_([o for item in attempt.layout for o in item["o"]]))).all()
    # The values posted are positions as shown (0, 1, 2...), never database ids or flags.
    for index, item in enumerate(attempt.layout):
        values = re.findall(rf'name="q{index}" value="([^"]*)"', page)
        assert values == [str(i) for i in range(len(item["o"]))]
    for option in options:
        if option.feedback_md:
            assert option.feedback_md[:40] not in page  # no feedback before submitting
    # Nothing in any tag's attributes marks an option, and there is no script to carry a key.
    collector = _Attributes()
    collector.feed(page)
    assert "script" not in collector.tags
    for tag, name, value in collector.attributes:
        assert not name.startswith("data-"), (tag, name)
        assert "correct" not in f"{name}={value}".lower(), (tag, name, value)
    assert "[x]" not in page and "weight=" not in page


def test_options_are_shuffled_per_attempt_and_stored(client, ready):
    attempt = helpers.open_attempt(client, ready)
    stored = db.session.get(QuizAttempt, attempt.id).layout
    assert len(stored) >= 8
    canonical = [sorted(item["o"]) for item in stored]
    assert any(item["o"] != sorted(item["o"]) for item in stored) or stored != canonical


def test_a_second_submit_gets_the_first_result(client, ready):
    attempt = helpers.open_attempt(client, ready)
    wrong = helpers.answers(attempt, right=False)
    right = helpers.answers(attempt, right=True)
    assert client.post(f"/quiz/attempts/{attempt.id}", data=wrong).status_code == 303
    # A replay with better answers changes nothing.
    assert client.post(f"/quiz/attempts/{attempt.id}", data=right).status_code == 303
    db.session.expire_all()
    graded = db.session.get(QuizAttempt, attempt.id)
    assert graded.passed is False
    assert _count(QuizAttempt) == 1 and _count(Certificate) == 0


@pytest.mark.parametrize("tamper", [
    {"q0": ["99"]},            # not an option
    {"q0": ["-1"]},
    {"q0": ["abc"]},
    {"q0": ["0", "1"]},        # two answers to a single-answer question
    {"q999": ["0"]},           # a question not in this attempt
])
def test_tampered_forms_are_refused_and_change_nothing(client, ready, tamper):
    attempt = helpers.open_attempt(client, ready)
    form = helpers.answers(attempt, right=True)
    single = next(i for i, item in enumerate(attempt.layout)
                  if db.session.get(Option, item["o"][0]).question.type == "single")
    for key, value in tamper.items():
        form[key if key == "q999" else f"q{single}"] = value
    response = client.post(f"/quiz/attempts/{attempt.id}", data=form)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == "open"
    assert _count(Certificate) == 0


def test_attempts_past_the_limit_are_refused(client, ready):
    for _ in range(ready.version.max_attempts):
        attempt = helpers.open_attempt(client, ready)
        client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, right=False))
    response = client.post(f"/learn/{ready.id}/quiz")
    assert response.status_code == 302 and "/quiz/attempts" not in response.location
    assert _count(QuizAttempt) == ready.version.max_attempts
    page = client.get(response.location).text
    assert "used all your attempts" in page
    assert "Correct answer:" in client.get(
        f"/quiz/attempts/{attempt.id}/result").text  # nothing left to protect: show the key


def test_twenty_concurrent_submissions_grade_once(app, client, ready):
    attempt = helpers.open_attempt(client, ready)
    form = helpers.answers(attempt, right=True)
    cookie = client.get_cookie("session").value
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def submit():
        own = app.test_client()
        own.set_cookie("session", cookie)
        barrier.wait()
        status = own.post(f"/quiz/attempts/{attempt.id}", data=form).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 20
    db.session.expire_all()
    assert _count(QuizAttempt) == 1
    assert db.session.get(QuizAttempt, attempt.id).passed is True
    assert _count(Certificate) == 1

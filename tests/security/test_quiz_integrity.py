"""The answer key never reaches a learner before it is useless to them, for every question type;
the attempt limit and the time limit are the server's, and hold when requests race."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from certificates.models import Certificate
from lms.db import db, utcnow
from quizzes.models import Question, QuizAttempt
from quizzes.types import QUESTION_TYPES
from tests import helpers
from tests.conftest import PASSWORD

COURSES = ("code-of-conduct", "harassment-prevention", "manager-track", "self-defense-basics")
FAILURE_MARKERS = ("database is locked", "Traceback", "Internal Server Error", "deadlock")


def _begin(client, make_employee, make_assignment, catalog, login, slug, email):
    person = make_employee("Quiz Taker", email=email)
    assignment = make_assignment(person, catalog[slug])
    login(client, email)
    enrollment = helpers.start(client, assignment)
    return enrollment


def _visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _marker(markdown: str) -> str:
    """The longest plain run of an option's text (markdown punctuation splits it)."""
    runs = re.split(r"[*_`\[\]()<>{}|#>]+", html.unescape(markdown))
    return " ".join(max(runs, key=len).split())


def _keys(enrollment) -> tuple[list[str], list[str], set[int]]:
    """(text markers only a correct option has, feedback/explanations, option ids)."""
    questions = db.session.scalars(select(Question).join(Question.quiz).where(
        Question.quiz.has(version_id=enrollment.course_version_id))).all()
    every_wrong = " ".join(" ".join(o.text_md.split()) for q in questions for o in q.options
                           if not o.correct)
    prompts = " ".join(" ".join(f"{q.title} {q.prompt_md}".split()) for q in questions)
    markers, secrets_, ids = [], [], set()
    for question in questions:
        for option in question.options:
            ids.add(option.id)
            if option.correct:
                marker = _marker(option.text_md)
                if len(marker) >= 12 and marker not in every_wrong and marker not in prompts:
                    markers.append(marker)
                if option.feedback_md:
                    secrets_.append(_marker(option.feedback_md))
        if question.explanation_md:
            secrets_.append(_marker(question.explanation_md))
    return markers, [s for s in secrets_ if len(s) >= 20], ids


def _assert_no_key(page: str, markers, secrets_, ids, where: str, options_shown: bool) -> None:
    text = _visible_text(page)
    if not options_shown:  # the attempt page shows every option, right and wrong alike
        for marker in markers:
            assert marker not in text, (where, marker)
    for secret in secrets_:
        assert secret not in text, (where, secret)
    for _name, value in re.findall(r'(name|value|id|for|data-[\w-]+)="([^"]*)"', page):
        assert "correct" not in value.lower() and "weight" not in value.lower(), (where, value)
    assert "[x]" not in page and "data-correct" not in page and "is_correct" not in page, where
    # What a form posts is the position as shown (0, 1, 2...), never an option's database id.
    for question in set(re.findall(r'name="(q\d+)"', page)):
        values = re.findall(rf'name="{question}" value="([^"]*)"', page)
        assert values == [str(i) for i in range(len(values))], (where, question, values)
    assert ids


@pytest.mark.parametrize("slug", COURSES)
def test_no_page_before_passing_carries_the_key(client, make_employee, make_assignment,
                                                 catalog, login, slug):
    enrollment = _begin(client, make_employee, make_assignment, catalog, login, slug,
                        f"{slug}@example.com")
    markers, secrets_, ids = _keys(enrollment)
    assert markers and ids
    pages = {"home": client.get(f"/learn/{enrollment.id}").text}
    for module in enrollment.version.modules:
        pages[f"module {module.position}"] = client.get(
            f"/learn/{enrollment.id}/modules/{module.position}").text
    helpers.read_all_modules(client, enrollment)
    if enrollment.version.attestation_text:
        pages["attestation"] = client.get(f"/learn/{enrollment.id}/attestation").text
        helpers.sign(client, enrollment, "Quiz Taker", PASSWORD)
    pages["home, quiz open"] = client.get(f"/learn/{enrollment.id}").text
    for where, page in pages.items():
        _assert_no_key(page, markers, secrets_, ids, f"{slug}: {where}", options_shown=False)
    attempt = helpers.open_attempt(client, enrollment)
    page = client.get(f"/quiz/attempts/{attempt.id}").text
    _assert_no_key(page, markers, secrets_, ids, f"{slug}: attempt", options_shown=True)
    assert "<script" not in page
    # Fail (one wrong option everywhere) with attempts left: the result shows what was chosen,
    # never the right option, its feedback or the explanation.
    if enrollment.version.max_attempts > 1:
        client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, right=False))
        result = client.get(f"/quiz/attempts/{attempt.id}/result").text
        assert "Correct answer:" not in result
        _assert_no_key(result, markers, secrets_, ids, f"{slug}: result", options_shown=False)
        home = client.get(f"/learn/{enrollment.id}").text
        _assert_no_key(home, markers, secrets_, ids, f"{slug}: home after", options_shown=False)


def test_the_shipped_quizzes_cover_every_question_type(app, catalog):
    used = set(db.session.scalars(select(Question.type).distinct()))
    assert used == set(QUESTION_TYPES), (used, set(QUESTION_TYPES))


# -- races and limits -------------------------------------------------------------------------

def _race(app, cookie: str, count: int, method: str, url: str, data=None) -> list:
    barrier = threading.Barrier(count)
    answers: list = []
    lock = threading.Lock()

    def go():
        own = app.test_client()
        own.set_cookie("session", cookie)
        barrier.wait()
        response = own.open(url, method=method, data=data)
        with lock:
            answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=go) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for status, body in answers:
        assert status < 500, body[:300]
        for marker in FAILURE_MARKERS:
            assert marker not in body
    return answers


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def ready(client, make_employee, make_assignment, catalog, login):
    enrollment = _begin(client, make_employee, make_assignment, catalog, login,
                        "code-of-conduct", "racer@example.com")
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, "Quiz Taker", PASSWORD)
    return enrollment


def test_the_attempt_limit_holds_when_ten_starts_race(app, client, ready):
    limit = ready.version.max_attempts
    for _ in range(limit - 1):
        attempt = helpers.open_attempt(client, ready)
        client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, right=False))
    cookie = client.get_cookie("session").value
    answers = _race(app, cookie, 10, "POST", f"/learn/{ready.id}/quiz")
    assert {status for status, _ in answers} == {302}
    assert _count(QuizAttempt, QuizAttempt.enrollment_id == ready.id) == limit
    last = db.session.scalar(select(QuizAttempt).where(QuizAttempt.status == "open"))
    client.post(f"/quiz/attempts/{last.id}", data=helpers.answers(last, right=False))
    # Every attempt used: ten more racing starts create nothing.
    _race(app, cookie, 10, "POST", f"/learn/{ready.id}/quiz")
    assert _count(QuizAttempt, QuizAttempt.enrollment_id == ready.id) == limit
    assert _count(QuizAttempt, QuizAttempt.status == "open") == 0


def test_the_time_limit_is_the_servers_even_under_twenty_racing_submits(app, client, ready):
    attempt = helpers.open_attempt(client, ready)
    form = helpers.answers(attempt, right=True)
    # The limit ran out (plus the grace period) before the answers arrive.
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id).values(
        deadline_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    cookie = client.get_cookie("session").value
    answers = _race(app, cookie, 20, "POST", f"/quiz/attempts/{attempt.id}", data=form)
    assert {status for status, _ in answers} == {303}
    db.session.expire_all()
    graded = db.session.get(QuizAttempt, attempt.id)
    assert graded.status == "submitted" and graded.passed is False
    assert graded.answers == {}  # answers sent after the limit do not count
    assert _count(Certificate) == 0
    assert _count(QuizAttempt, QuizAttempt.enrollment_id == ready.id) == 1


def test_within_the_time_limit_twenty_racing_submits_grade_once(app, client, ready):
    db.session.execute(update(QuizAttempt).values(deadline_at=None))
    attempt = helpers.open_attempt(client, ready)
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id).values(
        deadline_at=utcnow() + timedelta(minutes=10)))
    db.session.commit()
    form = helpers.answers(attempt, right=True)
    cookie = client.get_cookie("session").value
    answers = _race(app, cookie, 20, "POST", f"/quiz/attempts/{attempt.id}", data=form)
    assert {status for status, _ in answers} == {303}
    db.session.expire_all()
    graded = db.session.get(QuizAttempt, attempt.id)
    assert graded.passed is True
    assert _count(Certificate) == 1
    assert _count(QuizAttempt) == 1

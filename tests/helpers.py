"""Small helpers for driving the learner flow through the test client."""

from __future__ import annotations

import re

from sqlalchemy import select

from courses.models import Enrollment
from lms.compliance.models import Assignment
from lms.db import db
from quizzes.models import Option, QuizAttempt


def start(client, assignment: Assignment) -> Enrollment:
    response = client.post(f"/training/{assignment.id}/start")
    assert response.status_code == 302, response.text[:300]
    db.session.expire_all()
    return db.session.get(Assignment, assignment.id).enrollment


def read_all_modules(client, enrollment: Enrollment) -> None:
    for module in enrollment.version.modules:
        assert client.get(f"/learn/{enrollment.id}/modules/{module.position}").status_code == 200
        assert client.post(f"/learn/{enrollment.id}/modules/{module.position}").status_code == 302


def sign(client, enrollment: Enrollment, name: str, password: str):
    return client.post(f"/learn/{enrollment.id}/attestation",
                       data={"agree": "y", "full_name": name, "password": password})


def open_attempt(client, enrollment: Enrollment) -> QuizAttempt:
    response = client.post(f"/learn/{enrollment.id}/quiz")
    assert response.status_code == 302, response.text[:300]
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", response.location).group(1))
    return db.session.get(QuizAttempt, attempt_id)


def answers(attempt: QuizAttempt, right: bool) -> dict[str, list[str]]:
    """Form data answering every question rightly or wrongly, from the attempt's stored order."""
    options = {o.id: o for o in db.session.scalars(
        select(Option).where(Option.id.in_([o for item in attempt.layout for o in item["o"]])))}
    form = {}
    for index, item in enumerate(attempt.layout):
        shown = [options[o] for o in item["o"]]
        correct = [str(i) for i, o in enumerate(shown) if o.correct]
        wrong = [str(i) for i, o in enumerate(shown) if not o.correct][:1]
        form[f"q{index}"] = correct if right else wrong
    return form


def complete_course(client, assignment: Assignment, name: str, password: str) -> Enrollment:
    enrollment = start(client, assignment)
    read_all_modules(client, enrollment)
    if enrollment.version.attestation_text:
        assert sign(client, enrollment, name, password).status_code == 302
    attempt = open_attempt(client, enrollment)
    response = client.post(f"/quiz/attempts/{attempt.id}", data=answers(attempt, right=True))
    assert response.status_code == 303
    db.session.expire_all()
    return enrollment

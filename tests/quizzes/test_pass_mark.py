"""A quiz's pass mark in points overrides the course's percentage."""

from pathlib import Path

from sqlalchemy import select

from courses.models import Course
from lms.catalog.services import sync_catalog
from lms.db import db
from tests import helpers

COURSE = """---
title: "Points course"
kind: "training"
pass_mark: "100%"
recurrence: "once"
---
Intro.
"""
MODULE = "# Only module\n\nRead me.\n"


def _question(n: int) -> str:
    return (f"## Question {n} {{#q{n}}}\n\nPick the right one.\n\n- [x] Right\n  > Yes.\n"
            f"- [ ] Wrong\n  > No.\n\n> [!EXPLANATION]\n> Because.\n\n")


def test_points_pass_mark(tmp_path: Path, client, make_employee, make_assignment, login):
    folder = tmp_path / "points-course"
    folder.mkdir()
    (folder / "course.md").write_text(COURSE)
    (folder / "01-only.md").write_text(MODULE)
    quiz = "---\npass_mark: 3\nshuffle_questions: false\nshuffle_options: false\n---\n\n"
    (folder / "quiz.md").write_text(quiz + "".join(_question(n) for n in range(1, 5)))
    report = sync_catalog(tmp_path)
    assert not report.failed, report.failed
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "points-course"))
    person = make_employee("Ana García", email="ana@example.com")
    assignment = make_assignment(person, course)
    login(client, "ana@example.com")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    attempt = helpers.open_attempt(client, enrollment)
    form = helpers.answers(attempt, right=True)
    form["q3"] = ["1"]  # one wrong: 3 of 4 points, 75%, below the course's 100% but >= 3 points
    response = client.post(f"/quiz/attempts/{attempt.id}", data=form)
    assert "You passed with 75%" in client.get(response.location).text

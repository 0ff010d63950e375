from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from courses.access import own_enrollment
from courses.services import CourseRuleError
from lms.db import db
from quizzes.models import QuizAttempt
from quizzes.services import (
    BadSubmission,
    attempts_left,
    shown_questions,
    start_attempt,
    submit_attempt,
)

bp = Blueprint("quizzes", __name__)


def _own_attempt(attempt_id: int) -> QuizAttempt:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.enrollment.employee_id != current_user.id:
        abort(404)
    return attempt


@bp.post("/learn/<int:enrollment_id>/quiz")
@login_required
def start(enrollment_id: int):
    """Start an attempt (or go back to the open one)."""
    enrollment = own_enrollment(enrollment_id)
    try:
        attempt = start_attempt(enrollment)
    except CourseRuleError as exc:
        flash(str(exc), "error")
        return redirect(url_for("training.course_home", enrollment_id=enrollment.id))
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.get("/quiz/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.status == "submitted":
        return redirect(url_for(".result", attempt_id=attempt.id))
    # The page shows questions and options only: never which option is correct.
    return render_template("quizzes/attempt.html", attempt=attempt,
                           questions=shown_questions(attempt), enrollment=attempt.enrollment)


@bp.post("/quiz/attempts/<int:attempt_id>")
@login_required
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    form = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
    try:
        submit_attempt(attempt.id, form)
    except BadSubmission:
        db.session.rollback()
        abort(400)
    db.session.commit()
    return redirect(url_for(".result", attempt_id=attempt.id), code=303)


@bp.get("/quiz/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.status != "submitted":
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    enrollment = attempt.enrollment
    left = attempts_left(enrollment)
    # Correct answers are revealed once they can no longer be used to pass a later attempt.
    reveal = bool(attempt.passed) or left == 0
    results = {r["q"]: r for r in attempt.results or []}
    return render_template(
        "quizzes/result.html", attempt=attempt, enrollment=enrollment, left=left, reveal=reveal,
        questions=shown_questions(attempt), results=results,
    )

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_time, gettext, ngettext
from flask_login import current_user, login_required

from courses.access import own_enrollment
from courses.services import CourseRuleError
from lms.db import db
from quizzes.models import QuizAttempt
from quizzes.services import (
    BadSubmission,
    CannotExtend,
    attempts_left,
    extend_attempt,
    extension_minutes,
    extensions_left,
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
    return _attempt_page(attempt)


def _attempt_page(attempt: QuizAttempt, chosen: dict[int, set[str]] | None = None,
                  notice: str | None = None, error: str | None = None):
    left = extensions_left(attempt)
    # The page shows questions and options only: never which option is correct.
    return render_template("quizzes/attempt.html", attempt=attempt,
                           questions=shown_questions(attempt), enrollment=attempt.enrollment,
                           extensions_left=left, chosen=chosen or {},
                           extension_help=_extension_help(attempt, left),
                           time_warning=_time_warning(left),
                           notice=notice, error=error)


@bp.post("/quiz/attempts/<int:attempt_id>/extend")
@login_required
def extend(attempt_id: int):
    """More time, where the course allows it. The page's script asks for JSON and keeps the
    answers on screen; without script the quiz form itself is posted here (its "More time"
    button), so the answers chosen so far come back ticked."""
    attempt = _own_attempt(attempt_id)
    if attempt.status == "submitted":
        return redirect(url_for(".result", attempt_id=attempt.id), code=303)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        extend_attempt(attempt.id)
    except CannotExtend:
        db.session.rollback()
        message = gettext("The time limit cannot be extended any further.")
        if wants_json:
            return jsonify(error=message), 409
        return _attempt_page(attempt, _posted_choices(), error=message), 409
    db.session.commit()
    deadline = format_time(attempt.deadline_at, "short")
    message = gettext("Time extended: submit by %(time)s.", time=deadline)
    if wants_json:
        left = extensions_left(attempt)
        return jsonify(deadline=attempt.deadline_at.isoformat(), message=message,
                       extensions_left=left, help=_extension_help(attempt, left),
                       warning=_time_warning(left))
    return _attempt_page(attempt, _posted_choices(), notice=message)


def _extension_help(attempt: QuizAttempt, left: int) -> str:
    return ngettext("Adds %(minutes)s minutes; you can do this %(num)s more time.",
                    "Adds %(minutes)s minutes; you can do this %(num)s more times.", left,
                    minutes=extension_minutes(attempt.enrollment.version.time_limit_minutes))


def _time_warning(left: int) -> str:
    if left:
        return gettext("Less than two minutes left: submit your answers now, or choose "
                       "“More time”.")
    return gettext("Less than two minutes left: submit your answers now.")


def _posted_choices() -> dict[int, set[str]]:
    """The options ticked in a posted quiz form, by question index (positions as sent; the page
    only uses them to tick boxes again)."""
    chosen: dict[int, set[str]] = {}
    for key in request.form:
        if key.startswith("q") and key[1:].isdecimal():
            chosen[int(key[1:])] = set(request.form.getlist(key))
    return chosen


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

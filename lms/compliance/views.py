from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from certificates.models import Certificate
from courses.access import own_enrollment
from courses.services import module_states, quiz_blocker, resume_position
from lms.clock import today
from lms.compliance.models import Assignment
from lms.compliance.services import AssignmentError, begin, training_rows
from lms.db import db
from lms.i18n import content_locale
from quizzes.services import attempts_left, best_attempt, open_attempt, quiz_for_version

bp = Blueprint("training", __name__)


@bp.get("/")
@login_required
def my_training_page():
    return redirect(url_for(".my_training"))


@bp.get("/training")
@login_required
def my_training():
    rows = training_rows(current_user.id, today(), content_locale())
    return render_template("training/my_training.html", rows=rows, form=FlaskForm())


@bp.post("/training/<int:assignment_id>/start")
@login_required
def start(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.employee_id != current_user.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        enrollment = begin(assignment)
    except AssignmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".my_training"))
    db.session.commit()
    return redirect(url_for(".course_home", enrollment_id=enrollment.id))


@bp.get("/learn/<int:enrollment_id>")
@login_required
def course_home(enrollment_id: int):
    """The course's page: modules in order, attestation, quiz and certificate."""
    enrollment = own_enrollment(enrollment_id)
    states = module_states(enrollment)
    quiz = quiz_for_version(enrollment.course_version_id)
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment.id))
    return render_template(
        "training/course_home.html", enrollment=enrollment, version=enrollment.version,
        states=states, resume=resume_position(states), quiz=quiz,
        blocker=quiz_blocker(enrollment) if quiz else None,
        left=attempts_left(enrollment) if quiz else 0,
        best=best_attempt(enrollment.id) if quiz else None,
        open_attempt=open_attempt(enrollment.id) if quiz else None,
        certificate=certificate, form=FlaskForm(),
    )

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses.access import own_enrollment
from courses.forms import AttestationForm, CompleteModuleForm
from courses.services import (
    CourseRuleError,
    all_modules_done,
    complete_module,
    module_states,
    sign_attestation,
    view_module,
)
from lms.db import db
from lms.i18n import translated

bp = Blueprint("courses", __name__)


@bp.get("/learn/<int:enrollment_id>/modules/<int:position>")
@login_required
def module(enrollment_id: int, position: int):
    enrollment = own_enrollment(enrollment_id)
    try:
        state, states, first_view = view_module(enrollment, position)
    except LookupError:
        abort(404)
    except CourseRuleError as exc:
        flash(str(exc), "error")
        return redirect(url_for("training.course_home", enrollment_id=enrollment.id))
    if first_view:
        # Only then is there something to commit; committing also expires every loaded
        # object, and the page would read them all again.
        db.session.commit()
    return render_template(
        "courses/module.html", enrollment=enrollment, state=state, states=states,
        form=CompleteModuleForm(), count=len(states),
    )


@bp.post("/learn/<int:enrollment_id>/modules/<int:position>")
@login_required
def complete(enrollment_id: int, position: int):
    enrollment = own_enrollment(enrollment_id)
    if not CompleteModuleForm().validate_on_submit():
        abort(400)
    try:
        complete_module(enrollment, position)
    except LookupError:
        abort(404)
    except CourseRuleError as exc:
        flash(str(exc), "error")
        return redirect(url_for("training.course_home", enrollment_id=enrollment.id))
    db.session.commit()
    following = [s for s in module_states(enrollment) if s.module.position > position]
    if following:
        return redirect(url_for(".module", enrollment_id=enrollment.id,
                                position=following[0].module.position))
    if enrollment.version.attestation_text and enrollment.attestation is None:
        return redirect(url_for(".attestation", enrollment_id=enrollment.id))
    return redirect(url_for("training.course_home", enrollment_id=enrollment.id))


@bp.route("/learn/<int:enrollment_id>/attestation", methods=["GET", "POST"])
@login_required
def attestation(enrollment_id: int):
    enrollment = own_enrollment(enrollment_id)
    version = enrollment.version
    if not version.attestation_text:
        abort(404)
    if enrollment.attestation is None and not all_modules_done(enrollment):
        flash(_("Read every module before you sign the attestation."), "error")
        return redirect(url_for("training.course_home", enrollment_id=enrollment.id))
    form = AttestationForm()
    status = 200
    if enrollment.attestation is None and form.validate_on_submit():
        try:
            sign_attestation(enrollment, current_user, form.full_name.data, form.password.data,
                             request.remote_addr, request.user_agent.string,
                             translated(version, "attestation_text"))
        except CourseRuleError as exc:
            getattr(form, exc.field or "agree").errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Thank you. Your attestation is signed and recorded."), "success")
            return redirect(url_for("training.course_home", enrollment_id=enrollment.id))
    if form.errors:
        status = 400
    return render_template("courses/attestation.html", enrollment=enrollment, form=form,
                           signed=enrollment.attestation), status

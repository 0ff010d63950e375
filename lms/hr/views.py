from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import role_required
from lms.clock import today
from lms.compliance.models import Assignment
from lms.db import db
from lms.hr.forms import FollowUpForm
from lms.hr.services import (
    SORTS,
    OverdueFilters,
    add_follow_up,
    explain,
    filter_choices,
    manager_by_number,
    overdue,
)

bp = Blueprint("hr", __name__, url_prefix="/hr")
PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.get("/overdue")
@role_required("hr", "admin")
def overdue_page():
    """Everyone overdue, most overdue first; filter, sort, page; follow-up per person."""
    manager_number = request.args.get("manager", "").strip()[:64]
    manager = manager_by_number(manager_number) if manager_number else None
    filters = OverdueFilters(
        course_id=_int_arg("course"), department_id=_int_arg("department"),
        location_id=_int_arg("location"),
        manager_id=manager.id if manager else (-1 if manager_number else None),
        min_days=_int_arg("min_days") or 0,
        sort=request.args.get("sort") if request.args.get("sort") in SORTS else "days",
        page=_int_arg("page") or 1, per_page=PER_PAGE,
    )
    rows, total = overdue(today(), filters)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("hr/overdue.html", rows=rows, total=total, filters=filters,
                           pages=pages, choices=filter_choices(), manager=manager,
                           manager_number=manager_number, sorts=SORTS)


@bp.post("/overdue/<int:assignment_id>/follow-up")
@role_required("hr", "admin")
def follow_up(assignment_id: int):
    if db.session.get(Assignment, assignment_id) is None:
        abort(404)
    form = FollowUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        add_follow_up(assignment_id, current_user.id, form.note.data or "", form.contacted.data)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Follow-up saved."), "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/hr/overdue") else url_for(".overdue_page"))


@bp.get("/assignments/<int:assignment_id>")
@role_required("hr", "admin")
def explain_page(assignment_id: int):
    """One click from the overdue list: why this person has this assignment, due then."""
    explanation = explain(assignment_id, today())
    if explanation is None:
        abort(404)
    return render_template("hr/explain.html", x=explanation, today=today())

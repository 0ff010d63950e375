from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from courses.models import CourseVersion
from lms.audit.services import record
from lms.auth.access import role_required
from lms.clock import today
from lms.compliance.leave import LeaveError, end_leave, record_leave
from lms.compliance.models import Assignment, Requirement
from lms.compliance.waivers import WaiverError, waive
from lms.db import db, plan_each_statement
from lms.hr.forms import FollowUpForm
from lms.hr.requirements import RequirementInput, as_input
from lms.hr.requirements import save as save_requirement
from lms.hr.services import (
    SORTS,
    FollowUpError,
    OverdueFilters,
    add_follow_up,
    explain,
    filter_choices,
    leave_overview,
    manager_by_number,
    overdue,
)
from lms.people.models import Employee, Leave

bp = Blueprint("hr", __name__, url_prefix="/hr")
# Reports over many assignments: each statement planned for its values (lms/db.py).
bp.before_request(plan_each_statement)
PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdecimal() and len(value) < 10 else None


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
    except FollowUpError as exc:
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


def _date_field(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, "").strip()[:10])
    except ValueError:
        return None


@bp.post("/assignments/<int:assignment_id>/waive")
@role_required("hr", "admin")
def waive_assignment(assignment_id: int):
    """Exempt the person until a date, with the reason on record."""
    if db.session.get(Assignment, assignment_id) is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        assignment = waive(assignment_id, _date_field("until"), request.form.get("reason", ""),
                           current_user.id, today())
    except WaiverError as exc:
        flash(str(exc), "error")
    else:
        record("waiver", actor=current_user, target=("assignment", assignment_id),
               ip=request.remote_addr,
               detail={"employee_id": assignment.employee_id, "cycle": assignment.cycle,
                       "until": assignment.waived_until.isoformat(),
                       "reason": assignment.waiver_reason})
        db.session.commit()
        flash(_("Waiver saved."), "success")
    return redirect(url_for(".explain_page", assignment_id=assignment_id))


@bp.route("/people/<int:employee_id>/leave", methods=["GET", "POST"])
@role_required("hr", "admin")
def leave_page(employee_id: int):
    """A person's leaves of absence; recording one pauses their training clock at once."""
    employee = db.session.get(Employee, employee_id)
    if employee is None:
        abort(404)
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            leave = record_leave(employee_id, _date_field("starts_on"), _date_field("ends_on"),
                                 request.form.get("reason", ""), current_user.id, today())
        except LeaveError as exc:
            error = str(exc)
        else:
            _audit_leave(leave, "recorded")
            db.session.commit()
            flash(_("Leave recorded."), "success")
            return redirect(url_for(".leave_page", employee_id=employee_id))
    leaves, assignments = leave_overview(employee_id)
    return render_template("hr/leave.html", employee=employee, leaves=leaves,
                           assignments=assignments, error=error, today=today(),
                           form=request.form), 400 if error else 200


@bp.post("/leave/<int:leave_id>/end")
@role_required("hr", "admin")
def end_leave_page(leave_id: int):
    leave = db.session.get(Leave, leave_id)
    if leave is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        end_leave(leave_id, _date_field("back_on"), today())
    except LeaveError as exc:
        flash(str(exc), "error")
    else:
        _audit_leave(leave, "return recorded")
        db.session.commit()
        flash(_("Return from leave recorded."), "success")
    return redirect(url_for(".leave_page", employee_id=leave.employee_id))


def _audit_leave(leave: Leave, what: str) -> None:
    # The reason stays on the leave record (it may be medical); the log says who and when.
    record("leave", actor=current_user, target=("employee", leave.employee_id),
           ip=request.remote_addr,
           detail={"leave_id": leave.id, "what": what, "starts_on": leave.starts_on.isoformat(),
                   "ends_on": leave.ends_on.isoformat() if leave.ends_on else None})


def _form_input() -> RequirementInput:
    """The requirement form as plain values (bad numbers become None and are reported)."""
    form = request.form

    def number(name: str) -> int | None:
        value = form.get(name, "").strip()
        return int(value) if value.isdecimal() and len(value) < 7 else None

    def ids(name: str) -> list[int]:
        return [int(v) for v in form.getlist(name) if v.isdecimal() and len(v) < 10]

    try:
        starts_on = date.fromisoformat(form.get("starts_on", ""))
    except ValueError:
        starts_on = None
    return RequirementInput(
        course_id=number("course_id"), name=form.get("name", ""),
        everyone="everyone" in form, new_hires="new_hires" in form, managers="managers" in form,
        department_ids=ids("department_ids"), location_ids=ids("location_ids"),
        job_titles=form.get("job_titles", "")[:5000], recurrence=form.get("recurrence", ""),
        every_months=number("every_months"), deadline_month=number("deadline_month"),
        deadline_day=number("deadline_day"), window_days=number("window_days") or 0,
        due_days_after_entry=number("due_days_after_entry"),
        reminder_days=form.get("reminder_days", "")[:200],
        escalate_manager_days=number("escalate_manager_days"),
        escalate_hr_days=number("escalate_hr_days"), starts_on=starts_on,
        active="active" in form)


@bp.get("/requirements")
@role_required("hr", "admin")
def requirements_page():
    rows = db.session.execute(
        select(Requirement, CourseVersion.title)
        .outerjoin(CourseVersion, (CourseVersion.course_id == Requirement.course_id)
                   & (CourseVersion.status == "published"))
        .order_by(Requirement.active.desc(), Requirement.name)).all()
    return render_template("hr/requirements.html", rows=rows)


@bp.route("/requirements/new", methods=["GET", "POST"])
@bp.route("/requirements/<int:requirement_id>", methods=["GET", "POST"])
@role_required("hr", "admin")
def requirement_form(requirement_id: int | None = None):
    requirement = None
    if requirement_id is not None:
        requirement = db.session.get(Requirement, requirement_id)
        if requirement is None:
            abort(404)
    errors: dict[str, str] = {}
    data = as_input(requirement) if requirement else RequirementInput(starts_on=today())
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        data = _form_input()
        saved, errors = save_requirement(requirement, data)
        if saved is not None:
            record("requirement_changed", actor=current_user, target=("requirement", saved.id),
                   ip=request.remote_addr,
                   detail={"created": requirement is None, "name": saved.name,
                           "course_id": saved.course_id, "recurrence": saved.recurrence,
                           "audience": saved.audience, "active": saved.active,
                           "starts_on": saved.starts_on.isoformat()})
            db.session.commit()
            flash(_("Requirement saved. The next assignment sync applies it."), "success")
            return redirect(url_for(".requirements_page"))
    return render_template("hr/requirement_form.html", requirement=requirement, data=data,
                           errors=errors, choices=filter_choices(), months=range(1, 13)), (
        400 if errors else 200)

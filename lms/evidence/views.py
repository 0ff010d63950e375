"""Evidence packs for HR: one employee's pack at once; a whole roster filter as a background job
with its progress and its download. Every pack downloaded or asked for is in the audit log."""

from __future__ import annotations

import tempfile
import zipfile

from babel.dates import format_datetime
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from lms.audit.services import actor_label, record
from lms.auth.access import role_required
from lms.clock import org_zone, today
from lms.db import db, utcnow
from lms.evidence import queue
from lms.evidence.services import folder_name, write_pack
from lms.hr.services import filter_choices
from lms.people.models import Employee
from lms.reports.filters import ParsedFilters, parse_roster_args
from lms.reports.models import ExportJob
from lms.reports.roster import STATUSES

bp = Blueprint("evidence", __name__)
PER_PAGE = 25


@bp.get("/hr/people/<int:employee_id>/evidence.zip")
@role_required("hr", "admin")
def person_pack(employee_id: int):
    """One employee's pack, built into a temporary file (memory stays flat) and sent."""
    if db.session.get(Employee, employee_id) is None:
        abort(404)
    actor = current_user._get_current_object()
    archive_file = tempfile.TemporaryFile()  # noqa: SIM115  (send_file closes it when sent)
    try:
        with zipfile.ZipFile(archive_file, "w", zipfile.ZIP_DEFLATED) as archive:
            pack = write_pack(archive, employee_id, generated_at=utcnow(),
                              generated_by=actor_label(actor), today=today())
        record("evidence_pack", actor=actor, target=("employee", employee_id),
               ip=request.remote_addr,
               detail={"employee_number": pack.person.employee_number, "counts": pack.counts,
                       "manifest_sha256": pack.manifest_sha256})
        db.session.commit()
        archive_file.seek(0)
    except BaseException:
        archive_file.close()
        raise
    name = f"evidence {folder_name(pack.person.employee_number, pack.person.full_name)}.zip"
    # send_file closes the temporary file (which deletes it) once the response is sent.
    return send_file(archive_file, mimetype="application/zip", as_attachment=True,
                     download_name=name, max_age=0)


def _when(moment) -> str:
    if moment is None:
        return ""
    return format_datetime(moment, "short", tzinfo=org_zone(), locale=get_locale())


def _filter_labels(jobs: list[ExportJob], choices: dict) -> dict[int, list[tuple[str, str]]]:
    """Each job's filters as (label, value) pairs with names, not ids: the form's choices,
    and one query for the managers of the whole page."""
    names: dict[str, dict[int, str]] = {
        "course_id": dict(choices["courses"]), "department_id": dict(choices["departments"]),
        "location_id": dict(choices["locations"]), "manager_id": {}}
    managers = {job.filters["manager_id"] for job in jobs
                if isinstance((job.filters or {}).get("manager_id"), int)}
    if managers:
        names["manager_id"] = {
            id_: f"{name} ({number})" for id_, name, number in db.session.execute(
                select(Employee.id, Employee.full_name, Employee.employee_number)
                .where(Employee.id.in_(managers)))}
    labels = {"course_id": _("Course"), "cycle": _("Cycle"), "department_id": _("Department"),
              "location_id": _("Location"), "manager_id": _("Manager"),
              "direct_only": _("Direct reports only"), "statuses": _("Status"),
              "due_from": _("Due from"), "due_to": _("Due to"),
              "completed_from": _("Completed from"), "completed_to": _("Completed to"),
              "employee_id": _("Employee")}
    out = {}
    for job in jobs:
        pairs = []
        for key, value in (job.filters or {}).items():
            if key in names:
                value = names[key].get(value, f"#{value}")
            elif key == "statuses":
                value = ", ".join(value)
            elif key == "direct_only":
                value = _("yes")
            pairs.append((labels.get(key, key), str(value)))
        out[job.id] = pairs
    return out


def _page_number() -> int:
    value = request.args.get("page", "").strip()
    return int(value) if value.isdecimal() and 0 < len(value) < 7 else 1


def _jobs_page(parsed: ParsedFilters, status: int = 200):
    mine = request.args.get("mine") == "1"
    query = select(ExportJob, Employee.full_name).join(
        Employee, Employee.id == ExportJob.requested_by_id).where(ExportJob.kind == queue.KIND)
    if mine:
        query = query.where(ExportJob.requested_by_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    rows = db.session.execute(query.order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    choices = filter_choices()
    labels = _filter_labels([job for job, _name in rows], choices)
    return render_template(
        "evidence/jobs.html", rows=rows, labels=labels, when=_when, mine=mine, page=page,
        pages=pages, total=total, parsed=parsed, values=parsed.values, errors=parsed.errors,
        choices=choices, statuses=STATUSES), status


@bp.get("/hr/evidence")
@role_required("hr", "admin")
def jobs_page():
    """The bulk exports (everyone's, or mine) with their progress; the form to ask for one,
    pre-filled from roster filter parameters in the query string."""
    parsed = parse_roster_args(request.args)
    return _jobs_page(parsed)


@bp.post("/hr/evidence")
@role_required("hr", "admin")
def create_job():
    """Queue a bulk export for a roster filter (the roster page's parameter names)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    parsed = parse_roster_args(request.form)
    if parsed.ok:
        total = queue.people_count(parsed.filters, today())
        if total == 0:
            parsed.errors["_"] = _("Nobody matches these filters: there is nothing to export.")
    if not parsed.ok:
        return _jobs_page(parsed, 400)
    actor = current_user._get_current_object()
    job = queue.create_job(actor.id, parsed.filters, total)
    record("evidence_pack", actor=actor, target=("export_job", job.id), ip=request.remote_addr,
           detail={"action": "requested", "filters": parsed.filters.as_dict(),
                   "people": total})
    db.session.commit()
    flash(_("Evidence packs for %(num)s people are being prepared. This page shows the "
            "progress.", num=total), "success")
    return redirect(url_for(".jobs_page"))


@bp.get("/hr/evidence/<int:job_id>/download")
@role_required("hr", "admin")
def download(job_id: int):
    job = db.session.get(ExportJob, job_id)
    if job is None or job.kind != queue.KIND:
        abort(404)
    if job.status != "done":
        flash(_("This export is not ready yet."), "error")
        return redirect(url_for(".jobs_page"))
    path = queue.result_path(job)
    if path is None:
        abort(404)
    record("evidence_pack", actor=current_user._get_current_object(),
           target=("export_job", job.id), ip=request.remote_addr,
           detail={"action": "downloaded", "filters": job.filters, "people": job.total})
    db.session.commit()
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"evidence-packs-{job.id}.zip", max_age=0)

"""The HR import page: upload a file, read the dry run, apply it.

The uploaded file stays on the server (import_store), named by its SHA-256; the report and the
apply read it from there and check it again, so what is applied is what the HR person saw
checked, against the database as it is at that moment.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from lms.auth.access import role_required
from lms.clock import today
from lms.db import db
from lms.people.forms import ImportForm
from lms.people.import_store import discard_upload, load_upload, save_upload
from lms.people.importer import ImportFileError, Plan, read_file
from lms.people.importing import check_file, run_import
from lms.reports.spreadsheet import csv_chunks

bp = Blueprint("people", __name__)
SHOWN = 100  # changes of each kind listed on the page; the CSV report has them all
PROBLEMS_SHOWN = 200
REPORT_COLUMNS = ("kind", "where", "employee_number", "name", "column", "old", "new",
                  "message")


def _upload_or_404(digest: str):
    upload = load_upload(digest, current_user.id)
    if upload is None:
        abort(404)
    return upload


@bp.route("/hr/import", methods=["GET", "POST"])
@role_required("hr", "admin")
def import_page():
    """Upload an HR export; a readable file is kept and its dry run shown."""
    form = ImportForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            data, name = upload.read(), upload.filename or "upload"
            fmt = form.format.data or None
            try:
                read_file(data, name, fmt)
            except ImportFileError as exc:
                error = str(exc)
            else:
                digest = save_upload(data, name, fmt, current_user.id)
                args = {"deactivate_missing": "1"} if form.deactivate_missing.data else {}
                return redirect(url_for(".import_report", digest=digest, **args))
        return render_template("people/import.html", form=form, error=error), 400
    return render_template("people/import.html", form=form, error=error)


def _deactivate_missing(values) -> bool:
    return values.get("deactivate_missing") == "1"


def _render_report(digest: str, name: str, plan: Plan, deactivate_missing: bool,
                   status: int = 200):
    return render_template(
        "people/import.html", form=ImportForm(), plan=plan, digest=digest, file_name=name,
        deactivate_missing=deactivate_missing, counts=plan.summary(), shown=SHOWN,
        problems_shown=PROBLEMS_SHOWN, errors=plan.errors), status


@bp.get("/hr/import/<digest>")
@role_required("hr", "admin")
def import_report(digest: str):
    """The dry run of a stored upload: what would change, and every problem."""
    upload = _upload_or_404(digest)
    deactivate_missing = _deactivate_missing(request.args)
    try:
        plan, _existing = check_file(upload.data, upload.name, upload.fmt, today(),
                                     deactivate_missing=deactivate_missing)
    except ImportFileError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".import_page"))
    return _render_report(digest, upload.name, plan, deactivate_missing)


def _report_rows(plan: Plan):
    """Every change and problem, for the CSV report."""
    for problem in plan.problems:
        yield (problem.level, plan.where(problem.row), "", "", problem.column or "", "", "",
               problem.message)
    for person in plan.adds:
        yield ("add", plan.where(person.row), person.number, person.full_name, "", "",
               person.email, "")
    for change in plan.updates:
        for field in change.fields:
            yield ("update", plan.where(change.row), change.new.number, change.new.full_name,
                   field, getattr(change.old, field), getattr(change.new, field), "")
    for row, person, why in plan.deactivations:
        yield ("deactivate", plan.where(row), person.number, person.full_name, "", "", "",
               _("not in the file") if why == "missing" else _("leave date"))
    for person in plan.reactivations:
        yield ("reactivate", plan.where(person.row), person.number, person.full_name, "", "",
               "", "")
    for number, name in plan.new_managers:
        yield ("new_manager", "", number, name, "", "", "", "")
    for name in plan.new_departments:
        yield ("new_department", "", "", name, "department", "", "", "")
    for name in plan.new_locations:
        yield ("new_location", "", "", name, "location", "", "", "")


@bp.get("/hr/import/<digest>/report.csv")
@role_required("hr", "admin")
def import_report_csv(digest: str):
    """The whole dry run as CSV (the page lists only the first changes and problems)."""
    upload = _upload_or_404(digest)
    try:
        plan, _existing = check_file(upload.data, upload.name, upload.fmt, today(),
                                     deactivate_missing=_deactivate_missing(request.args))
    except ImportFileError:
        abort(404)
    body = stream_with_context(csv_chunks(REPORT_COLUMNS, _report_rows(plan), bom=True))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{digest[:12]}-report.csv"'})


@bp.post("/hr/import/<digest>/apply")
@role_required("hr", "admin")
def import_apply(digest: str):
    """Check the stored file again and apply it: all of it, or nothing."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    upload = _upload_or_404(digest)
    deactivate_missing = _deactivate_missing(request.form)
    try:
        result = run_import(upload.data, upload.name, upload.fmt, today(), apply=True,
                            deactivate_missing=deactivate_missing, actor=current_user,
                            ip=request.remote_addr)
    except ImportFileError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".import_page"))
    if not result.applied:
        db.session.rollback()
        flash(_("Nothing was applied: the file no longer passes the checks (the stored people "
                "may have changed since the dry run). See the problems below."), "error")
        return _render_report(digest, upload.name, result.plan, deactivate_missing, 409)
    db.session.commit()
    discard_upload(digest)
    counts = result.plan.summary()
    flash(_("Import applied: %(added)s added, %(updated)s updated, %(deactivated)s "
            "deactivated, %(reactivated)s reactivated.", added=counts["added"],
            updated=counts["updated"], deactivated=counts["deactivated"],
            reactivated=counts["reactivated"]), "success")
    return redirect(url_for(".import_page"))

"""Admins browse, filter and export the audit log. Read-only: there is no route that changes
an entry."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit.services import (
    ACTIONS,
    AUDIT_COLUMNS,
    AuditFilters,
    audit_page,
    audit_rows,
    record,
)
from lms.auth.access import role_required
from lms.clock import start_of, today
from lms.db import db
from lms.reports.spreadsheet import csv_chunks

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 100


def _filters() -> tuple[AuditFilters, list[str]]:
    errors = []
    bounds = {}
    for name in ("from", "to"):
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        try:
            bounds[name] = date.fromisoformat(raw[:10])
        except ValueError:
            errors.append(_("“%(value)s” is not a date: use YYYY-MM-DD.", value=raw[:40]))
    action = request.args.get("action", "")
    return AuditFilters(
        action=action if action in ACTIONS else None,
        actor=request.args.get("actor", "").strip()[:200] or None,
        target_type=request.args.get("target_type", "").strip()[:32] or None,
        target_id=request.args.get("target_id", "").strip()[:64] or None,
        since=start_of(bounds["from"]) if "from" in bounds else None,
        until=start_of(bounds["to"] + timedelta(days=1)) if "to" in bounds else None,
    ), errors


@bp.get("")
@role_required("admin")
def index():
    filters, errors = _filters()
    page = request.args.get("page", "1")
    page = int(page) if page.isdecimal() and len(page) < 7 else 1
    entries, total = audit_page(filters, page, PER_PAGE)
    return render_template("audit/index.html", entries=entries, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), actions=ACTIONS,
                           errors=errors, args=request.args), 400 if errors else 200


@bp.get("/export.csv")
@role_required("admin")
def export():
    """The filtered log as CSV. Exporting the log is itself logged (and committed first)."""
    filters, errors = _filters()
    if errors:
        return Response("\n".join(errors), status=400, mimetype="text/plain")
    _, total = audit_page(filters, 1, 1)
    record("export", actor=current_user, target=("audit_log", "csv"), ip=request.remote_addr,
           detail={"rows": total, "filters": {k: v for k, v in request.args.items() if v}})
    db.session.commit()
    name = f"audit-log-{today().strftime('%Y%m%d')}.csv"
    body = stream_with_context(csv_chunks(AUDIT_COLUMNS, audit_rows(filters), bom=True))
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

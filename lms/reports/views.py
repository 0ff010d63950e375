"""HR's compliance roster: the page (filters and the first rows) and the same rows as CSV or
XLSX. All three read the same query-string filters (``lms.reports.filters``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from lms.audit.services import record
from lms.auth.access import role_required
from lms.clock import today
from lms.db import db, plan_each_statement
from lms.hr.services import filter_choices
from lms.reports.filters import ParsedFilters, parse_roster_args
from lms.reports.roster import (
    STATUSES,
    RosterFilters,
    header,
    roster_count,
    roster_csv_chunks,
    roster_page,
    roster_rows,
)
from lms.reports.spreadsheet import xlsx_chunks

bp = Blueprint("reports", __name__)
# Reports over many assignments: each statement planned for its values (lms/db.py).
bp.before_request(plan_each_statement)
PER_PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page_number() -> int:
    value = request.args.get("page", "").strip()
    return max(1, int(value)) if value.isascii() and value.isdigit() and len(value) < 7 else 1


def _render(parsed: ParsedFilters, rows: list, total: int, page: int, pages: int):
    return render_template(
        "reports/roster.html", parsed=parsed, values=parsed.values, errors=parsed.errors,
        rows=rows, total=total, page=page, pages=pages, per_page=PER_PAGE,
        choices=filter_choices(), statuses=STATUSES, args=parsed.args(),
    ), 200 if parsed.ok else 400


@bp.get("/hr/roster")
@role_required("hr", "admin")
def roster():
    """The roster for any filter: the count, one page of rows, links to download it all."""
    parsed = parse_roster_args(request.args)
    if not parsed.ok:
        return _render(parsed, [], 0, 1, 1)
    day = today()
    total = roster_count(parsed.filters, day)
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    return _render(parsed, roster_page(parsed.filters, day, page, PER_PAGE), total, page, pages)


def _audit_export(filters: RosterFilters, kind: str, day: date) -> int:
    """Who took which rows out: recorded and committed before the first byte goes out, so a
    download cut short is on record too."""
    count = roster_count(filters, day)
    record("export", actor=current_user._get_current_object(), target=("roster", kind),
           detail={"filters": filters.as_dict(), "rows": count}, ip=request.remote_addr)
    db.session.commit()
    return count


def _download(body: Iterable[bytes], mimetype: str, name: str) -> Response:
    # stream_with_context keeps the request (and its database session) open while the rows
    # are read and written out, chunk by chunk.
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/hr/roster.csv")
@role_required("hr", "admin")
def roster_csv():
    """The roster as CSV (UTF-8; ``bom=1`` adds a byte-order mark for Excel)."""
    parsed = parse_roster_args(request.args)
    if not parsed.ok:
        return _render(parsed, [], 0, 1, 1)
    day = today()
    _audit_export(parsed.filters, "csv", day)
    body = roster_csv_chunks(parsed.filters, day, bom=request.args.get("bom") == "1")
    return _download(body, "text/csv", f"roster-{day:%Y%m%d}.csv")


@bp.get("/hr/roster.xlsx")
@role_required("hr", "admin")
def roster_xlsx():
    """The roster as an XLSX workbook (every text a string cell, never a formula)."""
    parsed = parse_roster_args(request.args)
    if not parsed.ok:
        return _render(parsed, [], 0, 1, 1)
    day = today()
    _audit_export(parsed.filters, "xlsx", day)
    body = xlsx_chunks(header(), roster_rows(parsed.filters, day))
    return _download(body, XLSX_TYPE, f"roster-{day:%Y%m%d}.xlsx")

"""HR's dashboard and the ESG summary (page, CSV, PDF). HR and admins only."""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from certificates.pdf import render_pdf
from lms.audit.services import record
from lms.auth.access import role_required
from lms.clock import today
from lms.dashboard import charts
from lms.dashboard.esg import (
    CSV_HEADER,
    DIMENSIONS,
    SMALL,
    THRESHOLD,
    WITHHELD,
    EsgReport,
    csv_rows,
    esg_report,
    figures,
)
from lms.dashboard.links import ROSTER_PATH
from lms.dashboard.services import Dashboard, DashboardFilters, dashboard, rollup_dashboard
from lms.db import db, plan_each_statement
from lms.reports.spreadsheet import csv_chunks

bp = Blueprint("dashboard", __name__, url_prefix="/hr")
# Reports over many assignments: each statement planned for its values (lms/db.py).
bp.before_request(plan_each_statement)
log = logging.getLogger(__name__)
FIRST_YEAR = 2000

def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


# The pages listing every department or location, and the name each has in the charts.
GROUP_PAGES = {"departments": "department", "locations": "location"}


def _filters() -> DashboardFilters:
    cycle = request.args.get("cycle", "").strip()
    return DashboardFilters(course_id=_int_arg("course"),
                            cycle=cycle if cycle and len(cycle) <= 32 else None)


@bp.get("/dashboard")
@role_required("hr", "admin")
def index():
    """Completion and overdue by course, department and location, and over time."""
    filters = _filters()
    data = dashboard(filters, today())
    every = tuple((name, url_for("dashboard.groups", dimension=page, course=filters.course_id,
                                 cycle=filters.cycle))
                  for page, name in GROUP_PAGES.items())
    return render_template("dashboard/index.html", d=data,
                           charts_html=_charts_html(data, "dashboard/_charts.html", every))


@bp.get("/dashboard/<any(departments, locations):dimension>")
@role_required("hr", "admin")
def groups(dimension: str):
    """Every department (or location) of the selection, lowest completion first: the
    dashboard's chart shows only the lowest few."""
    filters = _filters()
    data = dashboard(filters, today())
    name = GROUP_PAGES[dimension]
    return render_template("dashboard/groups.html", d=data, name=name,
                           table_html=_charts_html(data, "dashboard/_group.html",
                                                   only=f"by-{name}"))


def _charts_html(data: Dashboard, template: str, every: tuple = (),
                 only: str | None = None) -> Markup:
    """The charts' HTML: kept per process when the figures come from the rollup (the same
    refresh, filters and language make the same charts), else drawn now."""
    base = request.script_root + ROSTER_PATH
    if data.version is None:
        return _draw_charts(data, base, template, every, only)
    return _rollup_charts(data.version, data.computed_at, data.computed_for, data.filters,
                          str(get_locale()), base, template, every, only)


# Drawing the bars (a number formatted and a roster link encoded per cell) and rendering their
# SVG and tables was most of the page once the figures came from the rollup. Up to a hundred
# KB each; the language and base URL are in the key because the drawing uses them.
@lru_cache(maxsize=32)
def _rollup_charts(version, computed_at, computed_for, filters, locale: str, base: str,
                   template: str, every: tuple, only: str | None) -> Markup:
    return _draw_charts(rollup_dashboard(version, computed_at, computed_for, filters), base,
                        template, every, only)


def _draw_charts(data: Dashboard, base: str, template: str, every: tuple,
                 only: str | None) -> Markup:
    drawn = charts.build(data, base=base, every=dict(every))
    # render_template has escaped every value: the result is HTML, safe to insert as is.
    return Markup(render_template(template, charts=[  # noqa: S704
        chart for chart in drawn if only is None or chart.id == only]))


def _year() -> tuple[int, int]:
    """The year asked for (default: the last full year) and the latest allowed."""
    latest = today().year
    year = _int_arg("year")
    return (year if year is not None and FIRST_YEAR <= year <= latest else latest - 1), latest


def _context(year: int, latest: int) -> dict:
    return {"report": esg_report(year), "year": year, "years": range(latest, FIRST_YEAR - 1, -1),
            "figures": figures, "dimensions": DIMENSIONS, "threshold": THRESHOLD,
            "small": SMALL, "withheld": WITHHELD}


def _audit_download(year: int, kind: str, report: EsgReport) -> None:
    """Who took the figures out, recorded and committed before the file goes out."""
    record("export", actor=current_user._get_current_object(), target=("esg", year),
           ip=request.remote_addr,
           detail={"format": kind, "year": year, "headcount": report.total.headcount})
    db.session.commit()


@bp.get("/esg")
@role_required("hr", "admin")
def esg():
    return render_template("dashboard/esg.html", **_context(*_year()))


@bp.get("/esg.csv")
@role_required("hr", "admin")
def esg_csv():
    year, _ = _year()
    report = esg_report(year)
    _audit_download(year, "csv", report)
    # A few hundred rows at most (one per group): built whole, no streaming needed.
    body = "".join(csv_chunks(CSV_HEADER, csv_rows(report), bom=True))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="esg-training-{year}.csv"'})


@bp.get("/esg.pdf")
@role_required("hr", "admin")
def esg_pdf():
    year, latest = _year()
    context = _context(year, latest)
    result = render_pdf(render_template("pdf/esg.html", generated_on=today(), **context))
    if result.refused:
        log.warning("ESG PDF for %s: the renderer refused %s", year, result.refused)
    _audit_download(year, "pdf", context["report"])
    return Response(result.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="esg-training-{year}.pdf"',
        "Cache-Control": "private, no-store"})

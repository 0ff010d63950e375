"""Pages on the seeded history, requested as a browser requests them.

``team-50k``: a manager's team page (first page) for the manager with about a fifth of the
company below them (50,000 of 250,000), against the same page for a manager of ten, through
the Flask test client.

``pdf-first``: a certificate PDF downloaded with an empty cache (rendered once, as the first
download is), against WeasyPrint rendering a blank A4 page with the certificate's stylesheet
(its @page and fonts) and the holder's name in it, so the same fonts are loaded and embedded,
through the same renderer process.

``load``: gunicorn started as ``make run`` starts it (2 workers, 4 threads) on the scratch
database, and 32 keep-alive connections (an asyncio load generator, ``load.py``) on each page in
turn and on ``/healthz``, the minimal endpoint of the same app and server, alternately. The
HR dashboard reads figures the ``dashboard-figures`` job precomputes: the job runs once first,
through the scheduler's runner, as it would in production. The references (``bench/probes.py``:
a signed-in person and nothing else, then the site's layout alone) are measured the same way,
with no target: what any signed-in page costs in this stack before its own content.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from flask import current_app
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from bench.harness import Result, Step, compare
from bench.history import BENCH_PASSWORD
from bench.names import (
    DASHBOARD,
    LAYOUT,
    MODULE,
    MY_TRAINING,
    PAGES,
    PDF_CACHED,
    REFERENCES,
    SIGNED_IN,
    TEAM,
    VERIFY,
)
from bench.probes import LAYOUT_URL, SIGNED_IN_URL
from bench.scratch import twin_app
from certificates.models import Certificate
from certificates.pdf import render_pdf
from lms.db import db

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A blank page but for the holder's name in the certificate's stylesheet: a page with no text
# at all would load and embed no font, and "the same fonts" would mean nothing.
BLANK_A4 = ('<!doctype html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="asset:certificate.css"></head>'
            '<body><p>{}</p></body></html>')


def sign_in(client: FlaskClient, email: str) -> FlaskClient:
    """Through the sign-in form, CSRF token and all, as a person signs in."""
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True))
    form = {"email": email, "password": BENCH_PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    response = client.post("/login", data=form)
    if response.status_code != 302:
        raise RuntimeError(f"signing in as {email} failed: {response.status_code} "
                           f"{response.get_data(as_text=True)[-3000:]}")
    return client


def _get(client: FlaskClient, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return response.get_data()


def run_team(employees: int, logins: dict, runs: int = 5) -> Result:
    app = twin_app()
    large = sign_in(app.test_client(), logins["manager_large"]["email"])
    small = sign_in(app.test_client(), logins["manager"]["email"])
    db.session.rollback()
    result = compare(
        f"team page, {logins['manager_large']['reports_below']} below, {employees} employees",
        lambda: _get(large, "/team"), lambda: _get(small, "/team"), target_ratio=5.0,
        runs=runs)
    result.detail = {"people_below": logins["manager_large"]["reports_below"],
                     "floor_people_below": logins["manager"]["reports_below"]}
    return result


def learner_certificate(employee_id: int) -> Certificate:
    return db.session.scalar(select(Certificate).where(Certificate.employee_id == employee_id)
                             .order_by(Certificate.id).limit(1))


def run_pdf_first(employees: int, logins: dict, runs: int = 5) -> Result:
    app = twin_app()
    client = sign_in(app.test_client(), logins["employee"]["email"])
    certificate = learner_certificate(logins["employee"]["id"])
    code = certificate.code
    blank = BLANK_A4.format(escape(certificate.holder_name))
    cache = Path(app.config["LMS_CACHE_DIR"]) / "certificates"
    db.session.rollback()
    size: dict[str, int] = {}

    def empty_cache():
        shutil.rmtree(cache, ignore_errors=True)

    def ours():
        size["pdf"] = len(_get(client, f"/certificates/{code}.pdf"))

    def floor():
        size["blank"] = len(render_pdf(blank).pdf)

    result = compare(f"certificate PDF first render, {employees} employees",
                     Step(ours, setup=empty_cache), floor, target_ratio=1.5, runs=runs)
    result.detail = {"pdf_bytes": size["pdf"], "blank_pdf_bytes": size["blank"]}
    return result


DASHBOARD_URL = "/hr/dashboard"


def run_load(database_url: str, employees: int, logins: dict, names: Sequence[str],
             seconds: float, runs: int = 3) -> Iterator[Result]:
    """Each page under 32 connections against /healthz under the same load; throughput
    expressed as seconds per request so that the ratio reads like the others: floor
    requests per second over ours, at most 2 (throughput >= 50 %) or 10 for the dashboard;
    the references have no target."""
    from bench import load
    from courses.models import Enrollment

    code = learner_certificate(logins["employee"]["id"]).code
    enrollment = db.session.scalar(select(Enrollment.id).where(
        Enrollment.employee_id == logins["employee"]["id"],
        Enrollment.status == "in_progress").order_by(Enrollment.id).limit(1))
    # Ends our transaction: on SQLite it would hold the write lock the server's sign-ins need.
    db.session.rollback()
    where = {  # name: (URL, signed in as, target: floor rps / ours)
        MY_TRAINING: ("/training", "employee", 2.0),
        MODULE: (f"/learn/{enrollment}/modules/1", "employee", 2.0),
        VERIFY: (f"/verify/{code}", None, 2.0),
        TEAM: ("/team", "manager", 2.0),
        DASHBOARD: (DASHBOARD_URL, "hr", 10.0),
        PDF_CACHED: (f"/certificates/{code}.pdf", "employee", 2.0),
        SIGNED_IN: (SIGNED_IN_URL, "employee", None),
        LAYOUT: (LAYOUT_URL, "employee", None),
    }
    if where.keys() != {*PAGES, *REFERENCES, PDF_CACHED}:
        raise RuntimeError("bench/names.py and bench/pages.py name different pages")
    pages = [(name, *where[name]) for name in (*PAGES, *REFERENCES, PDF_CACHED)
             if name in names]
    refreshed = None
    if any(url == DASHBOARD_URL for _, url, _, _ in pages):
        # The dashboard reads figures the scheduler's job precomputes (every few minutes in
        # production): run that job once, as the scheduler would, and report what it cost.
        from lms.scheduler.runner import run_job

        started = time.perf_counter()
        outcome = run_job("dashboard-figures")
        if outcome.get("error"):
            raise RuntimeError(f"dashboard-figures: {outcome['error']}")
        refreshed = {"rollup_refresh_seconds": round(time.perf_counter() - started, 3),
                     **{f"rollup_{key}": value for key, value in outcome["counts"].items()}}
        db.session.rollback()
    with load.Server(database_url, current_app.config["LMS_CACHE_DIR"]) as server:
        cookies = {role: server.sign_in(logins[role]["email"], BENCH_PASSWORD)
                   for role in {role for _, _, role, _ in pages if role}}
        for name, url, role, target in pages:
            cookie = cookies.get(role)
            ours_runs, floor_runs = [], []
            load.hammer(server.port, url, cookie, min(seconds, 1.0))  # warm-up (and cache)
            load.hammer(server.port, "/healthz", None, min(seconds, 1.0))
            for _ in range(runs):
                ours_runs.append(load.hammer(server.port, url, cookie, seconds))
                floor_runs.append(load.hammer(server.port, "/healthz", None, seconds))
            ours, floor = load.median_run(ours_runs), load.median_run(floor_runs)
            result = Result(f"{name} under load, {employees} employees",
                            1 / ours.rps if ours.rps else float("inf"),
                            1 / floor.rps if floor.rps else float("inf"), target, runs)
            result.detail = {"url": url, "connections": load.CONNECTIONS,
                             "rps": round(ours.rps, 1), "floor_rps": round(floor.rps, 1),
                             "throughput_share": round(ours.rps / floor.rps, 3)
                             if floor.rps else 0,
                             "p50_ms": ours.p50_ms, "p99_ms": ours.p99_ms,
                             "floor_p99_ms": floor.p99_ms, "errors": ours.errors,
                             "requests": ours.requests}
            if url == "/hr/dashboard" and refreshed:
                result.detail.update(refreshed)
            yield result

"""The team's CSV: what the page shows (same filters, every page, same order), formulas
neutralised, an optional byte-order mark, and an audit entry committed before streaming."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import db
from lms.reports.roster import header
from lms.reports.spreadsheet import FORMULA_STARTS
from tests.conftest import SHARED
from tests.manager.conftest import add_reports


def _csv(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _screen(client, query: str) -> list[tuple[str, str]]:
    """(name, employee number) of every row on every page of the team page."""
    rows, page = [], 1
    while True:
        html = client.get(f"/team?{query}&page={page}").text
        table = html[html.index('<table class="data team-table">'):]
        rows += re.findall(r'<th scope="row">([^<]*)<br><span class="muted">([^<]*)</span>',
                           table)
        if f"Page {page} of {page}" in html or "Page " not in html:
            return rows
        page += 1


def test_the_csv_is_what_the_page_shows(org, as_user, catalog):
    add_reports(org["boss"], [f"Many {n:03d}" for n in range(70)], catalog["manager-track"],
                "MN")
    client = as_user("boss@example.com")
    for query in ("direct=1", "direct=0", "direct=0&status=overdue",
                  f"direct=0&course={org['courses']['coc']}", "direct=0&status=closed"):
        response = client.get(f"/team/export.csv?{query}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert 'attachment; filename="team-' in response.headers["Content-Disposition"]
        rows = _csv(response)
        assert rows[0] == header()
        assert [(r[1], r[0]) for r in rows[1:]] == _screen(client, query), query


def test_the_csv_columns(org, as_user):
    rows = _csv(as_user("boss@example.com").get("/team/export.csv?direct=0"))
    by_name = {(r[1], r[9]): r for r in rows[1:]}
    lead = by_name[("Lead Li", "overdue")]
    assert lead[2] == "lead@example.com" and lead[3] == "Sales" and lead[5] == "Zhang Wei"
    assert lead[6].startswith("Business Code of Conduct")
    assert by_name[("Dev Deng", "overdue")][5] == "Lead Li"
    done = by_name[("Ops Ou", "completed")]
    assert done[11]  # the completion date
    assert ("Ops Ou", "closed") not in by_name


def test_the_byte_order_mark_is_optional(org, as_user):
    client = as_user("boss@example.com")
    assert client.get("/team/export.csv?bom=1").data.startswith("\ufeff".encode())
    assert client.get("/team/export.csv").data.startswith(b"Employee number,")


def test_an_audit_entry_is_committed(org, as_user):
    client = as_user("boss@example.com")
    client.get(f"/team/export.csv?direct=0&status=overdue&course={org['courses']['coc']}")
    db.session.expire_all()
    [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))
    assert entry.actor_id == org["boss"].id
    assert (entry.target_type, entry.target_id) == ("team", str(org["boss"].id))
    assert entry.detail["rows"] == 2 and entry.detail["format"] == "csv"
    assert entry.detail["filters"]["statuses"] == ["overdue"]
    assert entry.detail["filters"]["manager_id"] == org["boss"].id
    assert entry.detail["filters"]["course_id"] == org["courses"]["coc"]
    assert "direct_only" not in entry.detail["filters"]  # the whole subtree


def _payloads() -> list[str]:
    folder = SHARED / "corpora" / "csv-injection"
    lines = []
    for path in sorted(folder.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return list(dict.fromkeys(lines))


def test_formulas_in_names_are_neutralised(org, as_user, catalog):
    payloads = _payloads()
    assert sum(p.startswith(FORMULA_STARTS) for p in payloads) >= 10
    add_reports(org["boss"], payloads, catalog["manager-track"], "CI")
    rows = _csv(as_user("boss@example.com").get("/team/export.csv"))
    names = {r[0]: r[1] for r in rows[1:]}
    for n, payload in enumerate(payloads):
        cell = names[f"CI{n:05d}"]
        if payload.startswith(FORMULA_STARTS):
            assert cell == "'" + payload
        else:
            assert cell == payload

"""``flask --app lms roster export``: files, filters by name, exit codes, progress, audit."""

from __future__ import annotations

from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.clock import today
from lms.db import db
from lms.people.models import Department, Location
from lms.reports import cli
from lms.reports.roster import header
from tests.compliance.conftest import finish
from tests.reports.roster_helpers import csv_rows


@pytest.fixture
def org(make_employee, make_assignment, catalog):
    """Boss (M001) > Lead (M002) > Dev, Boss > Ops; X in Legal, Dublin. Dev is overdue, Lead
    completed the code of conduct today."""
    day = today()
    boss = make_employee("Boss", employee_number="M001")
    lead = make_employee("Lead", manager=boss, employee_number="M002")
    dev = make_employee("Dev", manager=lead, employee_number="M003")
    ops = make_employee("Ops", manager=boss, employee_number="M004")
    x = make_employee("X", employee_number="M005")
    x.department = Department(name="Legal")
    x.location = Location(name="Dublin", timezone="Europe/Dublin")
    db.session.commit()
    coc, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    make_assignment(dev, coc, due_on=day - timedelta(days=10))
    make_assignment(ops, coc, due_on=day + timedelta(days=30))
    finish(make_assignment(lead, coc, due_on=day + timedelta(days=30)), 80)
    make_assignment(x, harassment, cycle="2025", due_on=day + timedelta(days=60))
    return {"coc": coc}


def export(runner, tmp_path, *args, fmt="csv", name=None):
    out = tmp_path / "out" / (name or f"roster.{fmt}")
    out.parent.mkdir(exist_ok=True)
    result = runner.invoke(args=["roster", "export", "--format", fmt, "--out", str(out), *args])
    return result, out


def exported_names(runner, tmp_path, *args) -> list[str]:
    result, out = export(runner, tmp_path, *args)
    assert result.exit_code == 0, result.output
    return [row[1] for row in csv_rows(out.read_bytes())[1:]]


def test_csv_export_writes_the_file_and_an_audit_entry(runner, tmp_path, org):
    result, out = export(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote 4 rows to {out}.\n"
    assert result.stderr == ""  # small exports: no progress lines
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert rows[0] == header()
    assert [(r[0], r[1], r[9]) for r in rows[1:]] == [
        ("M002", "Lead", "completed"), ("M003", "Dev", "overdue"), ("M004", "Ops", "assigned"),
        ("M005", "X", "assigned")]
    assert rows[1][11] == today().isoformat() and rows[1][12] == "80"
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (entry.actor, entry.actor_id, entry.target_type, entry.target_id) == (
        "system (cli)", None, "roster", "csv")
    assert entry.detail == {"filters": {}, "rows": 4, "file": str(out)}
    assert [p.name for p in out.parent.iterdir()] == ["roster.csv"]  # no partial file left


def test_csv_with_a_byte_order_mark(runner, tmp_path, org):
    result, out = export(runner, tmp_path, "--bom")
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfEmployee number,")


def test_xlsx_export(runner, tmp_path, org):
    result, out = export(runner, tmp_path, "--status", "overdue", "--status", "completed",
                         fmt="xlsx")
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == header()
    assert [(r[1], r[9]) for r in rows[1:]] == [("Lead", "completed"), ("Dev", "overdue")]
    for row in workbook.active.iter_rows():
        assert all(cell.data_type != "f" for cell in row)
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert entry.target_id == "xlsx"
    assert entry.detail["filters"] == {"statuses": ["overdue", "completed"]}
    assert entry.detail["rows"] == 2


def test_filters_by_name_slug_and_number(runner, tmp_path, org):
    day = today()
    cases = {
        ("--course", "code-of-conduct"): ["Lead", "Dev", "Ops"],
        ("--course", str(org["coc"].id)): ["Lead", "Dev", "Ops"],
        ("--cycle", "2025"): ["X"],
        ("--department", "Legal"): ["X"],
        ("--department", "legal"): ["X"],  # the one case-insensitive match
        ("--location", "Dublin"): ["X"],
        ("--manager", "M001"): ["Lead", "Dev", "Ops"],
        ("--manager", "M001", "--direct"): ["Lead", "Ops"],
        ("--status", "overdue"): ["Dev"],
        ("--status", "completed,overdue"): ["Lead", "Dev"],
        ("--due-to", (day - timedelta(days=1)).isoformat()): ["Dev"],
        ("--due-from", (day + timedelta(days=31)).isoformat()): ["X"],
        ("--completed-from", day.isoformat(), "--completed-to", day.isoformat()): ["Lead"],
        ("--course", "code-of-conduct", "--status", "assigned"): ["Ops"],
    }
    wrong = {}
    for args, expected in cases.items():
        got = exported_names(runner, tmp_path, *args)
        if got != expected:
            wrong[args] = (got, expected)
    assert wrong == {}


@pytest.mark.parametrize(("args", "message"), [
    (("--course", "no-such-course"), "no course has the slug or id 'no-such-course'"),
    (("--course", "99999"), "no course has the slug or id '99999'"),
    (("--course", "²"), "no course has the slug or id '²'"),
    (("--department", "Nowhere"), "no department is named 'Nowhere' (known: 'Legal', 'Sales')"),
    (("--location", "Atlantis"), "no location is named 'Atlantis' (known: 'Dublin', 'Hangzhou')"),
    (("--manager", "Z999"), "no employee has the number 'Z999'"),
    (("--direct",), "needs --manager"),
    (("--status", "late"), "unknown 'late'; choose from assigned, in_progress, overdue"),
    (("--status", "overdue,late"), "unknown 'late'"),
    (("--due-from", "31/12/2026"), "'31/12/2026' does not match the format '%Y-%m-%d'"),
    (("--completed-to", "2026-02-30"), "does not match the format"),
    (("--due-from", "2026-06-01", "--due-to", "2026-05-01"), "due date range ends before"),
    (("--cycle", "x" * 33), "at most 32 characters"),
])
def test_bad_arguments_exit_2_with_a_clear_message(runner, tmp_path, org, args, message):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "roster.csv").write_text("the previous export")
    result, out = export(runner, tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert out.read_text() == "the previous export"  # untouched
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_other_usage_errors_exit_2(runner, tmp_path, org):
    result, _ = export(runner, tmp_path, "--bom", fmt="xlsx")
    assert result.exit_code == 2 and "only applies to --format csv" in result.stderr
    result = runner.invoke(args=["roster", "export", "--format", "csv", "--out",
                                 str(tmp_path / "missing" / "r.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = runner.invoke(args=["roster", "export", "--format", "pdf", "--out", "x"])
    assert result.exit_code == 2
    result = runner.invoke(args=["roster", "export", "--format", "csv"])
    assert result.exit_code == 2 and "--out" in result.stderr


def test_progress_on_stderr_for_large_exports(runner, tmp_path, org, monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    result, out = export(runner, tmp_path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"Exporting 4 rows to {out}…", "  2 / 4 rows (50%)",
                                          "  4 / 4 rows (100%)"]
    assert result.stdout == f"Wrote 4 rows to {out}.\n"


def test_a_failed_export_leaves_no_file_and_no_audit_entry(runner, tmp_path, org, monkeypatch):
    def broken(*args, **kwargs):
        yield b"half a row"
        raise RuntimeError("database went away")

    def broken_rows(*args, **kwargs):
        yield ("half a row",)
        raise RuntimeError("database went away")

    monkeypatch.setattr(cli, "roster_csv_chunks", broken)
    monkeypatch.setattr(cli, "roster_rows", broken_rows)
    for fmt in ("csv", "xlsx"):
        result, out = export(runner, tmp_path, fmt=fmt)
        assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
        assert list(out.parent.iterdir()) == []
    assert db.session.scalar(select(AuditEvent.id)) is None

"""The roster as CSV and XLSX: columns and values, the byte-order mark, the audit entry, and
attack payloads and naughty strings that come out inert and exact."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from certificates.models import Certificate
from courses.models import Course
from lms.audit.models import AuditEvent
from lms.clock import today
from lms.db import db
from lms.reports.roster import header
from lms.reports.spreadsheet import FORMULA_STARTS, neutralise, write_xlsx
from tests.compliance.conftest import finish
from tests.reports.roster_helpers import (
    add_people,
    csv_rows,
    injection_payloads,
    naughty_strings,
    xlsx_cells,
)


@pytest.fixture
def hr(app, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), employee_number="HR01")
    client = app.test_client()
    login(client, "hr@example.com")
    return client


@pytest.fixture
def team(make_employee, make_assignment, catalog):
    """Lead (M002) completed the code of conduct with 90%; Dev, below Lead, is overdue."""
    lead = make_employee("Lead", employee_number="M002")
    dev = make_employee("Dev", manager=lead, employee_number="M003")
    late = make_assignment(dev, catalog["code-of-conduct"], due_on=today() - timedelta(days=3))
    done = make_assignment(lead, catalog["code-of-conduct"], due_on=date(2030, 6, 30))
    finish(done, 90)
    return {"late": late, "done": done}


def test_csv_columns_and_values(hr, team):
    response = hr.get("/hr/roster.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (response.headers["Content-Disposition"]
            == f'attachment; filename="roster-{today():%Y%m%d}.csv"')
    assert not response.data.startswith(b"\xef\xbb\xbf")
    assert response.data.endswith(b"\r\n")
    rows = csv_rows(response.data)
    assert rows[0] == header() == [
        "Employee number", "Name", "Email", "Department", "Location", "Manager", "Course",
        "Version", "Cycle", "Status", "Due date", "Completion date", "Score (%)",
        "Certificate code"]
    code = db.session.scalar(select(Certificate.code))
    lead, dev = rows[1], rows[2]  # ordered by employee number
    assert lead[:2] == ["M002", "Lead"] and lead[3:6] == ["Sales", "Hangzhou", ""]
    assert lead[6].startswith("Business Code of Conduct")
    assert lead[7].startswith("v1 (") and len(lead[7]) == len("v1 (") + 12 + 1
    assert lead[8:] == ["2026", "completed", "2030-06-30", today().isoformat(), "90", code]
    assert dev[:2] == ["M003", "Dev"] and dev[5] == "Lead"
    assert dev[7:] == ["", "2026", "overdue", team["late"].due_on.isoformat(), "", "", ""]
    assert len(rows) == 3


def test_csv_with_a_byte_order_mark_for_excel(hr, team):
    plain, marked = hr.get("/hr/roster.csv").data, hr.get("/hr/roster.csv?bom=1").data
    assert marked.startswith(b"\xef\xbb\xbfEmployee number,") and marked.count(b"\xef\xbb\xbf") == 1
    assert marked[3:] == plain
    assert hr.get("/hr/roster.csv?bom=0").data == plain


def test_downloads_use_the_filters(hr, team):
    rows = csv_rows(hr.get("/hr/roster.csv?status=overdue&manager=M002").data)
    assert [r[1] for r in rows[1:]] == ["Dev"]
    sheet = openpyxl.load_workbook(io.BytesIO(hr.get("/hr/roster.xlsx?status=completed").data))
    assert [r[1] for r in sheet.active.iter_rows(min_row=2, values_only=True)] == ["Lead"]


def test_xlsx_columns_values_and_cell_types(hr, team):
    response = hr.get("/hr/roster.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert (response.headers["Content-Disposition"]
            == f'attachment; filename="roster-{today():%Y%m%d}.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Roster"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header()
    lead = values[1]
    assert lead[:2] == ("M002", "Lead") and lead[9] == "completed"
    assert lead[10] == datetime(2030, 6, 30)
    assert lead[11] == datetime.combine(today(), datetime.min.time())
    assert lead[12] == 90
    assert values[2][9] == "overdue"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert cell.data_type == "s"


def test_each_download_is_audited_before_the_first_byte(hr, team):
    response = hr.get("/hr/roster.csv?status=overdue&due_from=2020-01-01", buffered=False)
    # The body has not been read yet: the entry is already committed.
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert entry is not None
    assert (entry.actor, entry.target_type, entry.target_id) == (
        "Hr Person <hr@example.com>", "roster", "csv")
    assert entry.detail == {"filters": {"statuses": ["overdue"], "due_from": "2020-01-01"},
                            "rows": 1}
    assert entry.ip == "127.0.0.1" and entry.actor_id is not None
    assert len(csv_rows(response.get_data())) == 2
    response.close()
    hr.get("/hr/roster.xlsx").close()
    entries = db.session.execute(select(AuditEvent.target_id, AuditEvent.detail)
                                 .where(AuditEvent.action == "export")
                                 .order_by(AuditEvent.id)).all()
    assert entries[1] == ("xlsx", {"filters": {}, "rows": 2})


def test_bad_filters_download_nothing_and_audit_nothing(hr, team):
    for path in ("/hr/roster.csv", "/hr/roster.xlsx"):
        response = hr.get(f"{path}?due_to=31/12/2026")
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "Enter a date as YYYY-MM-DD" in response.text
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "export")) is None


@pytest.fixture
def payload_people(app):
    """Every CSV-injection and XSS payload as a name, department, location, job title and
    (through the previous person) manager."""
    course = Course(slug="payloads")
    db.session.add(course)
    db.session.commit()
    payloads = injection_payloads()
    people = add_people([{"full_name": p[:300], "department": p[:200], "location": p[:200],
                          "job_title": p[:200], "manager_index": n - 1 if n else None,
                          "employee_number": f"P{n:05d}"}
                         for n, p in enumerate(payloads)], course)
    return {p.employee_number: p for p in people}


def _expected(people: dict, number: str) -> dict[int, str]:
    """Column index -> the text stored for that person."""
    person = people[number]
    manager = person.manager.full_name if person.manager else ""
    return {1: person.full_name, 3: person.department.name, 4: person.location.name,
            5: manager}


def test_attack_payloads_are_inert_in_csv_and_xlsx(hr, payload_people):
    """CSV: a cell that would start a formula gets a leading apostrophe. XLSX: every text is
    a string cell (never a formula), exact, with Excel's quote prefix on the risky ones."""
    assert any(p.full_name.startswith(FORMULA_STARTS) for p in payload_people.values())
    rows = csv_rows(hr.get("/hr/roster.csv").data)
    assert len(rows) == len(payload_people) + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    for row in rows[1:]:
        for column, text in _expected(payload_people, row[0]).items():
            assert row[column] == neutralise(text)
            assert row[column] == ("'" + text if text.startswith(FORMULA_STARTS) else text)

    body = hr.get("/hr/roster.xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    risky = 0
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                if cell.value.startswith(FORMULA_STARTS):
                    assert cell.quotePrefix  # stays text even when edited in Excel
                    risky += 1
    assert risky > 0
    # Exact values (not neutralised: a string cell is already inert).
    for row in xlsx_cells(body)[1:]:
        for column, text in _expected(payload_people, row[0]).items():
            assert (row[column] or "") == text


def test_naughty_names_round_trip_through_csv_and_xlsx(hr, app):
    course = Course(slug="naughty")
    db.session.add(course)
    db.session.commit()
    strings = naughty_strings()
    add_people([{"full_name": s, "employee_number": f"N{n:05d}"} for n, s in enumerate(strings)],
               course)
    by_number = {f"N{n:05d}": s for n, s in enumerate(strings)}
    csv_names = {row[0]: row[1] for row in csv_rows(hr.get("/hr/roster.csv?bom=1").data)[1:]}
    assert csv_names == {n: neutralise(s) for n, s in by_number.items()}
    xlsx_names = {row[0]: row[1] or "" for row in xlsx_cells(hr.get("/hr/roster.xlsx").data)[1:]}
    assert xlsx_names == by_number


def test_the_xlsx_writer_keeps_every_naughty_string_exact(tmp_path):
    # Literal text that looks like Excel's own _xHHHH_ escapes stays literal too.
    strings = [*naughty_strings(), "_x0041_", "a_x000D_b", "\x00\x0b", "\r\n"]
    write_xlsx(tmp_path / "n.xlsx", ["text"], [[s] for s in strings])
    cells = xlsx_cells((tmp_path / "n.xlsx").read_bytes())[1:]
    assert [(row[0] if row else None) or "" for row in cells] == strings

"""HR's class list (fill rates, queues, attendance) and the attendance sheet as CSV, XLSX and a
printable PDF sign-in sheet: formula-safe, exact, Chinese names rendered, every export on the
audit log."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from courses.models import ClassSession
from lms.audit.models import AuditEvent
from lms.classroom.services import book, mark_attendance
from lms.db import db, utcnow
from lms.reports.spreadsheet import risky
from tests.classroom.conftest import local_start
from tests.conftest import SHARED


def injection_names() -> list[str]:
    names = []
    for path in sorted((SHARED / "corpora" / "csv-injection").glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip() and len(line) <= 300 and line not in names:
                names.append(line)
    return names


@pytest.fixture
def crowd(cast, make_employee, make_assignment):
    """The class filled with people named after CSV-injection payloads (and a few real names,
    Chinese among them), one of them waiting, attendance partly taken."""
    session = cast["class"]
    names = [*injection_names(), "王芳", "Siobhán Ní Bhriain", "欧阳·娜娜"]
    session.capacity = len(names) - 1
    db.session.commit()
    people = []
    for name in names:
        person = make_employee(name)
        make_assignment(person, cast["course"], due_on=utcnow().date() + timedelta(days=90))
        people.append(person)
    now = utcnow()
    for person in people:
        book(session.id, person.id, person, now)
    mark_attendance(session.id, {people[0].id: ("present", "=1+1 came early"),
                                 people[1].id: ("absent", "")}, cast["instructor"], now)
    db.session.commit()
    return {"session": session, "people": people, "names": names}


def test_the_list_shows_fill_rate_queue_and_attendance_and_filters(cast, crowd, make_class,
                                                                   as_user):
    hr = as_user("hr@example.com")
    session = crowd["session"]
    page = hr.get("/hr/classes").text
    booked = session.capacity
    assert f"{booked} / {booked} <span class=\"muted\">(100%)</span>" in page
    assert "present 1, late 0, absent 1" in page
    later = make_class(cast["course"], local_start(40), zone="Asia/Shanghai", venue="HZ 1203")
    day = (utcnow() + timedelta(days=40)).date()
    page = hr.get(f"/hr/classes?from={day.isoformat()}").text
    assert "HZ 1203" in page and "Dublin office" not in page
    page = hr.get(f"/hr/classes?to={(day - timedelta(days=5)).isoformat()}").text
    assert "HZ 1203" not in page and "Dublin office" in page
    page = hr.get(f"/hr/classes?course={cast['course'].id}").text
    assert "HZ 1203" in page and "Dublin office" in page
    page = hr.get("/hr/classes?course=999999").text
    assert "No classes with these filters." in page
    response = hr.get("/hr/classes?from=yesterday&to=2020-01-01")
    assert response.status_code == 400 and "Enter a date as YYYY-MM-DD." in response.text
    assert later.id


def test_csv_neutralises_formulas_and_keeps_every_name(crowd, as_user):
    response = as_user("hr@example.com").get(
        f"/hr/classes/{crowd['session'].id}/attendance.csv?bom=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Name", "Employee number", "Email"]
    cells = {row[0] for row in rows[1:]}
    for name in crowd["names"]:
        expected = "'" + name if risky(name) else name
        assert expected in cells, name
    for row in rows[1:]:
        assert not any(risky(cell) for cell in row), row
    by_name = {row[0]: row for row in rows[1:]}
    first = by_name["'" + crowd["names"][0] if risky(crowd["names"][0]) else crowd["names"][0]]
    assert first[5:8] == ["booked", "present", "'=1+1 came early"]
    assert sum(row[5] == "waitlisted" for row in rows[1:]) == 1


def test_xlsx_has_string_cells_with_the_exact_names(crowd, as_user):
    response = as_user("hr@example.com").get(
        f"/hr/classes/{crowd['session'].id}/attendance.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Attendance"
    names = {}
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s"
        names[row[0].value] = row[0]
    for name in crowd["names"]:
        assert name in names, name
        assert names[name].data_type == "s"
        if risky(name):
            assert names[name].quotePrefix, name


def test_the_pdf_sign_in_sheet_lists_everyone_booked_with_a_signature_column(
        crowd, as_user, tmp_path):
    response = as_user("hr@example.com").get(f"/hr/classes/{crowd['session'].id}/sign-in.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert all(abs(float(page.mediabox.width) - 595.3) < 1 for page in reader.pages)  # A4
    text = "\n".join(page.extract_text() for page in reader.pages)
    for word in ("Sign-in sheet", "Self-defense: practical class", "Signature",
                 "Employee no.", "Department", "Dublin office, Grand Canal Dock, room 2",
                 "Europe/Dublin", "Ivy Instructor", "王芳", "Siobhán Ní Bhriain", "Present",
                 "Absent"):
        assert word in text, word
    waiting = crowd["people"][-1]  # the last to book is in the queue, not on the sheet
    assert waiting.employee_number not in text
    for person in crowd["people"][:-1]:
        assert person.employee_number in text
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    from PIL import Image

    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    assert image.size[0] < image.size[1]  # portrait
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text and table rules are on the page, not a blank sheet


def test_every_export_is_on_the_audit_log(crowd, as_user):
    hr = as_user("hr@example.com")
    session_id = crowd["session"].id
    for suffix in ("attendance.csv", "attendance.xlsx", "sign-in.pdf"):
        assert hr.get(f"/hr/classes/{session_id}/{suffix}").status_code == 200
    entries = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                      .order_by(AuditEvent.id)))
    assert [e.detail["format"] for e in entries] == ["csv", "xlsx", "pdf"]
    for entry in entries:
        assert (entry.target_type, entry.target_id) == ("class", str(session_id))
        assert entry.actor.endswith("<hr@example.com>")
        assert entry.detail["rows"] == len(crowd["names"])
    assert db.session.get(ClassSession, session_id) is not None

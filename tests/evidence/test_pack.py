"""One employee's evidence pack after a real learner journey: every file there, every value
right, the manifest's hashes true, the PDFs readable (Chinese names too), CSV cells inert."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

from certificates.models import Certificate
from lms.audit.models import AuditEvent
from lms.clock import today
from lms.db import db, utcnow
from lms.evidence.services import folder_name, hours_minutes, write_pack
from quizzes.models import QuizAttempt
from tests.conftest import SHARED
from tests.evidence.conftest import IP, SECONDS_PER_MODULE, USER_AGENT, open_zip

PACK_FILES = {"certificates.csv", "attestations.csv", "attestations.json", "quiz-attempts.csv",
              "time-spent.csv", "assignments.csv", "summary.pdf", "manifest.json"}


def rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_pack_holds_the_whole_record(journey, hr_client):
    j = journey("Evidence Learner", "learner@example.com", job_title="Analyst")
    certificate = db.session.scalar(select(Certificate).where(
        Certificate.employee_id == j.person.id))
    version = j.enrollment.version
    response = hr_client.get(f"/hr/people/{j.person.id}/evidence.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "evidence" in response.headers["Content-Disposition"]
    archive = open_zip(response.data)
    names = set(archive.namelist())
    assert names == PACK_FILES | {f"certificates/{certificate.code}.pdf"}
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())

    # The manifest lists every other file with its true SHA-256 and size.
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "guardrail-evidence-pack/1"
    assert manifest["employee"]["employee_number"] == j.person.employee_number
    assert manifest["generated_by"] == "Harriet HR <hr@example.com>"
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == names - {"manifest.json"}
    for path, entry in listed.items():
        data = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["bytes"] == len(data)

    # The certificate is the learner's own document.
    pages, text = pdf_text(archive.read(f"certificates/{certificate.code}.pdf"))
    assert pages == 1 and "Evidence Learner" in text and certificate.code in text

    # The summary: one page with the person, the counts and the course.
    pages, text = pdf_text(archive.read("summary.pdf"))
    assert pages == 1
    for expected in ("Evidence Learner", j.person.employee_number, certificate.code,
                     "learner@example.com", "Analyst", "Completed"):
        assert expected in text, expected

    # Attestations: the exact policy, statement, name, time, address and browser.
    signed = json.loads(archive.read("attestations.json"))["attestations"]
    assert len(signed) == 1
    record = signed[0]
    assert record["policy_hash"] == version.content_hash
    assert record["statement"] == version.attestation_text
    assert record["typed_name"] == "Evidence Learner"
    assert record["ip_address"] == IP and record["user_agent"] == USER_AGENT
    assert record["version"] == version.label and record["course"] == version.title
    signed_at = datetime.fromisoformat(record["signed_at"])
    assert signed_at.utcoffset().total_seconds() == 0
    assert abs((signed_at - j.enrollment.attestation.signed_at).total_seconds()) < 1
    [as_csv] = rows(archive, "attestations.csv")
    assert as_csv == {"Course": version.title, "Version": version.label,
                      "Policy SHA-256": version.content_hash,
                      "Statement": version.attestation_text, "Typed name": "Evidence Learner",
                      "Signed at (UTC)": record["signed_at"], "IP address": IP,
                      "User agent": USER_AGENT}

    # Quiz attempts: the failed one and the passed one, in order.
    attempts = rows(archive, "quiz-attempts.csv")
    stored = list(db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.number)))
    assert [(a["Attempt"], a["Passed"], a["Status"]) for a in attempts] == [
        ("1", "no", "submitted"), ("2", "yes", "submitted")]
    assert attempts[1]["Score (%)"] == "100" and attempts[1]["Version"] == version.label
    assert attempts[0]["Started at (UTC)"] == stored[0].started_at.isoformat(
        timespec="seconds")
    assert attempts[1]["Submitted at (UTC)"].endswith("+00:00")

    # Time spent: what the module progress recorded, in seconds and h:mm.
    modules = len(version.modules)
    [spent] = rows(archive, "time-spent.csv")
    assert spent["Seconds"] == str(modules * SECONDS_PER_MODULE)
    assert spent["Time (h:mm)"] == hours_minutes(modules * SECONDS_PER_MODULE)
    assert spent["Modules completed"] == str(modules) and spent["Enrolments"] == "1"

    # Assignments: the person's roster rows.
    [assignment] = rows(archive, "assignments.csv")
    assert assignment["Status"] == "completed"
    assert assignment["Certificate code"] == certificate.code
    assert assignment["Name"] == "Evidence Learner" and assignment["Cycle"] == "2026"
    [cert_row] = rows(archive, "certificates.csv")
    assert cert_row["Status"] == "valid" and cert_row["File"] == (
        f"certificates/{certificate.code}.pdf")

    # On record: who took the pack, of whom.
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence_pack"))
    assert event.target_type == "employee" and event.target_id == str(j.person.id)
    assert event.detail["manifest_sha256"] == hashlib.sha256(
        archive.read("manifest.json")).hexdigest()


def test_a_chinese_name_renders_in_the_summary(journey, hr_client):
    j = journey("王小明", "wang@example.com")
    archive = open_zip(hr_client.get(f"/hr/people/{j.person.id}/evidence.zip").data)
    pages, text = pdf_text(archive.read("summary.pdf"))
    assert pages == 1 and "王小明" in text
    code = db.session.scalar(select(Certificate.code))
    pages, text = pdf_text(archive.read(f"certificates/{code}.pdf"))
    assert "王小明" in text
    fonts = {str(font.get("/BaseFont")) for page in PdfReader(io.BytesIO(
        archive.read("summary.pdf"))).pages for font in page["/Resources"]["/Font"].values()
        for font in [font.get_object()]}
    assert any("CJK" in name for name in fonts), fonts
    assert json.loads(archive.read("attestations.json"))["attestations"][0][
        "typed_name"] == "王小明"


def test_someone_without_training_gets_an_empty_but_whole_pack(make_employee, hr_client):
    person = make_employee("New Starter", email="new@example.com")
    archive = open_zip(hr_client.get(f"/hr/people/{person.id}/evidence.zip").data)
    assert set(archive.namelist()) == PACK_FILES
    assert rows(archive, "assignments.csv") == []
    pages, text = pdf_text(archive.read("summary.pdf"))
    assert pages == 1 and "New Starter" in text and "No assignments" in text


def test_the_summary_stays_on_one_page(app, make_employee, make_assignment, catalog):
    """Many assignments and an absurdly long name: still one page; the rest is in the CSV."""
    person = make_employee("Долгое Имя " * 25, email="long@example.com")
    for year in range(2000, 2030):
        for slug in ("code-of-conduct", "harassment-prevention"):
            make_assignment(person, catalog[slug], cycle=str(year))
    archive_file = io.BytesIO()
    with current_app.test_request_context(), zipfile.ZipFile(archive_file, "w") as archive:
        pack = write_pack(archive, person.id, generated_at=utcnow(), generated_by="test",
                          today=today())
    assert pack.counts["assignments"] == 60
    archive = open_zip(archive_file.getvalue())
    pages, text = pdf_text(archive.read("summary.pdf"))
    assert pages == 1 and "listed in assignments.csv" in text
    assert len(rows(archive, "assignments.csv")) == 60


def _payloads(path, limit: int) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip()][:limit]


CORPORA = SHARED / "corpora"
CSV_PAYLOADS = _payloads(CORPORA / "csv-injection" / "payloadbox_csv-payload.txt", 6)
XSS_PAYLOADS = _payloads(CORPORA / "xss" / "XSS_Injection_Intruders_xss_payloads_quick.txt", 6)


@pytest.mark.parametrize("name", CSV_PAYLOADS + XSS_PAYLOADS)
def test_hostile_names_are_inert_in_the_csv_files(name, app, make_employee, make_assignment,
                                                   catalog):
    person = make_employee(name[:300], email="hostile@example.com")
    make_assignment(person, catalog["code-of-conduct"])
    archive_file = io.BytesIO()
    with current_app.test_request_context(), zipfile.ZipFile(archive_file, "w") as archive:
        write_pack(archive, person.id, generated_at=datetime(2026, 3, 1, tzinfo=UTC),
                   generated_by=name, today=today())
    archive = open_zip(archive_file.getvalue())
    [row] = rows(archive, "assignments.csv")
    stored = name[:300]
    if stored.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert row["Name"] == "'" + stored  # a formula becomes text
    else:
        assert row["Name"] == stored  # nothing else changes
    for path in ("assignments.csv", "certificates.csv", "time-spent.csv"):
        for cells in csv.reader(io.StringIO(archive.read(path).decode("utf-8-sig"))):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), path
    pages, _text = pdf_text(archive.read("summary.pdf"))
    assert pages == 1


@pytest.mark.parametrize(("number", "name", "expected"), [
    ("T00001", "Wang Xiaoming", "T00001 Wang Xiaoming"),
    ("T00002", "王小明", "T00002 王小明"),
    ("../..", "..", "employee"),
    ("E/7", "<script>alert(1)</script>", "E_7 _script_alert_1___script"),
    ("A:1", "Nul\x00 Byte\\x", "A_1 Nul_ Byte_x"),
])
def test_folder_names_are_safe_everywhere(number, name, expected):
    assert folder_name(number, name) == expected
    assert "/" not in folder_name(number, name) and not folder_name(number, name).startswith(".")


def test_unknown_people_have_no_pack(hr_client):
    assert hr_client.get("/hr/people/999999/evidence.zip").status_code == 404

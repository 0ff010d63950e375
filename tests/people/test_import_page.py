"""The HR import page: upload, dry run, apply; the stored file; escaping; who may use it."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.db import db
from lms.people.models import Employee
from tests.conftest import SHARED
from tests.people.conftest import csv_bytes, person

FILE = [person("E1", "Ada Lovelace"), person("E2", "Li Na", manager_employee_number="E1")]


@pytest.fixture
def hr(app, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), employee_number="HR1")
    client = app.test_client()
    login(client, "hr@example.com")
    return client


def upload(client, data: bytes, name: str = "people.csv", **form):
    return client.post("/hr/import", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def digest_of(response) -> str:
    assert response.status_code == 302, response.text[:500]
    return re.search(r"/hr/import/([0-9a-f]{64})", response.location).group(1)


def people() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Employee))


def test_only_hr_and_admins_may_import(app, make_employee, login):
    make_employee("Plain Person", email="plain@example.com")
    make_employee("Admin Person", email="admin@example.com", roles=("admin",))
    anonymous = app.test_client()
    assert "/login" in anonymous.get("/hr/import").location
    plain = app.test_client()
    login(plain, "plain@example.com")
    assert plain.get("/hr/import").status_code == 403
    assert upload(plain, csv_bytes(FILE)).status_code == 403
    admin = app.test_client()
    login(admin, "admin@example.com")
    assert admin.get("/hr/import").status_code == 200


def test_upload_shows_the_dry_run_then_apply_applies(app, hr):
    page = hr.get("/hr/import")
    assert page.status_code == 200
    assert 'for="file"' in page.text and 'type="file"' in page.text
    digest = digest_of(upload(hr, csv_bytes(FILE)))
    assert digest == hashlib.sha256(csv_bytes(FILE)).hexdigest()
    report = hr.get(f"/hr/import/{digest}")
    assert report.status_code == 200
    text = report.text
    assert "Dry run of people.csv" in text and "Nothing has been changed yet" in text
    assert "<dt>To add</dt><dd>2</dd>" in text and "Ada Lovelace" in text
    assert "Apply these changes" in text
    assert people() == 1  # only the HR person

    applied = hr.post(f"/hr/import/{digest}/apply")
    assert applied.status_code == 302 and applied.location.endswith("/hr/import")
    assert "Import applied: 2 added, 0 updated" in hr.get("/hr/import").text
    assert people() == 3
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert entry.actor == "Hr Person <hr@example.com>"
    assert entry.detail["sha256"] == digest and entry.detail["added"] == 2
    # The stored file is gone once applied: it cannot be applied twice.
    assert hr.get(f"/hr/import/{digest}").status_code == 404
    assert hr.post(f"/hr/import/{digest}/apply").status_code == 404


def test_a_file_with_errors_cannot_be_applied(hr):
    data = csv_bytes([*FILE, person("E3", email="not an address")])
    digest = digest_of(upload(hr, data))
    report = hr.get(f"/hr/import/{digest}")
    assert "Apply these changes" not in report.text
    assert "1 error must be fixed" in report.text
    assert "line 4" in report.text and "not an address" in report.text
    assert hr.post(f"/hr/import/{digest}/apply").status_code == 409
    assert people() == 1


def test_apply_checks_the_file_again(hr, make_employee):
    digest = digest_of(upload(hr, csv_bytes(FILE)))
    assert "Apply these changes" in hr.get(f"/hr/import/{digest}").text
    # Meanwhile someone takes Li Na's address.
    make_employee("Someone Else", email="e2@example.com", employee_number="X9")
    response = hr.post(f"/hr/import/{digest}/apply")
    assert response.status_code == 409
    assert "Nothing was applied" in response.text and "X9" in response.text
    assert people() == 2


def test_the_hash_must_name_a_stored_upload_of_ones_own(app, hr, make_employee, login):
    assert hr.post("/hr/import/" + "ab" * 32 + "/apply").status_code == 404
    assert hr.get("/hr/import/" + "ab" * 32).status_code == 404
    assert hr.get("/hr/import/../../secret_key").status_code == 404
    assert hr.get("/hr/import/ABC").status_code == 404
    digest = digest_of(upload(hr, csv_bytes(FILE)))
    make_employee("Other Hr", email="hr2@example.com", roles=("hr",), employee_number="HR2")
    other = app.test_client()
    login(other, "hr2@example.com")
    assert other.get(f"/hr/import/{digest}").status_code == 404
    assert other.get(f"/hr/import/{digest}/report.csv").status_code == 404
    assert other.post(f"/hr/import/{digest}/apply").status_code == 404
    assert people() == 2
    # With the file in hand, the other HR person uploads it themselves.
    assert digest_of(upload(other, csv_bytes(FILE))) == digest
    assert other.get(f"/hr/import/{digest}").status_code == 200


def test_a_tampered_stored_file_is_refused(app, hr):
    digest = digest_of(upload(hr, csv_bytes(FILE)))
    stored = Path(app.instance_path) / "hr-imports" / digest
    assert stored.exists()
    stored.write_bytes(csv_bytes([person("E666", "Mallory")]))
    assert hr.post(f"/hr/import/{digest}/apply").status_code == 404
    assert people() == 1


def test_an_unreadable_file_is_refused_with_the_line(hr):
    response = upload(hr, "employee_number,full_name,email\nE1,Zoë,z@example.com\n".encode(
        "latin-1"), name="legacy.csv")
    assert response.status_code == 400
    assert "legacy.csv, line 2: byte 0xEB is not UTF-8" in response.text
    assert upload(hr, b"", name="empty.csv").status_code == 400
    assert hr.post("/hr/import", data={}).status_code == 400


def test_full_file_sync_from_the_page(hr, make_employee):
    make_employee("Gone Person", employee_number="OLD1")
    digest = digest_of(upload(hr, csv_bytes([*FILE, person("HR1", "Hr Person",
                                                           email="hr@example.com")]),
                              deactivate_missing="y"))
    report = hr.get(f"/hr/import/{digest}?deactivate_missing=1")
    assert "Full-file sync" in report.text and "Gone Person" in report.text
    assert "1 person will be deactivated" in report.text
    assert 'name="deactivate_missing" value="1"' in report.text
    assert hr.post(f"/hr/import/{digest}/apply", data={"deactivate_missing": "1"}
                   ).status_code == 302
    db.session.expire_all()
    assert not db.session.scalar(select(Employee.active).where(
        Employee.employee_number == "OLD1"))


def _payloads() -> list[str]:
    folder = SHARED / "corpora" / "xss"
    lines = []
    for name in ("XSS_Injection_Intruders_xss_payloads_quick.txt",
                 "XSS_Injection_Intruders_XSS_Polyglots.txt",
                 "XSS_Injection_Intruders_RSNAKE_XSS.txt",
                 "XSS_Injection_Intruders_JHADDIX_XSS.txt"):
        lines += (folder / name).read_text("utf-8", errors="replace").splitlines()
    return [line for line in dict.fromkeys(lines) if "<" in line and line.strip()][:90]


def test_xss_payloads_in_names_and_departments_are_escaped(hr):
    payloads = _payloads()
    assert len(payloads) >= 60
    rows = [person(f"X{i}", full_name=text, department=text[:200], job_title=text[:200])
            for i, text in enumerate(payloads)]
    rows.append(person("BAD", email=payloads[0]))  # echoed back in the error message
    digest = digest_of(upload(hr, csv_bytes(rows)))
    text = hr.get(f"/hr/import/{digest}").text
    shown = 0
    for payload in payloads:
        assert payload.strip() not in text, payload
        shown += str(escape(payload.strip())) in text
    assert shown >= len(payloads) - 5  # a few are refused (control characters, too long)
    assert "<script" not in text.lower().replace('<script src="/static', "")


def test_the_full_report_downloads_as_csv_with_formulas_neutralised(hr):
    rows = [person(f"E{i}", f"Person {i}") for i in range(150)]
    rows.append(person("F1", "=HYPERLINK(\"http://evil\")"))
    digest = digest_of(upload(hr, csv_bytes(rows)))
    page = hr.get(f"/hr/import/{digest}").text
    assert "the first 100 of 151 are listed" in page
    report = hr.get(f"/hr/import/{digest}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    body = report.get_data(as_text=True)
    assert body.count("\nadd,") == 151
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body

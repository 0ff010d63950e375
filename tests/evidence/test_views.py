"""The evidence pages: HR and admins only; the form speaks the roster's parameters and says
what is wrong; hostile names are escaped on the page and inert in the index CSV."""

from __future__ import annotations

import csv
import io

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.db import db, utcnow
from lms.evidence import queue, tasks
from lms.reports.models import ExportJob
from lms.reports.roster import RosterFilters
from tests.conftest import SHARED
from tests.evidence.conftest import open_zip


@pytest.fixture
def people(make_employee):
    learner = make_employee("Lea Learner", email="learner@example.com")
    make_employee("Tom Trainer", email="trainer@example.com", roles=("trainer",))
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    make_employee("Harriet HR", email="hr@example.com", roles=("hr",))
    job = queue.create_job(learner.id, RosterFilters(), 1)
    db.session.commit()
    return {"learner": learner, "job_id": job.id}


def _urls(people) -> list[tuple[str, str]]:
    return [("GET", f"/hr/people/{people['learner'].id}/evidence.zip"),
            ("GET", "/hr/evidence"), ("POST", "/hr/evidence"),
            ("GET", f"/hr/evidence/{people['job_id']}/download")]


def test_only_hr_and_admins_get_in(app, people, login, exports):
    for method, url in _urls(people):
        response = app.test_client().open(url, method=method)
        assert response.status_code == 302 and "/login" in response.location, url
    for email in ("learner@example.com", "trainer@example.com"):
        client = app.test_client()
        login(client, email)
        for method, url in _urls(people):
            assert client.open(url, method=method).status_code == 403, (email, url)
    for email in ("hr@example.com", "admin@example.com"):
        client = app.test_client()
        login(client, email)
        assert client.get(_urls(people)[0][1]).status_code == 200
        assert client.get("/hr/evidence").status_code == 200
        # Not done yet: back to the list, with a message.
        response = client.get(_urls(people)[3][1], follow_redirects=True)
        assert "not ready yet" in response.text
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 1


def test_the_form_speaks_the_roster_parameters(hr_client, catalog, make_employee,
                                               make_assignment, exports):
    boss = make_employee("Boss", email="boss@example.com", employee_number="M-1")
    worker = make_employee("Worker", email="w@example.com", manager=boss)
    make_assignment(worker, catalog["code-of-conduct"])
    course_id = catalog["code-of-conduct"].id
    page = hr_client.get(f"/hr/evidence?course={course_id}&manager=M-1&direct=1"
                         "&status=overdue&due_from=2026-01-01").text
    assert f'<option value="{course_id}" selected>' in page
    assert 'value="M-1"' in page and 'id="e-direct" name="direct" value="1" checked' in page
    assert 'id="e-status-overdue" name="status" value="overdue" checked' in page
    assert 'value="2026-01-01"' in page

    bad = hr_client.post("/hr/evidence", data={"due_from": "31/12/2026", "manager": "nobody"})
    assert bad.status_code == 400
    assert "Enter a date as YYYY-MM-DD" in bad.text and "No employee has this number." in bad.text
    nobody = hr_client.post("/hr/evidence", data={"cycle": "1999"})
    assert nobody.status_code == 400 and "Nobody matches these filters" in nobody.text
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 0

    response = hr_client.post("/hr/evidence", data={
        "course": str(course_id), "manager": "M-1", "direct": "1", "status": ["assigned"],
        "due_to": "2026-12-31"})
    assert response.status_code == 302
    job = db.session.scalar(select(ExportJob))
    assert job.total == 1 and job.filters == {
        "course_id": course_id, "manager_id": boss.id, "direct_only": True,
        "statuses": ["assigned"], "due_to": "2026-12-31"}
    page = hr_client.get("/hr/evidence").text
    assert "Boss (M-1)" in page and "Direct reports only" in page and "0 of 1 people" in page
    mine = hr_client.get("/hr/evidence?mine=1").text
    assert "0 of 1 people" in mine


def _payloads(limit: int) -> list[str]:
    names = []
    for path in sorted((SHARED / "corpora" / "xss").glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if "<" in line and line.strip() and len(line) < 300:
                names.append(line.strip())
                break
    return names[:limit]


XSS = _payloads(8)


def test_hostile_names_are_escaped_on_the_jobs_page(app, make_employee, login, catalog,
                                                    make_assignment, exports):
    assert len(XSS) >= 5
    for n, payload in enumerate(XSS):
        requester = make_employee(payload, email=f"x{n}@example.com", roles=("hr",),
                                  employee_number=f"=X{n}")
        make_assignment(requester, catalog["code-of-conduct"])
        queue.create_job(requester.id, RosterFilters(manager_id=requester.id), 1)
    db.session.commit()
    client = app.test_client()
    login(client, "x0@example.com")
    page = client.get("/hr/evidence").text
    for payload in XSS:
        assert payload not in page
        assert str(escape(payload)) in page

    # The bulk index: every hostile cell is text, not a formula; HTML is only characters.
    whole = queue.create_job(db.session.scalar(select(ExportJob.requested_by_id)),
                             RosterFilters(), len(XSS))
    db.session.commit()
    tasks.export_jobs(utcnow())
    db.session.expire_all()
    archive = open_zip((exports / db.session.get(ExportJob, whole.id).file_name).read_bytes())
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert sorted(row["Name"] for row in index) == sorted(XSS)
    assert all(row["Employee number"].startswith("'=X") for row in index)
    for row in index:
        assert "<" not in row["Folder"] and ">" not in row["Folder"]

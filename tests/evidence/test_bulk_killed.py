"""``flask --app lms jobs run export-jobs`` killed with SIGKILL while it builds a bulk evidence
export: no partial zip is ever served, the job is left running and is taken up again once its
heartbeat is stale, and the run that takes it over builds the whole export, with nothing left
over from the dead one.

The child is the real command in a real process, stopped right after a chosen SQL statement
(tests/faults/killed.py) and killed there: in the middle of the people (a part file on disk)
or after the finished zip was renamed into place but before "done" was committed (a whole zip
that no job points at)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.db import db
from lms.evidence import queue
from lms.evidence.services import folder_name
from lms.people.models import Employee
from lms.reports.models import ExportJob
from lms.reports.roster import RosterFilters
from lms.scheduler import registry
from lms.scheduler.models import JobLease
from lms.scheduler.runner import run_job
from tests.evidence.conftest import COURSE, open_zip
from tests.faults.killed import kill_after

pytestmark = pytest.mark.slow

JOB = "export-jobs"
PEOPLE = 7  # more than one heartbeat's worth (tasks.BEAT_EVERY = 5)


@pytest.fixture
def queued_export(app, make_employee, make_assignment, catalog, hr_client, exports):
    course = catalog[COURSE]
    people = [make_employee(f"Killed Export {n}", email=f"killed{n}@example.com")
              for n in range(PEOPLE)]
    for person in people:
        make_assignment(person, course)
    hr = db.session.scalar(select(Employee).where(Employee.email == "hr@example.com"))
    job = queue.create_job(hr.id, RosterFilters(course_id=course.id), PEOPLE)
    db.session.commit()
    expected = {folder_name(p.employee_number, p.full_name): p.employee_number for p in people}
    return job.id, expected


def _job(job_id: int) -> ExportJob:
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    db.session.rollback()
    return job


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(("statement", "nth", "left_behind"), [
    ("UPDATE export_jobs SET done", 1, ".part"),  # the first progress beat, people in the file
    ("UPDATE export_jobs SET status", 2, ".zip"),  # "done" (the claim is the first), uncommitted
], ids=["mid-export", "zip-in-place"])
def test_a_killed_export_serves_nothing_and_the_next_run_builds_it_whole(
        app, migrated, tmp_path, exports, hr_client, queued_export, statement, nth,
        left_behind):
    job_id, expected = queued_export
    kill_after(["jobs", "run", JOB, "--json"], statement, nth, migrated, tmp_path,
               LMS_EXPORT_DIR=str(exports))

    # What the dead process left: the job running without a file, and a file nobody serves.
    killed = _job(job_id)
    assert (killed.status, killed.file_name) == ("running", None)
    assert killed.done < PEOPLE  # the last progress it committed
    [leftover] = _files(exports)
    assert leftover.startswith((f".evidence-{job_id}-", f"evidence-{job_id}-"))
    assert leftover.endswith(left_behind)
    download = hr_client.get(f"/hr/evidence/{job_id}/download")
    assert download.status_code == 302 and download.mimetype != "application/zip"
    assert "In progress" in hr_client.get("/hr/evidence").text

    # The dead run still holds the job's lease, and the job's heartbeat is fresh: nothing
    # starts it again until its lease has expired and its heartbeat is stale.
    expires_at = db.session.get(JobLease, JOB).expires_at
    db.session.rollback()
    assert run_job(JOB)["skipped"] == "running elsewhere"
    assert expires_at - killed.started_at <= timedelta(seconds=registry.get(JOB).lease_seconds)
    with app.app_context():  # as the scheduler runs a job: a context and session of its own
        early = run_job(JOB, expires_at)
    assert early["counts"] == {"requeued": 0, "done": 0, "failed": 0, "lost": 0}
    assert _job(job_id).status == "running"
    later = max(expires_at, killed.started_at + queue.STALE_AFTER + timedelta(seconds=1))
    with app.app_context():
        rerun = run_job(JOB, later)
    assert rerun["error"] is None
    assert rerun["counts"] == {"requeued": 1, "done": 1, "failed": 0, "lost": 0}

    done = _job(job_id)
    assert (done.status, done.done, done.total) == ("done", PEOPLE, PEOPLE)
    assert _files(exports) == [done.file_name]  # the dead run's file is gone
    response = hr_client.get(f"/hr/evidence/{job_id}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.data == (exports / done.file_name).read_bytes()
    archive = open_zip(response.data)
    names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {*expected, "index.csv"}
    for folder in expected:
        assert {f"{folder}/manifest.json", f"{folder}/summary.pdf"} <= set(names)
        assert archive.read(f"{folder}/summary.pdf").startswith(b"%PDF-")
    rows = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == sorted(expected.values())
    assert sorted(row[6] for row in rows[1:]) == sorted(expected)

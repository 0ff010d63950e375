"""Bulk evidence exports: asked for on the page, built by the ``export-jobs`` job with its
progress committed as it goes, downloaded when done; one claimant per job; a job left running by
a dead process is built again; a process that lost its job stops."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.evidence import queue, tasks
from lms.evidence.services import folder_name
from lms.reports.models import ExportJob
from lms.reports.roster import RosterFilters
from lms.scheduler.runner import run_job
from tests.evidence.conftest import COURSE, open_zip


def job() -> ExportJob:
    db.session.expire_all()
    return db.session.scalar(select(ExportJob).order_by(ExportJob.id.desc()))


def queued(requested_by_id: int, **filters) -> ExportJob:
    created = queue.create_job(requested_by_id, RosterFilters(**filters), 0)
    db.session.commit()
    return created


@pytest.fixture
def two_learners(journey):
    return [journey("Evidence Learner", "learner@example.com").person,
            journey("王小明", "wang@example.com").person]


def test_create_run_watch_and_download(two_learners, hr_client, exports, catalog,
                                       make_employee, make_assignment, monkeypatch):
    # Someone assigned another course only is not in this export.
    make_assignment(make_employee("Other Course", email="o@example.com"),
                    catalog["harassment-prevention"])
    course_id = catalog[COURSE].id
    response = hr_client.post("/hr/evidence", data={"course": str(course_id)})
    assert response.status_code == 302 and response.location.endswith("/hr/evidence")
    created = job()
    assert (created.kind, created.status, created.total, created.done) == (
        "evidence", "queued", 2, 0)
    assert created.filters == {"course_id": course_id}
    page = hr_client.get("/hr/evidence").text
    assert "0 of 2 people" in page and "Waiting" in page and "Refresh" in page
    assert 'max="100" value="0"' in page
    assert "Download zip" not in page
    assert hr_client.get(f"/hr/evidence/{created.id}/download").status_code == 302

    # Progress is committed person by person (here: after each one).
    monkeypatch.setattr(tasks, "BEAT_EVERY", 1)
    seen, pages = [], []
    heartbeat = queue.heartbeat

    def watching(claim, **values):
        claimed = heartbeat(claim, **values)
        seen.append(db.session.execute(
            select(ExportJob.status, ExportJob.done, ExportJob.total)).one())
        if values.get("done") == 1:  # what the page shows meanwhile
            page = hr_client.get("/hr/evidence").text
            pages.append(page)
        return claimed

    monkeypatch.setattr(queue, "heartbeat", watching)
    counts = tasks.export_jobs(utcnow())
    assert counts == {"requeued": 0, "done": 1, "failed": 0, "lost": 0}
    assert [tuple(row) for row in seen] == [("running", 0, 2), ("running", 1, 2),
                                            ("running", 2, 2)]
    [midway] = pages
    assert "1 of 2 people" in midway and "In progress" in midway and 'value="50"' in midway
    finished = job()
    assert (finished.status, finished.done, finished.total) == ("done", 2, 2)
    assert finished.finished_at >= finished.created_at
    assert [p.name for p in exports.iterdir()] == [finished.file_name]

    page = hr_client.get("/hr/evidence").text
    assert "2 of 2 people" in page and "Ready" in page and "Download zip" in page
    response = hr_client.get(f"/hr/evidence/{finished.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = open_zip(response.data)
    response.close()
    names = archive.namelist()
    folders = [folder_name(p.employee_number, p.full_name) for p in two_learners]
    assert folders[1].endswith("王小明")
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [row["Folder"] for row in index] == folders
    assert [row["Name"] for row in index] == ["Evidence Learner", "王小明"]
    for row in index:
        folder = row["Folder"]
        assert {f"{folder}/summary.pdf", f"{folder}/manifest.json",
                f"{folder}/attestations.json"} <= set(names)
        assert row["manifest.json SHA-256"] == hashlib.sha256(
            archive.read(f"{folder}/manifest.json")).hexdigest()
        assert (row["Assignments"], row["Completed"], row["Certificates"]) == ("1", "1", "1")
    assert not any("Other Course" in name for name in names)

    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "evidence_pack").order_by(AuditEvent.id)).all()
    assert [(e.target_type, e.target_id, e.detail["action"]) for e in events] == [
        ("export_job", str(finished.id), "requested"),
        ("export_job", str(finished.id), "downloaded")]


def test_two_runners_never_take_the_same_job(make_employee, exports):
    person = make_employee("Requester")
    first, second = queued(person.id), queued(person.id)
    claim = queue.claim(first.id)
    assert claim is not None and claim.job_id == first.id
    assert queue.claim(first.id) is None  # the second runner's conditional UPDATE: no row
    other = queue.claim_next()
    assert other is not None and other.job_id == second.id
    assert queue.claim_next() is None
    assert {j.status for j in db.session.scalars(select(ExportJob))} == {"running"}


def test_a_job_left_running_by_a_dead_process_is_built_again(two_learners, exports):
    crashed = queued(two_learners[0].id)
    long_ago = utcnow() - queue.STALE_AFTER - timedelta(minutes=1)
    db.session.execute(update(ExportJob).where(ExportJob.id == crashed.id).values(
        status="running", started_at=long_ago, done=1, total=2))
    db.session.commit()
    exports.mkdir(parents=True)
    leftover = exports / f".evidence-{crashed.id}-deadbeef0000.part"
    leftover.write_bytes(b"PK\x03\x04 half a zip")

    counts = tasks.export_jobs(utcnow())
    assert counts == {"requeued": 1, "done": 1, "failed": 0, "lost": 0}
    rebuilt = job()
    assert (rebuilt.status, rebuilt.done, rebuilt.total) == ("done", 2, 2)
    assert not leftover.exists()
    assert [p.name for p in exports.iterdir()] == [rebuilt.file_name]
    open_zip((exports / rebuilt.file_name).read_bytes())


def test_a_job_still_beating_is_left_alone(make_employee, exports):
    running = queued(make_employee("Requester").id)
    db.session.execute(update(ExportJob).where(ExportJob.id == running.id).values(
        status="running", started_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert tasks.export_jobs(utcnow()) == {"requeued": 0, "done": 0, "failed": 0, "lost": 0}
    assert job().status == "running"


def test_a_process_that_lost_its_job_stops_and_leaves_nothing(two_learners, exports):
    taken = queued(two_learners[0].id)
    claim = queue.claim(taken.id)
    # Meanwhile another process presumed this one dead, re-queued the job and claimed it.
    db.session.execute(update(ExportJob).where(ExportJob.id == taken.id).values(
        started_at=utcnow() + timedelta(seconds=5)))
    db.session.commit()
    assert tasks.run_export(claim) == "lost"
    assert job().status == "running"  # the other process's to finish
    assert list(exports.iterdir()) == []
    with pytest.raises(queue.LostClaim):
        queue.heartbeat(claim, done=1)


def test_a_failure_is_recorded_and_leaves_no_file(two_learners, exports, monkeypatch):
    broken = queued(two_learners[0].id)

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tasks, "write_pack", fail)
    assert tasks.export_jobs(utcnow())["failed"] == 1
    failed = job()
    assert failed.id == broken.id and failed.status == "failed"
    assert failed.error == "OSError: disk full" and failed.finished_at is not None
    assert list(exports.iterdir()) == []


def test_the_scheduler_runs_it_by_its_id(two_learners, exports):
    queued(two_learners[0].id, employee_id=two_learners[1].id)
    result = run_job("export-jobs")
    assert result["error"] is None
    assert result["counts"] == {"requeued": 0, "done": 1, "failed": 0, "lost": 0}
    finished = job()
    assert finished.total == 1
    archive = open_zip((exports / finished.file_name).read_bytes())
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [row["Name"] for row in index] == ["王小明"]


def test_a_done_job_without_its_file_is_gone(two_learners, hr_client, exports):
    queued(two_learners[0].id)
    tasks.export_jobs(utcnow())
    finished = job()
    (exports / finished.file_name).unlink()
    assert hr_client.get(f"/hr/evidence/{finished.id}/download").status_code == 404

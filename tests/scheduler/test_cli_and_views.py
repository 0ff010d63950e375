"""``jobs list``, ``jobs run ID [--json]`` and the admin page of job runs."""

import json

from lms.db import db
from lms.notifications.services import enqueue
from lms.scheduler import registry


def test_jobs_list_shows_each_job_its_schedule_and_last_run(runner, smtp_server):
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    assert "outbox-delivery" in listed.output and "every 1 min" in listed.output
    assert "last run: never" in listed.output
    runner.invoke(args=["jobs", "run", "outbox-delivery"])
    listed = runner.invoke(args=["jobs", "list"])
    assert "ok sent=0 failed=0 deferred=0" in listed.output
    lines = runner.invoke(args=["jobs", "list", "--json"]).output.splitlines()
    entries = {entry["job_id"]: entry for entry in map(json.loads, lines)}
    assert set(entries) == {"outbox-delivery", "assignment-sync", "assignment-sync-requested",
                            "reminders", "hr-digest", "certificate-expiry", "class-reminders",
                            "dashboard-figures", "export-jobs"}
    entry = entries["outbox-delivery"]
    assert entry["job_id"] == "outbox-delivery" and entry["schedule"] == "every 1 min"
    assert entry["last_run"]["counts"] == {"sent": 0, "failed": 0, "deferred": 0}


def test_jobs_run_prints_what_it_did(runner, smtp_server):
    for n in range(2):
        enqueue(f"k{n}", f"p{n}@example.com", "Hello", "Body")
    db.session.commit()
    result = runner.invoke(args=["jobs", "run", "outbox-delivery", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["job_id"] == "outbox-delivery"
    assert data["counts"] == {"sent": 2, "failed": 0, "deferred": 0} and data["error"] is None
    text = runner.invoke(args=["jobs", "run", "outbox-delivery"])
    assert text.exit_code == 0 and "outbox-delivery: 0 sent, 0 failed, 0 deferred" in text.output
    assert len(smtp_server.messages()) == 2


def test_jobs_run_refuses_an_unknown_job_and_fails_when_the_job_does(runner, monkeypatch):
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code == 2 and "known: outbox-delivery" in unknown.output

    def fails(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "JOBS", (*registry.JOBS,
                                           registry.Job("fails", fails, registry.Every(60), "x")))
    failed = runner.invoke(args=["jobs", "run", "fails", "--json"])
    assert failed.exit_code == 1 and json.loads(failed.output)["error"] == "RuntimeError: boom"


def test_admin_page_of_job_runs(client, runner, make_employee, login, smtp_server):
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    make_employee("Eli Employee", email="eli@example.com")
    make_employee("Hana HR", email="hana@example.com", roles=("hr",))
    assert client.get("/admin/jobs").status_code == 302  # sign in first
    smtp_server.stop()
    enqueue("waiting", "p@example.com", "Hello", "Body")
    db.session.commit()
    runner.invoke(args=["jobs", "run", "outbox-delivery"])

    login(client, "eli@example.com")
    assert client.get("/admin/jobs").status_code == 403
    client.post("/logout")
    login(client, "hana@example.com")
    assert client.get("/admin/jobs").status_code == 403
    client.post("/logout")
    login(client, "admin@example.com")
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    for text in ("outbox-delivery", "every 1 min", "deferred 1", "by hand",
                 "Waiting to be sent: 1", "Connection refused"):
        assert text in page.text, text


def test_the_web_app_never_starts_a_scheduler(app, client):
    import threading

    client.get("/login")
    assert not any(thread.name == "APScheduler" for thread in threading.enumerate())


def test_the_scheduler_has_every_registry_job_under_its_id(app):
    from datetime import UTC, datetime

    from lms.scheduler.cli import build_scheduler

    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.id for job in registry.jobs()}
    now = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)
    assert jobs["outbox-delivery"].trigger.get_next_fire_time(None, now) == datetime(
        2026, 3, 2, 9, 1, tzinfo=UTC)

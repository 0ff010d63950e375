"""run_job: every run recorded (start, end, counts, error), errors kept and not raised, one run at
a time, one run per slot; the registry has stable ids and aligned schedules."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import enqueue
from lms.scheduler import lease, registry
from lms.scheduler.models import JobRun
from lms.scheduler.runner import KEEP_RUNS_DAYS, last_runs, run_job

T0 = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)


def runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id)))


@pytest.fixture
def extra_jobs(monkeypatch):
    """Adds test jobs to the registry for one test."""
    def add(*jobs):
        monkeypatch.setattr(registry, "JOBS", registry.JOBS + jobs)
    return add


def test_the_registry_has_stable_ids_and_real_jobs():
    assert [job.id for job in registry.jobs()] == [
        "outbox-delivery", "assignment-sync", "assignment-sync-requested", "reminders",
        "hr-digest", "certificate-expiry", "class-reminders", "dashboard-figures",
        "export-jobs"]
    job = registry.get("outbox-delivery")
    assert job.schedule.describe() == "every 1 min"
    assert registry.get("assignment-sync").schedule.describe() == "daily at 02:00 (Asia/Shanghai)"
    assert registry.get("reminders").schedule.describe() == "daily at 09:00 (Asia/Shanghai)"
    with pytest.raises(KeyError, match="outbox-delivery"):
        registry.get("nope")


def test_schedules_are_aligned_to_the_clock():
    assert registry.Every(60).slot(T0) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert registry.Every(3600).slot(T0) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    daily = registry.Daily(time(6, 0), "Asia/Shanghai")  # 22:00 UTC the day before
    assert daily.slot(T0) == datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    assert daily.slot(datetime(2026, 3, 1, 21, 59, tzinfo=UTC)) == datetime(
        2026, 2, 28, 22, 0, tzinfo=UTC)
    trigger = registry.Every(60).trigger()
    assert trigger.get_next_fire_time(None, T0) == datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    assert daily.trigger().get_next_fire_time(None, T0).astimezone(UTC) == datetime(
        2026, 3, 2, 22, 0, tzinfo=UTC)


def test_a_run_is_recorded_with_its_counts(app, smtp_server):
    enqueue("k1", "a@example.com", "Hello", "Body")
    db.session.commit()
    result = run_job("outbox-delivery")
    assert result["counts"] == {"sent": 1, "failed": 0, "deferred": 0}
    assert result["error"] is None and result["job_id"] == "outbox-delivery"
    (run,) = runs()
    assert run.id == result["run_id"] and run.counts == result["counts"]
    assert run.started_at <= run.finished_at and run.error is None
    assert run.scheduled_for is None and run.pid > 0 and run.host
    assert last_runs()["outbox-delivery"].id == run.id


def test_a_failing_job_is_recorded_not_raised_and_its_work_rolled_back(app, extra_jobs):
    def fails(now):
        enqueue("half-done", "a@example.com", "Hello", "Body")
        raise RuntimeError("boom")

    extra_jobs(registry.Job("fails", fails, registry.Every(60), "Always fails."))
    with app.app_context():  # as the scheduler runs it (the test's context autocommits)
        result = run_job("fails", T0)
    assert result["error"] == "RuntimeError: boom" and result["counts"] is None
    (run,) = runs()
    assert run.error == "RuntimeError: boom" and run.finished_at is not None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The lease was given back: the next run goes ahead.
    assert "skipped" not in run_job("fails", T0 + timedelta(seconds=1))


def test_a_job_running_elsewhere_is_skipped_and_not_recorded(app):
    assert lease.acquire("outbox-delivery", "other-process", T0, 600).acquired
    assert run_job("outbox-delivery", T0 + timedelta(seconds=5)) == {
        "job_id": "outbox-delivery", "skipped": "running elsewhere"}
    assert runs() == []
    assert "run_id" in run_job("outbox-delivery", T0 + timedelta(minutes=10))  # lease expired


def test_a_scheduled_slot_runs_once(app, extra_jobs):
    calls = []
    extra_jobs(registry.Job("count", lambda now: calls.append(now) or {"n": len(calls)},
                            registry.Every(60), "Counts its calls."))
    slot = registry.Every(60).slot(T0)
    assert run_job("count", T0, slot=slot)["counts"] == {"n": 1}
    assert run_job("count", T0 + timedelta(seconds=1), slot=slot)["skipped"] == (
        "already ran for this slot")
    assert run_job("count", T0 + timedelta(seconds=60), slot=slot + timedelta(seconds=60))[
        "counts"] == {"n": 2}
    assert [r.scheduled_for for r in runs()] == [slot, slot + timedelta(seconds=60)]


def test_old_run_records_are_pruned(app, extra_jobs):
    extra_jobs(registry.Job("noop", lambda now: {}, registry.Every(60), "Does nothing."))
    old = JobRun(job_id="noop", started_at=T0 - timedelta(days=KEEP_RUNS_DAYS + 1),
                 finished_at=T0 - timedelta(days=KEEP_RUNS_DAYS + 1), host="h", pid=1)
    recent = JobRun(job_id="noop", started_at=T0 - timedelta(days=1),
                    finished_at=T0 - timedelta(days=1), host="h", pid=1)
    db.session.add_all([old, recent])
    db.session.commit()
    run_job("noop", T0)
    assert len(runs()) == 2 and all(r.started_at > T0 - timedelta(days=2) for r in runs())


def test_daily_jobs_follow_the_company_time_zone(app):
    from flask import current_app

    current_app.config["LMS_TIMEZONE"] = "Europe/Dublin"
    try:
        assert registry.get("reminders").schedule.describe() == "daily at 09:00 (Europe/Dublin)"
        slot = registry.get("reminders").schedule.slot(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
        assert slot == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 Irish summer time
    finally:
        current_app.config["LMS_TIMEZONE"] = "Asia/Shanghai"

"""Two real scheduler processes against one database (SQLite or PostgreSQL) and a real SMTP
server: across many cycles no slot runs twice, runs never overlap, no e-mail goes twice."""

import json
import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.config import PROJECT_ROOT
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import enqueue, message_key
from lms.scheduler.models import JobRun

pytestmark = pytest.mark.slow


def _env(migrated: str, tmp_path: Path, smtp_server) -> dict:
    return {**os.environ, "LMS_DATABASE_URL": migrated, "LMS_INSTANCE_PATH": str(tmp_path),
            "LMS_SECRET_KEY": "x" * 40, "LMS_ENV": "test", "PYTHONPATH": str(PROJECT_ROOT),
            "LMS_SMTP_HOST": smtp_server.host, "LMS_SMTP_PORT": str(smtp_server.port),
            "LMS_MAIL_FROM": "Guardrail <training@example.com>"}


def _queue(batch: int, size: int) -> None:
    for n in range(size):
        enqueue(message_key("proc", batch=batch, n=n), f"p{batch}-{n}@example.com",
                f"Batch {batch} #{n}", "Body")
    db.session.commit()


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _runs() -> list[JobRun]:
    db.session.rollback()
    return list(db.session.scalars(select(JobRun).where(JobRun.job_id == "outbox-delivery")
                                   .order_by(JobRun.started_at)))


def _unsent() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.sent_at.is_(None)))


def test_two_scheduler_processes_run_each_slot_once_and_send_each_email_once(
        app, migrated, smtp_server, tmp_path):
    smtp_server.delay = 0.03  # a run of 20 e-mails spans more than one 1-second slot
    env = _env(migrated, tmp_path, smtp_server)
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    processes = [subprocess.Popen([sys.executable, "tests/scheduler/fast_scheduler.py"],
                                  cwd=PROJECT_ROOT, env=env, stdout=log.open("w"),
                                  stderr=subprocess.STDOUT) for log in logs]
    try:
        _wait_for(lambda: all("scheduler running" in log.read_text() for log in logs), 60,
                  "both schedulers to start")
        total = 0
        for batch in range(6):  # e-mails keep coming while both schedulers run
            _queue(batch, 20)
            total += 20
            time.sleep(0.7)
        _wait_for(lambda: _unsent() == 0, 60, "every e-mail to be sent")
        time.sleep(4)  # a few more cycles with nothing to do
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in processes]
    output = "\n".join(log.read_text() for log in logs)
    assert codes == [0, 0], output
    assert output.count("scheduler stopped") == 2

    received = smtp_server.message_ids()
    assert len(received) == total and set(received.values()) == {1}, output

    runs = _runs()
    assert all(run.error is None and run.finished_at is not None for run in runs), output
    assert sum(run.counts["sent"] for run in runs) == total
    # No slot ran twice, and no two runs overlapped.
    slots = [run.scheduled_for for run in runs]
    assert None not in slots and len(slots) == len(set(slots))
    assert len(runs) >= 6
    for first, second in pairwise(runs):
        assert first.finished_at <= second.started_at
    # The other process did try the same slots, and the lease turned it away.
    assert "skipped: already ran for this slot" in output or "skipped: running elsewhere" in output


def test_two_jobs_run_commands_at_once_send_each_email_once(app, migrated, smtp_server,
                                                            tmp_path):
    smtp_server.delay = 0.02
    _queue(0, 40)
    env = _env(migrated, tmp_path, smtp_server)
    command = [sys.executable, "-m", "flask", "--app", "lms", "jobs", "run", "outbox-delivery",
               "--json"]
    processes = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    results = [json.loads(out) for out, _err in outputs]
    sent = sum(result.get("counts", {}).get("sent", 0) for result in results)
    assert sent == 40, results
    assert all(r.get("skipped") in (None, "running elsewhere") for r in results)
    received = smtp_server.message_ids()
    assert len(received) == 40 and set(received.values()) == {1}

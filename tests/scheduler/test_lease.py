"""Leases: one holder at a time, an expired lease can be taken over, a slot runs once, and
racing threads or processes get exactly one winner."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from lms.config import PROJECT_ROOT
from lms.db import db
from lms.scheduler import lease
from lms.scheduler.models import JobLease

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_one_holder_at_a_time(app):
    assert lease.acquire("job", "a", T0, 600).acquired
    second = lease.acquire("job", "b", T0 + timedelta(seconds=5), 600)
    assert not second.acquired and second.reason == "running elsewhere"
    assert not lease.release("job", "b", T0)  # not b's to release
    assert lease.release("job", "a", T0)
    assert lease.acquire("job", "b", T0 + timedelta(seconds=6), 600).acquired
    assert db.session.get(JobLease, "job").holder == "b"


def test_an_expired_lease_is_taken_over(app):
    assert lease.acquire("job", "crashed", T0, 600).acquired  # and never released
    assert not lease.acquire("job", "b", T0 + timedelta(seconds=599), 600).acquired
    assert lease.acquire("job", "b", T0 + timedelta(seconds=600), 600).acquired
    # The crashed holder coming back cannot release b's lease.
    assert not lease.release("job", "crashed", T0)
    assert not lease.acquire("job", "c", T0 + timedelta(seconds=700), 600).acquired


def test_a_slot_runs_once(app):
    slot = T0
    assert lease.acquire("job", "a", T0, 600, slot=slot).acquired
    lease.release("job", "a", T0)
    again = lease.acquire("job", "b", T0 + timedelta(seconds=1), 600, slot=slot)
    assert not again.acquired and again.reason == "already ran for this slot"
    assert lease.acquire("job", "b", T0 + timedelta(seconds=2), 600, slot=None).acquired  # by hand
    lease.release("job", "b", T0 + timedelta(seconds=2))
    assert db.session.get(JobLease, "job").slot_at == slot  # a run by hand keeps the slot
    assert lease.acquire("job", "b", T0 + timedelta(minutes=1), 600,
                         slot=slot + timedelta(minutes=1)).acquired


def _race(app, job_id: str, now: datetime, threads: int = 8) -> list[bool]:
    barrier = threading.Barrier(threads)
    results: list[bool] = []
    errors: list[BaseException] = []

    def contender(n: int):
        try:
            with app.app_context():
                barrier.wait()
                results.append(lease.acquire(job_id, f"holder-{n}", now, 600).acquired)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=contender, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    return results


def test_racing_threads_get_exactly_one_winner(app):
    for round_ in range(5):
        # The first time (INSERT race) and after expiry (UPDATE race).
        assert sorted(_race(app, f"race-{round_}", T0)) == [False] * 7 + [True]
        later = T0 + timedelta(seconds=601)
        assert sorted(_race(app, f"race-{round_}", later)) == [False] * 7 + [True]


CONTENDER = """
import json, sys, time
from datetime import datetime
from lms import create_app
from lms.scheduler import lease
app = create_app()
start, now = float(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
with app.app_context():
    time.sleep(max(0.0, start - time.time()))
    print(json.dumps(lease.acquire("process-race", sys.argv[3], now, 600).acquired))
"""


def test_racing_processes_get_exactly_one_winner(app, migrated, tmp_path):
    env = {**os.environ, "LMS_DATABASE_URL": migrated, "LMS_INSTANCE_PATH": str(tmp_path),
           "LMS_SECRET_KEY": "x" * 40, "LMS_ENV": "test", "PYTHONPATH": str(PROJECT_ROOT)}
    start = time.time() + 6  # every process has started by then, and all go at once
    processes = [subprocess.Popen(
        [sys.executable, "-c", CONTENDER, str(start), T0.isoformat(), f"p{n}"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    results = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sorted(results) == [False, False, False, True]

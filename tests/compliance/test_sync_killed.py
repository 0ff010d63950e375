"""``flask --app lms jobs run assignment-sync`` killed with SIGKILL in the middle of its work
leaves the database consistent (as before the run, or, once the sync has committed, as after
it), and the next run, once the dead run's lease has expired, finishes the work.

The child is the real command in a real process (tests/faults/killed.py). The kill point is
chosen by statement, not by timing: a listener installed by the test (no hook in ``lms/``) stops
the child right after the chosen statement has run inside the sync's transaction, and the test
kills it there."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, insert, select

from lms.clock import local_date
from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.db import db
from lms.people.models import Employee
from lms.scheduler import registry
from lms.scheduler.models import JobLease, JobRun
from lms.scheduler.runner import run_job
from tests.faults import killed as child

pytestmark = pytest.mark.slow

JOB = "assignment-sync"
PEOPLE = 1200  # two batches (1000 + 200 rows) for each bulk INSERT (SQLAlchemy insertmanyvalues)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _nonzero(counts: dict) -> dict:
    return {key: value for key, value in counts.items() if value}


def _populate(app, make_course, make_requirement) -> Requirement:
    # In bulk, without password hashes, and in the app's context: there it is one transaction,
    # while the test's twin context would commit each row on its own on SQLite.
    with app.app_context():
        db.session.execute(insert(Employee), [
            {"employee_number": f"K{n:05d}", "full_name": f"Person {n}",
             "email": f"k{n}@example.com", "hire_date": date(2020, 1, 1)} for n in range(PEOPLE)])
        db.session.commit()
    # Once, not calendar: what is due does not depend on the day that the clock-moved runs below
    # sync for (no cycle may roll over between them).
    return make_requirement(make_course(), "once")


def _assert_held_open_by_the_child(database_url: str) -> None:
    """The child is stopped inside an open write transaction, not between transactions."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        states = db.session.scalars(sa.text(
            "SELECT state FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :name"),
            {"name": child.APPLICATION_NAME}).all()
        db.session.rollback()
        assert "idle in transaction" in states, states
        return
    probe = sqlite3.connect(sa.engine.make_url(database_url).database, timeout=0.1,
                            isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
    finally:
        probe.close()


def _assert_consistent(requirement_id: int, synced_on: date | None) -> None:
    """All of one sync or none of it: every person has one assignment with its 'created' event
    and an audience membership, and the requirement says when it was synced; or nothing."""
    db.session.rollback()
    expected = PEOPLE if synced_on else 0
    assert _count(Assignment) == expected
    assert _count(AssignmentEvent) == expected
    assert _count(RequirementMember) == expected
    assert db.session.scalar(select(func.count(func.distinct(Assignment.employee_id)))) == expected
    assert _count(Assignment, ~sa.exists().where(
        AssignmentEvent.assignment_id == Assignment.id, AssignmentEvent.kind == "created")) == 0
    requirement = db.session.get(Requirement, requirement_id)
    assert requirement.last_synced_on == synced_on
    db.session.rollback()


@pytest.mark.parametrize(("kill_after", "nth", "committed"), [
    # SQLite: between two batches of one executemany; PostgreSQL writes all the rows in one
    # statement, so there: after it, before the events
    ("INSERT INTO assignments ", 2, False),
    ("INSERT INTO assignment_events ", 1, False),
    ("UPDATE requirements ", 1, False),  # the sync's last write, just before its COMMIT
    ("UPDATE job_runs ", 1, True),  # the sync committed; the run is being recorded as done
], ids=["assignments", "events", "last-synced", "after-commit"])
def test_a_killed_sync_leaves_the_database_consistent_and_the_next_run_finishes_the_work(
        app, migrated, tmp_path, make_course, make_requirement, kill_after, nth, committed):
    requirement_id = _populate(app, make_course, make_requirement).id
    if kill_after == "INSERT INTO assignments " and migrated.startswith("postgresql"):
        nth = 1
    def while_paused():
        _assert_held_open_by_the_child(migrated)
        # Other sessions see only committed work while the child is stopped mid-sync.
        assert _count(Assignment) == (PEOPLE if committed else 0)
        db.session.rollback()

    pid = child.kill_after(["jobs", "run", JOB, "--json"], kill_after, nth, migrated,
                           tmp_path, while_paused=while_paused)

    # The killed run: recorded as started and never finished, its lease still held.
    (killed,) = db.session.scalars(select(JobRun)).all()
    assert (killed.job_id, killed.pid) == (JOB, pid)
    assert (killed.finished_at, killed.counts, killed.error) == (None, None, None)
    day = local_date(killed.started_at)
    _assert_consistent(requirement_id, day if committed else None)
    held = db.session.get(JobLease, JOB)
    assert f":{pid}:" in held.holder
    expires_at = held.expires_at
    assert expires_at - killed.started_at <= timedelta(seconds=registry.get(JOB).lease_seconds)
    db.session.rollback()

    with app.app_context():  # as the scheduler runs a job: a context and session of its own
        # Nothing tells the next run that the holder died: its lease keeps the job until it
        # expires (lms/scheduler/lease.py), at most lease_seconds after the start; then the next
        # run takes over.
        assert run_job(JOB) == {"job_id": JOB, "skipped": "running elsewhere"}
        assert run_job(JOB, expires_at - timedelta(seconds=1))["skipped"] == "running elsewhere"
        second = run_job(JOB, expires_at)
    assert second["error"] is None
    assert _nonzero(second["counts"]) == (
        {"unchanged": PEOPLE} if committed else {"created": PEOPLE})
    _assert_consistent(requirement_id, local_date(expires_at))

    with app.app_context():
        third = run_job(JOB, expires_at)
    assert _nonzero(third["counts"]) == {"unchanged": PEOPLE}
    _assert_consistent(requirement_id, local_date(expires_at))

    # The killed run stays on record as interrupted, beside the two that finished.
    runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
    assert [run.id for run in runs] == [killed.id, second["run_id"], third["run_id"]]
    assert [run.finished_at is None for run in runs] == [True, False, False]

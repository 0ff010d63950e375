"""``flask --app lms scheduler run`` and ``flask --app lms jobs list|run``."""

from __future__ import annotations

import json
import logging
import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.db import utcnow

log = logging.getLogger(__name__)

scheduler_cli = AppGroup("scheduler", help="The job scheduler (its own process).")
jobs_cli = AppGroup("jobs", help="List the periodic jobs, or run one now.")


def _fire(app: Flask, job_id: str) -> None:
    """What the scheduler calls: one scheduled run, in a fresh app context. Never raises (a
    failure is logged, and recorded on the run when the job itself failed)."""
    from lms.scheduler import registry
    from lms.scheduler.runner import run_job

    try:
        now = utcnow()
        slot = registry.get(job_id).schedule.slot(now)
        with app.app_context():
            result = run_job(job_id, now, slot=slot)
        if result.get("error"):
            log.error("job %s failed: %s", job_id, result["error"])
    except Exception:
        log.exception("job %s could not be run", job_id)


def build_scheduler(app: Flask):
    """An APScheduler 3 background scheduler with every registry job, each calling ``run_job``
    for its slot. Overlapping runs in one process are skipped (``max_instances=1``); a run
    missed by more than 30 s is dropped (the next slot does the work: jobs are idempotent)."""
    from datetime import UTC

    from apscheduler.schedulers.background import BackgroundScheduler

    from lms.scheduler import registry

    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for job in registry.jobs():
        scheduler.add_job(_fire, job.schedule.trigger(), args=(app, job.id), id=job.id,
                          name=job.description, replace_existing=True)
    return scheduler


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler until SIGTERM or Ctrl-C (then let running jobs finish).

    Start one or more of these beside the web processes, never inside them: every run takes a
    lease in the database, so several schedulers never run one job at once or one slot twice."""
    from lms.scheduler import registry

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    stop = threading.Event()

    def _stop(signum, _frame):
        log.info("scheduler: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = build_scheduler(app)
    scheduler.start()
    for job in registry.jobs():
        log.info("scheduler: %s %s", job.id, job.schedule.describe())
    click.echo(f"scheduler running {len(registry.jobs())} job(s); SIGTERM or Ctrl-C stops it",
               err=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("scheduler stopped", err=True)


def _run_summary(run) -> str:
    if run is None:
        return "never"
    when = run.started_at.isoformat(timespec="seconds")
    if run.finished_at is None:
        return f"{when} (running or interrupted)"
    if run.error:
        return f"{when} FAILED: {run.error.splitlines()[0][:80]}"
    counts = " ".join(f"{key}={value}" for key, value in (run.counts or {}).items())
    return f"{when} ok {counts}".rstrip()


@jobs_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(as_json: bool) -> None:
    """Each job: its id, schedule, last run and what it does."""
    from lms.scheduler import registry
    from lms.scheduler.runner import last_runs

    jobs = registry.jobs()
    last = last_runs([job.id for job in jobs])
    for job in jobs:
        run = last.get(job.id)
        if as_json:
            click.echo(json.dumps({
                "job_id": job.id, "schedule": job.schedule.describe(),
                "description": job.description,
                "last_run": None if run is None else {
                    "started_at": run.started_at.isoformat(),
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                    "counts": run.counts, "error": run.error},
            }))
        else:
            click.echo(f"{job.id:<20} {job.schedule.describe():<16} last run: {_run_summary(run)}")
            click.echo(f"{'':<20} {job.description}")


@jobs_cli.command("run")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the job id and its counts (or error, or why skipped).")
def run_now_command(job_id: str, as_json: bool) -> None:
    """Run the job JOB_ID now (if no other process is running it) and print what it did.

    Exits with status 1 if the job failed."""
    from lms.scheduler import registry
    from lms.scheduler.runner import run_job

    try:
        registry.get(job_id)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="JOB_ID") from None
    result = run_job(job_id)
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
    elif result.get("skipped"):
        click.echo(f"{job_id}: skipped ({result['skipped']})")
    elif result["error"]:
        click.echo(f"{job_id}: FAILED: {result['error']}", err=True)
    else:
        counts = ", ".join(f"{value} {key}" for key, value in result["counts"].items())
        click.echo(f"{job_id}: {counts or 'done'} (run {result['run_id']})")
    if result.get("error"):
        raise SystemExit(1)

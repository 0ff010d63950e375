"""``flask --app lms bench run [--only NAME] [--size N] [--runs N] [--database-url URL] [--json]``

The benchmarks on data (sync, sync-noop, overdue-sweep) share one scratch database, seeded
once: on the PostgreSQL server of ``--database-url``, else of LMS_DATABASE_URL, else the local
one (``--database-url sqlite`` for a scratch SQLite file). It is dropped at the end."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

bench_cli = AppGroup("bench", help="Benchmarks, each against its floor in the same run.")

BENCHMARKS = ("content-check", "sync", "sync-noop", "overdue-sweep")
ON_DATA = ("sync", "sync-noop", "overdue-sweep")


@bench_cli.command("run")
@click.option("--only", type=click.Choice(BENCHMARKS), help="Run one benchmark.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per benchmark.")
@click.option("--size", type=int, help="Quiz files for content-check (default 500); employees "
              "for sync, sync-noop and overdue-sweep (default 250000).")
@click.option("--runs", default=5, show_default=True, help="Measured runs after the warm-up.")
@click.option("--database-url", help="Server for the scratch database of the data benchmarks "
              "(default: LMS_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres); "
              "'sqlite' for a scratch SQLite file.")
def run_command(only: str | None, as_json: bool, size: int | None, runs: int,
                database_url: str | None) -> None:
    """Run the benchmarks and print our median, the floor's, their ratio and the target."""
    from bench import content_check

    def report(result) -> None:
        # Printed as each finishes: the data benchmarks take minutes at full size.
        click.echo(json.dumps(result.as_dict()) if as_json else result.line())

    if only in (None, "content-check"):
        with tempfile.TemporaryDirectory() as workdir:
            report(content_check.run(Path(workdir), count=size or 500, runs=runs))
    chosen = [name for name in ON_DATA if only in (None, name)]
    if chosen:
        _run_on_data(chosen, size or 250_000, runs, database_url, report)


def _run_on_data(chosen: list[str], employees: int, runs: int, database_url: str | None,
                 report) -> None:
    from bench import overdue, scratch, sync
    from bench.dataset import seed_org
    from lms.db import db

    with scratch.scratch_database(scratch.server_url(database_url)) as url:
        app = scratch.scratch_app(url)
        with app.app_context():
            try:
                today = seed_org(employees)["today"]
                db.session.commit()
                scratch.analyze()
                benchmarks = {"sync": sync.run_from_empty, "sync-noop": sync.run_noop,
                              "overdue-sweep": overdue.run}
                for name in chosen:
                    report(benchmarks[name](employees, today, runs=runs))
            finally:
                db.session.remove()
                db.engine.dispose()  # the database cannot be dropped while we are connected

"""``flask --app lms bench run [--only NAME] [--size N] [--runs N] [--seconds S] [--json]
[--database-url URL]`` and ``flask --app lms bench seed --employees N [--seed S] [--years Y]``.

The benchmarks on data share one scratch database, seeded once (bench/dataset.py
seed_company, the code ``bench seed`` runs; with three years of history when a benchmark that
reads history is chosen): on the PostgreSQL server of ``--database-url``, else of
LMS_DATABASE_URL, else the local one (``--database-url sqlite`` for a scratch SQLite file). It
is dropped at the end."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import text

from bench.names import PAGES, PDF_CACHED, REFERENCES

bench_cli = AppGroup("bench", help="Benchmarks, each against its floor in the same run.")

# SQLite is for the demo: beyond this the seed (and every benchmark) is PostgreSQL's job.
SQLITE_MAX_EMPLOYEES = 5_000


@bench_cli.command("seed")
@click.option("--employees", type=click.IntRange(min=1), required=True,
              help="Head count of the company.")
@click.option("--seed", "seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--years", type=click.IntRange(min=0, max=10), default=3, show_default=True,
              help="Cycles of training history (0: the company only).")
@click.option("--force", is_flag=True, help="Empty a database that already holds people "
              "first (every row of every table; asks to confirm). Never in production.")
@click.option("--yes", is_flag=True, help="With --force: do not ask.")
def seed_command(employees: int, seed: int, years: int, force: bool, yes: bool) -> None:
    """Fill the app's database (LMS_DATABASE_URL) with a generated company and its history."""
    from sqlalchemy import func, inspect, select

    from bench.dataset import seed_company
    from bench.history import BENCH_PASSWORD
    from lms.db import db
    from lms.people.models import Employee

    dialect = db.engine.dialect.name
    url = db.engine.url.render_as_string(hide_password=True)
    if dialect != "postgresql" and employees > SQLITE_MAX_EMPLOYEES:
        raise click.UsageError(
            f"{url} is {dialect}: beyond {SQLITE_MAX_EMPLOYEES:,} employees the benchmark "
            "company needs PostgreSQL (set LMS_DATABASE_URL=postgresql://...).")
    if not inspect(db.engine).has_table("employees"):
        raise click.UsageError(f"{url} has no schema yet: run `flask --app lms db upgrade`.")
    people = db.session.scalar(select(func.count()).select_from(Employee))
    if people:
        if not force:
            raise click.UsageError(
                f"{url} already holds {people:,} employee record(s): the seed fills an empty "
                "database. "
                "Use another database, or --force to empty this one first.")
        if current_app.config.get("LMS_ENV") == "production":
            raise click.UsageError("--force is refused when LMS_ENV=production.")
        if not yes:
            click.confirm(f"Delete every row of every table in {url} ({people:,} people)?",
                          abort=True)
        _empty_database()
    started = time.perf_counter()
    click.echo(f"Seeding {employees:,} employees and {years} year(s) of history into {url}",
               err=True)
    with click.progressbar(length=employees, label="People and history", file=sys.stderr,
                           show_pos=True) as bar:
        made = seed_company(employees, seed, years, progress=bar.update)
        db.session.commit()
    from bench.scratch import analyze

    analyze()
    click.echo(f"{made['employees']:,} employees, {made['managers']:,} managers, "
               f"{made['levels']} levels, {made['departments']} departments, "
               f"{made['locations']} locations in {time.perf_counter() - started:.1f} s")
    for table, count in made["history"].items():
        click.echo(f"  {table:<22} {count:>12,}")
    for role, login in made["logins"].items():
        click.echo(f"  sign in as {role}: {login['email']} / {BENCH_PASSWORD}")


def _empty_database() -> None:
    from lms.db import db

    names = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    else:
        for name in names:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()

ON_DATA = ("sync", "sync-noop", "overdue-sweep", "overdue-sweep-daily")
# Run on the company with its three years of history (seeded once for all of them).
ON_HISTORY = ("roster-csv", "roster-xlsx", "import-noop", "import-new", "team-50k", "pdf-first",
              "pdf-cached", "pages-load")
BENCHMARKS = ("content-check", *ON_HISTORY, *ON_DATA)


@bench_cli.command("run")
@click.option("--only", type=click.Choice(BENCHMARKS), multiple=True,
              help="Run this benchmark (repeat for several); default: all.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per benchmark.")
@click.option("--size", type=int, help="Quiz files for content-check (default 500); employees "
              "for the others (default 250000).")
@click.option("--runs", default=5, show_default=True, help="Measured runs after the warm-up.")
@click.option("--seconds", default=5.0, show_default=True,
              help="Length of each load run (pages-load, pdf-cached).")
@click.option("--page", "pages_only", multiple=True,
              type=click.Choice((*PAGES, *REFERENCES)),
              help="pages-load: only this page or reference (repeat for several); default: "
              "every page, then the references.")
@click.option("--database-url", help="Server for the scratch database of the data benchmarks "
              "(default: LMS_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres); "
              "'sqlite' for a scratch SQLite file.")
def run_command(only: tuple[str, ...], as_json: bool, size: int | None, runs: int, seconds: float,
                pages_only: tuple[str, ...], database_url: str | None) -> None:
    """Run the benchmarks and print our median, the floor's, their ratio and the target."""
    from bench import content_check

    def report(result) -> None:
        # Printed as each finishes: the data benchmarks take minutes at full size.
        click.echo(json.dumps(result.as_dict(), default=str) if as_json else result.line())

    if not only or "content-check" in only:
        with tempfile.TemporaryDirectory() as workdir:
            report(content_check.run(Path(workdir), count=size or 500, runs=runs))
    chosen = [name for name in (*ON_HISTORY, *ON_DATA) if not only or name in only]
    if chosen:
        _run_on_data(chosen, size or 250_000, runs, seconds, database_url, report, pages_only)


def _run_on_data(chosen: list[str], employees: int, runs: int, seconds: float,
                 database_url: str | None, report, pages_only: tuple[str, ...] = ()) -> None:
    from bench import imports, overdue, pages, roster, scratch, sync
    from bench.dataset import seed_company
    from bench.history import clear_history
    from lms.db import db

    server = scratch.server_url(database_url)
    if server.startswith("sqlite") and employees > SQLITE_MAX_EMPLOYEES:
        raise click.UsageError(f"beyond {SQLITE_MAX_EMPLOYEES:,} employees the data benchmarks "
                               "need PostgreSQL (--database-url postgresql://...).")
    history = [name for name in chosen if name in ON_HISTORY]
    with scratch.scratch_database(server) as url, \
            tempfile.TemporaryDirectory(prefix="guardrail_bench_") as workdir:
        folder = Path(workdir)
        app = scratch.scratch_app(url, cache_dir=str(folder / "cache"))
        with app.app_context():
            try:
                started = time.perf_counter()
                made = seed_company(employees, years=3 if history else 0)
                db.session.commit()
                scratch.analyze()
                click.echo(f"Seeded {employees:,} employees"
                           + (" and three years of history" if history else "")
                           + f" in {time.perf_counter() - started:.0f} s", err=True)
                today, logins = made["today"], made["logins"]
                on_history = {
                    "roster-csv": lambda: roster.run_csv(folder, employees, today, runs),
                    "roster-xlsx": lambda: roster.run_xlsx(folder, employees, today, runs),
                    "import-noop": lambda: imports.run(employees, today, False, runs),
                    "import-new": lambda: imports.run(employees, today, True, runs),
                    "team-50k": lambda: pages.run_team(employees, logins, runs),
                    "pdf-first": lambda: pages.run_pdf_first(employees, logins, runs),
                }
                for name in history:
                    if name in on_history:
                        report(on_history[name]())
                loaded = [*((pages_only or (*PAGES, *REFERENCES))
                            if "pages-load" in history else ()),
                          *((PDF_CACHED,) if "pdf-cached" in history else ())]
                if loaded:
                    for result in pages.run_load(url, employees, logins, loaded, seconds,
                                                 min(runs, 3)):
                        report(result)
                on_data = {"sync": sync.run_from_empty, "sync-noop": sync.run_noop,
                           "overdue-sweep": overdue.run, "overdue-sweep-daily": overdue.run_daily}
                if history and any(name in on_data for name in chosen):
                    clear_history()  # these start from the company without assignments
                    scratch.analyze()
                for name in chosen:
                    if name in on_data:
                        report(on_data[name](employees, today, runs=runs))
            finally:
                db.session.remove()
                db.engine.dispose()  # the database cannot be dropped while we are connected

"""``flask --app lms roster export``: the compliance roster to a CSV or XLSX file, with the
same filters as the roster page, for exports too big for a browser or run from a script."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from courses.models import Course
from lms.audit.services import record
from lms.clock import today
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.reports.filters import CYCLE_MAX, reversed_ranges
from lms.reports.roster import (
    STATUSES,
    RosterFilters,
    header,
    roster_count,
    roster_csv_chunks,
    roster_rows,
)
from lms.reports.spreadsheet import write_xlsx

roster_cli = AppGroup("roster", help="Compliance rosters.")
PROGRESS_EVERY = 50_000  # rows between progress lines on stderr
CLI_ACTOR = "system (cli)"


def _day_option(name: str, text: str):
    return click.option(name, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                        help=text)


def _course_id(value: str) -> int:
    """A course by id (ASCII digits: '²' is a digit to isdigit, not to int), else by slug."""
    found = None
    if value.isascii() and value.isdigit() and len(value) < 10:
        found = db.session.scalar(select(Course.id).where(Course.id == int(value)))
    if found is None:
        found = db.session.scalar(select(Course.id).where(Course.slug == value))
    if found is None:
        raise click.BadParameter(f"no course has the slug or id {value!r}.",
                                 param_hint="--course")
    return found


def _named(model, value: str, option: str) -> int:
    """A department or location by its name (exact, else the one case-insensitive match)."""
    found = db.session.scalar(select(model.id).where(model.name == value))
    if found is None:
        matches = db.session.scalars(select(model.id).where(
            func.lower(model.name) == value.lower())).all()
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        names = db.session.scalars(select(model.name).order_by(model.name).limit(11)).all()
        known = ", ".join(repr(n) for n in names[:10]) + (", …" if len(names) > 10 else "")
        raise click.BadParameter(f"no {option[2:]} is named {value!r} (known: {known or 'none'}).",
                                 param_hint=option)
    return found


def _manager_id(number: str) -> int:
    found = db.session.scalar(select(Employee.id).where(Employee.employee_number == number))
    if found is None:
        raise click.BadParameter(f"no employee has the number {number!r}.",
                                 param_hint="--manager")
    return found


def _statuses(_ctx, _param, values: tuple[str, ...]) -> tuple[str, ...]:
    """``--status overdue --status assigned`` or ``--status overdue,assigned``."""
    chosen = {s.strip() for value in values for s in value.split(",") if s.strip()}
    unknown = sorted(chosen - set(STATUSES))
    if unknown:
        raise click.BadParameter(f"unknown {', '.join(map(repr, unknown))}; "
                                 f"choose from {', '.join(STATUSES)}.")
    return tuple(s for s in STATUSES if s in chosen)


def _progress(total: int, counter: list[int]) -> Callable[[int], None]:
    """Count the rows written, with a line on stderr every PROGRESS_EVERY rows (only for
    exports that big: small ones stay quiet)."""
    def report(done: int) -> None:
        counter[0] = done
        if done % PROGRESS_EVERY == 0:
            click.echo(f"  {done:,} / {total:,} rows ({done * 100 // max(total, done)}%)",
                       err=True)
    return report


def _with_progress(rows: Iterable[tuple], report: Callable[[int], None]) -> Iterator[tuple]:
    for done, row in enumerate(rows, start=1):
        yield row
        report(done)


@roster_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True,
              help="csv (UTF-8) or xlsx.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write (replaced only when the export succeeds).")
@click.option("--course", metavar="SLUG|ID", help="Course slug or id.")
@click.option("--cycle", metavar="CYCLE", help="Cycle, e.g. 2026.")
@click.option("--department", metavar="NAME", help="Department name.")
@click.option("--location", metavar="NAME", help="Location name.")
@click.option("--manager", metavar="NUMBER", help="Employee number: everyone below this manager.")
@click.option("--direct", is_flag=True, help="With --manager: direct reports only.")
@click.option("--status", "statuses", multiple=True, callback=_statuses, metavar="STATUS",
              help=f"Status, repeated or comma-separated: {', '.join(STATUSES)}.")
@_day_option("--due-from", "Due on or after this day.")
@_day_option("--due-to", "Due on or before this day.")
@_day_option("--completed-from", "Completed on or after this day.")
@_day_option("--completed-to", "Completed on or before this day.")
@click.option("--bom", is_flag=True, help="CSV only: start with a byte-order mark for Excel.")
def export_command(fmt: str, out: Path, course: str | None, cycle: str | None,
                   department: str | None, location: str | None, manager: str | None,
                   direct: bool, statuses: tuple[str, ...], due_from: dt.datetime | None,
                   due_to: dt.datetime | None, completed_from: dt.datetime | None,
                   completed_to: dt.datetime | None, bom: bool) -> None:
    """Write the compliance roster for the filters to --out (recorded in the audit log)."""
    if bom and fmt != "csv":
        raise click.BadParameter("only applies to --format csv.", param_hint="--bom")
    if direct and not manager:
        raise click.BadParameter("needs --manager.", param_hint="--direct")
    if cycle is not None and len(cycle) > CYCLE_MAX:
        raise click.BadParameter(f"at most {CYCLE_MAX} characters.", param_hint="--cycle")
    if not out.parent.is_dir():
        raise click.BadParameter(f"the folder {str(out.parent)!r} does not exist.",
                                 param_hint="--out")
    filters = RosterFilters(
        course_id=_course_id(course) if course else None,
        cycle=cycle or None,
        department_id=_named(Department, department, "--department") if department else None,
        location_id=_named(Location, location, "--location") if location else None,
        manager_id=_manager_id(manager) if manager else None, direct_only=direct,
        statuses=statuses,
        due_from=due_from.date() if due_from else None,
        due_to=due_to.date() if due_to else None,
        completed_from=completed_from.date() if completed_from else None,
        completed_to=completed_to.date() if completed_to else None)
    for param in reversed_ranges(filters):
        kind = "due" if param == "due_to" else "completion"
        raise click.BadParameter(f"the {kind} date range ends before it starts.",
                                 param_hint="--" + param.replace("_", "-"))

    day = today()
    total = roster_count(filters, day)
    if total >= PROGRESS_EVERY:
        click.echo(f"Exporting {total:,} rows to {out}…", err=True)
    counter = [0]
    report = _progress(total, counter)
    # Written beside the target and renamed at the end: a failed or interrupted export never
    # leaves a truncated file under the name asked for.
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        if fmt == "csv":
            with partial.open("wb") as stream:
                for chunk in roster_csv_chunks(filters, day, bom=bom, progress=report):
                    stream.write(chunk)
        else:
            write_xlsx(partial, header(), _with_progress(roster_rows(filters, day), report))
        os.replace(partial, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    record("export", actor_text=CLI_ACTOR, target=("roster", fmt),
           detail={"filters": filters.as_dict(), "rows": counter[0], "file": str(out)})
    db.session.commit()
    click.echo(f"Wrote {counter[0]:,} rows to {out}.")

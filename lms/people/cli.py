"""``flask --app lms people import FILE``: check an HR export; apply it with ``--apply``.

Exit codes: 0 the file is fine (and was applied, if asked); 1 problems found, nothing
changed; 2 bad usage or a file that cannot be read.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.clock import today
from lms.db import db
from lms.people.importer import FORMATS, ImportFileError, Plan

people_cli = AppGroup("people", help="People and HR data.")


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if hasattr(value, "isoformat") else repr(str(value))


def _progress(label: str, total: int):
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


def report_lines(plan: Plan, show: int) -> list[str]:
    """The dry-run report as text: counts, the first ``show`` changes of each kind, and every
    problem."""
    counts = plan.summary()
    lines = [f"{plan.name}: {counts['rows']} rows ({plan.fmt.upper()})"
             + (", full-file sync (--deactivate-missing)" if plan.deactivate_missing else ""),
             f"  add             {counts['added']}",
             f"  update          {counts['updated']}",
             f"  unchanged       {counts['unchanged']}",
             f"  deactivate      {counts['deactivated']}",
             f"  reactivate      {counts['reactivated']}",
             f"  new managers    {counts['new_managers']}",
             f"  new departments {counts['new_departments']}"
             + (": " + ", ".join(plan.new_departments[:show]) if show and plan.new_departments
                else ""),
             f"  new locations   {counts['new_locations']}"
             + (": " + ", ".join(plan.new_locations[:show]) if show and plan.new_locations
                else "")]
    if show:
        sections = (
            ("Add", [f"{plan.where(p.row)}  {p.number}  {p.full_name} <{p.email}>"
                     for p in plan.adds[:show]], len(plan.adds)),
            ("Update", [f"{plan.where(u.row)}  {u.new.number}  " + "; ".join(
                f"{f}: {_value(getattr(u.old, f))} → {_value(getattr(u.new, f))}"
                for f in u.fields) for u in plan.updates[:show]], len(plan.updates)),
            ("Deactivate", [f"{plan.where(row) if row else '(not in file)'}  {p.number}  "
                            f"{p.full_name}" for row, p, _why in plan.deactivations[:show]],
             len(plan.deactivations)),
            ("Reactivate", [f"{plan.where(p.row)}  {p.number}  {p.full_name}"
                            for p in plan.reactivations[:show]], len(plan.reactivations)),
            ("New managers", [f"{number}  {name}" for number, name in plan.new_managers[:show]],
             len(plan.new_managers)),
        )
        for title, shown, total in sections:
            if shown:
                more = f" (first {len(shown)} of {total})" if total > len(shown) else ""
                lines.append(f"{title}{more}:")
                lines.extend(f"  {line}" for line in shown)
    errors, warnings = len(plan.errors), len(plan.warnings)
    if plan.problems:
        lines.append(f"Problems: {errors} error(s), {warnings} warning(s)")
        for problem in plan.problems:
            column = f", {problem.column}" if problem.column else ""
            lines.append(f"  {plan.where(problem.row)}{column}: {problem.level}: "
                         f"{problem.message}")
    return lines


def _actor_text() -> str:
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):
        return "command line"


@people_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--apply", "apply_changes", is_flag=True,
              help="Apply the changes (only if the file has no errors). Default: a dry run.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv or json (default: from the file name).")
@click.option("--deactivate-missing", is_flag=True,
              help="Full-file sync: also deactivate active employees who are not in the file.")
@click.option("--show", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many changes of each kind to list.")
def import_command(file: Path, apply_changes: bool, fmt: str | None, deactivate_missing: bool,
                   show: int) -> None:
    """Import people from an HR export (CSV or JSON); see docs/hr-import.md."""
    from lms.people.importing import run_import

    try:
        data = file.read_bytes()
    except OSError as exc:
        click.echo(f"Cannot read {file}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    try:
        result = run_import(data, file.name, fmt, today(), apply=apply_changes,
                            deactivate_missing=deactivate_missing, actor_text=_actor_text(),
                            progress=_progress)
    except ImportFileError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(2)
    except BaseException:
        db.session.rollback()
        raise
    if result.applied:
        db.session.commit()
    else:
        db.session.rollback()
    plan = result.plan
    for line in report_lines(plan, show):
        click.echo(line)
    if not plan.ok:
        click.echo("Errors found: nothing was changed. Fix them and run the import again.")
        sys.exit(1)
    if result.applied:
        sync = " ".join(f"{key}={value}" for key, value in (result.sync or {}).items())
        click.echo(f"Applied (sha256 {result.sha256}). Requirement sync: {sync}")
    else:
        click.echo("Dry run: nothing was changed. Run again with --apply to apply these "
                   "changes.")

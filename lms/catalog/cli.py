"""``flask --app lms content ...``"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.audit.services import record
from lms.db import db

content_cli = AppGroup("content", help="Load and check course content (Markdown).")


@content_cli.command("sync")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
def sync_command(path: str | None) -> None:
    """Load course folders from PATH (default: the shipped catalog) as versions.

    Exits with status 1 if any course was not loaded, or if PATH holds no course at all."""
    from lms.catalog.services import course_folders, sync_catalog

    root = Path(path or current_app.config["LMS_CONTENT_DIR"])
    if not course_folders(root):
        click.echo(f"no course folders (with a course.md) in {root}", err=True)
        sys.exit(1)
    report = sync_catalog(root)
    for line in report.created:
        record("content_published", actor_text="system (cli: content sync)",
               target=("course", line.split(" ")[0]), detail={"version": line, "path": str(root)})
    db.session.commit()
    for line in report.created:
        click.echo(f"new version: {line}")
    for line in report.unchanged:
        click.echo(f"unchanged:   {line}")
    for problem in report.warnings:
        click.echo(str(problem), err=True)
    for slug, problems in report.failed.items():
        click.echo(f"NOT LOADED: {slug} (fix these and run the sync again)", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    if report.failed:
        sys.exit(1)


@content_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "source", required=True, type=click.Choice(["gift", "aiken", "md"]),
              help="What FILE is: Moodle GIFT, Moodle Aiken, or our quiz Markdown.")
@click.option("--to", "target", default="md", show_default=True,
              type=click.Choice(["md", "gift"]), help="What to write: quiz Markdown or GIFT.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="The file to write.")
def import_command(file: str, source: str, target: str, output: str) -> None:
    """Convert the quiz in FILE: GIFT or Aiken into quiz Markdown, or any of them into GIFT.

    Problems are printed as file:line:column: severity: message. A question that cannot be
    converted is reported and left out, and the others are still written. Exits with status 1
    if there was any error. docs/authoring.md ("Importing from Moodle") explains the mapping."""
    import sys
    from pathlib import Path

    from quizzes.aiken import import_aiken_bytes
    from quizzes.gift import decode_utf8, export_gift, gift_losses, import_gift_bytes
    from quizzes.parser import QuizSpec, parse_quiz
    from quizzes.writer import write_quiz

    data = Path(file).read_bytes()
    if source == "gift":
        spec, problems = import_gift_bytes(file, data)
    elif source == "aiken":
        spec, problems = import_aiken_bytes(file, data)
    else:
        text, problems = decode_utf8(file, data)
        spec = QuizSpec()
        if text is not None:
            spec, problems = parse_quiz(file, text)
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(1 for problem in problems if problem.severity == "error")
    if not spec.questions:
        click.echo(f"nothing written to {output}: no question could be converted", err=True)
        sys.exit(1)
    if target == "gift":
        for line, message in gift_losses(spec):
            click.echo(f"{file}:{line}:1: warning: {message}", err=True)
        written = export_gift(spec)
    else:
        written = write_quiz(spec)
    Path(output).write_text(written, encoding="utf-8")
    count = len(spec.questions)
    click.echo(f"wrote {count} question{'' if count == 1 else 's'} to {output}")
    if errors:
        what = ("fix them in the quiz; it was converted as it is" if source == "md"
                else "what they name was not converted")
        click.echo(f"{errors} error{'' if errors == 1 else 's'} (above): {what}", err=True)
        sys.exit(1)


@content_cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Check course folders or files; one line per problem, exit status 1 on errors."""
    from lms.catalog.check import check_paths

    problems = check_paths(list(paths))
    for problem in problems:
        click.echo(str(problem))
    errors = sum(1 for problem in problems if problem.severity == "error")
    warnings = len(problems) - errors
    click.echo(f"{errors} error{'' if errors == 1 else 's'}, "
               f"{warnings} warning{'' if warnings == 1 else 's'}", err=True)
    if errors:
        sys.exit(1)


@content_cli.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--locale", default=None,
              help="The reader's language, for organisation settings (default: the file's "
                   "own, as in 01-intro.zh-Hans.md, else the source language).")
def render_command(file: Path, locale: str | None) -> None:
    """Print the sanitised HTML a learner would see for FILE."""
    from sqlalchemy.exc import DBAPIError

    from courses.loader import TRANSLATION_FILE
    from lms.catalog.check import render_file
    from lms.org.services import org_settings, unset_org_settings

    named = TRANSLATION_FILE.match(file.name)
    locale = locale or (named.group("locale") if named else None)
    try:
        org = org_settings(locale)
    except DBAPIError as error:
        # A checkout without a database yet: the HTML is still worth seeing.
        db.session.rollback()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        click.echo(f"note: organisation settings not read ({reason}); showing their labels. "
                   "Run `flask --app lms db upgrade` to create the tables.", err=True)
        org = unset_org_settings()
    click.echo(render_file(file, org))

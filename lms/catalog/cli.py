"""``flask --app lms content ...``"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

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

"""``flask --app lms compliance sync``."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from lms.clock import today
from lms.db import db

compliance_cli = AppGroup("compliance", help="Requirements and assignments.")


@compliance_cli.command("sync")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Sync as of this company-local day (default: today).")
def sync_command(on: dt.datetime | None) -> None:
    """Create, update or close assignments from the requirements (idempotent)."""
    from lms.compliance.sync import sync_assignments

    counts = sync_assignments(on.date() if on else today())
    db.session.commit()
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))

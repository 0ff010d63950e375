"""``flask --app lms demo ...``"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from lms.clock import today
from lms.db import db

demo_cli = AppGroup("demo", help="The demo organisation (demo mode only).")


@demo_cli.command("seed")
@click.option("--size", default=200, show_default=True, help="About how many employees.")
def seed_command(size: int) -> None:
    """Create the demo organisation and its logins, once."""
    from lms.demo.services import DEMO_LOGINS, seed_demo

    if current_app.config["LMS_ENV"] == "production" or not current_app.config["LMS_DEMO"]:
        raise click.ClickException(
            "the demo organisation is only created in demo mode (LMS_DEMO=1, and never with "
            "LMS_ENV=production)")
    result = seed_demo(today(), size=size)
    db.session.commit()
    if result["created"]:
        click.echo(f"demo organisation created: {result['employees']} employees")
    else:
        click.echo("demo organisation already present; nothing changed")
    click.echo("demo logins (password: demo-password):")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.email:<24} {login.role}")

"""``flask --app lms roles ...``: grant and revoke roles from the command line (the first
admin of a new installation, and break-glass access), each change in the audit log."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.db import db
from lms.people.models import ROLES, Employee, RoleGrant
from lms.people.services import grant_role, revoke_role

roles_cli = AppGroup("roles", help="Grant, revoke and list roles (hr, trainer, admin).")
CLI_ACTOR = "system (cli: roles)"


def _person(email: str) -> Employee:
    person = db.session.scalar(select(Employee).where(Employee.email == email.strip().lower()))
    if person is None:
        click.echo(f"no employee with the e-mail {email!r}", err=True)
        sys.exit(2)
    return person


@roles_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def grant_command(email: str, role: str) -> None:
    """Give EMAIL's employee the ROLE."""
    person = _person(email)
    changed = grant_role(person, role, actor_text=CLI_ACTOR)
    db.session.commit()
    click.echo(f"{person.email}: {role} {'granted' if changed else 'already held'}")


@roles_cli.command("revoke")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def revoke_command(email: str, role: str) -> None:
    """Take the ROLE away from EMAIL's employee."""
    person = _person(email)
    changed = revoke_role(person, role, actor_text=CLI_ACTOR)
    db.session.commit()
    click.echo(f"{person.email}: {role} {'revoked' if changed else 'was not held'}")


@roles_cli.command("list")
def list_command() -> None:
    """Everyone holding a role."""
    rows = db.session.execute(
        select(Employee.email, RoleGrant.role).join(RoleGrant)
        .order_by(RoleGrant.role, Employee.email)).all()
    for email, role in rows:
        click.echo(f"{role:8} {email}")

"""``flask --app lms org ...``: list and set organisation settings from the command line, each
change in the audit log."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lms.audit.services import record
from lms.db import db
from lms.org.registry import BY_KEY, SETTINGS
from lms.org.services import (
    OrgSettingsError,
    language_tags,
    setting_language,
    storage_key,
    stored_settings,
    update_org_settings,
)

org_cli = AppGroup("org", help="List and set organisation settings (per language).")
CLI_ACTOR = "system (cli: org)"


@org_cli.command("list")
def list_command() -> None:
    """Every setting: its key, kind and label, then its value per language ("-": not set; a
    language without a value shows the default)."""
    stored = stored_settings()
    tags = language_tags()
    for spec in SETTINGS:
        click.echo(f"{spec.key}\t{spec.kind}\t{spec.label}")
        values = stored.get(spec.key, {})
        for index, tag in enumerate(tags):
            value = values.get("" if index == 0 else tag)
            shown = value if value is not None else "-"
            click.echo(f"  {tag}{' (default)' if index == 0 else ''}\t{shown}")


@org_cli.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--locale", "locale", default=None,
              help="The language this value is for (zh-Hans); without it, the default.")
def set_command(key: str, value: str, locale: str | None) -> None:
    """Set KEY to VALUE (an empty VALUE removes it), as the default or for --locale."""
    if key not in BY_KEY:
        click.echo(f"unknown setting {key!r}; known: {', '.join(s.key for s in SETTINGS)}",
                   err=True)
        sys.exit(1)
    tag = setting_language(locale)
    if tag is None:
        click.echo(f"{locale!r} is not an offered language ({', '.join(language_tags())})",
                   err=True)
        sys.exit(1)
    try:
        changed = update_org_settings({(key, tag): value})
    except OrgSettingsError as error:
        for (_key, _tag), message in error.errors.items():
            click.echo(f"{storage_key(_key, _tag)}: {message}", err=True)
        sys.exit(1)
    name = storage_key(key, tag)
    if not changed:
        click.echo(f"{name}: unchanged")
        return
    record("org_settings_changed", actor_text=CLI_ACTOR, target=("org_settings", "organisation"),
           detail={"keys": changed})
    db.session.commit()
    click.echo(f"{name}: {'set' if value.strip() else 'removed'}")

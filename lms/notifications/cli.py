"""``flask --app lms outbox ...``: look at the e-mail outbox, retry now, send a test message."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select, update

from lms.db import db, utcnow

outbox_cli = AppGroup("outbox", help="The e-mail outbox: status, retry now, test message.")


@outbox_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def status_command(as_json: bool) -> None:
    """How many e-mails wait, how many are failing, and the latest error."""
    from lms.notifications.delivery import pending_summary

    summary = pending_summary()
    if as_json:
        click.echo(json.dumps(summary, default=str, sort_keys=True))
        return
    click.echo(f"pending: {summary['pending']} (failing: {summary['failing']}), "
               f"sent: {summary['sent']}")
    if summary["oldest_pending"]:
        click.echo(f"oldest pending queued at {summary['oldest_pending'].isoformat()}")
    if summary["latest_error"]:
        error = summary["latest_error"]
        click.echo(f"latest error ({error['key']}, attempt {error['attempts']}, next try "
                   f"{error['next_attempt_at'].isoformat()}): {error['last_error']}")


@outbox_cli.command("retry")
def retry_command() -> None:
    """Make every unsent e-mail due now (after the SMTP server is fixed); the next run of the
    outbox-delivery job sends them. Messages being sent right now are left alone."""
    from lms.notifications.delivery import CLAIM_SECONDS
    from lms.notifications.models import OutboxMessage

    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.last_error.is_not(None),
               OutboxMessage.next_attempt_at > now)
        .values(next_attempt_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    click.echo(f"{result.rowcount} e-mail(s) due now; `flask --app lms jobs run outbox-delivery` "
               f"sends them at once (messages claimed in the last {CLAIM_SECONDS // 60} min "
               "without an error are being sent and were left alone)")


@outbox_cli.command("send-test")
@click.argument("address")
@click.option("--locale", default="en", show_default=True)
def send_test_command(address: str, locale: str) -> None:
    """Queue a test e-mail to ADDRESS and run the outbox-delivery job now: checks the LMS_SMTP_*
    settings. Exits with status 1 if the test e-mail was not sent."""
    import secrets

    from lms.notifications.models import OutboxMessage
    from lms.notifications.services import enqueue_template, message_key
    from lms.scheduler.runner import run_job

    key = message_key("test", at=utcnow().isoformat(timespec="seconds"),
                      nonce=secrets.token_hex(4))
    try:
        enqueue_template(key, address, "test_message", locale, name=address)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ADDRESS") from None
    db.session.commit()
    result = run_job("outbox-delivery")
    click.echo(f"queued {key}; outbox-delivery: {json.dumps(result, sort_keys=True)}")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if message.sent_at is None:
        click.echo(f"not sent: {message.last_error or 'the job is running elsewhere; it will be'}",
                   err=True)
        raise SystemExit(1)
    click.echo(f"sent to {message.recipient}")

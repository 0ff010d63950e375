"""The outbox worker: claim due messages one at a time, send each over SMTP, record the outcome.

Delivery guarantee: at least once, with a window of one message. A message is claimed in a short
transaction of its own (``attempts + 1`` and ``next_attempt_at`` pushed past the claim time, with
a compare-and-set on ``attempts``), committed, then sent with no transaction open, then marked
sent in a second short transaction. So:

- two workers never send one message at the same time (the claim is atomic; on PostgreSQL
  ``FOR UPDATE SKIP LOCKED`` also lets them take different messages without waiting);
- a message whose sending failed is retried with exponential back-off (1 minute doubling to
  1 hour, then hourly for ever, logged): nothing is dropped while the SMTP server is down;
- a crash after the SMTP server accepted a message but before it was marked sent re-sends that
  one message once the claim expires (``CLAIM_SECONDS``); every other message is untouched,
  because each is committed on its own. The Message-ID is derived from the key, so the copy has
  the same Message-ID and a receiver can drop it.

We prefer a rare duplicate to a lost message: compliance e-mails (assignments, reminders,
escalations) matter more than the nuisance of a second copy. At-most-once would need a message
with an unknown outcome to be dropped or parked for a person to decide.

A message queued as a template (``services.enqueue_select``: the reminder sweep) is rendered
here, after its claim and in its recipient's language, and stored rendered when it is marked
sent; one that cannot be rendered fails like a refused message and is retried.

This module is a job body: it commits (per message), unlike services.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import select, update

from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage
from lms.notifications.services import check_subject, render_queued

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
# How long a claimed message is left alone before another worker may take it (a worker that
# died between claiming and marking). Longer than any one SMTP conversation can take.
CLAIM_SECONDS = 600
WARN_AFTER_ATTEMPTS = 8  # from here on (about 2 hours of failures) every failure is an error
ERROR_MAX = 2000


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    exponent = max(attempts - 1, 0)
    seconds = MAX_RETRY_SECONDS if exponent >= 12 else FIRST_RETRY_SECONDS * 2**exponent
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def message_id(key: str) -> str:
    """A Message-ID that depends only on the key (and the sender's domain): a re-sent copy has
    the same one, so a receiver can recognise it."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender_address().rpartition("@")[2] or "localhost"
    return f"<{digest}.outbox@{domain}>"


def sender_address() -> str:
    return parseaddr(current_app.config["LMS_MAIL_FROM"])[1]


@dataclass
class _Claim:
    """A claimed message, as plain values: nothing is read from the database while sending."""

    id: int
    attempts: int
    key: str
    recipient: str
    subject: str | None
    body_text: str | None
    body_html: str | None
    calendar: str | None = None
    template: str | None = None
    locale: str | None = None
    params: dict | None = None

    def render(self) -> None:
        """Render a message queued as a template, in its recipient's language (ValueError or a
        template error if it cannot be)."""
        if self.subject is None:
            email = render_queued(self.template, self.locale, self.params)
            self.subject = check_subject(email.subject)
            self.body_text, self.body_html = email.text, email.html


def build_message(message: _Claim, when: datetime) -> EmailMessage:
    """The MIME message for an outbox row: text, and HTML as an alternative if there is one.
    The header policy refuses CR/LF in header values, a second guard behind ``enqueue``."""
    email = EmailMessage()
    email["From"] = current_app.config["LMS_MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(when)
    email["Message-ID"] = message_id(message.key)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.calendar:
        # As an alternative part (Outlook, Gmail and Apple Mail show "add to calendar") and as
        # an attachment for clients that only offer files.
        method = "CANCEL" if "\nMETHOD:CANCEL" in message.calendar.replace("\r", "") \
            else "REQUEST"
        email.add_alternative(message.calendar, subtype="calendar",
                              params={"method": method})
        email.add_attachment(message.calendar.encode("utf-8"), maintype="application",
                             subtype="ics", filename="invitation.ics")
    return email


def _moment(now: datetime) -> datetime:
    """The later of the run's time and the clock: claims and retries are measured from when
    they really happen, even in a long run."""
    return max(now, utcnow())


def _claim_next(now: datetime, skip: set[int]) -> _Claim | None:
    """Take the next due message, in its own committed transaction, or None."""
    query = (select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.key,
                    OutboxMessage.recipient, OutboxMessage.stored_subject.label("subject"),
                    OutboxMessage.stored_text.label("body_text"),
                    OutboxMessage.stored_html.label("body_html"), OutboxMessage.calendar,
                    OutboxMessage.template, OutboxMessage.locale, OutboxMessage.params)
             .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
    if skip:
        query = query.where(OutboxMessage.id.not_in(skip))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    while True:
        row = db.session.execute(query).first()
        if row is None:
            db.session.commit()
            return None
        # Compare-and-set on attempts: if another worker claimed it since we read it, we lose.
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.attempts == row.attempts,
                   OutboxMessage.sent_at.is_(None))
            .values(attempts=row.attempts + 1,
                    next_attempt_at=_moment(now) + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False))
        db.session.commit()
        if claimed.rowcount == 1:
            return _Claim(**{**row._asdict(), "attempts": row.attempts + 1})


def _mark_sent(claim: _Claim, now: datetime) -> None:
    # What was sent is kept, rendered, whether it was queued rendered or as a template.
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == claim.id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=_moment(now), last_error=None, stored_subject=claim.subject,
                stored_text=claim.body_text, stored_html=claim.body_html)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _mark_failed(claim: _Claim, now: datetime, error: str, quiet: bool = False) -> None:
    retry_at = _moment(now) + backoff(claim.attempts)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claim.id, OutboxMessage.attempts == claim.attempts,
               OutboxMessage.sent_at.is_(None))
        .values(next_attempt_at=retry_at, last_error=error[:ERROR_MAX])
        .execution_options(synchronize_session=False))
    db.session.commit()
    if quiet:  # the run logs one line for all of them
        return
    level = logging.ERROR if claim.attempts >= WARN_AFTER_ATTEMPTS else logging.WARNING
    log.log(level, "e-mail %s not sent (attempt %d, next at %s): %s", claim.key, claim.attempts,
            retry_at.isoformat(timespec="seconds"), error)


def _describe(error: BaseException) -> str:
    text = str(error).strip() or "no detail"
    return f"{type(error).__name__}: {text}"


def connect_smtp() -> smtplib.SMTP:
    """An SMTP connection from the LMS_SMTP_* settings (STARTTLS and login if configured)."""
    config = current_app.config
    connection = smtplib.SMTP(config["LMS_SMTP_HOST"], config["LMS_SMTP_PORT"],
                              timeout=config["LMS_SMTP_TIMEOUT"])
    try:
        connection.ehlo()
        if config["LMS_SMTP_STARTTLS"]:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if config["LMS_SMTP_USER"]:
            connection.login(config["LMS_SMTP_USER"], config["LMS_SMTP_PASSWORD"])
    except BaseException:
        connection.close()
        raise
    return connection


def _quit(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


# Refusals that concern one message (its recipient, its content); the server itself works.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                   smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError, ValueError,
                   TemplateError)


def deliver_due(now: datetime | None = None, limit: int = 500,
                time_budget: float = 300.0) -> dict[str, int]:
    """Send up to ``limit`` due messages; returns ``{"sent", "failed", "deferred"}``.

    ``failed``: the server refused that message, or the connection broke while sending it (it is
    retried with back-off). ``deferred``: the server could not be reached, so this and the
    remaining due messages of the run wait for their next attempt (with back-off, counted as an
    attempt) without a connection try each.
    Stops claiming new messages after ``time_budget`` seconds. Commits per message."""
    now = now or utcnow()
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    db.session.commit()  # start from a clean transaction; claims commit one by one
    connection: smtplib.SMTP | None = None
    server_error: str | None = None
    handled: set[int] = set()
    most_attempts = 0
    started = time.monotonic()
    try:
        while len(handled) < limit and time.monotonic() - started < time_budget:
            claim = _claim_next(now, handled)
            if claim is None:
                break
            handled.add(claim.id)
            if server_error is not None:
                _mark_failed(claim, now, server_error, quiet=True)
                counts["deferred"] += 1
                most_attempts = max(most_attempts, claim.attempts)
                continue
            # No transaction is open from here until the outcome is recorded: the SMTP
            # conversation never holds a database lock.
            try:
                if connection is None:
                    connection = connect_smtp()
            except (OSError, smtplib.SMTPException) as error:
                server_error = f"SMTP server unavailable: {_describe(error)}"
                _mark_failed(claim, now, server_error, quiet=True)
                counts["deferred"] += 1
                most_attempts = max(most_attempts, claim.attempts)
                continue
            try:
                claim.render()
                connection.send_message(build_message(claim, _moment(now)),
                                        from_addr=sender_address(), to_addrs=[claim.recipient])
            except _MESSAGE_ERRORS as error:
                _mark_failed(claim, now, _describe(error))
                counts["failed"] += 1
                connection = _reset(connection)
                continue
            except (OSError, smtplib.SMTPException) as error:
                # The connection broke during this message; the next one connects anew (and
                # if that fails, the rest of the run is deferred).
                _quit(connection)
                connection = None
                _mark_failed(claim, now, f"SMTP connection lost: {_describe(error)}")
                counts["failed"] += 1
                continue
            _mark_sent(claim, now)
            counts["sent"] += 1
    finally:
        _quit(connection)
    if server_error is not None:
        # One line per run, however many messages wait; an error once some have waited long.
        level = logging.ERROR if most_attempts >= WARN_AFTER_ATTEMPTS else logging.WARNING
        log.log(level, "outbox: %d e-mail(s) deferred (up to %d attempts so far; retried with "
                "back-off, at least hourly): %s", counts["deferred"], most_attempts, server_error)
    if counts["sent"] or counts["failed"] or counts["deferred"]:
        log.info("outbox: %(sent)d sent, %(failed)d failed, %(deferred)d deferred", counts)
    return counts


def _reset(connection: smtplib.SMTP | None) -> smtplib.SMTP | None:
    """After a refused message, RSET so the connection can carry the next one (or drop it)."""
    if connection is None:
        return None
    try:
        connection.rset()
    except (OSError, smtplib.SMTPException):
        connection.close()
        return None
    return connection


def pending_summary() -> dict:
    """For admins and ``outbox status``: how many wait, how many have failed at least once, the
    oldest waiting one and the latest error."""
    from sqlalchemy import func

    unsent = OutboxMessage.sent_at.is_(None)
    pending, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(unsent)).one()
    failing = db.session.scalar(select(func.count()).where(
        unsent, OutboxMessage.last_error.is_not(None)))
    latest = db.session.execute(
        select(OutboxMessage.key, OutboxMessage.attempts, OutboxMessage.last_error,
               OutboxMessage.next_attempt_at)
        .where(unsent, OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.next_attempt_at.desc()).limit(1)).first()
    sent = db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_not(None)))
    return {"pending": pending, "failing": failing, "sent": sent, "oldest_pending": oldest,
            "latest_error": latest._asdict() if latest else None}

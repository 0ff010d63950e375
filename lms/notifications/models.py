from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class OutboxMessage(Base):
    """One e-mail to send. Written in the same transaction as the change that caused it and sent
    after the commit by ``lms.notifications.delivery.deliver_due``.

    ``key`` names the event (for example ``reminder:assignment=12:cycle=2026:step=2``); it is
    unique, so the same event never queues a second e-mail. Unsent rows are due when
    ``next_attempt_at <= now``; ``attempts`` counts claims (each send attempt).

    A message is queued either rendered (subject and bodies stored) or as a template to render:
    ``template``, the recipient's ``locale`` and the template's ``params``. Bulk jobs (the
    reminder sweep) queue templates with one INSERT ... SELECT, so the rendering happens at
    delivery, one message at a time, paced by the SMTP server; delivery stores what it sent.
    ``lms.notifications.services.email_of`` reads a message either way."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    stored_subject: Mapped[str | None] = mapped_column("subject", String(500))
    stored_text: Mapped[str | None] = mapped_column("body_text", Text)
    stored_html: Mapped[str | None] = mapped_column("body_html", Text)
    # templates/emails/<template>[.<locale>].txt|.html and its context as JSON; the values
    # named in params["_dates"] are ISO dates (see services.template_context).
    template: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(16))
    params: Mapped[dict | None] = mapped_column(JSON)
    # An iCalendar invitation (RFC 5545 text, METHOD REQUEST or CANCEL), sent as a
    # text/calendar part that mail clients offer to add, update or remove.
    calendar: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"pending, {self.attempts} attempts"
        return f"<OutboxMessage {self.key} ({state})>"

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class OutboxMessage(Base):
    """One e-mail to send. Written in the same transaction as the change that caused it and sent
    after the commit by ``lms.notifications.delivery.deliver_due``.

    ``key`` names the event (for example ``reminder:assignment=12:cycle=2026:step=2``); it is
    unique, so the same event never queues a second e-mail. Unsent rows are due when
    ``next_attempt_at <= now``; ``attempts`` counts claims (each send attempt)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
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

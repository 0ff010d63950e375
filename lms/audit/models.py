from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class AuditEvent(Base):
    """One sensitive action: who (a person, an API token or the system), what, on what, when,
    from where. Append-only: the app never updates or deletes a row (services.py refuses it in
    the session, and a database trigger refuses it for anyone else)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),
                      Index("ix_audit_events_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    # A snapshot of who acted ("Li Na <li.na@example.com>", "api token: payroll", "system"),
    # so the entry still reads right after the person's record changes.
    actor: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


# The database refuses to rewrite history, whoever connects. Used by the migration.
APPEND_ONLY_DDL = {
    "postgresql": {
        "create": (
            """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
               BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
               FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
        ),
        "drop": ("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
                 "DROP FUNCTION IF EXISTS audit_events_append_only()"),
    },
    "sqlite": {
        "create": (
            """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
               BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
            """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
               BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
        ),
        "drop": ("DROP TRIGGER IF EXISTS audit_events_no_update",
                 "DROP TRIGGER IF EXISTS audit_events_no_delete"),
    },
}

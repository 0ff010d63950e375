"""The audit log: record sensitive actions, append-only.

``record()`` adds an entry to the current transaction, so it commits (or rolls back) with the
action it describes. Updating or deleting an entry in a session raises, and the database
refuses it too (a trigger, see the migration), so no code path can rewrite history.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.audit.models import AuditEvent
from lms.db import db

ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out", "export", "import", "waiver", "leave",
    "requirement_changed", "role_granted", "role_revoked", "content_published",
    "certificate_revoked", "api_token_created", "api_token_revoked", "evidence_pack",
)


class AuditLogError(RuntimeError):
    pass


def actor_label(person) -> str:
    if person is None:
        return "system"
    return f"{person.full_name} <{person.email}>"


def record(action: str, *, actor=None, actor_text: str | None = None,
           target: tuple[str, object] | None = None, detail: dict | None = None,
           ip: str | None = None) -> AuditEvent:
    """Add an audit entry to the current transaction. ``actor``: an Employee or None (the
    system); ``actor_text`` overrides the label (an API token). Flushes nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to ACTIONS")
    entry = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor=(actor_text or actor_label(actor))[:400], action=action,
        target_type=target[0][:32] if target else None,
        target_id=str(target[1])[:64] if target else None,
        detail=detail or {}, ip=(ip or "")[:64] or None)
    db.session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted
                                            or session.is_modified(obj)):
            raise AuditLogError("audit entries are append-only")

"""The audit log: record sensitive actions, append-only.

``record()`` adds an entry to the current transaction, so it commits (or rolls back) with the
action it describes. Updating or deleting an entry in a session raises, and the database
refuses it too (a trigger, see the migration), so no code path can rewrite history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from lms.audit.models import AuditEvent
from lms.db import db

ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out", "export", "import", "waiver", "leave",
    "requirement_changed", "role_granted", "role_revoked", "content_published",
    "certificate_revoked", "api_token_created", "api_token_revoked", "evidence_pack",
    "password_changed", "org_settings_changed",
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


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None  # part of the actor label (name, e-mail, token name)
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def audit_select(filters: AuditFilters):
    """The matching entries, newest first (id breaks ties: entries of one instant)."""
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        pattern = "%" + filters.actor.replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        query = query.where(AuditEvent.actor.ilike(pattern, escape="\\"))
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(filters: AuditFilters, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    query = audit_select(filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


AUDIT_COLUMNS = ("At (UTC)", "Actor", "Action", "Target type", "Target id", "IP", "Detail")


def audit_rows(filters: AuditFilters):
    """Every matching entry as a tuple for a spreadsheet, streamed."""
    result = db.session.scalars(audit_select(filters).execution_options(yield_per=2000))
    for entry in result:
        yield (entry.at, entry.actor, entry.action, entry.target_type, entry.target_id,
               entry.ip, json.dumps(entry.detail, ensure_ascii=False, sort_keys=True))

"""The audit log is append-only, in the app and in the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.audit.services import AuditLogError, record
from lms.db import db


def test_entries_are_recorded_with_the_action(make_employee):
    person = make_employee("Li Na", email="li.na@example.com")
    record("export", actor=person, target=("roster", "all"), detail={"rows": 3}, ip="10.0.0.1")
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEvent))
    assert (entry.actor, entry.action, entry.target_type, entry.detail) == (
        "Li Na <li.na@example.com>", "export", "roster", {"rows": 3})
    with pytest.raises(ValueError, match="unknown audit action"):
        record("made_up")


def test_entries_cannot_be_changed_or_deleted(make_employee):
    record("export", detail={"rows": 1})
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEvent))
    entry.detail = {"rows": 0}
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(AuditEvent)))
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    # and not by going around the ORM either
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1

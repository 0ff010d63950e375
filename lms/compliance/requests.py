"""Asking for an assignment sync sooner than the nightly run.

Provisioning (SCIM) changes people one at a time; running the whole sync inside each request
would make every call as slow as the sync. Instead a change records that a sync is wanted,
and the ``assignment-sync-requested`` job (every minute) runs one when asked. Two syncs never
run at once: the sync takes a transaction-level lock first (see sync.py).
"""

from __future__ import annotations

from datetime import datetime

from lms.db import db, utcnow
from lms.org.models import OrgSetting

KEY = "_sync_requested_at"  # internal: not one of the editable organisation settings


def request_sync(now: datetime | None = None) -> None:
    """Note that the assignments should be synced soon. Flushes."""
    stamp = (now or utcnow()).isoformat()
    row = db.session.get(OrgSetting, KEY)
    if row is None:
        db.session.add(OrgSetting(key=KEY, value=stamp))
    else:
        row.value = stamp
    db.session.flush()


def take_request() -> datetime | None:
    """The pending request's time, removing it, or None if nothing was asked."""
    row = db.session.get(OrgSetting, KEY, with_for_update=True)
    if row is None:
        return None
    db.session.delete(row)
    db.session.flush()
    return datetime.fromisoformat(row.value)

"""Reading and writing organisation settings."""

from __future__ import annotations

from sqlalchemy import select

from lms.db import db
from lms.org.models import OrgSetting
from lms.org.registry import KEYS, SETTINGS


def org_settings() -> dict[str, str]:
    """Every known setting's value; unset ones say so plainly instead of rendering blank."""
    stored = dict(db.session.execute(select(OrgSetting.key, OrgSetting.value)).all())
    return {
        spec.key: stored.get(spec.key) or f"[{spec.label.lower()}: not configured]"
        for spec in SETTINGS
    }


def set_org_settings(values: dict[str, str]) -> None:
    """Store settings by key; unknown keys are refused."""
    unknown = set(values) - KEYS
    if unknown:
        raise ValueError(f"unknown organisation setting(s): {', '.join(sorted(unknown))}")
    for key, value in values.items():
        row = db.session.get(OrgSetting, key)
        if row is None:
            db.session.add(OrgSetting(key=key, value=value))
        else:
            row.value = value
    db.session.flush()

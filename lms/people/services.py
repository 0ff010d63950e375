"""Rules about people: names, deactivation, roles."""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import and_, func, or_, select

from lms.auth.services import end_all_sessions
from lms.db import db
from lms.people.models import Employee, RoleGrant


def normalise_name(name: str) -> str:
    """A name as compared for signatures: Unicode-normalised, case-folded, spaces collapsed.

    Chinese names are often typed with or without a space between family and given name, so
    spaces between two CJK characters are dropped.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    parts = text.split()
    out = ""
    for part in parts:
        if out and not (_is_cjk(out[-1]) and _is_cjk(part[0])):
            out += " "
        out += part
    return out


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F


def deactivate(employee: Employee) -> None:
    """The employee loses access at once: every session ends; records are kept."""
    employee.active = False
    end_all_sessions(employee.id)
    db.session.flush()


def grant_role(employee: Employee, role: str, actor=None, actor_text: str | None = None
               ) -> bool:
    """Give a role (recorded in the audit log). Returns whether anything changed."""
    from lms.audit.services import record

    if role in employee.roles:
        return False
    employee.role_grants.append(RoleGrant(role=role))
    record("role_granted", actor=actor, actor_text=actor_text,
           target=("employee", employee.id), detail={"role": role, "email": employee.email})
    db.session.flush()
    return True


def revoke_role(employee: Employee, role: str, actor=None, actor_text: str | None = None
                ) -> bool:
    """Take a role away (recorded in the audit log). Returns whether anything changed."""
    from lms.audit.services import record

    grant = next((g for g in employee.role_grants if g.role == role), None)
    if grant is None:
        return False
    employee.role_grants.remove(grant)
    record("role_revoked", actor=actor, actor_text=actor_text,
           target=("employee", employee.id), detail={"role": role, "email": employee.email})
    db.session.flush()
    return True


def present(model, today: date):
    """SQL condition: employed on ``today`` (active, hired or no hire date, not gone).
    ``model`` is Employee or an alias of it."""
    return and_(model.active.is_(True),
                or_(model.leave_date.is_(None), model.leave_date > today),
                or_(model.hire_date.is_(None), model.hire_date <= today))


def people_locales() -> list[str]:
    """The languages people have, each once: a walk of the locale index, one probe per
    language (there are a handful), where ``SELECT DISTINCT`` would read every employee."""
    locale = Employee.__table__.c.locale
    walk = select(func.min(locale).label("locale")).cte("locales", recursive=True)
    following = select(func.min(locale)).where(locale > walk.c.locale).scalar_subquery()
    walk = walk.union_all(select(following.label("locale")).where(walk.c.locale.is_not(None)))
    return list(db.session.scalars(select(walk.c.locale).where(walk.c.locale.is_not(None))))

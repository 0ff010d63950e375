"""Passwords and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from lms.auth.models import AuthSession
from lms.db import db, utcnow
from lms.org.services import remember_stored_settings, stored_settings_column
from lms.people.models import Employee
from lms.people.org import manages_anyone

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs the same time as a wrong
# password and the response time does not tell whether an account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(employee: Employee | None, password: str) -> bool:
    """True if the password matches; constant-ish time whether or not the employee exists."""
    stored = employee.password_hash if employee is not None and employee.password_hash else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def authenticate(email: str, password: str) -> Employee | None:
    """The active employee with this e-mail and password, or None (whichever part was wrong)."""
    employee = db.session.scalar(
        select(Employee).where(Employee.email == email.strip().lower())
    )
    if not verify_password(employee, password) or not employee.active:
        return None
    return employee


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(employee: Employee, hours: int, ip: str | None, user_agent: str | None) -> str:
    """Create a server-side session and return its token (to go into the signed cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AuthSession(
        token_hash=_hash_token(token), employee_id=employee.id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=hours), ip_address=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:512] or None,
    ))
    db.session.flush()
    employee.session_token = token
    return token


@lru_cache(maxsize=2)
def _session_user_query(dialect: str):
    # Built once: the statement (with its aliased subquery) costs more to construct than to
    # run, and it runs on every signed-in request.
    return (
        select(Employee, manages_anyone(Employee.id).label("manages_team"),
               stored_settings_column(dialect).label("org_settings"))
        .join(AuthSession, AuthSession.employee_id == Employee.id)
        .options(joinedload(Employee.role_grants))
        .where(
            AuthSession.token_hash == bindparam("token_hash"),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > bindparam("now"),
            Employee.active.is_(True),
        )
    )


def load_session_user(token: str) -> Employee | None:
    """The employee behind a live session token; None if it was ended, expired or deactivated.

    Every page's navigation asks for the person's roles and whether they manage anyone, and
    every page shows organisation settings: all three come with the employee in this one
    query (the roles eagerly joined, ``manages_team`` set on the instance for this request,
    the settings kept for this request as ``org()`` would read them) rather than as three
    more round trips per page."""
    if not token:
        return None
    row = db.session.execute(
        _session_user_query(db.session.get_bind().dialect.name),
        {"token_hash": _hash_token(token), "now": utcnow()}).unique().first()
    if row is None:
        return None
    remember_stored_settings(row.org_settings)
    employee = row.Employee
    employee.session_token = token
    employee.manages_team = bool(row.manages_team)
    return employee


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == _hash_token(token), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def end_all_sessions(employee_id: int, keep_token: str | None = None) -> int:
    """End every session of an employee (deactivation, password change); returns how many."""
    query = update(AuthSession).where(
        AuthSession.employee_id == employee_id, AuthSession.revoked_at.is_(None)
    )
    if keep_token:
        query = query.where(AuthSession.token_hash != _hash_token(keep_token))
    return db.session.execute(query.values(revoked_at=utcnow())).rowcount


def set_password(employee: Employee, password: str, *, keep_token: str | None = None,
                 ip: str | None = None) -> int:
    """Store a new password (argon2) and end every other session of the person, so a copied
    cookie stops working; the session ``keep_token`` names stays. Recorded in the audit log.
    Returns how many sessions ended. The caller has checked the policy (``passwords``)."""
    from lms.audit.services import record

    employee.password_hash = hash_password(password)
    ended = end_all_sessions(employee.id, keep_token=keep_token)
    record("password_changed", actor=employee, target=("employee", employee.id), ip=ip,
           detail={"other_sessions_ended": ended})
    db.session.flush()
    return ended

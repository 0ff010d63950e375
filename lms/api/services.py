"""API tokens: create, authenticate, revoke.

A token's secret is shown once and never stored: the table keeps its SHA-256, which is also the
lookup key. Looking a token up by the hash of what the client sent means the database compares
hashes, not secrets, so response times tell an attacker nothing about the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.api.models import ApiToken
from lms.db import db, utcnow
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.models import Employee

SCOPES = ("assignments:read", "certificates:read", "roster:read")
SECRET_PREFIX = "grd_"  # noqa: S105  (a marker that makes leaked tokens greppable)
PREFIX_LENGTH = 10
NAME_MAX = 200
# A write per request would turn every read into a write (and on SQLite, a lock); the admin
# only needs "roughly when was this last used".
TOUCH_EVERY = timedelta(minutes=1)
# token_urlsafe(32) is 43 characters; anything much longer or outside the alphabet is not ours.
_SECRET_SHAPE = re.compile(r"grd_[A-Za-z0-9_-]{20,100}")


class TokenError(UserError, ValueError):
    """A token cannot be created as asked (the message says why)."""


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    created_by: str | None  # the admin's name; None for a token made outside the admin page


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(name: str, scopes, by_id: int | None, expires_at: datetime | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the client)."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise TokenError(_l("A name of 1 to %(num)s characters is required.", num=NAME_MAX))
    chosen = sorted(set(scopes or ()))
    if not chosen:
        raise TokenError(_l("Choose at least one scope."))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise TokenError(_l("Unknown scope: %(scopes)s.", scopes=", ".join(unknown)))
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be tz-aware")
        if expires_at <= now:
            raise TokenError(_l("The expiry must be in the future."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:PREFIX_LENGTH], token_hash=hash_secret(secret),
                     scopes=chosen, created_by_id=by_id, created_at=now, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token, secret


def secret_from_header(header: str | None) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header, or None."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not _SECRET_SHAPE.fullmatch(secret):
        return None
    return secret


def authenticate(header: str | None, now: datetime | None = None) -> ApiToken | None:
    """The live token named by the Authorization header, or None (missing, malformed, unknown,
    revoked or expired: the caller answers all of them alike). Marks it used (flushes, at most
    once a minute per token)."""
    now = now or utcnow()
    secret = secret_from_header(header)
    if secret is None:
        return None
    digest = hash_secret(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup already matched; comparing again in constant time costs nothing and keeps the
    # check independent of how the database compares strings.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    _touch(token, now)
    return token


def _touch(token: ApiToken, now: datetime) -> None:
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    # Conditional, so that concurrent requests of one client write once between them.
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        set_committed_value(token, "last_used_at", now)


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in (token.scopes or ())


def revoke(token_id: int, now: datetime | None = None) -> ApiToken | None:
    """Revoke a token for good; None if there is no such token. Revoking twice keeps the first
    time (the caller can tell by ``revoked_at``)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.session.flush()
    return token


def list_tokens() -> list[TokenRow]:
    """Every token, newest first, with who created it (one query)."""
    rows = db.session.execute(
        select(ApiToken, Employee.full_name)
        .outerjoin(Employee, Employee.id == ApiToken.created_by_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [TokenRow(token, creator) for token, creator in rows]

"""Single sign-on with the company's identity provider (OpenID Connect, through Authlib).

Authorization code flow with PKCE (S256); Authlib keeps the state, the nonce and the code
verifier in the signed session cookie and checks them on the way back, then checks the ID
token (issuer, audience, expiry, signature from the provider's JWKS, nonce). The person is
matched by one claim (``LMS_OIDC_CLAIM``) against one field (``LMS_OIDC_MATCH``: e-mail or
employee number); nobody is created from a token unless ``LMS_OIDC_CREATE_USERS`` says so.
Every failure has its own plain message, and is logged in the audit log.
"""

from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    InvalidTokenError,
    JoseError,
)
from sqlalchemy import select

from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.importer import compose_name
from lms.people.models import Employee

PROVIDER = "company"


class SignInError(UserError):
    """A sign-in that must not go through; ``reason`` is for the audit log (in English)."""

    def __init__(self, message, reason: str):
        super().__init__(message)
        self.reason = reason


def init_app(app: Flask) -> None:
    if not app.config.get("LMS_OIDC_ISSUER"):
        return
    # One registry per app: a module-level one would keep the first app's provider (and its
    # cached metadata and keys) for every app built later in the same process.
    oauth = OAuth(app)
    app.extensions["lms_oidc"] = oauth
    oauth.register(
        PROVIDER, client_id=app.config["LMS_OIDC_CLIENT_ID"],
        client_secret=app.config["LMS_OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["LMS_OIDC_ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["LMS_OIDC_SCOPES"], "code_challenge_method": "S256",
                       "timeout": 10},
    )


def enabled() -> bool:
    return bool(current_app.config.get("LMS_OIDC_ISSUER"))


def client():
    return current_app.extensions["lms_oidc"].create_client(PROVIDER)


def explain(error: Exception) -> SignInError:
    """A plain message for what went wrong on the way back from the provider."""
    if isinstance(error, MismatchingStateError):
        return SignInError(_l("This sign-in link was already used or has expired. Please sign "
                              "in again."), "state mismatch or replay")
    if isinstance(error, ExpiredTokenError):
        return SignInError(_l("The sign-in took too long and its token expired. Please sign in "
                              "again."), "expired id_token")
    claim = getattr(error, "claim", None) if isinstance(error, ClaimError) else None
    if claim in ("aud", "azp"):
        return SignInError(_l("The identity provider's token was issued for another "
                              "application. Contact your IT team."), "wrong audience")
    if claim == "nonce":
        return SignInError(_l("This sign-in was already used. Please sign in again."),
                           "nonce mismatch or replay")
    if claim == "iss":
        return SignInError(_l("The token came from another identity provider. Contact your IT "
                              "team."), "wrong issuer")
    if isinstance(error, BadSignatureError | InvalidTokenError | DecodeError | ClaimError):
        return SignInError(_l("The identity provider's token could not be verified. Please "
                              "sign in again."), f"bad token: {error}")
    if isinstance(error, OAuthError):
        return SignInError(_l("The identity provider did not sign you in: %(reason)s.",
                              reason=error.description or error.error),
                           f"provider: {error.error}")
    if isinstance(error, JoseError | AuthlibBaseError):
        return SignInError(_l("The sign-in could not be verified. Please sign in again."),
                           f"token: {error}")
    return SignInError(_l("The identity provider could not be reached. Please try again in a "
                          "minute."), f"unreachable: {type(error).__name__}")


def verify(token: dict, nonce: str | None) -> dict:
    """The ID token's claims, after every check (raises Authlib's errors)."""
    return dict(client().parse_id_token(token, nonce=nonce))


def match(claims: dict) -> Employee:
    """The employee these claims name. Raises SignInError for an unknown or inactive person,
    or creates one when the settings allow it."""
    config = current_app.config
    claim, field = config["LMS_OIDC_CLAIM"], config["LMS_OIDC_MATCH"]
    value = str(claims.get(claim) or "").strip()
    if not value:
        raise SignInError(_l("Your company account does not say who you are (no %(claim)s). "
                             "Contact your IT team.", claim=repr(claim)), f"missing claim {claim}")
    if field == "email":
        value = value.lower()
    column = Employee.email if field == "email" else Employee.employee_number
    person = db.session.scalar(select(Employee).where(column == value))
    if person is None and config["LMS_OIDC_CREATE_USERS"]:
        person = _create(claims, field, value)
    if person is None:
        raise SignInError(_l("Your company account is not registered in Guardrail yet. Ask HR "
                             "to add you."), f"unknown {field} {value[:100]}")
    if not person.active:
        raise SignInError(_l("Your Guardrail account is not active. Ask HR if this is a "
                             "mistake."), f"inactive {field} {value[:100]}")

    return person


def _create(claims: dict, field: str, value: str) -> Employee | None:
    email = (claims.get("email") or (value if field == "email" else "")).strip().lower()
    number = str(claims.get("employee_number") or (value if field != "email" else "")).strip()
    name = (claims.get("name") or compose_name(claims.get("given_name"),
                                               claims.get("family_name")) or email).strip()
    if not email or not number or "@" not in email:
        return None  # not enough to make a record: HR has to add the person
    person = Employee(employee_number=number[:64], full_name=name[:300], email=email[:320],
                      locale=str(claims.get("locale") or "en")[:16])
    db.session.add(person)
    db.session.flush()
    return person


def logout_url(id_token: str | None, after: str) -> str | None:
    """The provider's end-session address (RP-initiated logout), if it has one."""
    if not enabled() or not id_token:
        return None
    try:
        metadata = client().load_server_metadata()
    except Exception:  # sign-out must work even if the provider is down
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    from urllib.parse import urlencode

    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": after,
                       "client_id": current_app.config["LMS_OIDC_CLIENT_ID"]})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

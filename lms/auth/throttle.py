"""Sign-in rate limits (Flask-Limiter), applied to the sign-in views of one app.

Per account (the e-mail typed, normalised and hashed, so Redis holds no addresses) and per
client address. Only failed attempts count (the view answers a failed sign-in with 400), so a
busy office behind one address is not locked out by its own successful sign-ins; a success does
not clear earlier failures either, and a locked account stays locked for the correct password
too, so a guesser cannot use the lock to learn that a guess was right. Unknown e-mails are
counted and locked exactly like real ones: the answer never says whether an account exists.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user


def account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def signed_in_key() -> str:
    return f"employee:{getattr(current_user, 'id', None) or 'anonymous'}"


def _failed(response) -> bool:
    return response.status_code == 400


def apply(app: Flask) -> None:
    """Wrap this app's sign-in views with their limits (``LMS_SIGNIN_LIMIT_*`` settings)."""
    limiter: Limiter = app.extensions["lms_limiter"]
    config = app.config
    views = app.view_functions
    login = views["auth.login"]
    login = limiter.shared_limit(config["LMS_SIGNIN_LIMIT_ACCOUNT"], scope="sign-in-account",
                                 key_func=account_key, methods=["POST"], deduct_when=_failed)(login)
    login = limiter.shared_limit(config["LMS_SIGNIN_LIMIT_ADDRESS"], scope="sign-in-address",
                                 methods=["POST"], deduct_when=_failed)(login)
    views["auth.login"] = login
    # Guessing the current password on the change-password page counts like sign-in.
    change = views["auth.change_password"]
    views["auth.change_password"] = limiter.shared_limit(
        config["LMS_SIGNIN_LIMIT_ACCOUNT"], scope="password-change", key_func=signed_in_key,
        methods=["POST"], deduct_when=_failed)(change)
    # Every start counts (there is no failure to see here): generous, only against loops.
    if "auth.sso_start" in views:
        views["auth.sso_start"] = limiter.shared_limit(
            config["LMS_SSO_LIMIT_ADDRESS"], scope="sso-start")(views["auth.sso_start"])


def locked_page(error: RateLimitExceeded):
    """429 with how long to wait, the same whether or not the account exists."""
    limiter: Limiter = current_app.extensions["lms_limiter"]
    breached = limiter.current_limit
    wait = 60
    if breached is not None:
        # reset_at is whole seconds and may round up past the window: never say "61 minutes"
        # for a limit per hour.
        wait = max(1, min(breached.reset_at - int(time.time()), breached.limit.get_expiry()))
    minutes = max(1, math.ceil(wait / 60))
    response = current_app.make_response(
        (render_template("auth/locked.html", minutes=minutes), 429))
    response.headers["Retry-After"] = str(wait)
    return response

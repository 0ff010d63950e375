"""The language switcher in every page's header: one POST that remembers the choice and goes
back to the page it came from."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from lms.db import db
from lms.i18n import LOCALE_COOKIE, language_tag, match_locale, offered_locales

bp = Blueprint("i18n", __name__)

# A year: the choice is a preference, not a secret (anyone may read or change it).
COOKIE_AGE = 365 * 24 * 3600


def _back_to(target: str | None) -> str:
    """Only a path on this site; anything else (//host, https://..., control characters that
    browsers strip into //host) goes to the start page."""
    if (target and target.startswith("/") and not target.startswith("//")
            and target.isprintable() and "\\" not in target and " " not in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("training.my_training")


@bp.post("/language")
def switch():
    """Signed-in people's choice is saved on their profile (e-mails follow it too); everyone's
    is also kept in a cookie, so the sign-in page after signing out stays in that language."""
    name = match_locale(request.form.get("locale", "")[:35], offered_locales())
    if name is None:
        abort(400)
    tag = language_tag(name)
    if current_user.is_authenticated and current_user.locale != tag:
        current_user.locale = tag
        db.session.commit()
    response = redirect(_back_to(request.form.get("next")))
    response.set_cookie(LOCALE_COOKIE, tag, max_age=COOKIE_AGE, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response

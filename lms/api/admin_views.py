"""Admins create and revoke API tokens. A secret is shown once, in the response to its
creation, and is never stored, logged, flashed (the session cookie is signed, not encrypted)
or put in a URL."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from lms.api.forms import TokenForm
from lms.api.models import ApiToken
from lms.api.services import TokenError, create_token, list_tokens, revoke
from lms.audit.services import record
from lms.auth.access import role_required
from lms.clock import start_of, today
from lms.db import db, utcnow

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-tokens")


def _page(form: TokenForm, secret: str | None = None, created=None, status: int = 200):
    page = render_template("api/tokens.html", form=form, rows=list_tokens(), now=utcnow(),
                           secret=secret, created=created)
    # The secret is in this page: no cache (browser history, proxy) may keep a copy.
    return page, status, {"Cache-Control": "no-store"}


@bp.route("", methods=["GET", "POST"])
@role_required("admin")
def tokens():
    """The tokens, and the form to create one; after creating, its secret, once."""
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    valid = form.validate_on_submit()
    expires_on = form.expires_on.data
    if expires_on is not None and expires_on < today():
        form.expires_on.errors = [*form.expires_on.errors,
                                  _("The expiry date cannot be in the past.")]
        valid = False
    if not valid:
        return _page(form, status=400)
    # Valid through the chosen company-local day.
    expires_at = start_of(expires_on + timedelta(days=1)) if expires_on else None
    try:
        token, secret = create_token(form.name.data, form.scopes.data, current_user.id,
                                     expires_at)
    except TokenError:
        # The form has checked scopes and expiry; what is left is a name of only spaces.
        form.name.errors = [_("Enter a name.")]
        return _page(form, status=400)
    record("api_token_created", actor=current_user, target=("api_token", token.id),
           ip=request.remote_addr,
           detail={"name": token.name, "prefix": token.prefix, "scopes": token.scopes,
                   "expires_at": expires_at.isoformat() if expires_at else None})
    db.session.commit()
    return _page(TokenForm(formdata=None), secret=secret, created=token)


@bp.post("/<int:token_id>/revoke")
@role_required("admin")
def revoke_token(token_id: int):
    """Revoke at once and for good: the next request with the token gets 401."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.revoked_at is not None:
        flash(_("This token was already revoked."), "success")
        return redirect(url_for(".tokens"))
    revoke(token.id)
    record("api_token_revoked", actor=current_user, target=("api_token", token.id),
           ip=request.remote_addr, detail={"name": token.name, "prefix": token.prefix})
    db.session.commit()
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for(".tokens"))

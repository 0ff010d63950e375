from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.audit.services import record
from lms.auth import oidc, passwords, throttle
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.services import (
    authenticate,
    end_session,
    open_session,
    set_password,
    verify_password,
)
from lms.db import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (//evil.example, https://...) goes home."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("training.my_training")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("training.my_training"))
    form = LoginForm()
    password_allowed = current_app.config["LMS_PASSWORD_SIGNIN"]
    if form.validate_on_submit():
        employee = authenticate(form.email.data, form.password.data)
        if employee is not None and not password_allowed and not _break_glass(employee):
            form.password.errors.append(_("Password sign-in is turned off: sign in with your "
                                          "company account."))
            record("sign_in_failed", actor_text="anonymous", ip=request.remote_addr,
                   detail={"email": employee.email, "reason": "password sign-in is off"})
            db.session.commit()
        elif employee is None:
            form.password.errors.append(_("E-mail or password is not correct."))
            record("sign_in_failed", actor_text="anonymous", ip=request.remote_addr,
                   detail={"email": (form.email.data or "")[:320],
                           "user_agent": request.user_agent.string[:300]})
            db.session.commit()
        else:
            _signed_in(employee, "password")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if not form.errors else 400
    return render_template("auth/login.html", form=form, sso=oidc.enabled(),
                           sso_label=current_app.config["LMS_OIDC_LABEL"],
                           show_password=password_allowed or "password" in request.args
                           or form.errors), status


def _break_glass(employee) -> bool:
    """With password sign-in off, the listed admins may still use it (when SSO is down)."""
    return (employee.email in current_app.config["LMS_BREAK_GLASS"]
            and employee.has_role("admin"))


def _signed_in(employee, method: str) -> None:
    session.clear()  # a fresh session at sign-in: no fixation
    open_session(employee, current_app.config["LMS_SESSION_HOURS"], request.remote_addr,
                 request.user_agent.string)
    login_user(employee)
    record("sign_in", actor=employee, ip=request.remote_addr,
           detail={"user_agent": request.user_agent.string[:300], "method": method})


@bp.get("/login/sso")
def sso_start():
    """Off to the identity provider (authorization code flow with PKCE)."""
    if not oidc.enabled():
        abort(404)
    next_url = request.args.get("next")
    if next_url:
        session["sso_next"] = _safe_next(next_url)
    return oidc.client().authorize_redirect(url_for(".sso_callback", _external=True))


@bp.get("/login/sso/callback")
def sso_callback():
    """Back from the provider: check everything, match the person, open a session."""
    if not oidc.enabled():
        abort(404)
    try:
        token = oidc.client().authorize_access_token()
        employee = oidc.match(token["userinfo"])
    except oidc.SignInError as exc:
        return _sso_failed(exc)
    except Exception as exc:  # every failure gets a plain message and a log
        return _sso_failed(oidc.explain(exc))
    next_url = session.get("sso_next")
    _signed_in(employee, "oidc")
    session["oidc_id_token"] = token.get("id_token")
    db.session.commit()
    return redirect(next_url or url_for("training.my_training"))


def _sso_failed(error: oidc.SignInError):
    db.session.rollback()
    record("sign_in_failed", actor_text="anonymous", ip=request.remote_addr,
           detail={"method": "oidc", "reason": error.reason[:300]})
    db.session.commit()
    flash(str(error), "error")
    return render_template("auth/login.html", form=LoginForm(), sso=True,
                           sso_label=current_app.config["LMS_OIDC_LABEL"],
                           show_password=current_app.config["LMS_PASSWORD_SIGNIN"]), 400


@bp.post("/logout")
@login_required
def logout():
    end_session(current_user.session_token)
    record("sign_out", actor=current_user, ip=request.remote_addr)
    id_token = session.get("oidc_id_token")
    logout_user()
    session.clear()
    db.session.commit()
    flash(_("You are signed out."), "info")
    # Signed in through the provider: end the provider's session too, where it can.
    provider = oidc.logout_url(id_token, url_for("auth.login", _external=True))
    return redirect(provider or url_for("auth.login"))


_POLICY_MESSAGES = {
    passwords.TOO_SHORT: lambda n: _("Use at least %(n)d characters.", n=n),
    passwords.COMMON: lambda n: _("This password is on a list of common, leaked passwords: "
                                  "choose another (a few unrelated words make a good one)."),
    passwords.PERSONAL: lambda n: _("Do not use your e-mail address or your name."),
}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session of the person ends."""
    form = ChangePasswordForm()
    has_password = bool(current_user.password_hash)
    min_length = current_app.config["LMS_PASSWORD_MIN_LENGTH"]
    if has_password and form.validate_on_submit():
        new = form.new_password.data
        if not verify_password(current_user, form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        elif new == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the current "
                                              "one."))
        else:
            found = passwords.problems(new, email=current_user.email,
                                       full_name=current_user.full_name, min_length=min_length)
            form.new_password.errors.extend(_POLICY_MESSAGES[p](min_length) for p in found)
        if not form.errors:
            set_password(current_user, new, keep_token=current_user.session_token,
                         ip=request.remote_addr)
            db.session.commit()
            flash(_("Your password is changed. You are still signed in here; every other "
                    "browser or device was signed out."), "info")
            return redirect(url_for("training.my_training"))
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form, has_password=has_password,
                           min_length=min_length), status


bp.register_error_handler(429, throttle.locked_page)


@bp.record_once
def _limit_sign_in(state) -> None:
    # After the routes above are on the app: wrap them with this app's limiter.
    throttle.apply(state.app)

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
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
from lms.auth.forms import LoginForm
from lms.auth.services import authenticate, end_session, open_session
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
    if form.validate_on_submit():
        employee = authenticate(form.email.data, form.password.data)
        if employee is None:
            form.password.errors.append(_("E-mail or password is not correct."))
            record("sign_in_failed", actor_text="anonymous", ip=request.remote_addr,
                   detail={"email": (form.email.data or "")[:320],
                           "user_agent": request.user_agent.string[:300]})
            db.session.commit()
        else:
            session.clear()  # a fresh session at sign-in: no fixation
            open_session(employee, current_app.config["LMS_SESSION_HOURS"], request.remote_addr,
                         request.user_agent.string)
            login_user(employee)
            record("sign_in", actor=employee, ip=request.remote_addr,
                   detail={"user_agent": request.user_agent.string[:300]})
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if not form.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    end_session(current_user.session_token)
    record("sign_out", actor=current_user, ip=request.remote_addr)
    logout_user()
    session.clear()
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))

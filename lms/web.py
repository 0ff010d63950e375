"""Request plumbing shared by every blueprint: sign-in loading, locale, security headers,
error pages, the database's engine settings and template helpers."""

from __future__ import annotations

import logging

from babel.dates import format_date as babel_format_date
from flask import Flask, g, has_request_context, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from lms import i18n
from lms.db import commit_if_read_only, db
from lms.extensions import login_manager
from lms.i18n import translated, translated_option
from lms.markdown import render_markdown
from lms.statuses import STATUS_ICONS, STATUS_LABELS

log = logging.getLogger(__name__)


def select_locale() -> str:
    """The interface language: the signed-in person's profile (``Employee.locale``), else the
    language the switcher left in a cookie, else the browser's Accept-Language, else English.
    Outside a request (jobs), English unless the caller forces a language (``force_locale``)."""
    if not has_request_context():
        return i18n.SOURCE_LOCALE
    try:
        person = current_user if current_user and current_user.is_authenticated else None
    except (OperationalError, DBAPIError):
        # The database is down and the 503 page is rendering: it still needs a language.
        db.session.rollback()
        person = None
    chosen = (i18n.match_locale(getattr(person, "locale", None))
              or i18n.match_locale(request.cookies.get(i18n.LOCALE_COOKIE))
              or i18n.negotiate(request.accept_languages))
    return chosen or i18n.SOURCE_LOCALE


def local_date(value, locale: str | None = "en", style: str = "long") -> str:
    """``{{ due_on|local_date('zh-Hans') }}``: a date in the named language (2026年12月31日 in
    zh-Hans). For e-mails, which render outside a request and name their language."""
    return babel_format_date(value, style, locale=(locale or "en").replace("-", "_"))


@login_manager.user_loader
def _load_user(token: str):
    from lms.auth.services import load_session_user

    return load_session_user(token)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, begin transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; busy_timeout makes a writer wait for the
    # lock instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # SQLite cannot upgrade a reading transaction to a writing one while another connection
    # writes: it fails at once with "database is locked", whatever the busy timeout. Taking the
    # write lock at BEGIN makes concurrent requests wait their turn instead. PostgreSQL, the
    # production database, needs none of this.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _security_headers(response):
    csp = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure or g.get("production"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Only if the user was already loaded: this must not touch the database (it also runs for
    # the 503 page while the database is down).
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# Machine-facing areas answer errors in their own format, even for URLs no route matches
# (a blueprint's own error handlers never see those): path prefix -> renderer.
ERROR_RENDERERS: dict[str, object] = {}


def _error_page(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        log.error("%s on %s %s", code, request.method, request.path,
                  exc_info=getattr(error, "original_exception", None))
    for prefix, render in ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return render(error)
    known = (400, 403, 404, 405, 413, 429)
    template = f"errors/{code}.html" if code in known else "errors/500.html"
    return render_template(template, error=error), code


def _database_down(error: Exception):
    db.session.rollback()
    log.error("database unavailable: %s", error)
    # If loading the signed-in person is what failed, Flask-Login would try again while the
    # page renders (its context processor) and turn the 503 into a 500: show it anonymously.
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    return render_template("errors/503.html"), 503


def _end_session(error: BaseException | None) -> None:
    # If the database went away after the response was made (a restart), the session's final
    # ROLLBACK fails: drop its connection instead, or the page already made becomes a 500. The
    # pool's pre-ping replaces the dead connections on the next checkout.
    try:
        if error is None:
            commit_if_read_only(db.session())
        db.session.remove()
    except DBAPIError as exc:
        log.warning("database connection lost at the end of a request: %s", exc)
        db.session().invalidate()
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            if app.config.get("LMS_SQLITE_BEGIN_IMMEDIATE", True):
                event.listen(db.engine, "begin", _sqlite_begin)

    @app.before_request
    def _request_setup():
        g.production = app.config["LMS_ENV"] == "production"

    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(DBAPIError, _database_down)
    # Runs before Flask-SQLAlchemy's own teardown (registered earlier, so called later).
    app.teardown_appcontext(_end_session)

    @app.context_processor
    def _template_helpers():
        from lms.org.services import reader_org_settings

        def org():
            # The language in force: the reader's, or the one a PDF is rendered in
            # (force_locale), so each page or document shows its own language's values.
            locale = get_locale()
            return reader_org_settings(
                i18n.language_tag(locale) if locale else i18n.SOURCE_LOCALE)

        return {"org": org,
                "markdown": lambda text, inline=False: render_markdown(
                    text, org(), inline=inline), "format_date": i18n.format_date_remembered,
                "tr": translated, "tr_option": translated_option}

    app.add_template_filter(local_date, "local_date")
    app.jinja_env.globals.update(status_labels=STATUS_LABELS, status_icons=STATUS_ICONS)
    i18n.init_app(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

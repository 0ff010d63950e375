"""Queueing e-mail and rendering it from templates. Nothing here sends or commits: ``enqueue``
writes an outbox row in the caller's transaction, and the worker (``delivery.py``) sends it after
the commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import Integer, Select, String, cast, func, literal, literal_column, true
from sqlalchemy.dialects import postgresql, sqlite

from lms.db import db, utcnow
from lms.i18n import language_tag, match_locale
from lms.notifications.models import OutboxMessage
from lms.org.services import configured_org_settings

KEY_MAX = 200
SUBJECT_MAX = 500
# Everything str.splitlines() breaks on, and NUL: none of it may reach a header.
_LINE_BREAKS = re.compile(r"[\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None
    locale: str


def message_key(kind: str, **parts: object) -> str:
    """The outbox key for one event, e.g. ``message_key("reminder", assignment=12, cycle="2026",
    step=2)`` -> ``reminder:assignment=12:cycle=2026:step=2``. Parts are written in the order
    given, so keep the order fixed for a kind."""
    key = ":".join([kind, *(f"{name}={value}" for name, value in parts.items())])
    if len(key) > KEY_MAX:
        raise ValueError(f"outbox key longer than {KEY_MAX} characters: {key[:60]}...")
    return key


def check_recipient(address: str) -> str:
    """The address, normalised (domain lower-cased), or ValueError. One bare address only: no
    display name, no second address, no line break (no header injection)."""
    if not isinstance(address, str) or _LINE_BREAKS.search(address):
        raise ValueError("recipient must be one e-mail address on one line")
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"recipient is not an e-mail address: {error}") from None


def check_subject(subject: str) -> str:
    if not isinstance(subject, str) or _LINE_BREAKS.search(subject):
        raise ValueError("subject must be one line (no CR, LF or other line breaks)")
    subject = subject.strip()
    if not subject:
        raise ValueError("subject is empty")
    if len(subject) > SUBJECT_MAX:
        raise ValueError(f"subject longer than {SUBJECT_MAX} characters")
    return subject


def enqueue(key: str, to: str, subject: str, text: str, html: str | None = None, *,
            now: datetime | None = None, calendar: str | None = None) -> bool:
    """Queue one e-mail under ``key`` in the current transaction; flushes, never commits.

    Returns True if it was queued, False if a message with this key already exists (queued or
    sent, in this transaction or an earlier one): each key is sent at most once. Raises
    ValueError for a bad key, recipient or subject (CR/LF are refused, so a name can never add
    a header)."""
    if not key or len(key) > KEY_MAX or _LINE_BREAKS.search(key):
        raise ValueError(f"outbox key must be 1 to {KEY_MAX} characters on one line")
    if not text:
        raise ValueError("an e-mail needs a plain-text body")
    now = now or utcnow()
    values = {"key": key, "recipient": check_recipient(to), "subject": check_subject(subject),
              "body_text": text, "body_html": html or None, "created_at": now, "attempts": 0,
              "next_attempt_at": now, "calendar": calendar}
    table = OutboxMessage.__table__
    statement = (_insert_ignoring_known_keys().values(**values)
                 .returning(table.c.id))
    db.session.flush()
    return db.session.execute(statement).scalar_one_or_none() is not None


def _insert_ignoring_known_keys():
    """INSERT ... ON CONFLICT (key) DO NOTHING: atomic on both databases, needs no savepoint, and
    a concurrent transaction queueing the same key waits for ours and then does nothing."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])


def enqueue_select(query: Select, now: datetime) -> int:
    """Queue one templated e-mail per row of ``query`` in one statement; flushes, never commits.

    ``query`` selects ``key, recipient, template, locale, params`` (``params``: see
    ``sql_params``); a key already queued or sent is skipped, as in ``enqueue``. The messages
    are rendered when delivered (``render_queued``), in the recipient's language. The caller
    vouches for the recipients (addresses as stored for people, or checked by
    ``check_recipient``) and for the keys (``message_key``). Returns how many were queued;
    they are the rows with ``created_at == now``."""
    table = OutboxMessage.__table__
    columns = ["key", "recipient", "template", "locale", "params", "created_at", "attempts",
               "next_attempt_at"]
    timestamp = table.c.created_at.type
    # WHERE: SQLite would read ON CONFLICT as a join's ON without one (its docs' advice).
    statement = _insert_ignoring_known_keys().from_select(columns, query.add_columns(
        literal(now, timestamp), literal(0, Integer), literal(now, timestamp)).where(true()))
    db.session.flush()
    return db.session.execute(statement, execution_options={"preserve_rowcount": True}).rowcount


def sql_params(dates: tuple[str, ...] = (), **values):
    """A SQL expression building the JSON ``params`` of a queued e-mail from column expressions
    (or Python values), for ``enqueue_select``. ``dates`` names the values that are dates: JSON
    carries them as ISO strings and ``template_context`` turns them back into dates."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    listed = (func.json_build_array if postgres else func.json_array)(*map(_name, dates))
    return sql_json(**values, _dates=listed)


def sql_json(**values):
    """A SQL expression building a JSON object from column expressions or Python values."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    arguments = []
    for name, value in values.items():
        if not hasattr(value, "__clause_element__") and not hasattr(value, "compile"):
            value = cast(literal(value), Integer if isinstance(value, int) else String)
        arguments += [_name(name), value]
    return (func.json_build_object if postgres else func.json_object)(*arguments)


def _name(name: str):
    """A key of ours as a SQL string literal: PostgreSQL cannot infer the type of a bound
    parameter given to json_build_object."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a parameter name: {name!r}")
    return literal_column(f"'{name}'")


def template_context(params: dict | None) -> dict:
    """The template context stored by ``sql_params``, with its dates as dates again."""
    context = dict(params or {})
    for name in context.pop("_dates", None) or ():
        if context.get(name) is not None:
            context[name] = date.fromisoformat(context[name][:10])
    return context


def email_of(message: OutboxMessage) -> RenderedEmail:
    """A queued message's e-mail: as stored (rendered when queued, or once sent), or rendered
    now from its template in the recipient's language."""
    if message.stored_subject is not None:
        return RenderedEmail(message.stored_subject, message.stored_text or "",
                             message.stored_html, message.locale or "en")
    return render_queued(message.template, message.locale, message.params)


def render_queued(template: str | None, locale: str | None, params: dict | None) -> RenderedEmail:
    """Render a message queued as a template (``enqueue_select``). Raises ValueError if it has
    no template or its template sets no subject."""
    if not template:
        raise ValueError("an outbox message needs a subject and body, or a template")
    return render_email(template, locale, **template_context(params))


def _locale_candidates(locale: str | None) -> list[str]:
    """The template tags to try, best first: the profile's own tag, the offered language that
    serves it (a profile from the identity provider may say ``zh-CN``; the e-mails are written
    as ``zh-Hans``), then the bare language."""
    tag = (locale or "").replace("_", "-").strip()
    candidates = []
    if tag:
        candidates.append(tag)
        offered = match_locale(tag)
        if offered:
            candidates.append(language_tag(offered))
        if "-" in tag:
            candidates.append(tag.split("-", 1)[0])
    return list(dict.fromkeys(candidates))


def _template_for(name: str, locale: str | None) -> tuple[str, str]:
    """(the locale used, its template stem): the employee's language where a translation of the
    e-mail exists, else the source (English) one."""
    loader = current_app.jinja_env.loader
    for tag in _locale_candidates(locale):
        stem = f"emails/{name}.{tag}"
        try:
            loader.get_source(current_app.jinja_env, f"{stem}.txt")
        except TemplateNotFound:
            continue
        return tag, stem
    return "en", f"emails/{name}"


def render_email(template_name: str, locale: str | None = None, **context) -> RenderedEmail:
    """Render ``templates/emails/<name>[.<locale>].txt`` and ``.html``.

    The text template sets the subject with ``{% set subject %}...{% endset %}``; the rest of it
    is the plain-text body. The HTML template is autoescaped (Flask escapes ``.html``
    templates), so names and other values in ``context`` cannot add markup. The subject is
    folded to one line, so a value with a line break cannot add a header either."""
    used, stem = _template_for(template_name, locale)
    env = current_app.jinja_env
    context.setdefault("base_url", current_app.config.get("LMS_BASE_URL", ""))
    # The organisation's settings in the recipient's language (the footer names the company);
    # what is not configured is left out rather than shown as a placeholder.
    context.setdefault("org", configured_org_settings(used))
    with force_locale(used.replace("-", "_")):
        text_module = env.get_template(f"{stem}.txt").make_module(context)
        html = env.get_template(f"{stem}.html").render(**context)
    subject = str(getattr(text_module, "subject", "") or "")
    if not subject.strip():
        raise ValueError(f"{stem}.txt must set the subject: {{% set subject %}}...{{% endset %}}")
    subject = _WHITESPACE.sub(" ", _LINE_BREAKS.sub(" ", subject)).strip()
    text = str(text_module).strip("\n").rstrip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html, locale=used)


def enqueue_template(key: str, to: str, template_name: str, locale: str | None = None, *,
                     calendar: str | None = None, **context) -> bool:
    """Render a template in the recipient's language and queue it under ``key`` (see
    ``enqueue``), with an iCalendar invitation if given."""
    email = render_email(template_name, locale, **context)
    return enqueue(key, to, email.subject, email.text, email.html, calendar=calendar)

"""Reading and writing organisation settings, with a value per language.

A setting has a default value, stored under its key (``appeals``), in the source language; a
language may have its own value, stored under the key and the language tag (``appeals.zh-Hans``)
in the same table. A reader gets their language's value where there is one and the default
otherwise, the tag matched as course translations are (a ``zh-CN`` reader reads ``zh-Hans``).
Phone numbers, e-mails and addresses are usually the same in every language, so they usually
have only a default; any of them may be overridden all the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import g, has_app_context
from flask_babel import gettext
from sqlalchemy import JSON, func, select, type_coerce

from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.i18n import SOURCE_LOCALE, language_tag, match_locale, offered_locales
from lms.org.models import OrgSetting
from lms.org.registry import BY_KEY, SETTINGS

SEPARATOR = "."  # between a key and a language tag; keys never contain it
MAX_LENGTH = {"text": 200, "phone": 40, "email": 254, "url": 500}
PHONE = re.compile(r"\+?[0-9()./ -]+")
PHONE_DIGITS = (3, 20)
_CACHE = "_org_settings"

# {key: {"": default, "zh-Hans": value, ...}}: what is stored, by setting and language.
Stored = dict[str, dict[str, str]]


class OrgSettingsError(UserError):
    """Values refused: ``errors`` maps each refused field (``(key, tag)``, the tag ``""`` for
    the default) to its message; nothing was stored."""

    def __init__(self, errors: dict[tuple[str, str], object]):
        super().__init__(_l("Some values were not saved: see the fields marked."))
        self.errors = errors


def storage_key(key: str, tag: str = "") -> str:
    """``appeals`` for the default, ``appeals.zh-Hans`` for a language's own value."""
    return f"{key}{SEPARATOR}{tag}" if tag else key


def language_tags() -> list[str]:
    """The languages a setting may have a value in, as tags; the source language first (its
    value is the default)."""
    return [language_tag(name) for name in offered_locales()]


def setting_language(tag: str | None) -> str | None:
    """The tag a value for ``tag`` is stored under: ``""`` for the source language (the
    default), ``zh-Hans`` for ``zh-CN``; None when no offered language serves ``tag``."""
    if not tag:
        return ""
    name = match_locale(tag)
    if name is None:
        return None
    return "" if name == SOURCE_LOCALE else language_tag(name)


def stored_settings() -> Stored:
    """Every stored value of the known settings, in one query."""
    return _stored(db.session.execute(select(OrgSetting.key, OrgSetting.value)))


def _stored(pairs) -> Stored:
    stored: Stored = {}
    for full_key, value in pairs:
        key, _, tag = full_key.partition(SEPARATOR)
        if key in BY_KEY and value:
            stored.setdefault(key, {})[tag] = value
    return stored


def stored_settings_column(dialect: str):
    """Every stored setting as one JSON array of ``[key, value]`` pairs (NULL or ``[]`` when
    none is), for a statement that runs on every request anyway to carry: the session lookup
    (lms/auth/services.py), which then hands them to ``remember_stored_settings``. A page
    reads them (``org()``) but no longer makes a round trip of its own for them."""
    if dialect == "postgresql":
        pairs = func.json_agg(func.json_build_array(OrgSetting.key, OrgSetting.value))
    else:  # SQLite
        pairs = func.json_group_array(func.json_array(OrgSetting.key, OrgSetting.value))
    return type_coerce(select(pairs).scalar_subquery(), JSON)


def remember_stored_settings(pairs: list | None) -> None:
    """This app context's settings, as ``stored_settings_column`` read them with another
    statement: what ``_cached`` would otherwise read on first use. Settings this context
    read already stay (a write in it forgets them: ``_forget_cached``)."""
    if has_app_context() and _CACHE not in g:
        setattr(g, _CACHE, _cache_of(_stored(pairs or ())))


def resolve(stored: Stored, locale: str | None = None) -> dict[str, str]:
    """The configured settings as a reader of ``locale`` sees them: their language's value,
    else the default. Unset settings are left out."""
    tags = sorted({tag for values in stored.values() for tag in values if tag})
    chosen = match_locale(locale, tags) if locale and tags else None
    values = {}
    for key, by_tag in stored.items():
        value = (by_tag.get(chosen) if chosen else None) or by_tag.get("")
        if value:
            values[key] = value
    return values


def with_placeholders(values: Mapping[str, str]) -> dict[str, str]:
    """Every known setting: unset ones say so plainly (in the current language) instead of
    rendering blank."""
    return {spec.key: values.get(spec.key)
            or gettext("[%(setting)s: not configured]", setting=str(spec.label))
            for spec in SETTINGS}


def org_settings(locale: str | None = None) -> dict[str, str]:
    """Every known setting's value for a reader of ``locale`` (the default values without
    one); unset ones say so plainly instead of rendering blank."""
    return with_placeholders(resolve(stored_settings(), locale))


def unset_org_settings() -> dict[str, str]:
    """What every setting shows while none is set (no database, or an empty one)."""
    return with_placeholders({})


def _cached() -> dict:
    """The stored values, read once per app context (a request, a job run, a command): pages
    use them many times, and the outbox renders hundreds of e-mails in one run."""
    if not has_app_context():
        return _cache_of(stored_settings())
    if _CACHE not in g:
        setattr(g, _CACHE, _cache_of(stored_settings()))
    return getattr(g, _CACHE)


def _cache_of(stored: Stored) -> dict:
    """What ``_cached`` keeps: the stored values, and what was resolved from them."""
    return {"stored": stored, "resolved": {}}


def reader_org_settings(locale: str | None) -> dict[str, str]:
    """``org_settings(locale)`` read once per app context: the pages' ``org()``. Its
    placeholders are in the current interface language, which the caller's ``locale`` is."""
    cache = _cached()
    key = ("page", locale)
    if key not in cache["resolved"]:
        cache["resolved"][key] = with_placeholders(resolve(cache["stored"], locale))
    return cache["resolved"][key]


def configured_org_settings(locale: str | None) -> dict[str, str]:
    """The configured settings for a reader of ``locale``, read once per app context: for
    e-mails, which leave out what is not set rather than show a placeholder."""
    cache = _cached()
    key = ("configured", locale)
    if key not in cache["resolved"]:
        cache["resolved"][key] = resolve(cache["stored"], locale)
    return cache["resolved"][key]


def _forget_cached() -> None:
    if has_app_context():
        g.pop(_CACHE, None)


def check_value(kind: str, value: str) -> tuple[str, object | None]:
    """(the value as it would be stored, an error message or None). Empty means unset."""
    value = value.strip()
    if not value:
        return "", None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return value, _l("Use one line of plain text, without line breaks or control "
                         "characters.")
    limit = MAX_LENGTH[kind]
    if len(value) > limit:
        return value, _l("Use at most %(limit)s characters (this has %(count)s).",
                         limit=limit, count=len(value))
    if kind == "phone":
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE.fullmatch(value) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            return value, _l("Enter a phone number: digits, spaces, and + ( ) - . / only, "
                             "such as +86 571 8888 0000.")
    elif kind == "email":
        try:
            value = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            return value, _l("Enter one e-mail address, such as speakup@example.com.")
    elif kind == "url":
        try:
            parts = urlsplit(value)
            valid = (parts.scheme in ("https", "http") and bool(parts.hostname)
                     and " " not in value)
        except ValueError:
            valid = False
        if not valid:
            return value, _l("Enter a web address starting with https://, such as "
                             "https://speakup.example.com.")
    return value, None


def update_org_settings(values: Mapping[tuple[str, str | None], str]) -> list[str]:
    """Store values by ``(key, language tag)`` (a tag of None, ``""`` or the source language:
    the default); an empty value removes it (the default then shows as not configured; a
    language's value falls back to the default). Every value is checked first: if any is
    refused, OrgSettingsError says which and why, and nothing is stored. Returns the storage
    keys that changed (``appeals.zh-Hans``), sorted. Flushes."""
    errors: dict[tuple[str, str], object] = {}
    wanted: dict[str, str] = {}
    for (key, tag), raw in values.items():
        field = (key, tag or "")
        spec = BY_KEY.get(key)
        if spec is None:
            errors[field] = _l("There is no organisation setting named %(key)s.", key=key)
            continue
        stored_tag = setting_language(tag)
        if stored_tag is None:
            errors[field] = _l("%(tag)s is not one of the languages offered (%(offered)s).",
                               tag=tag, offered=", ".join(language_tags()))
            continue
        value, error = check_value(spec.kind, raw if isinstance(raw, str) else "")
        if error is not None:
            errors[(key, stored_tag)] = error
            continue
        wanted[storage_key(key, stored_tag)] = value
    if errors:
        raise OrgSettingsError(errors)
    rows = {row.key: row for row in db.session.scalars(
        select(OrgSetting).where(OrgSetting.key.in_(wanted)))} if wanted else {}
    changed = []
    for full_key, value in wanted.items():
        row = rows.get(full_key)
        if not value:
            if row is not None:
                db.session.delete(row)
                changed.append(full_key)
        elif row is None:
            db.session.add(OrgSetting(key=full_key, value=value))
            changed.append(full_key)
        elif row.value != value:
            row.value = value
            changed.append(full_key)
    db.session.flush()
    _forget_cached()
    return sorted(changed)


def set_org_settings(values: Mapping[str, str], locale: str | None = None) -> list[str]:
    """Store settings by key, for one language (None: the defaults); see
    ``update_org_settings``."""
    return update_org_settings({(key, locale): value for key, value in values.items()})

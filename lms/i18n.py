"""Which language content is shown in, and picking a translated text with fallback.

Interface strings go through Flask-Babel; course content comes from translation files
(``01-intro.zh-Hans.md``) stored as ``translations`` on versions, modules and questions. A text
missing in the learner's language falls back to the source language."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale


def content_locale() -> str:
    """The learner's language as a content tag (``zh-Hans``), from the same choice as the UI."""
    if not has_request_context():
        return "en"
    return str(get_locale() or "en").replace("_", "-")


def translated(obj, field: str, locale: str | None = None):
    entry = (getattr(obj, "translations", None) or {}).get(locale or content_locale()) or {}
    return entry.get(field) or getattr(obj, field)


def translated_option(question, option, field: str, locale: str | None = None):
    """An option's text or feedback; options are translated by position within the question."""
    entry = (question.translations or {}).get(locale or content_locale()) or {}
    options = entry.get("options") or []
    index = option.position - 1
    if 0 <= index < len(options) and options[index].get(field):
        return options[index][field]
    return getattr(option, field)

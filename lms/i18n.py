"""Which language content is shown in, and picking a translated text with fallback.

Interface strings go through Flask-Babel, from the catalogs in ``translations/<name>/LC_MESSAGES``
(``messages.po``, compiled to ``messages.mo`` at build time). The languages offered are the
source language (English) plus every folder there holding a catalog, found at start-up: adding a
language is adding a folder (docs/translating.md), not editing a list.

Two spellings of one language meet here: Babel's locale names (``zh_Hans``, folder names, what
``get_locale()`` returns) and BCP 47 tags (``zh-Hans``: ``Employee.locale``, course translation
files such as ``01-intro.zh-Hans.md``, ``<html lang>``). Tags from the outside world (a
browser's ``zh-CN``, an identity provider's ``zh``) are matched to an offered language by
language and script, so ``zh``, ``zh-CN`` and ``zh-SG`` mean Simplified Chinese, while ``zh-TW``
(Traditional) does not.

Course content comes from translation files stored as ``translations`` on versions, modules and
questions. A text missing in the learner's language falls back to the source language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.support import NullTranslations
from flask import current_app, has_app_context, has_request_context
from flask.globals import _cv_app
from flask_babel import (
    Domain,
    format_date,
    format_datetime,
    format_number,
    format_time,
    format_timedelta,
    get_locale,
    gettext,
)

from lms.clock import today
from lms.config import PROJECT_ROOT

log = logging.getLogger(__name__)

SOURCE_LOCALE = "en"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
CATALOG = Path("LC_MESSAGES") / "messages.po"
# An anonymous visitor's choice from the switcher; signed-in people's choice is their profile.
LOCALE_COOKIE = "lang"


def babel_name(tag: str) -> str:
    """``zh-Hans`` -> ``zh_Hans`` (Babel's and the catalog folders' spelling)."""
    return tag.replace("-", "_")


def language_tag(name: str) -> str:
    """``zh_Hans`` -> ``zh-Hans`` (BCP 47: profiles, content files, ``<html lang>``)."""
    return str(name).replace("_", "-")


def discover_locales(directory: Path = TRANSLATIONS_DIR) -> tuple[str, ...]:
    """The languages offered, as Babel names: the source language first, then every folder of
    ``directory`` holding ``LC_MESSAGES/messages.po`` whose name Babel knows, sorted."""
    found = []
    if directory.is_dir():
        for folder in sorted(directory.iterdir()):
            if not (folder / CATALOG).is_file() or folder.name == SOURCE_LOCALE:
                continue
            try:
                Locale.parse(folder.name)
            except (UnknownLocaleError, ValueError):
                log.warning("translations/%s is not a locale name Babel knows; ignored",
                            folder.name)
                continue
            found.append(folder.name)
    return (SOURCE_LOCALE, *found)


def uncompiled_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Catalogs whose ``.mo`` is missing or older than the ``.po`` (``make translations``)."""
    stale = []
    for po in sorted(directory.glob(f"*/{CATALOG.as_posix()}")):
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile the stale catalogs as ``pybabel compile`` does (fuzzy entries left out); returns
    the ``.mo`` files written. ``make translations`` runs pybabel; tests call this."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in uncompiled_catalogs(directory):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        temporary = mo.with_suffix(".mo.tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog)
        temporary.replace(mo)
        written.append(mo)
    return written


def offered_locales() -> tuple[str, ...]:
    """The languages this app offers (found at start-up), as Babel names."""
    if has_app_context():
        return current_app.config.get("LMS_LOCALES") or (SOURCE_LOCALE,)
    return discover_locales()


@lru_cache(maxsize=512)
def _parse(tag: str) -> tuple[str, str | None, str | None] | None:
    """(language, script, territory) of a tag, the script filled in from CLDR's likely subtags
    when the tag leaves it out (``zh`` -> Hans, ``zh-TW`` -> Hant); None if unparseable."""
    tag = tag.strip()
    if not tag or len(tag) > 35 or tag == "*":
        return None
    try:
        locale = Locale.parse(babel_name(tag))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    script = locale.script
    if script is None:
        likely = get_global("likely_subtags")
        full = (likely.get(f"{locale.language}_{locale.territory}") if locale.territory
                else None) or likely.get(locale.language)
        if full:
            script = Locale.parse(full).script
    return locale.language, script, locale.territory


@lru_cache(maxsize=512)
def _match(tag: str, available: tuple[str, ...]) -> str | None:
    wanted = _parse(tag)
    if wanted is None:
        return None
    best, best_score = None, -1
    for name in available:
        offered = _parse(name)
        if offered is None or offered[0] != wanted[0]:
            continue
        if offered[1] and wanted[1] and offered[1] != wanted[1]:
            continue  # zh-Hant is not zh-Hans
        if offered[2] and offered[2] != wanted[2]:
            continue  # an offered en_GB does not serve a plain en
        score = (offered[1] == wanted[1]) + 2 * (offered[2] is not None)
        if score > best_score:
            best, best_score = name, score
    return best


def match_locale(tag: str | None, available: Sequence[str] | None = None) -> str | None:
    """The offered language (a Babel name) that serves ``tag``, or None: ``zh-CN``, ``zh-Hans``,
    ``zh`` and ``zh_Hans`` give ``zh_Hans``; ``en-GB`` gives ``en``; ``zh-TW`` and ``fr`` give
    None while only English and Simplified Chinese are offered."""
    if not tag:
        return None
    return _match(str(tag), tuple(available if available is not None else offered_locales()))


def negotiate(accepted: Iterable[tuple[str, float]],
              available: Sequence[str] | None = None) -> str | None:
    """The first of a browser's languages (in its order of preference) that is offered."""
    ranked = sorted(((q, -i, tag) for i, (tag, q) in enumerate(accepted) if q > 0), reverse=True)
    for _quality, _order, tag in ranked:
        found = match_locale(tag, available)
        if found:
            return found
    return None


def content_locale() -> str:
    """The learner's language as a content tag (``zh-Hans``), from the same choice as the UI."""
    if not has_request_context():
        return SOURCE_LOCALE
    return language_tag(get_locale() or SOURCE_LOCALE)


def language_choices() -> list[dict]:
    """The switcher's entries: each offered language named in itself (English, 中文 (简体))."""
    current = content_locale()
    choices = []
    for name in offered_locales():
        autonym = Locale.parse(name).get_display_name(name) or name
        tag = language_tag(name)
        choices.append({"tag": tag, "name": autonym[:1].upper() + autonym[1:],
                        "current": tag == current})
    return choices


def format_relative(when: date | datetime, reference: date | None = None) -> str:
    """How far a day is from today, in the reader's language: "in 3 weeks", "3周前", "today"."""
    if isinstance(when, datetime):
        when = when.date()
    days = (when - (reference or today())).days
    if days == 0:
        return gettext("today")
    return format_timedelta(timedelta(days=days), granularity="day", threshold=0.9,
                            add_direction=True)


def _entry(translations: dict | None, locale: str) -> dict:
    """The translation stored under ``locale``, or under the key that serves it (a profile's
    ``zh-CN`` reads the ``zh-Hans`` files)."""
    if not translations:
        return {}
    entry = translations.get(locale)
    if entry is None:
        key = _match(locale, tuple(translations))
        entry = translations.get(key) if key else None
    return entry or {}


def translated(obj, field: str, locale: str | None = None):
    entry = _entry(getattr(obj, "translations", None), locale or content_locale())
    return entry.get(field) or getattr(obj, field)


def translated_option(question, option, field: str, locale: str | None = None):
    """An option's text or feedback; options are translated by position within the question."""
    entry = _entry(question.translations, locale or content_locale())
    options = entry.get("options") or []
    index = option.position - 1
    if 0 <= index < len(options) and options[index].get(field):
        return options[index][field]
    return getattr(option, field)


def _babel_namespace():
    """Flask-Babel's per-context namespace (``g._flask_babel``), made as Flask-Babel makes it,
    or None outside an app context. Read from the context variable directly: each access
    through the ``g`` proxy costs about a microsecond, and this runs for every translated
    string."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    namespace = app_context.g.__dict__.get("_flask_babel")
    if namespace is None:
        namespace = app_context.g._flask_babel = SimpleNamespace()
    return namespace


class ContextDomain(Domain):
    """Flask-Babel's domain, its translations object remembered for the rest of the context.

    Flask-Babel 4 finds the catalog in its process-wide cache on every ``gettext`` by a key it
    rebuilds each time (``str(locale)``): several microseconds a call against 0.1 for the
    catalog lookup itself, and a page makes hundreds of calls. Here the object found is kept
    on Flask-Babel's own per-context namespace together with the domain and the locale it was
    found for, and reused only while both are the same objects: under ``force_locale`` (e-mails
    and PDFs in the recipient's language) and after ``refresh()`` the locale object changes, so
    the lookup is made again. Nothing outlives the app context (a request), so nothing can go
    stale between requests or processes; the process-wide catalog cache is Flask-Babel's."""

    def get_translations(self):
        namespace = _babel_namespace()
        if namespace is None:
            return NullTranslations()
        translations = _remembered(namespace, self)
        if translations is None:
            translations = super().get_translations()  # selects the locale if not done yet
            namespace.lms_translations = (self, namespace.babel_locale, translations)
        return translations


def _remembered(namespace, domain):
    """The translations this context found for ``domain`` in its current locale, or None."""
    remembered = getattr(namespace, "lms_translations", None)
    if remembered is not None and remembered[0] is domain \
            and remembered[1] is getattr(namespace, "babel_locale", None):
        return remembered[2]
    return None


def current_translations():
    """What ``flask_babel.get_translations()`` returns, without its proxy lookups when this
    context has already found it (templates call this for every ``_()``)."""
    namespace = _babel_namespace()
    if namespace is not None:
        translations = _remembered(namespace, getattr(namespace, "babel_domain", None))
        if translations is not None:
            return translations
    return flask_babel.get_translations()


def format_date_remembered(value=None, format=None, rebase=True) -> str:
    """Flask-Babel's ``format_date``, each (date, format, language) formatted once per context:
    a list repeats the same few dates (a cycle's due date on every row), and each formatting
    looks up the locale, the timezone and the pattern again."""
    namespace = _babel_namespace()
    if value is None or namespace is None:
        return format_date(value, format, rebase)
    locale = getattr(namespace, "babel_locale", None) or get_locale()
    key = (type(value), value, format, rebase, locale)
    remembered = namespace.__dict__.setdefault("lms_dates", {})
    text = remembered.get(key)
    if text is None:
        text = remembered[key] = format_date(value, format, rebase)
    return text


def _install_domain(app) -> None:
    # Babel() is one instance shared by every app in the process (the tests build many); its
    # domain (and the catalog cache in it) is made once, as Flask-Babel would make it.
    babel = app.extensions["babel"].instance
    if not isinstance(babel.__dict__.get("domain_instance"), ContextDomain):
        babel.domain_instance = ContextDomain(domain=app.extensions["babel"].default_domain)
    # The same callables Flask-Babel installs, reading the remembered translations.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # ``_`` is Jinja's alias that looks ``gettext`` up in the template context and calls it
    # through the context on every use; no template rebinds ``gettext``, so point ``_`` at it.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"]


def init_app(app) -> None:
    """Find the offered languages and say when a catalog was not compiled (English would be
    shown instead of it, silently)."""
    _install_domain(app)
    directories = [Path(d) for d in app.extensions["babel"].translation_directories]
    found = dict.fromkeys(name for d in directories for name in discover_locales(d))
    app.config.setdefault("LMS_LOCALES", tuple(found))
    for po in (po for d in directories for po in uncompiled_catalogs(d)):
        log.warning("%s is newer than its compiled .mo (or has none): its language shows "
                    "English until `make translations` compiles it", po)

    @app.context_processor
    def _language_helpers():
        # format_date (lms/web.py) is Flask-Babel's too: all of these follow the reader's
        # language (2026年12月31日 / Dec 31, 2026), datetimes in the company's zone.
        return {"format_datetime": format_datetime, "format_time": format_time,
                "format_number": format_number,
                "format_relative": format_relative, "html_lang": content_locale,
                "language_choices": language_choices}

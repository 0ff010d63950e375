from __future__ import annotations

from babel import Locale
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit.services import record
from lms.auth.access import role_required
from lms.db import db
from lms.i18n import SOURCE_LOCALE, babel_name
from lms.org.registry import SETTINGS
from lms.org.services import (
    MAX_LENGTH,
    OrgSettingsError,
    language_tags,
    stored_settings,
    update_org_settings,
)

bp = Blueprint("org", __name__)


@bp.get("/speak-up")
def speak_up():
    """The reporting channels, for everyone, signed in or not."""
    return render_template("speakup/speak_up.html")


def field_name(key: str, tag: str) -> str:
    """The form field of one setting in one language: ``appeals.en``, ``appeals.zh-Hans``."""
    return f"{key}.{tag or SOURCE_LOCALE}"


def _languages() -> list[dict]:
    """The offered languages, named in the reader's language; the source one first, its
    value being the default."""
    reader = str(get_locale() or SOURCE_LOCALE)
    languages = []
    for tag in language_tags():
        name = Locale.parse(babel_name(tag)).get_display_name(reader) or tag
        languages.append({"tag": "" if tag == SOURCE_LOCALE else tag, "lang": tag,
                          "name": name[:1].upper() + name[1:]})
    return languages


def _page(languages: list[dict], values: dict, errors: dict, status: int = 200,
          summary: str | None = None):
    return render_template("admin/organisation.html", settings=SETTINGS,
                           languages=languages, values=values, errors=errors,
                           summary=summary, field_name=field_name,
                           max_lengths=MAX_LENGTH), status


@bp.route("/admin/organisation", methods=["GET", "POST"])
@role_required("admin")
def settings_page():
    """Every organisation setting, with a value per offered language."""
    stored = stored_settings()
    languages = _languages()
    if request.method == "GET":
        return _page(languages, stored, {})
    # Only the fields sent are changed: a partial form never clears the others.
    submitted = {}
    for spec in SETTINGS:
        for language in languages:
            name = field_name(spec.key, language["tag"])
            if name in request.form:
                submitted[(spec.key, language["tag"])] = request.form[name]
    try:
        changed = update_org_settings(submitted)
    except OrgSettingsError as error:
        # Nothing was stored; the form shows what was typed, next to what is refused.
        shown = {key: dict(by_tag) for key, by_tag in stored.items()}
        for (key, tag), value in submitted.items():
            shown.setdefault(key, {})[tag] = value
        return _page(languages, shown, error.errors, 400, summary=str(error))
    if not changed:
        flash(_("Nothing was changed."), "success")
        return redirect(url_for(".settings_page"))
    record("org_settings_changed", actor=current_user, target=("org_settings", "organisation"),
           ip=request.remote_addr, detail={"keys": changed})
    db.session.commit()
    flash(ngettext("Organisation settings saved: %(num)s value changed.",
                   "Organisation settings saved: %(num)s values changed.", len(changed)),
          "success")
    return redirect(url_for(".settings_page"))

"""Locale rules: which offered language serves a tag, the languages found in translations/, a
third language added with no code change, and dates, numbers and relative times per language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from flask_babel import force_locale, format_date, format_datetime, format_number

from lms.i18n import (
    compile_catalogs,
    discover_locales,
    format_relative,
    match_locale,
    negotiate,
    translated,
)
from lms.web import local_date
from tests.conftest import make_test_app

OFFERED = ("en", "zh_Hans")


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh-Hans", "zh_Hans"), ("zh_Hans", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh", "zh_Hans"),
    ("ZH-cn", "zh_Hans"), ("zh-Hans-CN", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh-TW", None),
    ("zh-Hant", None), ("zh-HK", None), ("en", "en"), ("en-GB", "en"), ("en_US", "en"),
    ("fr", None), ("", None), (None, None), ("*", None), ("not a tag", None), ("x" * 300, None),
])
def test_tags_are_matched_by_language_and_script(tag, expected):
    assert match_locale(tag, OFFERED) == expected


def test_the_browsers_order_of_preference_is_kept():
    assert negotiate([("fr", 1.0), ("zh-CN", 0.8), ("en", 0.5)], OFFERED) == "zh_Hans"
    assert negotiate([("en", 0.5), ("zh-CN", 0.8)], OFFERED) == "zh_Hans"  # by quality
    assert negotiate([("zh-TW", 1.0), ("en", 0.1)], OFFERED) == "en"
    assert negotiate([("zh", 0.0)], OFFERED) is None  # q=0 means "not this one"
    assert negotiate([], OFFERED) is None


def test_languages_come_from_the_translations_folder(tmp_path):
    assert discover_locales(tmp_path) == ("en",)
    for name in ("ja", "fr", "zh_Hans", "not_a_locale", "__pycache__"):
        (tmp_path / name / "LC_MESSAGES").mkdir(parents=True)
    for name in ("ja", "zh_Hans", "not_a_locale", "__pycache__"):
        (tmp_path / name / "LC_MESSAGES" / "messages.po").write_text("")
    # fr has no catalog yet; the others are found, the source language first.
    assert discover_locales(tmp_path) == ("en", "ja", "zh_Hans")


def test_the_app_offers_the_languages_it_finds(app):
    assert app.config["LMS_LOCALES"] == ("en", "zh_Hans")


def test_a_third_language_needs_no_code_change(migrated, tmp_path):
    """A French catalog in a translations folder: offered, chosen from the browser, named in the
    switcher, with the <html lang> it asks for."""
    folder = tmp_path / "translations"
    (folder / "fr" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="fr")
    catalog.add("Sign in", "Se connecter")
    catalog.add("Language", "Langue")
    with (folder / "fr" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, catalog)
    assert compile_catalogs(folder)
    app = make_test_app(migrated, tmp_path, BABEL_TRANSLATION_DIRECTORIES=str(folder))
    assert app.config["LMS_LOCALES"] == ("en", "fr")
    page = app.test_client().get("/login", headers={"Accept-Language": "fr-CH, en;q=0.5"}).text
    assert '<html lang="fr">' in page and "Se connecter" in page and "Langue" in page
    assert 'value="en" lang="en">English</button>' in page
    assert 'lang="fr" aria-current="true">Français</span>' in page


def test_dates_numbers_and_relative_times_follow_the_language(app):
    day = date(2026, 12, 31)
    with app.test_request_context("/"):
        with force_locale("zh_Hans"):
            assert format_date(day, "medium") == "2026年12月31日"
            assert format_date(day, "long") == "2026年12月31日"
            assert format_number(1234567) == "1,234,567"
            assert format_relative(date(2027, 1, 21), reference=day) == "3周后"
            assert format_relative(date(2026, 12, 29), reference=day) == "2天前"
            assert format_relative(day, reference=day) == "今天"
        with force_locale("en"):
            assert format_date(day, "medium") == "Dec 31, 2026"
            assert format_date(day, "long") == "December 31, 2026"
            assert format_relative(date(2027, 1, 21), reference=day) == "in 3 weeks"
            assert format_relative(date(2026, 12, 29), reference=day) == "2 days ago"
            assert format_relative(day, reference=day) == "today"


def test_times_are_shown_on_the_companys_clock(app):
    """17:30 UTC on 31 December is 1:30 on 1 January in Shanghai (LMS_TIMEZONE): a completion
    then is dated the 1st."""
    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        with force_locale("zh_Hans"):
            assert format_date(moment, "long") == "2027年1月1日"
            assert format_datetime(moment, "short") == "2027/1/1 01:30"
        with force_locale("en"):
            assert format_date(moment, "medium") == "Jan 1, 2027"


def test_email_dates_name_their_language():
    assert local_date(date(2026, 12, 31), "zh-Hans") == "2026年12月31日"
    assert local_date(date(2026, 12, 31), "en") == "December 31, 2026"


def test_pages_show_dates_in_the_readers_language(app, make_employee, make_assignment, catalog,
                                                  login):
    for email, locale, expected in (("zh@example.com", "zh-Hans", "2026年12月31日"),
                                    ("en@example.com", "en", "Dec 31, 2026")):
        person = make_employee("王芳" if locale == "zh-Hans" else "Li Na", email=email,
                               locale=locale)
        make_assignment(person, catalog["code-of-conduct"], due_on=date(2026, 12, 31))
        client = app.test_client()
        login(client, email)
        assert expected in client.get("/training").text


def test_content_translations_serve_every_spelling_of_the_language():
    class Version:
        title = "Speak up"
        translations = {"zh-Hans": {"title": "举报渠道"}}

    for tag in ("zh-Hans", "zh-CN", "zh", "zh_Hans"):
        assert translated(Version(), "title", tag) == "举报渠道"
    for tag in ("en", "zh-TW", "fr"):
        assert translated(Version(), "title", tag) == "Speak up"


def test_names_are_shown_as_stored(app, make_employee, login):
    """Chinese names are stored family name first (欧阳娜娜) and shown exactly so; nothing splits
    or reorders a full name for display."""
    make_employee("欧阳娜娜", email="ouyang@example.com", locale="zh-Hans")
    make_employee("Anna Schmidt", email="anna@example.com", locale="en")
    for email, name in (("ouyang@example.com", "欧阳娜娜"), ("anna@example.com", "Anna Schmidt")):
        client = app.test_client()
        login(client, email)
        assert name in client.get("/training").text

"""Reading a setting in the reader's language, falling back to the default, and the checks
every value passes before it is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.compliance.requests import request_sync
from lms.db import db
from lms.demo.data import ORG_SETTINGS, ORG_SETTINGS_TRANSLATED
from lms.org.models import OrgSetting
from lms.org.registry import BY_KEY, KEYS, SETTINGS
from lms.org.services import (
    OrgSettingsError,
    check_value,
    configured_org_settings,
    org_settings,
    reader_org_settings,
    remember_stored_settings,
    set_org_settings,
    update_org_settings,
)
from tests.org.conftest import ZH


@pytest.mark.usefixtures("bilingual")
def test_a_reader_gets_their_languages_value_and_the_default_otherwise():
    chinese = org_settings("zh-Hans")
    assert chinese["appeals"] == "行为申诉委员会" and chinese["name"] == "示例集团"
    # Language-neutral settings have only a default: Chinese readers see it too.
    assert chinese["hotline"] == ORG_SETTINGS["hotline"]
    assert chinese["report_email"] == ORG_SETTINGS["report_email"]
    # Tags are matched as content translations are: zh-CN and zh read Simplified Chinese.
    assert org_settings("zh-CN") == chinese and org_settings("zh") == chinese
    assert org_settings("zh_Hans") == chinese
    english = org_settings("en")
    assert english["appeals"] == "the Conduct Appeals Panel"
    # No locale, English variants, and a language without values of its own: the defaults.
    assert org_settings() == english == org_settings("en-GB") == org_settings("fr")
    assert org_settings("zh-TW") == english  # Traditional is not Simplified
    assert set(chinese) == set(english) == KEYS


def test_values_are_rows_of_the_existing_table_keyed_by_language(app):
    changed = set_org_settings({"appeals": "行为申诉委员会"}, "zh-CN")
    set_org_settings({"appeals": "the Appeals Panel"})
    request_sync()  # the table's internal row is not a setting
    db.session.commit()
    assert changed == ["appeals.zh-Hans"]
    rows = dict(db.session.execute(select(OrgSetting.key, OrgSetting.value)).all())
    assert rows["appeals.zh-Hans"] == "行为申诉委员会" and rows["appeals"] == "the Appeals Panel"
    assert set(org_settings("zh-Hans")) == KEYS


def test_a_language_value_without_a_default_and_unset_settings(app):
    set_org_settings({"name": "示例集团"}, "zh-Hans")
    db.session.commit()
    assert org_settings("zh-Hans")["name"] == "示例集团"
    assert org_settings("en")["name"] == "[Company name: not configured]"
    assert org_settings("en")["appeals"] == "[Appeals route: not configured]"
    # E-mails leave out what is not configured.
    assert configured_org_settings("zh-Hans") == {"name": "示例集团"}
    assert configured_org_settings("en") == {}


@pytest.mark.usefixtures("bilingual")
def test_an_empty_value_removes_it_and_the_default_shows_again():
    assert set_org_settings({"appeals": "  "}, "zh-Hans") == ["appeals.zh-Hans"]
    db.session.commit()
    assert org_settings("zh-Hans")["appeals"] == "the Conduct Appeals Panel"
    assert set_org_settings({"appeals": ""}, "zh-Hans") == []  # already gone
    assert set_org_settings({"name": ZH["name"]}, "zh-Hans") == []  # unchanged


@pytest.mark.usefixtures("bilingual")
def test_the_per_context_cache_sees_its_own_writes():
    assert reader_org_settings("zh-Hans")["name"] == "示例集团"
    set_org_settings({"name": "示例控股"}, "zh-Hans")
    assert reader_org_settings("zh-Hans")["name"] == "示例控股"
    assert configured_org_settings("en")["name"] == ORG_SETTINGS["name"]


def test_settings_carried_by_another_statement_serve_the_context(app):
    """The session lookup hands over the settings it read (lms/auth/services.py): the
    context uses them; a later hand-over does not replace what the context has; none stored
    (PostgreSQL's json_agg of no rows is NULL) shows the placeholders."""
    with app.app_context():
        remember_stored_settings([["name", "Carried"], ["name.zh-Hans", "携带"],
                                  ["not_a_setting", "x"], ["appeals", ""]])
        assert reader_org_settings("en")["name"] == "Carried"
        assert reader_org_settings("zh-Hans")["name"] == "携带"
        assert "appeals" not in configured_org_settings("en")
        assert "not_a_setting" not in configured_org_settings("en")
        remember_stored_settings([["name", "Later"]])
        assert reader_org_settings("en")["name"] == "Carried"
    with app.app_context():
        remember_stored_settings(None)
        assert configured_org_settings("en") == {}
        assert "not configured" in reader_org_settings("en")["name"]


@pytest.mark.parametrize(("kind", "value", "stored"), [
    ("phone", " +86 571 8888-0000 ", "+86 571 8888-0000"),
    ("phone", "400-820-1234", "400-820-1234"),
    ("phone", "(0571) 8888.0000", "(0571) 8888.0000"),
    ("email", "Speakup@Example.COM", "Speakup@example.com"),
    ("url", "https://speakup.example.com/report?lang=zh", "https://speakup.example.com/report?lang=zh"),
    ("text", "Smith & Jones <Compliance>", "Smith & Jones <Compliance>"),
    ("text", "人民币 200 元", "人民币 200 元"),
    ("text", "", ""),
])
def test_values_that_pass(kind, value, stored):
    assert check_value(kind, value) == (stored, None)


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("phone", "call us", "Enter a phone number"),
    ("phone", "12", "Enter a phone number"),
    ("phone", "+86 571 8888 0000 +1", "Enter a phone number"),
    ("email", "speakup", "Enter one e-mail address"),
    ("email", "a@example.com, b@example.com", "Enter one e-mail address"),
    ("url", "javascript:alert(1)", "Enter a web address"),
    ("url", "speakup.example.com", "Enter a web address"),
    ("url", "https://", "Enter a web address"),
    ("url", "https://exa mple.com", "Enter a web address"),
    ("url", "https://[::1", "Enter a web address"),
    ("text", "line one\nline two", "Use one line"),
    ("text", "tab\there", "Use one line"),
    ("text", "x" * 201, "Use at most 200 characters (this has 201)"),
    ("email", "a" * 250 + "@example.com", "Use at most 254 characters"),
])
def test_values_that_are_refused(kind, value, message):
    _stored, error = check_value(kind, value)
    assert error is not None and str(error).startswith(message), str(error)


@pytest.mark.usefixtures("bilingual")
def test_one_refused_value_stores_nothing():
    with pytest.raises(OrgSettingsError) as refused:
        update_org_settings({("name", None): "New Name", ("hotline", "zh-CN"): "ring us",
                             ("nope", None): "x", ("appeals", "fr"): "le comité"})
    assert set(refused.value.errors) == {("hotline", "zh-Hans"), ("nope", ""), ("appeals", "fr")}
    assert "not one of the languages offered (en, zh-Hans)" in str(
        refused.value.errors[("appeals", "fr")])
    db.session.rollback()
    assert org_settings()["name"] == ORG_SETTINGS["name"]
    assert "hotline.zh-Hans" not in db.session.scalars(select(OrgSetting.key)).all()


def test_the_demo_values_pass_the_checks_and_translate_the_text_settings():
    for values in (ORG_SETTINGS, *ORG_SETTINGS_TRANSLATED.values()):
        for key, value in values.items():
            assert check_value(BY_KEY[key].kind, value) == (value, None), key
    text = {spec.key for spec in SETTINGS if spec.kind == "text"}
    assert set(ORG_SETTINGS) == KEYS and set(ZH) == text

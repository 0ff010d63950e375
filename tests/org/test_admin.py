"""The admin page: every setting with a field per language, checked values, errors at their
fields, one audit entry per save, and settings that stay inert wherever they are shown."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalog.check import render_file
from lms.config import PROJECT_ROOT
from lms.db import db
from lms.demo.data import ORG_SETTINGS
from lms.org.registry import SETTINGS
from lms.org.services import check_value, org_settings, set_org_settings, stored_settings
from tests.conftest import PASSWORD, make_test_app
from tests.org.conftest import ZH, csrf_token
from tests.security.conftest import XSS, assert_inert, dom, sample

PAGE = "/admin/organisation"
MODULE = PROJECT_ROOT / "courses" / "content" / "code-of-conduct" / "01-our-code.md"


def _audits() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "org_settings_changed").order_by(AuditEvent.id)).all()


@pytest.mark.usefixtures("bilingual")
def test_the_page_lists_every_setting_with_a_field_per_language(admin_client):
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    text = page.text
    for spec in SETTINGS:
        assert str(spec.label) in text and f"{{{{ org.{spec.key} }}}}" in text
        assert f'name="{spec.key}.en"' in text and f'name="{spec.key}.zh-Hans"' in text
    assert 'value="the Conduct Appeals Panel"' in text and f'value="{ZH["appeals"]}"' in text
    assert 'id="org-hotline-zh-Hans" name="hotline.zh-Hans" type="tel"' in text
    assert 'name="report_email.en" type="email"' in text
    assert 'href="/speak-up"' in text  # the preview
    assert "English (default)" in text and "Chinese (Simplified)" in text
    # The admin menu links here.
    assert f'href="{PAGE}" aria-current="page"' in text


@pytest.mark.usefixtures("bilingual")
def test_saving_stores_only_what_changed_in_one_audited_commit(admin_client):
    response = admin_client.post(PAGE, data={
        "appeals.zh-Hans": "员工申诉委员会", "appeals.en": ORG_SETTINGS["appeals"],
        "hotline.en": "+86 571 8888 0000", "gift_limit.zh-Hans": "",
        "name.zh-Hans": ZH["name"]})
    assert response.status_code == 302 and response.location.endswith(PAGE)
    db.session.expire_all()
    assert org_settings("zh-Hans")["appeals"] == "员工申诉委员会"
    assert org_settings("zh-Hans")["hotline"] == "+86 571 8888 0000"
    assert org_settings("zh-Hans")["gift_limit"] == ORG_SETTINGS["gift_limit"]  # the default
    # Fields not sent are left alone.
    assert org_settings("zh-Hans")["ethics_committee"] == ZH["ethics_committee"]
    [entry] = _audits()
    assert entry.detail == {"keys": ["appeals.zh-Hans", "gift_limit.zh-Hans", "hotline"]}
    assert entry.actor.endswith("<admin@example.com>") and entry.target_type == "org_settings"
    assert "员工申诉委员会" not in str(entry.detail)  # keys, not values
    page = admin_client.get(PAGE).text
    assert "Organisation settings saved: 3 values changed." in page
    # Saving the same again changes nothing and records nothing.
    admin_client.post(PAGE, data={"appeals.zh-Hans": "员工申诉委员会"})
    assert len(_audits()) == 1
    assert "Nothing was changed." in admin_client.get(PAGE).text


@pytest.mark.usefixtures("bilingual")
def test_refused_values_are_shown_at_their_fields_and_nothing_is_stored(admin_client):
    response = admin_client.post(PAGE, data={
        "name.en": "New Name Ltd", "hotline.en": "call us", "report_email.zh-Hans": "nope",
        "report_web.en": "javascript:alert(1)", "appeals.zh-Hans": "x" * 201,
        "gift_limit.en": "CNY\n200"})
    assert response.status_code == 400
    text = response.text
    assert "Some values were not saved: see the fields marked." in text
    expected = {"org-hotline-en": "Enter a phone number",
                "org-report_email-zh-Hans": "Enter one e-mail address",
                "org-report_web-en": "Enter a web address starting with https://",
                "org-appeals-zh-Hans": "Use at most 200 characters (this has 201).",
                "org-gift_limit-en": "Use one line"}
    for field, message in expected.items():
        assert f'id="{field}" ' in text and f'aria-describedby="{field}-error"' in text
        assert f'<p class="error" id="{field}-error">{message}' in text
        assert f'<a href="#{field}">' in text  # the summary links to the field
    # What was typed stays in the form; the valid field too, though it was not saved.
    assert 'value="call us"' in text and 'value="New Name Ltd"' in text
    assert 'id="org-name-en"' in text and 'aria-describedby="org-name-en-error"' not in text
    db.session.expire_all()
    assert org_settings()["name"] == ORG_SETTINGS["name"]
    assert _audits() == []


def test_only_admins_reach_the_page(app, client, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr", "trainer"))
    assert client.get(PAGE).status_code == 302  # to sign in
    assert client.post(PAGE, data={"name.en": "Taken"}).status_code == 302
    login(client, "hr@example.com")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name.en": "Taken"}).status_code == 403
    assert stored_settings() == {} and _audits() == []
    assert f'href="{PAGE}"' not in client.get("/speak-up").text


def test_a_post_without_the_csrf_token_is_refused(migrated, tmp_path, make_employee):
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    app = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_token(client.get("/login").text)}
                       ).status_code == 302
    assert client.post(PAGE, data={"name.en": "Forged"}).status_code == 400
    token = csrf_token(client.get(PAGE).text)
    assert client.post(PAGE, data={"name.en": "Real", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert org_settings()["name"] == "Real"
    with app.app_context():
        db.engine.dispose()


TEXT_KEYS = [spec.key for spec in SETTINGS if spec.kind == "text"]


# Payloads a text setting accepts (one line, not too long): the rest are never stored.
STORABLE = sample([p for p in XSS if check_value("text", p)[1] is None], 7 * len(TEXT_KEYS))


@pytest.mark.parametrize("offset", range(0, len(STORABLE), len(TEXT_KEYS)))
def test_hostile_text_in_settings_stays_text_on_the_pages_and_in_course_text(
        admin_client, offset):
    payloads = STORABLE[offset:offset + len(TEXT_KEYS)]
    plain = dict.fromkeys(TEXT_KEYS, "Plain words")
    set_org_settings({**ORG_SETTINGS, **plain})
    set_org_settings(plain, "zh-Hans")
    db.session.commit()
    baselines = {path: dom(admin_client.get(path, headers=headers).text)
                 for path, headers in (("/speak-up", {}), (PAGE, {}))}
    baseline_module = dom(render_file(MODULE, org_settings()))
    hostile = dict(zip(TEXT_KEYS, payloads, strict=True))
    # Through the page, as an admin would: stored as typed.
    data = {f"{key}.en": value for key, value in hostile.items()}
    data.update({f"{key}.zh-Hans": value for key, value in hostile.items()})
    assert admin_client.post(PAGE, data=data).status_code == 302
    db.session.expire_all()
    for path, baseline in baselines.items():
        for headers in ({"Accept-Language": "en"}, {"Accept-Language": "zh-CN"}):
            html = admin_client.get(path, headers=headers).text
            assert_inert(html, f"{path} {headers}", baseline)
            assert str(escape(hostile["appeals"])) in html, (path, hostile["appeals"])
    for locale in ("en", "zh-Hans"):
        html = render_file(MODULE, org_settings(locale))
        assert_inert(html, f"{MODULE.name} {locale}", baseline_module)


"""Pages, course text, e-mails and PDFs show each reader the settings in their language."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from lms.db import db
from lms.demo.data import ORG_SETTINGS
from lms.notifications.services import render_email
from lms.org.services import set_org_settings
from tests import helpers
from tests.org.conftest import ZH

ZH_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.mark.usefixtures("bilingual")
def test_the_speak_up_page_in_chinese_and_in_english(client):
    chinese = client.get("/speak-up", headers=ZH_BROWSER).text
    for value in (ZH["appeals"], ZH["investigation_team"], ZH["ethics_committee"],
                  ZH["hotline_hours"], ZH["emergency_number"]):
        assert value in chinese
    assert f"· {ZH['name']}</title>" in chinese
    assert ORG_SETTINGS["appeals"] not in chinese and ORG_SETTINGS["name"] not in chinese
    # Language-neutral values are the defaults.
    assert ORG_SETTINGS["hotline"] in chinese and ORG_SETTINGS["appeals_email"] in chinese
    english = client.get("/speak-up", headers={"Accept-Language": "en"}).text
    assert ORG_SETTINGS["appeals"] in english and ORG_SETTINGS["name"] in english
    assert ZH["appeals"] not in english and ZH["name"] not in english
    # The portal's address is a link (it is checked to be http(s) when set).
    assert f'<a href="{ORG_SETTINGS["report_web"]}"' in english


def test_without_a_chinese_value_chinese_readers_see_the_default(client, app):
    set_org_settings(ORG_SETTINGS)
    db.session.commit()
    chinese = client.get("/speak-up", headers=ZH_BROWSER).text
    assert ORG_SETTINGS["appeals"] in chinese and ORG_SETTINGS["name"] in chinese


def test_a_chinese_learner_reads_chinese_values_inside_the_course(
        client, catalog, make_employee, make_assignment, login):
    set_org_settings(ZH, "zh-Hans")  # the catalog fixture set the English defaults
    db.session.commit()
    person = make_employee("李娜", email="li.na@example.com", locale="zh-Hans")
    login(client, person.email)
    enrollment = helpers.start(client, make_assignment(person, catalog["code-of-conduct"]))
    page = client.get(f"/learn/{enrollment.id}/modules/1").text
    assert f"所有为 {ZH['name']} 工作" in page and ZH["ethics_committee"] in page
    assert ORG_SETTINGS["name"] not in page and ORG_SETTINGS["ethics_committee"] not in page
    english = make_employee("Tom Smith", email="tom@example.com", locale="en")
    other = client.application.test_client()
    login(other, english.email)
    enrollment = helpers.start(other, make_assignment(english, catalog["code-of-conduct"]))
    page = other.get(f"/learn/{enrollment.id}/modules/1").text
    assert f"on behalf of {ORG_SETTINGS['name']}" in page and ZH["name"] not in page


@pytest.mark.usefixtures("bilingual")
def test_a_chinese_email_names_the_company_in_chinese(app):
    context = {"name": "李娜", "base_url": "https://lms.example.com"}
    chinese = render_email("test_message", "zh-Hans", **context)
    english = render_email("test_message", "en", **context)
    assert f"{ZH['name']} · Guardrail" in chinese.html
    assert ORG_SETTINGS["name"] not in chinese.html
    assert f"{ORG_SETTINGS['name']} · Guardrail" in english.html
    # The values follow the language the e-mail is written in, whatever was asked for.
    fallback = render_email("test_message", "fr", **context)
    assert fallback.locale == "en" and f"{ORG_SETTINGS['name']} · Guardrail" in fallback.html


def test_an_email_leaves_out_an_unset_name_and_escapes_a_set_one(app):
    email = render_email("test_message", "zh-Hans", name="李娜")
    assert "not configured" not in email.html and "未配置" not in email.html
    set_org_settings({"name": "<b>Evil</b> & Co"})
    db.session.commit()
    email = render_email("test_message", "en", name="Li Na")
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co · Guardrail" in email.html
    assert "<b>Evil" not in email.html


@pytest.mark.usefixtures("bilingual")
def test_documents_rendered_in_a_forced_language_use_its_values(app):
    """PDFs (a certificate in its holder's language) render with force_locale: ``org()``
    follows it, within one request."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        template = app.jinja_env.from_string(
            "{{ org().name }}|{{ markdown('{{ org.appeals }}', inline=True) }}")
        context: dict = {}
        app.update_template_context(context)
        assert template.render(**context) == f"{ORG_SETTINGS['name']}|{ORG_SETTINGS['appeals']}"
        with force_locale("zh_Hans"):
            assert template.render(**context) == f"{ZH['name']}|{ZH['appeals']}"
        assert template.render(**context).startswith(ORG_SETTINGS["name"])


@contextmanager
def _statements(app):
    """The statements the app's requests send (its engine, not the test's twin's)."""
    executed: list[str] = []

    def note(conn, cursor, statement, *args):
        executed.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _settings_reads(executed: list[str]) -> list[str]:
    return [s for s in executed if "org_settings" in s]


def test_signed_in_pages_read_the_settings_with_the_session_lookup(
        client, app, make_employee, login):
    """Every page shows settings (the title's company name). A signed-in page gets them from
    the statement that loads the person, not from a round trip of its own; a signed-out page
    reads them itself. With none set, the placeholders show, whichever way they were read."""
    person = make_employee("李娜", email="li.na@example.com", locale="zh-Hans")
    login(client, person.email)
    with _statements(app) as executed:
        page = client.get("/speak-up").text
    assert "· [公司名称：未配置]</title>" in page  # the placeholder, in her language
    reads = _settings_reads(executed)
    assert len(reads) == 1 and "auth_sessions" in reads[0]

    set_org_settings(ORG_SETTINGS)
    set_org_settings(ZH, "zh-Hans")
    db.session.commit()
    with _statements(app) as executed:
        page = client.get("/speak-up").text
    assert f"· {ZH['name']}</title>" in page and ZH["appeals"] in page
    assert ORG_SETTINGS["hotline"] in page  # no Chinese value: the default
    reads = _settings_reads(executed)
    assert len(reads) == 1 and "auth_sessions" in reads[0]

    signed_out = app.test_client()
    with _statements(app) as executed:
        page = signed_out.get("/speak-up", headers={"Accept-Language": "en"}).text
    assert f"· {ORG_SETTINGS['name']}</title>" in page
    reads = _settings_reads(executed)
    assert len(reads) == 1 and "auth_sessions" not in reads[0]

"""Every e-mail exists in English and in Simplified Chinese, with the same variables and a
subject line; the Chinese one is all Chinese (dates too), escapes names in HTML, and is what an
employee whose language is zh-Hans gets from the reminder job."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import current_app
from jinja2 import meta
from sqlalchemy import select

from lms.compliance.reminders import send_reminders
from lms.config import PROJECT_ROOT
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of, render_email
from lms.org.services import set_org_settings
from lms.web import local_date
from tests.compliance.conftest import make_requirement  # noqa: F401  (fixture)

FOLDER = PROJECT_ROOT / "templates" / "emails"
TRANSLATIONS = ("zh-Hans",)
CJK = re.compile(r"[\u3400-\u9fff]")
URL = re.compile(r"https?://\S+")
TAG = re.compile(r"<[^>]*>")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# What may stay in Latin letters in a Chinese e-mail: the product's name.
LATIN_ALLOWED = {"Guardrail"}

# A value for every variable an e-mail template uses. A new template with a new variable fails
# test_every_variable_has_a_sample until its sample is added here.
SAMPLE = {
    "name": "李娜", "manager": "张伟", "course": "商业行为准则", "employee_number": "T00042",
    "due_on": date(2026, 12, 31), "day": date(2027, 1, 5), "days_left": 3, "days_overdue": 8,
    "total": 12, "new": 2, "link": "https://lms.example.com/training",
    "base_url": "https://lms.example.com", "expired_on": date(2028, 1, 31),
    "kind": "booked", "venue": "杭州总部 3 楼培训室", "video_url": None,
    "date": "2027年1月15日星期五", "start": "09:00", "end": "12:00", "zone": "中国（上海）时间",
    "deadline": "2027年1月13日",
    "next_due_on": date(2028, 1, 31),
}
VARIANTS = ({}, {"days_left": 0}, {"days_left": 1, "days_overdue": 1})
EMAILS = sorted({p.name.split(".")[0] for p in FOLDER.iterdir()
                 if p.suffix in (".txt", ".html") and not p.name.startswith("_")})


def _stem(name: str, locale: str) -> str:
    return name if locale == "en" else f"{name}.{locale}"


def _variables(filename: str) -> set[str]:
    """The variables a template reads (parsed with the app's filters and extensions)."""
    source = (FOLDER / filename).read_text(encoding="utf-8")
    return set(meta.find_undeclared_variables(current_app.jinja_env.parse(source)))


def _context(name: str, **overrides) -> dict:
    used = _variables(f"{name}.txt") | _variables(f"{name}.html")
    return {**{v: SAMPLE[v] for v in used}, **{k: v for k, v in overrides.items() if k in used}}


def _latin_words(rendered: str) -> set[str]:
    return set(LATIN_WORD.findall(TAG.sub(" ", URL.sub(" ", rendered)))) - LATIN_ALLOWED


def test_local_date_filter():
    assert local_date(date(2026, 12, 31), "zh-Hans") == "2026年12月31日"
    assert local_date(date(2027, 1, 5), "zh_Hans") == "2027年1月5日"
    assert local_date(date(2026, 12, 31), "en") == "December 31, 2026"
    assert local_date(date(2026, 12, 31), None) == "December 31, 2026"


def test_the_known_emails_are_all_there():
    assert {"reminder", "escalation_manager", "escalation_hr", "hr_digest",
            "certificate_expired", "test_message"} <= set(EMAILS)


@pytest.mark.parametrize("name", EMAILS)
def test_every_email_has_text_and_html_in_english_and_chinese(name):
    for locale in ("en", *TRANSLATIONS):
        for suffix in ("txt", "html"):
            assert (FOLDER / f"{_stem(name, locale)}.{suffix}").is_file(), (name, locale, suffix)
        text = (FOLDER / f"{_stem(name, locale)}.txt").read_text(encoding="utf-8")
        assert text.startswith("{% set subject %}"), (name, locale)


@pytest.mark.parametrize("name", EMAILS)
def test_every_variable_has_a_sample(app, name):
    used = _variables(f"{name}.txt") | _variables(f"{name}.html")
    assert used <= set(SAMPLE), f"add a sample value for {used - set(SAMPLE)}"


@pytest.mark.parametrize("locale", TRANSLATIONS)
@pytest.mark.parametrize("name", EMAILS)
def test_a_translation_uses_exactly_the_english_variables(app, name, locale):
    for suffix in ("txt", "html"):
        english, translated = f"{name}.{suffix}", f"{_stem(name, locale)}.{suffix}"
        assert _variables(translated) == _variables(english), translated


@pytest.mark.parametrize("variant", VARIANTS, ids=("sample", "due-today", "one-day"))
@pytest.mark.parametrize("name", EMAILS)
def test_chinese_email_renders_all_in_chinese(app, name, variant):
    context = _context(name, **variant)
    english = render_email(name, "en", **context)
    chinese = render_email(name, "zh-Hans", **context)
    assert english.locale == "en" and chinese.locale == "zh-Hans"
    for part in (chinese.subject, chinese.text, chinese.html):
        assert CJK.search(part)
        assert not _latin_words(part), (name, _latin_words(part), part)
    assert 'lang="zh-Hans"' in chinese.html and 'lang="en"' in english.html
    # Each part carries the same facts as in English, dates in Chinese form.
    facts = [(str(context[v]), str(context[v])) for v in
             ("name", "manager", "course", "employee_number", "link", "base_url") if v in context]
    facts += [("31 December 2026", "2026年12月31日"), ("05 January 2027", "2027年1月5日")]
    for part in ("subject", "text", "html"):
        for in_english, in_chinese in facts:
            assert (in_english in getattr(english, part)) == (
                in_chinese in getattr(chinese, part)), (name, part, in_english)


@pytest.mark.parametrize("profile", ("zh-CN", "zh", "zh_Hans", "zh-Hans-CN"))
def test_a_profile_language_from_the_identity_provider_gets_the_chinese_email(app, profile):
    email = render_email("reminder", profile, **_context("reminder"))
    assert email.locale == "zh-Hans" and CJK.search(email.subject)


def test_chinese_escalation_to_hr_without_a_manager(app):
    context = {**_context("escalation_hr"), "manager": None}
    email = render_email("escalation_hr", "zh-Hans", **context)
    assert "经理：无记录。" in email.text and "经理：无记录。" in email.html


@pytest.mark.parametrize("locale", ("en", *TRANSLATIONS))
@pytest.mark.parametrize("name", EMAILS)
def test_names_and_titles_are_escaped_in_the_html(app, name, locale):
    evil = "<script>alert(1)</script>"
    context = _context(name)
    for variable in ("name", "manager", "course", "employee_number"):
        if variable in context:
            context[variable] = evil
    email = render_email(name, locale, **context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert evil in email.text  # plain text is not HTML


@pytest.fixture
def chinese_team(catalog, make_employee, make_assignment, make_requirement):  # noqa: F811
    set_org_settings({"hr_contact": "hr-team@example.com"})
    boss = make_employee("张伟", email="boss@example.com", locale="zh-Hans")
    person = make_employee("李娜 <b>", email="li.na@example.com", manager=boss,
                           locale="zh-Hans")
    colleague = make_employee("Tom Smith", email="tom@example.com", manager=boss, locale="en")
    requirement = make_requirement(catalog["code-of-conduct"], reminder_days=[14, 3, 0],
                                   escalate_manager_days=7, escalate_hr_days=30)
    for employee in (person, colleague):
        assignment = make_assignment(employee, catalog["code-of-conduct"],
                                     due_on=date(2026, 12, 31))
        assignment.requirement_id = requirement.id
    db.session.commit()
    return person


def _message(to: str, kind: str) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == to, OutboxMessage.key.like(f"{kind}:%")))


def test_the_reminder_job_sends_chinese_to_a_chinese_speaker(chinese_team):
    assert send_reminders(date(2026, 12, 28))["reminded"] == 2
    db.session.commit()
    chinese = email_of(_message("li.na@example.com", "reminder"))
    assert chinese.subject.startswith("提醒：《") and chinese.subject.endswith("》还有 3 天到期")
    assert chinese.text.startswith("李娜 <b>，您好：")
    assert "将于2026年12月31日到期，还有 3 天。" in chinese.text
    assert "2026年12月31日" in chinese.html and 'lang="zh-Hans"' in chinese.html
    assert "李娜 &lt;b&gt;，您好" in chinese.html and "<b>" not in chinese.html
    english = email_of(_message("tom@example.com", "reminder"))
    assert english.subject.startswith("Reminder: ") and not CJK.search(english.text)
    assert english.text.startswith("Hello Tom Smith,")

    # Overdue: the manager's language is Chinese too; HR's mailbox gets English.
    send_reminders(date(2027, 1, 7))
    send_reminders(date(2027, 1, 30))
    db.session.commit()
    manager = [email_of(m) for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == "boss@example.com"))]
    assert len(manager) == 2
    assert all(m.subject.startswith("团队成员培训逾期：") for m in manager)
    assert any(m.text.startswith("张伟，您好：") and "已逾期 7 天" in m.text
               for m in manager)
    hr = email_of(_message("hr-team@example.com", "escalation-hr"))
    assert hr.subject.startswith("Escalated: ")

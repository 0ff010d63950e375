"""Queueing e-mail: one row per key, in the caller's transaction, nothing that can add a header;
templates render in the employee's language and escape names in HTML."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.config import PROJECT_ROOT
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import (
    email_of,
    enqueue,
    enqueue_template,
    message_key,
    render_email,
)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueue_is_idempotent_by_key(app):
    key = message_key("reminder", assignment=12, cycle="2026", step=1)
    assert key == "reminder:assignment=12:cycle=2026:step=1"
    assert enqueue(key, "li.na@example.com", "Reminder", "Please finish.") is True
    # Twice in one transaction: the second does nothing.
    assert enqueue(key, "li.na@example.com", "Reminder", "Please finish.") is False
    db.session.commit()
    # And in a later transaction, even with other content.
    assert enqueue(key, "other@example.com", "Other", "Other.") is False
    db.session.commit()
    assert count() == 1
    message = db.session.scalar(select(OutboxMessage))
    assert (message.recipient, email_of(message).subject, message.attempts) == (
        "li.na@example.com", "Reminder", 0)
    assert message.sent_at is None and message.next_attempt_at.tzinfo is not None
    assert enqueue(message_key("reminder", assignment=12, cycle="2026", step=2),
                   "li.na@example.com", "Reminder 2", "Please finish.") is True


def test_enqueue_belongs_to_the_callers_transaction(app, make_employee):
    # The app as a request or command sees it (the test's own context autocommits on SQLite).
    with app.app_context():
        employee = make_employee("Li Na")
        employee.job_title = "Analyst"
        enqueue("k1", "a@example.com", "Subject", "Body")
        db.session.rollback()  # the change that caused it was rolled back: so is the e-mail
        assert count() == 0
        assert db.session.get(type(employee), employee.id).job_title is None
        enqueue("k1", "a@example.com", "Subject", "Body")
        db.session.commit()
    assert count() == 1


@pytest.mark.parametrize(("to", "subject"), [
    ("a@example.com", "Hello\r\nBcc: victim@example.com"),
    ("a@example.com", "Hello\nBcc: victim@example.com"),
    ("a@example.com", "Hello\rX-Evil: 1"),
    ("a@example.com", "Hello\u2028X-Evil: 1"),
    ("a@example.com\r\nBcc: victim@example.com", "Hello"),
    ("a@example.com\nBcc: victim@example.com", "Hello"),
    ("a@example.com, b@example.com", "Hello"),
    ("Eve <a@example.com>", "Hello"),
    ("not an address", "Hello"),
    ("a@example.com", "   "),
])
def test_header_injection_and_bad_addresses_are_refused(app, to, subject):
    with pytest.raises(ValueError):
        enqueue("k", to, subject, "Body")
    assert count() == 0


def test_key_must_be_one_short_line(app):
    for key in ("", "a\nb", "x" * 201):
        with pytest.raises(ValueError):
            enqueue(key, "a@example.com", "Hello", "Body")
    with pytest.raises(ValueError):
        message_key("reminder", note="x" * 300)


def test_html_escapes_untrusted_names_and_the_subject_stays_one_line(app):
    name = '<script>alert("x")</script> & Eve\r\nBcc: victim@example.com'
    email = render_email("test_message", "en", name=name)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Eve" in email.html
    assert "<script>alert(\"x\")</script> & Eve" in email.text  # plain text is not HTML
    assert "\r" not in email.subject and "\n" not in email.subject
    assert email.subject.startswith("Guardrail test message for <script>")
    assert enqueue_template("k", "a@example.com", "test_message", "en", name=name) is True
    db.session.commit()
    stored = db.session.scalar(select(OutboxMessage))
    subject = email_of(stored).subject
    assert "\n" not in subject and "Bcc: victim" in subject  # text, not a header


def test_email_in_the_employees_language_where_a_translation_exists(app):
    chinese = render_email("test_message", "zh-Hans", name="李娜")
    assert chinese.locale == "zh-Hans"
    assert "测试邮件" in chinese.subject and "李娜，您好" in chinese.text
    assert 'lang="zh-Hans"' in chinese.html and "李娜，您好" in chinese.html
    assert render_email("test_message", "zh_Hans", name="x").locale == "zh-Hans"
    for locale in ("fr", "de-DE", None, ""):
        fallback = render_email("test_message", locale, name="Li Na")
        assert fallback.locale == "en" and fallback.subject == "Guardrail test message for Li Na"
        assert fallback.text.startswith("Hello Li Na,")


def test_every_email_template_has_text_and_html():
    folder = Path(PROJECT_ROOT / "templates" / "emails")
    texts = {p.name[:-4] for p in folder.glob("*.txt")}
    htmls = {p.name[:-5] for p in folder.glob("*.html") if not p.name.startswith("_")}
    assert texts and texts == htmls
    for stem in texts:
        assert "{% set subject %}" in (folder / f"{stem}.txt").read_text(), stem

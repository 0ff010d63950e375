"""Messages queued in bulk as a template with parameters (``enqueue_select``, the reminder
sweep's way): one statement for any number, each key once, rendered at delivery in the
recipient's language, and stored as sent."""

from datetime import date

from sqlalchemy import literal, select, union_all

from lms.db import db, utcnow
from lms.notifications.delivery import deliver_due
from lms.notifications.models import OutboxMessage
from lms.notifications.services import (
    email_of,
    enqueue_select,
    message_key,
    sql_params,
    template_context,
)

DUE = date(2026, 12, 31)


def _row(key: str, to: str, locale: str, name: str, template: str = "reminder"):
    return select(literal(key), literal(to), literal(template), literal(locale), sql_params(
        dates=("due_on",), name=name, course="Business Code of Conduct", due_on=DUE,
        link="https://lms.example.com/training", days_left=3, days_overdue=-3))


def _queue(*rows) -> int:
    return enqueue_select(union_all(*rows).subquery().select(), utcnow())


def test_queued_in_one_statement_once_per_key_and_rendered_in_the_recipients_language(
        app, smtp_server):
    chinese = message_key("reminder", assignment=1, cycle="2026", step=3)
    english = message_key("reminder", assignment=2, cycle="2026", step=3)
    assert _queue(_row(chinese, "li.na@example.com", "zh-Hans", "李娜 <b>"),
                  _row(english, "tom@example.com", "en", "Tom Smith")) == 2
    assert _queue(_row(chinese, "li.na@example.com", "zh-Hans", "李娜 <b>")) == 0
    db.session.commit()

    queued = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == chinese))
    assert queued.stored_subject is None and queued.template == "reminder"
    assert template_context(queued.params)["due_on"] == DUE
    # Read before delivery (the explain page), it renders as it will be sent.
    assert email_of(queued).subject == "提醒：《Business Code of Conduct》还有 3 天到期"
    assert "李娜 &lt;b&gt;" in email_of(queued).html and "<b>" not in email_of(queued).html

    assert deliver_due() == {"sent": 2, "failed": 0, "deferred": 0}
    sent = {m["To"]: m for m in smtp_server.messages()}
    assert sent["li.na@example.com"]["Subject"] == "提醒：《Business Code of Conduct》还有 3 天到期"
    assert "2026年12月31日" in sent["li.na@example.com"].get_body(("plain",)).get_content()
    assert sent["tom@example.com"]["Subject"] == (
        "Reminder: Business Code of Conduct is due in 3 days")
    db.session.expire_all()
    stored = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == english))
    assert stored.sent_at is not None
    assert stored.stored_subject == "Reminder: Business Code of Conduct is due in 3 days"
    assert stored.stored_text.startswith("Hello Tom Smith,")


def test_a_message_that_cannot_be_rendered_fails_and_is_retried_not_dropped(app, smtp_server):
    key = message_key("test", n="broken")
    assert _queue(_row(key, "tom@example.com", "en", "Tom", template="no_such_email")) == 1
    db.session.commit()
    assert deliver_due() == {"sent": 0, "failed": 1, "deferred": 0}
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    assert message.sent_at is None and "no_such_email" in message.last_error
    assert smtp_server.messages() == []

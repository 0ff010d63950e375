"""Delivery through a real SMTP server (aiosmtpd on loopback): sent once, retried with back-off
while the server is down, nothing lost, and a crash costs at most one duplicate."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from flask import current_app
from sqlalchemy import select

from lms.db import db, utcnow
from lms.notifications import delivery
from lms.notifications.delivery import CLAIM_SECONDS, backoff, deliver_due, message_id
from lms.notifications.models import OutboxMessage
from lms.notifications.services import enqueue, enqueue_template, message_key
from lms.scheduler.runner import run_job


def queue(n: int, prefix: str = "m", start: int = 0) -> list[str]:
    keys = []
    for i in range(start, start + n):
        key = message_key("test", n=f"{prefix}{i}")
        assert enqueue(key, f"person{i}@example.com", f"Message {prefix}{i}", f"Body {i}",
                       f"<p>Body {i}</p>")
        keys.append(key)
    db.session.commit()
    return keys


def outbox() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {m.key: m for m in db.session.scalars(select(OutboxMessage))}


def test_backoff_doubles_from_a_minute_to_an_hour_and_stays_there():
    minutes = [backoff(n).total_seconds() / 60 for n in range(1, 12)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]
    assert backoff(1000) == timedelta(hours=1)


def test_delivers_each_message_once_with_text_html_and_a_stable_message_id(app, smtp_server):
    keys = queue(3)
    assert enqueue_template(message_key("test", n="zh"), "li.na@example.com", "test_message",
                            "zh-Hans", name="李娜")
    db.session.commit()
    assert deliver_due() == {"sent": 4, "failed": 0, "deferred": 0}
    assert deliver_due() == {"sent": 0, "failed": 0, "deferred": 0}
    messages = {m["Subject"]: m for m in smtp_server.messages()}
    assert len(smtp_server.envelopes()) == 4
    first = messages["Message m0"]
    assert first["To"] == "person0@example.com"
    assert first["From"] == "Guardrail <training@example.com>"
    assert first["Message-ID"] == message_id(keys[0]) and first["Message-ID"].endswith(
        "@example.com>")
    assert first["Auto-Submitted"] == "auto-generated"
    assert first.get_body(("plain",)).get_content().strip() == "Body 0"
    assert first.get_body(("html",)).get_content().strip() == "<p>Body 0</p>"
    chinese = next(m for m in messages.values() if m["To"] == "li.na@example.com")
    assert "测试邮件" in chinese["Subject"] and "李娜，您好" in chinese.get_body(
        ("plain",)).get_content()
    assert smtp_server.envelopes()[0].mail_from == "training@example.com"
    stored = outbox()
    assert all(m.sent_at is not None and m.attempts == 1 and m.last_error is None
               for m in stored.values())


def test_an_untrusted_name_cannot_add_a_recipient_or_header(app, smtp_server):
    name = "Eve\r\nBcc: victim@example.com\r\nX-Evil: yes"
    enqueue_template("k", "eve@example.com", "test_message", "en", name=name)
    db.session.commit()
    assert deliver_due()["sent"] == 1
    (envelope,) = smtp_server.envelopes()
    assert envelope.rcpt_tos == ["eve@example.com"]
    (message,) = smtp_server.messages()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "Bcc: victim@example.com" in message["Subject"]


def test_server_down_defers_every_due_message_with_one_connection_try(app, smtp_server):
    smtp_server.stop()
    queue(3)
    now = utcnow()
    assert deliver_due(now) == {"sent": 0, "failed": 0, "deferred": 3}
    for message in outbox().values():
        assert message.attempts == 1 and message.sent_at is None
        assert "SMTP server unavailable" in message.last_error
        assert message.next_attempt_at - now >= timedelta(minutes=1)
    # Not due yet: nothing is tried again before the back-off has passed.
    assert deliver_due(now + timedelta(seconds=30)) == {"sent": 0, "failed": 0, "deferred": 0}
    smtp_server.start()
    assert deliver_due(now + timedelta(minutes=2))["sent"] == 3
    assert set(smtp_server.message_ids().values()) == {1}


def test_a_refused_recipient_is_retried_alone(app, smtp_server):
    queue(2)
    enqueue("refused", "refuse@example.com", "Hello", "Body")
    db.session.commit()
    assert deliver_due() == {"sent": 2, "failed": 1, "deferred": 0}
    refused = outbox()["refused"]
    assert refused.sent_at is None and refused.attempts == 1
    assert "550" in refused.last_error and "No such mailbox" in refused.last_error


def test_smtp_down_for_a_day_then_every_message_arrives_exactly_once(app, smtp_server):
    """A day of sends while the server is down: every run fails, attempts grow with back-off
    (1, 2, 4 ... minutes, then hourly), nothing is dropped; once the server is back, every
    message arrives exactly once."""
    smtp_server.stop()
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    sent_keys: list[str] = []
    first_attempts: list[datetime] = []
    with time_machine.travel(start, tick=False) as clock:
        for minute in range(0, 24 * 60, 1):
            if minute % 60 == 0:  # two e-mails an hour all day
                sent_keys += queue(2, prefix=f"h{minute // 60}-")
            # The scheduler runs the job every minute for the first three hours; after that we
            # look in every 10 minutes (the back-off is an hour by then anyway).
            if minute < 180 or minute % 10 == 0:
                result = run_job("outbox-delivery")
                assert result["error"] is None and result["counts"]["sent"] == 0
                first = outbox()[sent_keys[0]]
                if first.attempts > len(first_attempts):
                    first_attempts.append(utcnow())
            clock.shift(timedelta(minutes=1))
        gaps = [(b - a).total_seconds() / 60 for a, b in pairwise(first_attempts)]
        assert gaps[:7] == [1, 2, 4, 8, 16, 32, 60]
        assert all(gap <= 60 + 10 for gap in gaps)  # hourly, seen at our 10-minute steps
        stored = outbox()
        assert len(stored) == 48 and all(m.sent_at is None for m in stored.values())
        assert all(m.attempts >= 1 and "Connection refused" in m.last_error
                   for m in stored.values())
        assert stored[sent_keys[0]].attempts >= 20
        assert smtp_server.envelopes() == []

        smtp_server.start()
        clock.shift(timedelta(hours=1))  # every message is due within the hour
        result = run_job("outbox-delivery")
        assert result["counts"] == {"sent": 48, "failed": 0, "deferred": 0}
        for _ in range(3):
            clock.shift(timedelta(hours=2))
            assert run_job("outbox-delivery")["counts"]["sent"] == 0
    received = smtp_server.message_ids()
    assert sorted(received) == sorted(message_id(key) for key in sent_keys)
    assert set(received.values()) == {1}
    assert all(m.sent_at is not None and m.last_error is None for m in outbox().values())


class Crash(BaseException):
    """Stands for the process dying (not an error the worker could handle)."""


def test_a_crash_between_sending_and_marking_resends_only_that_message(app, smtp_server,
                                                                         monkeypatch):
    """At-least-once: the message that was on the wire when the worker died goes out again
    (with the same Message-ID), once its claim expires; no other message is affected."""
    keys = queue(5)
    real_mark_sent = delivery._mark_sent
    marked = []

    def mark_sent_then_die_on_the_second(claim, now):
        if len(marked) == 1:
            raise Crash
        marked.append(claim.key)
        real_mark_sent(claim, now)

    monkeypatch.setattr(delivery, "_mark_sent", mark_sent_then_die_on_the_second)
    now = utcnow()
    with pytest.raises(Crash):
        deliver_due(now)
    db.session.rollback()
    monkeypatch.setattr(delivery, "_mark_sent", real_mark_sent)
    assert len(smtp_server.envelopes()) == 2
    state = outbox()
    assert state[keys[0]].sent_at is not None
    assert state[keys[1]].sent_at is None and state[keys[1]].attempts == 1  # claimed, unmarked
    assert all(state[k].attempts == 0 for k in keys[2:])

    # The next run sends the rest, but not the claimed one while its claim lasts...
    assert deliver_due(now + timedelta(minutes=1))["sent"] == 3
    # ...and after that, the one whose outcome was unknown, once more.
    assert deliver_due(now + timedelta(seconds=CLAIM_SECONDS + 1))["sent"] == 1
    assert deliver_due(now + timedelta(hours=3))["sent"] == 0
    received = smtp_server.message_ids()
    assert received == Counter({message_id(k): 2 if k == keys[1] else 1 for k in keys})


def test_two_workers_at_once_send_each_message_once(app, smtp_server):
    queue(30)
    smtp_server.delay = 0.02
    results, errors = [], []
    barrier = threading.Barrier(3)

    def worker():
        try:
            with app.app_context():
                current_app.config.update(LMS_SMTP_PORT=smtp_server.port)
                barrier.wait()
                results.append(deliver_due())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 30
    assert set(smtp_server.message_ids().values()) == {1}
    assert len(smtp_server.message_ids()) == 30


def test_send_test_command_and_outbox_status(runner, smtp_server):
    result = runner.invoke(args=["outbox", "send-test", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "sent to ops@example.com" in result.output
    (message,) = smtp_server.messages()
    assert message["Subject"] == "Guardrail test message for ops@example.com"

    smtp_server.stop()
    result = runner.invoke(args=["outbox", "send-test", "ops@example.com"])
    assert result.exit_code == 1 and "Connection refused" in result.output
    status = runner.invoke(args=["outbox", "status"])
    assert "pending: 1 (failing: 1), sent: 1" in status.output
    assert "Connection refused" in status.output

    smtp_server.start()
    retry = runner.invoke(args=["outbox", "retry"])
    assert "1 e-mail(s) due now" in retry.output
    assert runner.invoke(args=["jobs", "run", "outbox-delivery"]).exit_code == 0
    assert len(smtp_server.messages()) == 2
    bad = runner.invoke(args=["outbox", "send-test", "ops@example.com\r\nBcc: x@example.com"])
    assert bad.exit_code == 2

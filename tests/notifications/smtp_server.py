"""A real SMTP server for tests: aiosmtpd on a free loopback port, which can be stopped and
started again on the same port (the outbox must survive the gap)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from flask import current_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        with self.server.lock:
            self.server.received.append(envelope)
        return "250 2.0.0 Message accepted"


class SMTPServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.received: list = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            envelopes = list(self.received)
        return [email.message_from_bytes(e.content,
                                         policy=email.policy.default) for e in envelopes]

    def envelopes(self) -> list:
        with self.lock:
            return list(self.received)

    def message_ids(self) -> Counter:
        return Counter(message["Message-ID"] for message in self.messages())


@pytest.fixture
def smtp_server(app):
    """A running SMTP server that the app (and the test's app context) sends to."""
    server = SMTPServer()
    settings = {"LMS_SMTP_HOST": server.host, "LMS_SMTP_PORT": server.port,
                "LMS_SMTP_TIMEOUT": 10, "LMS_MAIL_FROM": "Guardrail <training@example.com>"}
    app.config.update(settings)
    current_app.config.update(settings)  # the test's own (twin) app
    server.start()
    yield server
    server.stop()

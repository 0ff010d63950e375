"""Periodic jobs of the notifications area (listed in ``lms.scheduler.registry``)."""

from __future__ import annotations

from datetime import datetime

from lms.notifications.delivery import deliver_due

BATCH = 500
TIME_BUDGET_SECONDS = 240  # well inside the job's lease (lms.scheduler.registry)


def deliver_outbox(now: datetime) -> dict[str, int]:
    """Send the due outbox messages: ``{"sent", "failed", "deferred"}``. Idempotent: a sent
    message is never picked again, and each message is committed on its own."""
    return deliver_due(now, limit=BATCH, time_budget=TIME_BUDGET_SECONDS)

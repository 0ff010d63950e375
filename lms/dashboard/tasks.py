"""Periodic jobs of the dashboard (listed in ``lms.scheduler.registry``)."""

from __future__ import annotations

from datetime import datetime

from lms.dashboard.rollup import refresh_figures, should_refresh


def dashboard_figures(now: datetime) -> dict[str, int]:
    """Recompute the dashboard's rollup when it is due (see ``should_refresh``); the runner
    commits. ``{"refreshed": 0}`` when the stored figures are still current."""
    if not should_refresh(now):
        return {"refreshed": 0}
    return {"refreshed": 1, **refresh_figures(now)}

"""The dashboard's precomputed figures (``lms.dashboard.rollup`` writes them, the page reads
them). Derived data: rebuilt whole by each refresh, so no foreign keys to keep in step (a
department deleted since the refresh simply has no name until the next one)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base

# Every refresh writes its rows anew (tens of thousands every few minutes), so the ids run past
# 2**31 within months: 64-bit (SQLite's INTEGER primary key is 64-bit already, and only that
# spelling numbers rows by itself).
ROW_ID = BigInteger().with_variant(Integer, "sqlite")


class DashboardFigure(Base):
    """The assignments of one (course, cycle, department, location), counted as the dashboard
    counts them on ``DashboardRollup.computed_for``. ``total`` 0: only waived or closed ones,
    kept so the (course, cycle) catalogue (``any_last_due``) stays whole."""

    __tablename__ = "dashboard_figures"
    __table_args__ = (Index("ix_dashboard_figures_course_id_cycle", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    course_id: Mapped[int]
    cycle: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None]
    location_id: Mapped[int | None]
    total: Mapped[int]
    completed: Mapped[int]
    overdue: Mapped[int]
    first_assigned: Mapped[date | None]
    last_due: Mapped[date | None]
    last_completed: Mapped[datetime | None]
    any_last_due: Mapped[date]  # every status, waived and closed included


class DashboardCompletion(Base):
    """Completed assignments of one (course, cycle) per company-local day of completion
    (``day`` empty: done with no completion time recorded)."""

    __tablename__ = "dashboard_completions"
    __table_args__ = (Index("ix_dashboard_completions_course_id_cycle", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    course_id: Mapped[int]
    cycle: Mapped[str] = mapped_column(String(32))
    day: Mapped[date | None]
    completions: Mapped[int]


class DashboardRollup(Base):
    """When the figures were computed (one row, ``id`` 1; none before the first refresh).
    ``computed_for``: the company-local day whose overdue rule they apply. ``version``: new
    at each refresh (random, so no two refreshes of any database share one), the key under
    which readers may keep what they drew from these figures."""

    __tablename__ = "dashboard_rollup"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime]
    computed_for: Mapped[date]

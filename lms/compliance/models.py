from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Enrollment
from lms.db import Base, utcnow
from lms.people.models import Employee

ASSIGNMENT_STATUSES = ("assigned", "in_progress", "completed", "waived", "paused", "expired",
                       "closed")
RECURRENCES = ("once", "rolling", "calendar")


class Requirement(Base):
    """This course, for this audience, on this recurrence, due by this rule.

    ``audience`` is ``{"everyone"|"new_hires"|"managers": bool, "departments"|"locations":
    [ids or names], "job_titles": [titles]}``; every key given must hold (AND), values inside
    one key are alternatives (OR). ``new_hires`` means hired on or after ``starts_on``.
    Recurrence: ``once``; ``rolling`` every ``every_months`` from the last completion;
    ``calendar`` with a fixed yearly deadline (``deadline_month``/``deadline_day``)."""

    __tablename__ = "requirements"
    __table_args__ = (
        CheckConstraint("recurrence IN ('once', 'rolling', 'calendar')", name="recurrence"),
        CheckConstraint("recurrence <> 'rolling' OR every_months >= 1", name="rolling_months"),
        CheckConstraint(
            "recurrence <> 'calendar' OR (deadline_month BETWEEN 1 AND 12 "
            "AND deadline_day BETWEEN 1 AND 31)", name="calendar_deadline"),
        CheckConstraint("window_days >= 0", name="window_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    recurrence: Mapped[str] = mapped_column(String(16))
    every_months: Mapped[int | None] = mapped_column(Integer)
    deadline_month: Mapped[int | None] = mapped_column(Integer)
    deadline_day: Mapped[int | None] = mapped_column(Integer)
    # Rolling: the next cycle opens this many days before it is due (the certificate expires).
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    # Days after entering the audience (hire, promotion, transfer); None: the cycle's deadline
    # (a late entrant still gets at least the onboarding minimum, see rules.py).
    due_days_after_entry: Mapped[int | None] = mapped_column(Integer)
    reminder_days: Mapped[list] = mapped_column(JSON, default=lambda: [14, 3, 0])
    escalate_manager_days: Mapped[int | None] = mapped_column(Integer)
    escalate_hr_days: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_synced_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()


class RequirementMember(Base):
    """Who is in a requirement's audience and since when: the date a person entered it (hire,
    promotion, transfer) drives their due date, so the sync keeps it instead of guessing."""

    __tablename__ = "requirement_members"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True, index=True)
    entered_on: Mapped[date] = mapped_column(Date)


class Assignment(Base):
    """A person must complete a course for a cycle by a date. Overdue is not stored: it is
    ``status in (assigned, in_progress) and due_on < today``, checked in queries.

    ``waived``: HR exempted the person until ``waived_until`` (after that the sync reopens it).
    ``paused``: the person is on leave since ``paused_on``; on return the due date moves by the
    days away, which ``leave_days`` keeps so the sync's own due date stays comparable.
    ``expired``: completed, but the certificate lapsed with no later cycle completed."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("employee_id", "course_id", "cycle"),
        CheckConstraint(
            "status IN ('assigned', 'in_progress', 'completed', 'waived', 'paused', 'expired', "
            "'closed')",
            name="status",
        ),
        Index("ix_assignments_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cycle: Mapped[str] = mapped_column(String(32))
    assigned_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the sync created it: the requirement and why (new_hire, entered_audience,
    # cycle, recertification, once); None for an assignment made by hand.
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    waived_until: Mapped[date | None] = mapped_column(Date)
    waiver_reason: Mapped[str | None] = mapped_column(Text)
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    paused_on: Mapped[date | None] = mapped_column(Date)
    leave_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    course: Mapped[Course] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()
    requirement: Mapped[Requirement | None] = relationship()
    events: Mapped[list[AssignmentEvent]] = relationship(
        back_populates="assignment", order_by="AssignmentEvent.id", cascade="all, delete-orphan")


class AssignmentEvent(Base):
    """Something that moved an assignment (created, due changed, completed, closed) and the
    dates it was computed from: the explain view."""

    __tablename__ = "assignment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    assignment: Mapped[Assignment] = relationship(back_populates="events")

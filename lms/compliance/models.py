from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Enrollment
from lms.db import Base, utcnow
from lms.people.models import Employee

ASSIGNMENT_STATUSES = ("assigned", "in_progress", "completed", "waived", "closed")


class Assignment(Base):
    """A person must complete a course for a cycle by a date. Overdue is not stored: it is
    ``status in (assigned, in_progress) and due_on < today``, checked in queries."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("employee_id", "course_id", "cycle"),
        CheckConstraint(
            "status IN ('assigned', 'in_progress', 'completed', 'waived', 'closed')",
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

    employee: Mapped[Employee] = relationship()
    course: Mapped[Course] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()

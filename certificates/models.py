from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Enrollment
from lms.db import Base, utcnow


class Certificate(Base):
    """Issued once per completed enrolment. Holds a snapshot of what it certifies, so it never
    changes when the employee or the course changes afterwards."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    holder_name: Mapped[str] = mapped_column(String(300))
    employee_number: Mapped[str] = mapped_column(String(64))
    course_title: Mapped[str] = mapped_column(String(300))
    version_label: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    score_percent: Mapped[int | None] = mapped_column(Integer)
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    enrollment: Mapped[Enrollment] = relationship()

    def status_on(self, day: date) -> str:
        """valid, expired or revoked on a given day."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on is not None and day > self.expires_on:
            return "expired"
        return "valid"

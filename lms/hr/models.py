from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class FollowUp(Base):
    """HR's note on an overdue assignment (who called whom, what was agreed), and whether the
    person has been contacted. Notes are appended, never edited, so the record shows what HR
    did and when."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_assignment_created", "assignment_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

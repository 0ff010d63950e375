from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class CourseDraft(Base):
    """A trainer's working copy of a course: its files as text, editable until published.
    Publishing turns it into a new immutable CourseVersion; the draft is then removed."""

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id"))
    files: Mapped[dict] = mapped_column(JSON)  # relative path -> text
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: a save from a stale editor tab is refused instead of overwriting.
    revision: Mapped[int] = mapped_column(Integer, default=1)


class MediaFile(Base):
    """An image uploaded for course content, kept in the database so every web process serves
    it; referenced from Markdown by its content address."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

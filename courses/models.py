from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, utcnow
from lms.people.models import Employee


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number"
    )


class CourseVersion(Base):
    """One immutable version of a course, identified by the hash of its source files."""

    __tablename__ = "course_versions"
    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        UniqueConstraint("course_id", "content_hash"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        CheckConstraint("pass_mark_percent BETWEEN 0 AND 100", name="pass_mark_percent"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="published")
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str | None] = mapped_column(String(300))
    pass_mark_percent: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # How many times a learner may extend the quiz's time limit (each by half of it).
    time_extensions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    recurrence: Mapped[str] = mapped_column(String(64))
    validity_months: Mapped[int] = mapped_column(Integer, default=0)
    # Completing also needs attending a class (ClassSession) of the course.
    in_person: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attestation_text: Mapped[str | None] = mapped_column(Text)
    intro_md: Mapped[str] = mapped_column(Text, default="")
    # locale -> {"title", "intro_md", "attestation_text"}; learners see their locale's text
    # where there is one and the source's otherwise.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="versions")
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position", cascade="all, delete-orphan"
    )
    files: Mapped[list[CourseFile]] = relationship(
        back_populates="version", order_by="CourseFile.path", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """How people name this version: its number and the start of its content hash."""
        return f"v{self.number} ({self.content_hash[:12]})"


class CourseFile(Base):
    """A version's source file, byte for byte as hashed: for diffs, downloads and roll-backs."""

    __tablename__ = "course_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    version: Mapped[CourseVersion] = relationship(back_populates="files")


class Module(Base):
    __tablename__ = "course_modules"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # locale -> {title, body_md}

    version: Mapped[CourseVersion] = relationship(back_populates="modules")


class Enrollment(Base):
    """A learner's run through one course version: the version they started is the one they
    finish, even if a newer one is published meanwhile."""

    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'completed', 'failed')", name="status"),
        Index("ix_enrollments_employee_version", "employee_id", "course_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    score_percent: Mapped[int | None] = mapped_column(Integer)

    employee: Mapped[Employee] = relationship()
    version: Mapped[CourseVersion] = relationship()
    progress: Mapped[list[ModuleProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )
    attestation: Mapped[Attestation | None] = relationship(back_populates="enrollment")


class ModuleProgress(Base):
    __tablename__ = "module_progress"

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id"), primary_key=True)
    first_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")
    module: Mapped[Module] = relationship()


class Attestation(Base):
    """A signed attestation: who confirmed which exact policy text, when, and from where."""

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    policy_hash: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    typed_name: Mapped[str] = mapped_column(String(300))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))

    enrollment: Mapped[Enrollment] = relationship(back_populates="attestation")


class ClassSession(Base):
    """An in-person (or live video) class of a course: when, where, how many places. Times
    are stored in UTC; ``timezone`` is the venue's zone, in which the class is shown to
    everyone (a class in Dublin starts at 09:00 Dublin time wherever you read it).
    ``sequence`` counts changes, for calendar updates (RFC 5545 SEQUENCE)."""

    __tablename__ = "class_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('scheduled', 'cancelled', 'completed')", name="status"),
        Index("ix_class_sessions_course_starts", "course_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(300))
    video_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    signup_deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
    instructors: Mapped[list[Employee]] = relationship(secondary="class_session_instructors")
    bookings: Mapped[list[Booking]] = relationship(back_populates="session",
                                                   order_by="Booking.queued_at")


class SessionInstructor(Base):
    __tablename__ = "class_session_instructors"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True,
                                             index=True)


class Booking(Base):
    """A person's place in a class (``booked``), in its queue (``waitlisted``, first come
    first served by ``queued_at``) or given up (``cancelled``). One row per person and class:
    booking again reuses it (and joins the back of the queue). ``attendance`` is set by the
    instructor: present, late or absent."""

    __tablename__ = "class_bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "employee_id"),
        CheckConstraint("status IN ('booked', 'waitlisted', 'cancelled')", name="status"),
        CheckConstraint("attendance IS NULL OR attendance IN ('present', 'late', 'absent')",
                        name="attendance"),
        Index("ix_class_bookings_session_status", "session_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    attendance: Mapped[str | None] = mapped_column(String(8))
    attendance_note: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    marked_at: Mapped[datetime | None]

    session: Mapped[ClassSession] = relationship(back_populates="bookings")
    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import CourseVersion, Enrollment
from lms.db import Base, utcnow


class Quiz(Base):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE"), unique=True
    )
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    # A pass mark in points (quiz front matter ``pass_mark: 8``); when unset, the course
    # version's percentage applies.
    pass_mark_points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    version: Mapped[CourseVersion] = relationship()
    pools: Mapped[list[Pool]] = relationship(
        back_populates="quiz", order_by="Pool.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan"
    )


class Pool(Base):
    __tablename__ = "quiz_pools"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    pick: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)

    quiz: Mapped[Quiz] = relationship(back_populates="pools")


class Question(Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_pools.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    scoring: Mapped[str] = mapped_column(String(32), default="all-or-nothing")
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    title: Mapped[str] = mapped_column(String(500))
    prompt_md: Mapped[str] = mapped_column(Text, default="")
    explanation_md: Mapped[str] = mapped_column(Text, default="")
    hint_md: Mapped[str] = mapped_column(Text, default="")
    # locale -> {title, prompt_md, explanation_md, hint_md, options: [{text_md, feedback_md}]}
    # in option position order. Translations never carry the answer key.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    pool: Mapped[Pool | None] = relationship()
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )


class Option(Base):
    __tablename__ = "quiz_options"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text_md: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    feedback_md: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship(back_populates="options")


class QuizAttempt(Base):
    """One sitting of a quiz. The drawn questions and shuffled option order are stored with it,
    so the page can be re-shown and graded exactly as the learner saw it."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "number"),
        CheckConstraint("status IN ('open', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    extensions_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[datetime | None]
    layout: Mapped[list] = mapped_column(JSON)
    answers: Mapped[dict | None] = mapped_column(JSON)
    results: Mapped[list | None] = mapped_column(JSON)
    score_points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    score_percent: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    enrollment: Mapped[Enrollment] = relationship()
    quiz: Mapped[Quiz] = relationship()

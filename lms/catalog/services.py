"""Sync course folders into the database: each course all or nothing, versions by content hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DataError, IntegrityError

from courses.loader import CourseSpec, load_course
from courses.services import publish_version, published_version
from lms.content import Problem
from lms.db import db
from quizzes.parser import QuizSpec, parse_quiz
from quizzes.services import store_quiz
from quizzes.translations import attach_translations


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)  # "slug vN"
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, list[Problem]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def check_course(folder: Path) -> tuple[CourseSpec, QuizSpec | None, list[Problem]]:
    """Load and check one course folder without touching the database."""
    spec, problems = load_course(folder)
    quiz = None
    for path, text in spec.quizzes.items():
        quiz, quiz_problems = parse_quiz(path, text)
        problems.extend(quiz_problems)
    if quiz is not None:
        problems.extend(attach_translations(quiz, spec.quiz_translations))
    return spec, quiz, problems


def course_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "course.md").exists())


def _not_courses(root: Path) -> list[Problem]:
    """Folders that look like courses but have no course.md (a typo such as Course.md), which
    would otherwise be skipped without a word."""
    return [
        Problem(p.name, 1, 1, "folder has no course.md, so it is not loaded as a course",
                "warning")
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_")) and not (p / "course.md").exists()
    ]


def sync_catalog(root: Path) -> SyncReport:
    """Load every course folder under root. A course with an error loads nothing (the others
    still load); an unchanged course changes nothing; a changed one becomes a new version."""
    report = SyncReport()
    report.warnings.extend(_not_courses(root))
    for folder in course_folders(root):
        spec, quiz, problems = check_course(folder)
        errors = [p for p in problems if p.severity == "error"]
        report.warnings.extend(p for p in problems if p.severity != "error")
        if errors:
            report.failed[spec.slug] = errors
            continue
        try:
            with db.session.begin_nested():
                version, created = publish_version(spec)
                if created and quiz is not None:
                    store_quiz(version, quiz)
        except (DataError, IntegrityError) as exc:
            # The checks above should catch whatever the database refuses; if one is missed,
            # this course is reported as not loaded instead of the whole sync failing.
            report.failed[spec.slug] = [Problem(f"{spec.slug}/course.md", 1, 1, "the database "
                                                f"refused this course: {exc.orig}")]
            continue
        (report.created if created else report.unchanged).append(f"{spec.slug} v{version.number}")
        if not created and version.status != "published":
            current = published_version(version.course_id)
            report.warnings.append(Problem(
                f"{spec.slug}/course.md", 1, 1,
                f"the files are the same as v{version.number}, which is {version.status}; "
                f"v{current.number if current else '?'} stays published", "warning"))
    return report

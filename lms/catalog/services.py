"""Sync course folders into the database: each course all or nothing, versions by content hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DataError, IntegrityError

from courses.loader import CourseSpec, load_course, load_course_files
from courses.models import CourseVersion
from courses.services import publish_version, published_version
from lms.content import Problem
from lms.db import db
from lms.errors import lazy_gettext as _l
from lms.markdown import foreign_images
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
    return _check_loaded(*load_course(folder))


def check_files(slug: str, files: dict[str, bytes]
                ) -> tuple[CourseSpec, QuizSpec | None, list[Problem]]:
    """Check a course given as files (a draft in the editor, an uploaded zip) exactly as the
    sync checks a folder."""
    return _check_loaded(*load_course_files(slug, files))


def _check_loaded(spec: CourseSpec, problems: list[Problem]
                  ) -> tuple[CourseSpec, QuizSpec | None, list[Problem]]:
    quiz = None
    for path, text in spec.quizzes.items():
        quiz, quiz_problems = parse_quiz(path, text)
        problems.extend(quiz_problems)
    if quiz is not None:
        problems.extend(attach_translations(quiz, spec.quiz_translations))
    problems.extend(_foreign_images(spec))
    return spec, quiz, problems


def _foreign_images(spec: CourseSpec) -> list[Problem]:
    """Images from anywhere but the media store are not shown (lms.markdown): say so."""
    return [
        Problem(f"{spec.slug}/{name}", line, 1, _l(
            "the image %(src)s is not in the app's media store, so learners see only its "
            "description; upload it under Content > Images and use the address shown there",
            src=repr(src[:80])), "warning")
        for name, data in sorted(spec.files.items()) if name.endswith(".md") and "/" not in name
        for line, src in foreign_images(data.decode("utf-8", "replace"))
    ]


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


def store_course(spec: CourseSpec, quiz: QuizSpec | None) -> tuple[CourseVersion, bool]:
    """Store a checked course as a new published version with its quiz, unless a version with
    the same files exists. Returns (version, created)."""
    version, created = publish_version(spec)
    if created and quiz is not None:
        store_quiz(version, quiz)
    return version, created


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
                version, created = store_course(spec, quiz)
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

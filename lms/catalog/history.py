"""A course's history for trainers: every course with its versions and draft, who is on which
version, and the differences between two versions (or a version and the draft)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy import func, select

from courses.models import Course, CourseVersion, Enrollment
from lms.catalog.models import CourseDraft
from lms.db import db


def version_texts(version: CourseVersion) -> dict[str, str]:
    """A version's files as text (a byte that is not UTF-8 shows as U+FFFD)."""
    return {f.path: f.content.decode("utf-8", "replace") for f in version.files}



@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # added | removed | changed | unchanged
    lines: list[str]  # unified diff lines, without the trailing newline


def diff(old: dict[str, str], new: dict[str, str], old_label: str, new_label: str
         ) -> list[FileDiff]:
    """A unified diff per file between two sets of files (a version's or a draft's)."""
    result = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        status = ("added" if before is None else "removed" if after is None
                  else "unchanged" if before == after else "changed")
        lines = [] if status == "unchanged" else list(difflib.unified_diff(
            (before or "").splitlines(), (after or "").splitlines(),
            f"{old_label}/{path}", f"{new_label}/{path}", lineterm=""))
        result.append(FileDiff(path, status, lines))
    return result


@dataclass
class CourseRow:
    slug: str
    title: str = ""
    versions: list[tuple[int, str]] = field(default_factory=list)  # (number, status)
    draft: CourseDraft | None = None


def catalog_overview() -> list[CourseRow]:
    """Every course with its versions, and every draft (a new course may have only a draft),
    in two queries."""
    rows: dict[str, CourseRow] = {}
    for slug, number, status, title in db.session.execute(
        select(Course.slug, CourseVersion.number, CourseVersion.status, CourseVersion.title)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .order_by(Course.slug, CourseVersion.number)
    ):
        row = rows.setdefault(slug, CourseRow(slug))
        row.versions.append((number, status))
        if status == "published" or not row.title:
            row.title = title
    for draft in db.session.scalars(select(CourseDraft)):
        rows.setdefault(draft.slug, CourseRow(draft.slug)).draft = draft
    return [rows[slug] for slug in sorted(rows)]


def learners_per_version(course_id: int) -> dict[int, dict[str, int]]:
    """{version id: {enrolment status: count}} for a course, in one query."""
    counts: dict[int, dict[str, int]] = {}
    for version_id, status, count in db.session.execute(
        select(Enrollment.course_version_id, Enrollment.status, func.count())
        .join(CourseVersion, CourseVersion.id == Enrollment.course_version_id)
        .where(CourseVersion.course_id == course_id)
        .group_by(Enrollment.course_version_id, Enrollment.status)
    ):
        counts.setdefault(version_id, {})[status] = count
    return counts

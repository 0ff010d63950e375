"""Issuing certificates with a snapshot, finding them, and verification codes."""

from __future__ import annotations

import calendar
import secrets
from datetime import date

from sqlalchemy import select

from certificates.models import Certificate
from courses.models import CourseVersion, Enrollment
from courses.signals import enrollment_completed
from lms.clock import local_date
from lms.db import db
from lms.i18n import translated

# Crockford-style alphabet: no I, L, O, U, so a code read aloud or typed from paper is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, GROUP_SIZE = 4, 5  # 20 symbols x 5 bits = 100 random bits


def new_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP_SIZE))
    return "-".join(symbols[i:i + GROUP_SIZE] for i in range(0, len(symbols), GROUP_SIZE))


def normalise_code(raw: str) -> str | None:
    """A code as typed (any case, spaces or dashes, O for 0) in stored form, or None if it
    cannot be one."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != CODE_GROUPS * GROUP_SIZE or any(ch not in ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i:i + GROUP_SIZE] for i in range(0, len(cleaned), GROUP_SIZE))


def add_months(day: date, months: int) -> date:
    """Same day N months later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_certificate(enrollment: Enrollment, completed_on: date) -> Certificate:
    """Issue the enrolment's certificate (once; a second call returns the same one)."""
    existing = db.session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment.id)
    )
    if existing is not None:
        return existing
    version, employee = enrollment.version, enrollment.employee
    certificate = Certificate(
        code=new_code(), employee_id=employee.id, enrollment_id=enrollment.id,
        course_id=version.course_id, course_version_id=version.id,
        holder_name=employee.full_name, employee_number=employee.employee_number,
        course_title=version.title, version_label=version.label,
        content_hash=version.content_hash, score_percent=enrollment.score_percent,
        completed_on=completed_on,
        expires_on=add_months(completed_on, version.validity_months)
        if version.validity_months else None,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


@enrollment_completed.connect
def _on_enrollment_completed(enrollment: Enrollment, **_) -> None:
    issue_certificate(enrollment, local_date(enrollment.completed_at))


def find_by_code(raw_code: str) -> Certificate | None:
    code = normalise_code(raw_code)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def course_titles(certificates: list[Certificate], locale: str | None = None) -> dict[int, str]:
    """Each certificate's course title in the reader's language (one query for any number):
    the translation carried by the very version it certifies, else the title it was issued
    with. The snapshot stays the record; a translation only changes how it reads."""
    ids = {c.course_version_id for c in certificates}
    versions = {v.id: v for v in db.session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_(ids)))} if ids else {}
    titles = {}
    for certificate in certificates:
        version = versions.get(certificate.course_version_id)
        title = translated(version, "title", locale) if version is not None else None
        titles[certificate.id] = (title if title and title != version.title
                                  else certificate.course_title)
    return titles


def certificates_of(employee_id: int) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).where(Certificate.employee_id == employee_id)
        .order_by(Certificate.completed_on.desc(), Certificate.id.desc())
    ))

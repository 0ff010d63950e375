"""One employee's evidence pack, written into a zip archive (alone, or as a folder of a bulk one).

The pack holds, under the folder ``prefix``:

- ``certificates/<code>.pdf``: every certificate the person holds or held, rendered (and cached)
  exactly as the learner downloads it, and ``certificates.csv`` with each one's status;
- ``attestations.csv`` and ``attestations.json``: what was signed (the policy's content hash and
  the statement as shown), the typed name, when (UTC), from which IP address and user agent;
- ``quiz-attempts.csv``, ``time-spent.csv`` and ``assignments.csv`` (the person's roster rows);
- ``summary.pdf``: one A4 page for a reader who will not open the spreadsheets;
- ``manifest.json``: every other file's SHA-256 and size, so anyone can check the pack is whole
  and unchanged (``sha256sum`` on the extracted files).

Each file is built in memory (one person's records are small) and written to the archive at
once, so the archive itself may be a file of any size. CSV cells go through the spreadsheet
writer's formula neutralisation; timestamps are UTC in ISO 8601.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import render_template
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from certificates.pdf import render_pdf
from certificates.services import certificates_of
from courses.models import Attestation, Course, CourseVersion, Enrollment, ModuleProgress
from lms.clock import org_zone
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.reports.roster import COLUMNS, RosterFilters, header, roster_rows
from lms.reports.spreadsheet import csv_chunks
from quizzes.models import QuizAttempt

PACK_FORMAT = "guardrail-evidence-pack/1"
SUMMARY_ROWS = 16  # assignment rows that fit on the one summary page; the rest are in the CSV
OPEN = ("assigned", "in_progress", "overdue")
_COLUMN = {key: index for index, (key, _title) in enumerate(COLUMNS)}  # roster row positions
_STATUS = _COLUMN["status"]

CERTIFICATE_HEADER = ("Code", "Course", "Version", "Content SHA-256", "Completed on",
                      "Expires on", "Score (%)", "Status", "Issued at (UTC)",
                      "Revoked at (UTC)", "Revoked reason", "File")
ATTESTATION_HEADER = ("Course", "Version", "Policy SHA-256", "Statement", "Typed name",
                      "Signed at (UTC)", "IP address", "User agent")
ATTEMPT_HEADER = ("Course", "Version", "Attempt", "Status", "Started at (UTC)",
                  "Submitted at (UTC)", "Score (%)", "Points", "Maximum points", "Passed")
TIME_HEADER = ("Course", "Version", "First started at (UTC)", "Enrolments",
               "Modules completed", "Seconds", "Time (h:mm)")


@dataclass(frozen=True)
class Person:
    id: int
    employee_number: str
    full_name: str
    email: str
    department: str | None
    location: str | None
    manager: str | None
    job_title: str | None
    hire_date: date | None
    leave_date: date | None
    active: bool


@dataclass
class PackInfo:
    """What was written: for the bulk index and the audit log."""

    person: Person
    counts: dict[str, int]
    files: list[dict] = field(default_factory=list)
    manifest_sha256: str = ""


def find_person(employee_id: int) -> Person | None:
    manager = aliased(Employee)
    row = db.session.execute(
        select(Employee.id, Employee.employee_number, Employee.full_name, Employee.email,
               Department.name, Location.name, manager.full_name, Employee.job_title,
               Employee.hire_date, Employee.leave_date, Employee.active)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .outerjoin(manager, manager.id == Employee.manager_id)
        .where(Employee.id == employee_id)).first()
    return Person(*row) if row else None


def version_label(number: int, content_hash: str) -> str:
    """As ``CourseVersion.label`` shows it, from plain columns."""
    return f"v{number} ({content_hash[:12]})"


def hours_minutes(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def utc_iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def attestation_records(employee_id: int) -> list[dict]:
    """Every attestation the person signed, oldest first, as plain values."""
    rows = db.session.execute(
        select(Attestation, CourseVersion.title, CourseVersion.number,
               CourseVersion.content_hash, Course.slug)
        .join(CourseVersion, CourseVersion.id == Attestation.course_version_id)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(Attestation.employee_id == employee_id)
        .order_by(Attestation.signed_at, Attestation.id))
    return [{
        "course": title, "course_slug": slug, "version": version_label(number, content_hash),
        "version_number": number, "policy_hash": a.policy_hash, "statement": a.statement,
        "typed_name": a.typed_name, "signed_at": utc_iso(a.signed_at),
        "ip_address": a.ip_address, "user_agent": a.user_agent,
    } for a, title, number, content_hash, slug in rows]


def attempt_rows(employee_id: int) -> list[tuple]:
    """Every quiz attempt, oldest first, in ATTEMPT_HEADER order."""
    rows = db.session.execute(
        select(CourseVersion.title, CourseVersion.number, CourseVersion.content_hash,
               QuizAttempt.number, QuizAttempt.status, QuizAttempt.started_at,
               QuizAttempt.submitted_at, QuizAttempt.score_percent, QuizAttempt.score_points,
               QuizAttempt.max_points, QuizAttempt.passed)
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .join(CourseVersion, CourseVersion.id == Enrollment.course_version_id)
        .where(Enrollment.employee_id == employee_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id))
    return [(title, version_label(number, content_hash), attempt, status, utc_iso(started),
             utc_iso(submitted), score, points, maximum,
             None if passed is None else ("yes" if passed else "no"))
            for (title, number, content_hash, attempt, status, started, submitted, score,
                 points, maximum, passed) in rows]


def time_rows(employee_id: int) -> list[tuple]:
    """Time spent reading, per course version (every enrolment in it summed), in TIME_HEADER
    order. The same sum as ``courses.services.seconds_spent``, for all enrolments at once."""
    rows = db.session.execute(
        select(CourseVersion.title, CourseVersion.number, CourseVersion.content_hash,
               func.min(Enrollment.started_at), func.count(distinct(Enrollment.id)),
               func.count(ModuleProgress.completed_at),
               func.coalesce(func.sum(ModuleProgress.seconds_spent), 0))
        .select_from(Enrollment)
        .join(CourseVersion, CourseVersion.id == Enrollment.course_version_id)
        .outerjoin(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .where(Enrollment.employee_id == employee_id)
        .group_by(CourseVersion.id, CourseVersion.title, CourseVersion.number,
                  CourseVersion.content_hash)
        .order_by(func.min(Enrollment.started_at), CourseVersion.id))
    return [(title, version_label(number, content_hash), utc_iso(started), enrolments,
             modules, int(seconds), hours_minutes(int(seconds)))
            for title, number, content_hash, started, enrolments, modules, seconds in rows]


def certificate_rows(certificates: list[Certificate], today: date) -> list[tuple]:
    return [(c.code, c.course_title, c.version_label, c.content_hash, c.completed_on,
             c.expires_on, c.score_percent, c.status_on(today), utc_iso(c.issued_at),
             utc_iso(c.revoked_at), c.revoked_reason, f"certificates/{c.code}.pdf")
            for c in certificates]


def folder_name(employee_number: str, full_name: str, limit: int = 80) -> str:
    """A folder name any file system and zip tool accepts: letters (any script), digits,
    space, ``-`` and ``_``; everything else becomes ``_``; never empty, never only dots."""
    text = unicodedata.normalize("NFC", f"{employee_number} {full_name}")
    cleaned = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in text)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" _")[:limit].strip()
    return cleaned or "employee"


def csv_bytes(columns, rows) -> bytes:
    """A small CSV file (UTF-8 with a byte-order mark, so Excel reads Chinese names), formula
    cells neutralised."""
    return "".join(csv_chunks(columns, rows, bom=True)).encode("utf-8")


class _PackWriter:
    """Adds files under one folder of the archive, keeping each one's SHA-256 for the manifest."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, moment: datetime):
        self.archive, self.prefix = archive, prefix
        self.stamp = moment.astimezone(UTC).timetuple()[:6]
        self.files: list[dict] = []

    def add(self, name: str, data: bytes, *, listed: bool = True) -> str:
        info = zipfile.ZipInfo(self.prefix + name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, data)
        digest = hashlib.sha256(data).hexdigest()
        if listed:
            self.files.append({"path": name, "sha256": digest, "bytes": len(data)})
        return digest


def _certificate_pdf(certificate: Certificate) -> bytes:
    # The learner's own download path: the cached PDF, or rendered from the snapshot and cached
    # (certificates.pdf's asset-only renderer), so the pack holds the very same document.
    from certificates.views import certificate_pdf

    return certificate_pdf(certificate)


def write_pack(archive: zipfile.ZipFile, employee_id: int, *, generated_at: datetime,
               generated_by: str, today: date, prefix: str = "") -> PackInfo | None:
    """Write one employee's evidence pack into ``archive`` under ``prefix`` (``""`` or a folder
    ending in ``/``). None if there is no such employee. Reads only; needs an app context (and
    a request context, or ``SERVER_NAME``, for the certificates' verification links)."""
    person = find_person(employee_id)
    if person is None:
        return None
    out = _PackWriter(archive, prefix, generated_at)
    certificates = sorted(certificates_of(employee_id), key=lambda c: (c.completed_on, c.id))
    for certificate in certificates:
        out.add(f"certificates/{certificate.code}.pdf", _certificate_pdf(certificate))
    out.add("certificates.csv", csv_bytes(CERTIFICATE_HEADER,
                                          certificate_rows(certificates, today)))
    attestations = attestation_records(employee_id)
    out.add("attestations.csv", csv_bytes(ATTESTATION_HEADER, (
        (a["course"], a["version"], a["policy_hash"], a["statement"], a["typed_name"],
         a["signed_at"], a["ip_address"], a["user_agent"]) for a in attestations)))
    out.add("attestations.json", json.dumps(
        {"employee_number": person.employee_number, "attestations": attestations},
        ensure_ascii=False, indent=2).encode("utf-8"))
    attempts = attempt_rows(employee_id)
    out.add("quiz-attempts.csv", csv_bytes(ATTEMPT_HEADER, attempts))
    times = time_rows(employee_id)
    out.add("time-spent.csv", csv_bytes(TIME_HEADER, times))
    assignments = list(roster_rows(RosterFilters(employee_id=employee_id), today))
    out.add("assignments.csv", csv_bytes(header(), assignments))

    statuses = [row[_STATUS] for row in assignments]
    counts = {
        "assignments": len(assignments),
        "completed": statuses.count("completed"),
        "open": sum(status in OPEN for status in statuses),
        "overdue": statuses.count("overdue"),
        "certificates": len(certificates),
        "certificates_valid": sum(c.status_on(today) == "valid" for c in certificates),
        "attestations": len(attestations),
        "quiz_attempts": len(attempts),
        "seconds_spent": sum(row[5] for row in times),
    }
    out.add("summary.pdf", summary_pdf(person, assignments, counts, generated_at, generated_by))
    manifest = {
        "format": PACK_FORMAT,
        "employee": {"id": person.id, "employee_number": person.employee_number,
                     "name": person.full_name, "email": person.email},
        "generated_at": utc_iso(generated_at), "generated_by": generated_by,
        "hash_algorithm": "sha256", "counts": counts, "files": out.files,
    }
    info = PackInfo(person, counts, files=list(out.files))
    info.manifest_sha256 = out.add("manifest.json", json.dumps(
        manifest, ensure_ascii=False, indent=2).encode("utf-8"), listed=False)
    return info


def summary_pdf(person: Person, assignments: list[tuple], counts: dict, generated_at: datetime,
                generated_by: str) -> bytes:
    """The one-page summary, from plain data, through the certificates' asset-only renderer.
    The table shows the latest assignments (by due date) that fit; ``assignments.csv`` has all."""
    latest = sorted(assignments, key=lambda row: (row[_COLUMN["due_on"]], row[_COLUMN["cycle"]]),
                    reverse=True)
    rows = [{"course": row[_COLUMN["course"]], "cycle": row[_COLUMN["cycle"]],
             "status": row[_STATUS], "due_on": row[_COLUMN["due_on"]],
             "completed_on": row[_COLUMN["completed_on"]], "score": row[_COLUMN["score"]],
             "certificate_code": row[_COLUMN["certificate_code"]]}
            for row in latest[:SUMMARY_ROWS]]
    html = render_template(
        "pdf/evidence_summary.html", person=person, rows=rows, counts=counts,
        more=max(0, len(assignments) - SUMMARY_ROWS), time_spent=hours_minutes(
            counts["seconds_spent"]),
        generated_utc=utc_iso(generated_at),
        generated_local=generated_at.astimezone(org_zone()).strftime("%Y-%m-%d %H:%M"),
        zone=org_zone().key, generated_by=generated_by)
    return render_pdf(html).pdf

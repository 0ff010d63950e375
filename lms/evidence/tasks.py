"""The ``export-jobs`` periodic job: build the queued bulk evidence exports, one at a time.

A bulk export is one zip: a folder per employee (``<employee number> <name>``, made safe for
any file system) holding that person's pack, and ``index.csv`` listing the people, their folder,
their counts and the SHA-256 of their ``manifest.json``. It is written to a hidden ``.part``
file in ``LMS_EXPORT_DIR`` and renamed when complete, so a download never sees half a file.
Progress is committed every few people (see ``queue``), so the jobs page can show it.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import shutil
import tempfile
import time
import zipfile
from datetime import datetime

from flask import current_app

from lms.audit.services import actor_label
from lms.clock import today
from lms.db import db, utcnow
from lms.evidence import queue
from lms.evidence.services import folder_name, write_pack
from lms.people.models import Employee
from lms.reports.models import ExportJob
from lms.reports.roster import RosterFilters
from lms.reports.spreadsheet import neutralise

log = logging.getLogger(__name__)

BEAT_EVERY = 5  # people between progress commits ...
BEAT_SECONDS = 20.0  # ... or seconds, whichever comes first
RUN_BUDGET_SECONDS = 300  # start no further job after this long (the lease is 600 s)
INDEX_HEADER = ("Employee number", "Name", "Email", "Department", "Location", "Active",
                "Folder", "Assignments", "Completed", "Certificates", "Attestations",
                "Quiz attempts", "Seconds spent", "manifest.json SHA-256")


def export_jobs(now: datetime) -> dict[str, int]:
    """Re-queue exports whose process died, then build queued ones, oldest first, until none
    is left or the run has taken ``RUN_BUDGET_SECONDS``. Commits as it goes."""
    counts = {"requeued": len(queue.requeue_stale(now)), "done": 0, "failed": 0, "lost": 0}
    started = time.monotonic()
    while time.monotonic() - started < RUN_BUDGET_SECONDS:
        claim = queue.claim_next()
        if claim is None:
            break
        counts[run_export(claim)] += 1
    return counts


class _Progress:
    """The job's current claim (it changes with every heartbeat) and when it last beat."""

    def __init__(self, claim: queue.Claim):
        self.claim = claim
        self.last = time.monotonic()

    def beat(self, **values) -> None:
        self.claim = queue.heartbeat(self.claim, **values)
        self.last = time.monotonic()

    def due(self, done: int) -> bool:
        return done % BEAT_EVERY == 0 or time.monotonic() - self.last >= BEAT_SECONDS


def run_export(claim: queue.Claim) -> str:
    """Build one claimed job's zip: ``"done"``, ``"failed"`` (recorded on the job) or
    ``"lost"`` (another process took it over; its file is left to that process)."""
    folder = queue.export_dir()
    part = folder / queue.part_name(claim.job_id)
    progress = _Progress(claim)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        total = _build(progress, part)
        final = f"{queue.KIND}-{claim.job_id}-{secrets.token_hex(8)}.zip"
        os.replace(part, folder / final)
        if queue.finish(progress.claim, final, total):
            return "done"
        (folder / final).unlink(missing_ok=True)
        return "lost"
    except queue.LostClaim:
        db.session.rollback()
        part.unlink(missing_ok=True)
        log.warning("export job %s was taken over by another process", claim.job_id)
        return "lost"
    except Exception as exc:
        db.session.rollback()
        part.unlink(missing_ok=True)
        log.exception("export job %s failed", claim.job_id)
        return "failed" if queue.fail(progress.claim, f"{type(exc).__name__}: {exc}") else "lost"


def _build(progress: _Progress, part) -> int:
    """Write the zip to ``part``; returns the number of people in it."""
    job = db.session.get(ExportJob, progress.claim.job_id)
    generated_by = actor_label(db.session.get(Employee, job.requested_by_id))
    filters = RosterFilters.from_dict(job.filters or {})
    day = today()
    # Who is in the export is fixed when the run starts: ids, numbers and names only.
    people = db.session.execute(queue.people_query(filters, day)).all()
    progress.beat(done=0, total=len(people))
    generated_at = utcnow()
    used: set[str] = set()
    with _pdf_context(), tempfile.TemporaryFile("w+b") as index_file, \
            zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
        # The index is written as the packs are, to a temporary file: memory stays flat.
        index_text = io.TextIOWrapper(index_file, encoding="utf-8", newline="")
        index_text.write("\ufeff")
        index = csv.writer(index_text)
        index.writerow(INDEX_HEADER)
        for done, (employee_id, number, name) in enumerate(people, start=1):
            folder = folder_name(number, name)
            if folder in used:  # two numbers that differ only in unsafe characters
                folder = f"{folder}-{employee_id}"
            used.add(folder)
            pack = write_pack(archive, employee_id, generated_at=generated_at,
                              generated_by=generated_by, today=day, prefix=f"{folder}/")
            if pack is not None:
                person, counts = pack.person, pack.counts
                index.writerow([neutralise(value) for value in (
                    person.employee_number, person.full_name, person.email,
                    person.department or "", person.location or "",
                    "yes" if person.active else "no", folder, counts["assignments"],
                    counts["completed"], counts["certificates"], counts["attestations"],
                    counts["quiz_attempts"], counts["seconds_spent"], pack.manifest_sha256)])
            if progress.due(done):
                progress.beat(done=done)
        index_text.flush()
        index_file.seek(0)
        info = zipfile.ZipInfo("index.csv", date_time=generated_at.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with archive.open(info, "w") as out:
            shutil.copyfileobj(index_file, out)
        index_text.detach()  # the temporary file is closed by its own ``with``
    return len(people)


def _pdf_context():
    """A request context for rendering outside a request: certificate PDFs link to the
    verification page by URL (``LMS_BASE_URL``, as in e-mails)."""
    base = current_app.config.get("LMS_BASE_URL") or "http://localhost"
    return current_app.test_request_context("/", base_url=base)

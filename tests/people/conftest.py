"""Helpers for the HR import tests: files built from rows, and the import run as the
command and the page run it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from lms.db import db
from lms.people.importing import run_import

HEADER = ("employee_number", "full_name", "email", "department", "location", "job_title",
          "manager_employee_number", "hire_date", "leave_date", "gender", "locale")
TODAY = date(2026, 3, 15)


def csv_bytes(rows, header=HEADER, bom: bool = False) -> bytes:
    """A CSV file: ``rows`` are dicts (missing columns empty) or sequences."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def json_bytes(rows) -> bytes:
    return json.dumps(list(rows), ensure_ascii=False).encode("utf-8")


def person(number: str, name: str | None = None, **fields) -> dict:
    """A row with sensible defaults: e-mail from the number, Sales in Hangzhou."""
    row = {"employee_number": number, "full_name": name or f"Person {number}",
           "email": f"{number.lower()}@example.com", "department": "Sales",
           "location": "Hangzhou", "hire_date": "2024-01-15", "locale": "en"}
    row.update(fields)
    return row


@pytest.fixture
def do_import(app):
    """Run the import like the command does: commit if applied, else roll back."""

    def run(data: bytes, *, apply: bool = True, name: str = "people.csv", fmt=None,
            today: date = TODAY, deactivate_missing: bool = False):
        result = run_import(data, name, fmt, today, apply=apply,
                            deactivate_missing=deactivate_missing, actor_text="test")
        if result.applied:
            db.session.commit()
        else:
            db.session.rollback()
        return result

    return run

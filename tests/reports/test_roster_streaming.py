"""Exports stream with flat memory: the writers hold a chunk, never the file, and the roster
is read from the database in batches (a server-side cursor on PostgreSQL)."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import date, timedelta
from itertools import pairwise

import openpyxl
import pytest
from sqlalchemy import insert, select, text

from courses.models import Course
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Employee
from lms.reports.roster import COLUMNS, RosterFilters, header, roster_count, roster_rows
from lms.reports.spreadsheet import CHUNK_ROWS, csv_chunks, write_xlsx, xlsx_chunks
from tests.reports.roster_helpers import bulk_transaction


def generated_rows(count: int):
    """Roster-shaped rows, made on the fly (the generator itself holds one row)."""
    start = date(2026, 1, 1)
    for n in range(count):
        yield (f"E{n:07d}", f"Person {n} 李娜", f"person{n}@example.com", "Sales",
               "Hangzhou", f"Manager {n // 10}", "Business Code of Conduct", "v3 (0123456789ab)",
               "2026", "completed" if n % 3 else "overdue", start + timedelta(days=n % 365),
               start + timedelta(days=n % 200) if n % 3 else None, n % 101,
               f"CODE{n:010d}")


def peak_bytes(work) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _drain_csv(count: int) -> None:
    size = 0
    for chunk in csv_chunks(header(), generated_rows(count), bom=True):
        size += len(chunk)
    assert size > count * 100


@pytest.mark.slow
def test_csv_memory_does_not_grow_with_the_rows():
    _drain_csv(100)  # warm up: first-use allocations are not per row
    small, large = peak_bytes(lambda: _drain_csv(10_000)), peak_bytes(lambda: _drain_csv(50_000))
    # 5x the rows: the peak is one chunk of CHUNK_ROWS rows either way (~1.5 MB measured), not
    # the file (~9 MB of text for 50,000 rows).
    assert large < small * 1.25 + 64 * 1024, (small, large)
    assert large < 4 * 1024 * 1024


@pytest.mark.slow
def test_xlsx_memory_does_not_grow_with_the_rows(tmp_path):
    def write(count: int):
        return lambda: write_xlsx(tmp_path / f"{count}.xlsx", header(), generated_rows(count))

    # 5x the rows again; fewer than for CSV only because XlsxWriter runs ~5x slower under
    # tracemalloc (about a second per thousand rows).
    write(10)()  # warm up: the XlsxWriter import and first-use allocations are not per row
    small, large = peak_bytes(write(2_000)), peak_bytes(write(10_000))
    assert large < small * 1.25 + 64 * 1024, (small, large)
    assert large < 2 * 1024 * 1024  # ~0.7 MB measured
    workbook = openpyxl.load_workbook(tmp_path / "10000.xlsx", read_only=True)
    assert workbook.active.max_row == 10_001
    workbook.close()


def test_xlsx_chunks_streams_the_file_and_removes_it(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    chunks = xlsx_chunks(header(), generated_rows(3000), chunk_bytes=8192)
    first = next(chunks)
    assert first.startswith(b"PK") and len(first) == 8192
    assert len(list(tmp_path.iterdir())) == 1
    rest = list(chunks)
    assert len(rest) > 2 and list(tmp_path.iterdir()) == []
    # A download cut short removes the file too.
    chunks = xlsx_chunks(header(), generated_rows(3000), chunk_bytes=8192)
    next(chunks)
    chunks.close()
    assert list(tmp_path.iterdir()) == []


def test_csv_chunks_are_bounded(tmp_path):
    chunks = list(csv_chunks(header(), generated_rows(CHUNK_ROWS * 3 + 5)))
    assert len(chunks) == 4
    assert chunks[0].count("\r\n") == CHUNK_ROWS + 1  # the header and a chunk of rows


@pytest.fixture
def many_assignments(app):
    """3,000 assignments (1,000 people x 3 courses), inserted in bulk, in a scrambled order."""
    bulk_transaction()
    courses = [Course(slug=f"stream-{n}") for n in range(3)]
    db.session.add_all(courses)
    db.session.flush()
    order = [(n * 7919) % 1000 for n in range(1000)]  # not the employee-number order
    db.session.execute(insert(Employee), [
        {"employee_number": f"S{n:05d}", "full_name": f"Streamed {n}",
         "email": f"s{n}@example.com"} for n in order])
    ids = dict(db.session.execute(select(Employee.employee_number, Employee.id)).all())
    db.session.execute(insert(Assignment), [
        {"employee_id": ids[f"S{n:05d}"], "course_id": course.id, "cycle": "2026",
         "assigned_on": date(2026, 1, 1), "due_on": date(2030, 1, 1)}
        for course in reversed(courses) for n in order])
    db.session.commit()
    return [c.id for c in courses]


def test_roster_rows_stream_in_batches_complete_and_ordered(many_assignments):
    cursors = []
    rows = []
    for n, row in enumerate(roster_rows(RosterFilters(), date(2026, 6, 1), batch=100)):
        rows.append(row)
        if n == 150 and db.engine.dialect.name == "postgresql":
            # Mid-stream, on the same connection: the roster is an open server-side cursor
            # (PostgreSQL holds the rows; we fetch 100 at a time).
            cursors = db.session.execute(text(
                "SELECT statement FROM pg_cursors WHERE NOT is_holdable")).scalars().all()
    db.session.rollback()
    assert len(rows) == 3000 == roster_count(RosterFilters(), date(2026, 6, 1))
    assert all(len(row) == len(COLUMNS) for row in rows)
    keys = [(row[0], row[6]) for row in rows]
    assert all(a <= b for a, b in pairwise(keys)), "ordered by employee number, then course"
    assert len(set(keys)) == 3000
    assert [row[0] for row in rows[:3]] == ["S00000"] * 3 and rows[-1][0] == "S00999"
    if db.engine.dialect.name == "postgresql":
        assert len(cursors) == 1 and "FROM assignments" in cursors[0], cursors


def test_the_csv_download_is_streamed_in_chunks(app, many_assignments, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",))
    client = app.test_client()
    login(client, "hr@example.com")
    response = client.get("/hr/roster.csv")
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 3  # 3,000 rows in chunks of 1,000 (and the rest)
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 3001

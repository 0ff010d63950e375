"""Roster exports on the seeded history: the current cycle of every course, as
``flask roster export`` writes it.

``roster-csv``: our CSV export as the CLI and the download write it (``roster_csv_chunks``:
on PostgreSQL the roster SELECT with every cell formatted and neutralised in SQL, streamed
through ``COPY ... TO STDOUT``, line ends mended row by row), to a file, against PostgreSQL
writing the plain roster SELECT's rows as CSV (``COPY (the same SELECT) TO STDOUT``) into a
file. Peak memory of ours is measured with tracemalloc (Python allocations, one extra untimed
run), against 150 MB.

``roster-xlsx``: the XLSX export of the same rows against our own CSV export.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from bench.harness import Result, compare
from lms.db import db
from lms.reports.roster import (
    RosterFilters,
    header,
    roster_count,
    roster_csv_chunks,
    roster_rows,
    roster_select,
)
from lms.reports.spreadsheet import write_xlsx

MEMORY_LIMIT_MB = 150


def filters_for(today: date) -> RosterFilters:
    return RosterFilters(cycle=str(today.year))


def export_csv(path: Path, filters: RosterFilters, today: date) -> int:
    """What the CLI does for --format csv (without the audit entry and the progress lines):
    count, stream, write."""
    rows = roster_count(filters, today)
    with path.open("wb") as stream:
        for chunk in roster_csv_chunks(filters, today):
            stream.write(chunk)
    return rows


def copy_csv(path: Path, filters: RosterFilters, today: date) -> None:
    """The floor: the database writes the same rows as CSV and we only store the bytes."""
    statement = roster_select(filters, today)
    connection = db.session.connection()
    sql = str(statement.compile(dialect=connection.dialect,
                                compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, path.open("wb") as stream, cursor.copy(
                f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for block in copy:
                stream.write(block)
        return
    # SQLite has no COPY: its own cursor and the csv module are the least there is.
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow([column[0] for column in cursor.description])
            while batch := cursor.fetchmany(2000):
                writer.writerows(batch)
    finally:
        cursor.close()


def run_csv(workdir: Path, employees: int, today: date, runs: int = 5) -> Result:
    filters = filters_for(today)
    ours_file, floor_file = workdir / "roster.csv", workdir / "copy.csv"
    written: dict[str, int] = {}

    def ours():
        written["rows"] = export_csv(ours_file, filters, today)
        db.session.rollback()

    def floor():
        copy_csv(floor_file, filters, today)
        db.session.rollback()

    result = compare(f"roster CSV, {employees} employees", ours, floor, target_ratio=1.5,
                     runs=runs, measure_memory=True)
    result.detail = {"rows": written["rows"], "cycle": filters.cycle,
                     "csv_mb": round(ours_file.stat().st_size / 1e6, 1),
                     "peak_memory": "tracemalloc (Python allocations)",
                     "memory_limit_mb": MEMORY_LIMIT_MB,
                     "memory_ok": result.peak_mb is not None
                     and result.peak_mb <= MEMORY_LIMIT_MB}
    return result


def run_xlsx(workdir: Path, employees: int, today: date, runs: int = 5) -> Result:
    filters = filters_for(today)
    written: dict[str, int] = {}

    def ours():
        roster_count(filters, today)
        written["rows"] = write_xlsx(workdir / "roster.xlsx", header(),
                                     roster_rows(filters, today))
        db.session.rollback()

    def floor():
        export_csv(workdir / "roster.csv", filters, today)
        db.session.rollback()

    result = compare(f"roster XLSX, {employees} employees", ours, floor, target_ratio=4.0,
                     runs=runs)
    result.detail = {"rows": written["rows"], "cycle": filters.cycle,
                     "xlsx_mb": round((workdir / "roster.xlsx").stat().st_size / 1e6, 1)}
    return result

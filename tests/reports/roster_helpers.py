"""Helpers for the roster tests: reading exports back, the attack corpora, people in bulk."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from xml.etree import ElementTree

from sqlalchemy import insert, update

from courses.models import Course
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from tests.conftest import SHARED

CORPORA = SHARED / "corpora"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def corpus_lines(folder: str, pattern: str = "*.txt") -> list[str]:
    """Every non-empty line of the corpus files, once each, in a stable order."""
    seen: dict[str, None] = {}
    for path in sorted((CORPORA / folder).glob(pattern)):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                seen.setdefault(line)
    return list(seen)


def injection_payloads() -> list[str]:
    return corpus_lines("csv-injection") + corpus_lines("xss") + corpus_lines("xss", "*.svg")


def naughty_strings() -> list[str]:
    return json.loads((CORPORA / "naughty-strings" / "blns.json").read_text(encoding="utf-8"))


def csv_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def xlsx_cells(body: bytes) -> list[list[str | None]]:
    """The first sheet's cell texts, read from the XML itself and decoded as Excel does
    (ECMA-376 ``_xHHHH_`` escapes; openpyxl leaves those encoded). Missing cells are None,
    missing rows empty lists."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        root = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows: dict[int, list[str | None]] = {}
    for row in root.iter(f"{{{NS['m']}}}row"):
        cells: dict[int, str | None] = {}
        for cell in row.findall("m:c", NS):
            column = _column_index(cell.get("r"))
            if cell.get("t") == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
                cells[column] = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
            else:
                value = cell.find("m:v", NS)
                cells[column] = value.text if value is not None else None
        width = max(cells, default=-1) + 1
        rows[int(row.get("r")) - 1] = [cells.get(i) for i in range(width)]
    return [rows.get(i, []) for i in range(max(rows, default=-1) + 1)]


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


class PageText(HTMLParser):
    """Tags, attribute names and values, and the text of a page, as a browser parses them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.values: list[str] = []
        self.chunks: list[str] = []
        self.feed(html)
        self.close()
        self.text = "\x00".join(self.chunks)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            self.values.append(value or "")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.chunks.append(data)


def bulk_transaction() -> None:
    """Begin a real transaction for a bulk insert. The tests' own session leaves SQLite in
    autocommit (see tests/conftest.py), where every row would be a transaction with its fsync:
    seconds for a few thousand rows. The next ``commit()`` ends it."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection \
            .in_transaction:
        connection.exec_driver_sql("BEGIN")


def add_people(rows: list[dict], course: Course, cycle: str = "2026",
               due_on: date = date(2030, 1, 1)) -> list[Employee]:
    """Employees in bulk, each with one assignment. ``rows``: dicts with ``full_name`` and
    optionally ``department``, ``location`` (names, created once each), ``job_title``,
    ``manager_index`` (an earlier row), ``employee_number``."""
    bulk_transaction()
    departments: dict[str, Department] = {}
    locations: dict[str, Location] = {}
    for row in rows:
        if row.get("department") is not None:
            departments.setdefault(row["department"], Department(name=row["department"]))
        if row.get("location") is not None:
            locations.setdefault(row["location"], Location(name=row["location"],
                                                           timezone="UTC"))
    db.session.add_all([*departments.values(), *locations.values()])
    db.session.flush()
    people = []
    for n, row in enumerate(rows):
        number = row.get("employee_number", f"B{n:06d}")
        department, location = row.get("department"), row.get("location")
        people.append(Employee(
            employee_number=number, full_name=row["full_name"],
            email=f"{number.lower()}@example.com", job_title=row.get("job_title"),
            department_id=departments[department].id if department is not None else None,
            location_id=locations[location].id if location is not None else None))
    db.session.add_all(people)
    db.session.flush()
    # Managers afterwards, in one statement: a chain of managers inserted through the
    # relationship would be one INSERT per person.
    managers = [{"id": people[n].id, "manager_id": people[row["manager_index"]].id}
                for n, row in enumerate(rows) if row.get("manager_index") is not None]
    if managers:
        db.session.execute(update(Employee), managers)
    db.session.execute(insert(Assignment), [
        {"employee_id": p.id, "course_id": course.id, "cycle": cycle,
         "assigned_on": date(2026, 1, 1), "due_on": due_on} for p in people])
    db.session.commit()
    return people

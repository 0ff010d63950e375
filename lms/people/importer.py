"""Reading an HR export and working out what importing it would change.

Three plain steps: ``read_file`` turns the file's bytes (CSV or JSON, UTF-8) into rows of
cells; ``load_existing`` takes one snapshot of the people already stored (one query, tuples);
``plan_import`` checks every row against the rules and the snapshot and returns a ``Plan``:
who would be added, updated, deactivated or reactivated, which managers and departments are
new, and every problem with its row and column. Nothing here writes; ``importing.py`` applies
a plan. The file format and the rules are documented for HR in docs/hr-import.md.
"""

from __future__ import annotations

import codecs
import csv
import gc
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import has_request_context
from flask_babel import gettext as babel_gettext
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lms.db import db
from lms.errors import UserError
from lms.people.models import Department, Employee, Location

FORMATS = ("csv", "json")
KNOWN_COLUMNS = (
    "employee_number", "full_name", "given_name", "family_name", "email", "department",
    "location", "job_title", "manager_employee_number", "hire_date", "leave_date", "gender",
    "locale",
)
# What an update compares: every stored field the file can set, and the manager.
FIELDS = ("full_name", "email", "department", "location", "job_title", "manager", "hire_date",
          "leave_date", "gender", "locale")
DEFAULT_LOCALE = "en"
LOOP_SHOWN = 12  # people named in one manager-loop message
LINES_SHOWN = 10  # other rows named in one duplicate message


def _limit(column) -> int:
    return column.type.length


# The database's limits, read from the models so the two never disagree.
LIMITS = {
    "employee_number": _limit(Employee.__table__.c.employee_number),
    "full_name": _limit(Employee.__table__.c.full_name),
    "email": _limit(Employee.__table__.c.email),
    "department": _limit(Department.__table__.c.name),
    "location": _limit(Location.__table__.c.name),
    "job_title": _limit(Employee.__table__.c.job_title),
    "manager_employee_number": _limit(Employee.__table__.c.employee_number),
    "gender": _limit(Employee.__table__.c.gender),
    "locale": _limit(Employee.__table__.c.locale),
}
LIMITS["given_name"] = LIMITS["family_name"] = LIMITS["full_name"]


def gettext(message: str, **params) -> str:
    """Translated in a request (the reader's language); English on the command line, where
    there is no reader to choose one."""
    if has_request_context():
        return babel_gettext(message, **params)
    return message % params if params else message


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when shown."""
    return message


MESSAGES = {
    "unknown_column": N_("Column “%(value)s” is not one Guardrail imports; it is ignored."),
    "duplicate_column": N_("Column “%(value)s” appears more than once in the header; keep "
                           "one."),
    "missing_column": N_("The header has no “%(value)s” column; add it (see the HR import "
                         "guide for the column names)."),
    "missing_name_column": N_("The header needs a full_name column, or given_name and "
                              "family_name columns."),
    "no_rows": N_("The file has a header but no people; nothing to import."),
    "cell_count": N_("This row has %(found)s cells but the header has %(expected)s; check "
                     "for a stray comma or an unclosed quote."),
    "not_an_object": N_("This record is not an object of column names and values; every "
                        "record must be one, such as {\"employee_number\": \"E1\", ...}."),
    "not_text": N_("The value must be text (or a whole number); write it in quotes."),
    "repeated_key": N_("This record names the column twice (names are case-insensitive); "
                       "keep one."),
    "missing_key": N_("The employee number is empty; every row needs the person's number "
                      "from the HR system."),
    "duplicate_key": N_("Employee number %(value)s is also on %(others)s; keep one row per "
                        "person."),
    "missing_name": N_("The name is empty; fill in full_name (or given_name and "
                       "family_name)."),
    "missing_email": N_("The e-mail address is empty; every person needs one to sign in."),
    "bad_email": N_("“%(value)s” is not a valid e-mail address: %(reason)s"),
    "duplicate_email": N_("E-mail address %(value)s is also on %(others)s; each person needs "
                          "their own."),
    "email_taken": N_("E-mail address %(value)s already belongs to employee %(other)s, who is "
                      "not in this file; correct the address, or add that person's row with "
                      "their new address."),
    "too_long": N_("Too long: %(length)s characters, at most %(limit)s are allowed; shorten "
                   "it."),
    "control_characters": N_("Contains control characters (line breaks, tabs or terminal "
                             "codes) or broken Unicode; remove them."),
    "bad_date": N_("“%(value)s” is not a date written as YYYY-MM-DD (for example "
                   "2025-03-31)."),
    "leave_before_hire": N_("The leave date %(value)s is before the hire date %(other)s; "
                            "correct one of them."),
    "unknown_manager": N_("No employee has number %(value)s, in this file or in Guardrail; "
                          "check the manager's number or add their row."),
    "self_manager": N_("This person is named as their own manager; leave the cell empty or "
                       "give their manager's number."),
    "manager_loop": N_("Manager loop: %(value)s. Someone in the loop must report to a person "
                       "outside it."),
    "existing_loop": N_("The stored org chart already has a manager loop: %(value)s. Fix it "
                        "by giving one of them another manager in this file."),
    "bad_locale": N_("“%(value)s” is not a language tag; use one such as en, en-GB or "
                     "zh-Hans."),
    "inactive_manager": N_("The manager %(value)s has left or is leaving (inactive after "
                           "this import); their reports may need a new manager."),
    "department_case": N_("“%(value)s” differs only in capitals from the existing “%(other)s”; "
                          "a second one would be created. Use the existing spelling if they "
                          "are the same."),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file. ``row``: the file's line (CSV; the header is line 1) or
    the record's position (JSON; the first is 1); None for the file as a whole."""

    row: int | None
    column: str | None
    code: str
    params: dict = field(default_factory=dict)
    level: str = "error"  # or "warning": reported, does not block the import

    @property
    def message(self) -> str:
        return gettext(MESSAGES[self.code], **self.params)

    def sort_key(self) -> tuple:
        column_order = KNOWN_COLUMNS.index(self.column) if self.column in KNOWN_COLUMNS else 99
        return (self.row or 0, self.level != "error", column_order, self.code)


class ImportFileError(UserError, ValueError):
    """The file cannot be read at all (not UTF-8, broken JSON, no header). The message names
    the file and, where it can, the line."""


class Person(NamedTuple):
    """One person's fields, as the file wants them (``row`` set) or as stored (``id`` set).
    ``department``/``location`` are names; ``manager`` is the manager's employee number."""

    id: int | None
    row: int | None
    number: str
    full_name: str
    email: str
    department: str | None
    location: str | None
    job_title: str | None
    manager: str | None
    hire_date: date | None
    leave_date: date | None
    gender: str | None
    locale: str
    active: bool


# Person[_COMPARED] holds exactly FIELDS: one tuple comparison finds the unchanged rows.
_COMPARED = slice(Person._fields.index("full_name"), Person._fields.index("locale") + 1)


@dataclass
class Existing:
    """The people already stored, keyed by employee number, and the lookup tables."""

    people: dict[str, Person] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)  # e-mail -> employee number
    departments: dict[str, int] = field(default_factory=dict)  # name -> id
    locations: dict[str, int] = field(default_factory=dict)


@dataclass
class RawFile:
    """A file's rows as cells under a header. ``rows`` yields ``(row, cells)``; for JSON the
    header is every key used by any record, a key a record leaves out is None (null is an
    empty cell), and ``cells`` may be a Problem (a bad record)."""

    name: str
    fmt: str
    header: list[str]
    rows: Iterator[tuple[int, list]]
    total: int  # rows, or an estimate (lines) for a progress bar
    unit: str  # "line" or "record": what ``row`` counts


@dataclass
class Update:
    row: int
    old: Person
    new: Person
    fields: tuple[str, ...]  # what changes (FIELDS names)


@dataclass
class Plan:
    """What importing the file would do, and what is wrong with it."""

    name: str
    fmt: str
    unit: str
    deactivate_missing: bool = False
    rows: int = 0
    columns: tuple[str, ...] = ()
    adds: list[Person] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    deactivations: list[tuple[int | None, Person, str]] = field(default_factory=list)
    reactivations: list[Person] = field(default_factory=list)
    new_managers: list[tuple[str, str]] = field(default_factory=list)  # (number, name)
    new_departments: list[str] = field(default_factory=list)
    new_locations: list[str] = field(default_factory=list)
    # For the apply: stored people to rewrite, managers set or changed, people to deactivate.
    writes: list[Person] = field(default_factory=list)
    manager_links: list[tuple[str, str | None]] = field(default_factory=list)
    ended_ids: list[int] = field(default_factory=list)
    email_moves: bool = False  # an address passes from one person to another
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)

    def where(self, row: int | None) -> str:
        if row is None:
            return gettext("whole file")
        return gettext("line %(num)s", num=row) if self.unit == "line" else gettext(
            "record %(num)s", num=row)

    def summary(self) -> dict:
        """The counts, as shown to HR and written to the audit log."""
        return {
            "rows": self.rows, "added": len(self.adds), "updated": len(self.updates),
            "unchanged": self.unchanged, "deactivated": len(self.deactivations),
            "reactivated": len(self.reactivations),
            "managers_linked": len(self.manager_links), "new_managers": len(self.new_managers),
            "new_departments": len(self.new_departments),
            "new_locations": len(self.new_locations), "errors": len(self.errors),
            "warnings": len(self.warnings),
        }


# ---------------------------------------------------------------------------------------------
# Reading the file


def guess_format(name: str) -> str:
    return "json" if name.lower().endswith(".json") else "csv"


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_CHUNK = 1 << 20


def check_utf8(data: bytes, name: str) -> int:
    """Where the text starts (after a UTF-8 byte-order mark, if any), once the whole file is
    known to be UTF-8. Anything else is refused, naming the line: a guessed encoding would
    store mangled names without anyone noticing. Checked in chunks, so a big file is never
    held twice (bytes and text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(gettext(
            "%(name)s is saved as UTF-16; save it as UTF-8 (in Excel: “CSV UTF-8”) and "
            "upload it again.", name=name))
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for offset in range(start, len(data), _CHUNK):
            decoder.decode(view[offset:offset + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        try:
            data[start:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = start + exc.start
            line = len(_LINE_END.findall(data, 0, at)) + 1
            raise ImportFileError(gettext(
                "%(name)s, line %(line)s: byte 0x%(byte)s is not UTF-8. The file must be saved "
                "as UTF-8 (in Excel: “CSV UTF-8”); it looks like another encoding, such as "
                "Windows-1252 or GBK.", name=name, line=line,
                byte=f"{data[at]:02X}")) from None
    return start


def header_name(text: str) -> str:
    """A column name as matched: case-insensitive; spaces and hyphens count as underscores."""
    return "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())


def read_file(data: bytes, name: str, fmt: str | None = None) -> RawFile:
    """Parse the file's bytes. Raises ImportFileError if it cannot be read at all."""
    fmt = fmt or guess_format(name)
    if fmt not in FORMATS:
        raise ImportFileError(gettext("Unknown format %(fmt)s; use csv or json.", fmt=fmt))
    start = check_utf8(data, name)
    if fmt == "json":
        return _read_json(data[start:].decode("utf-8"), name)
    return _read_csv(data, start, name)


def _read_csv(data: bytes, start: int, name: str) -> RawFile:
    # Line by line from the bytes (any line ending), decoded as read: the file's text is
    # never held whole.
    lines = (match.group().decode("utf-8") for match in _LINE.finditer(data, start))
    reader = csv.reader(lines)
    line = 0

    def records() -> Iterator[tuple[int, list]]:
        nonlocal line
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                if cells and "".join(cells).strip():  # skip blank lines (and ",,,")
                    yield start, cells
        except csv.Error as exc:
            raise ImportFileError(gettext("%(name)s, line %(line)s: %(reason)s", name=name,
                                          line=reader.line_num, reason=str(exc))) from None

    rows = records()
    first = next(rows, None)
    if first is None:
        raise ImportFileError(gettext(
            "%(name)s is empty; the first line must be the header (employee_number, email, "
            "full_name, ...).", name=name))
    header = [header_name(cell) for cell in first[1]]
    return RawFile(name, "csv", header, rows, max(1, data.count(b"\n")), "line")


def _read_json(text: str, name: str) -> RawFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(gettext("%(name)s, line %(line)s: not valid JSON (%(reason)s).",
                                      name=name, line=exc.lineno, reason=exc.msg)) from None
    except RecursionError:
        raise ImportFileError(gettext("%(name)s: the JSON is nested too deeply.",
                                      name=name)) from None
    if isinstance(data, dict) and isinstance(data.get("employees"), list):
        data = data["employees"]
    if not isinstance(data, list):
        raise ImportFileError(gettext(
            "%(name)s: the JSON must be a list of records, one object per person.", name=name))
    header: list[str] = []
    seen: set[str] = set()
    for record in data:
        if isinstance(record, dict):
            for key in record:
                column = header_name(str(key))
                if column not in seen:
                    seen.add(column)
                    header.append(column)
    index = {column: i for i, column in enumerate(header)}

    def records() -> Iterator[tuple[int, list]]:
        for number, record in enumerate(data, start=1):
            if not isinstance(record, dict):
                yield number, Problem(number, None, "not_an_object")
                continue
            cells: list = [None] * len(header)  # None: the record leaves the key out
            given: set[int] = set()
            problem = None
            for key, value in record.items():
                i = index[header_name(str(key))]
                if i in given:
                    problem = Problem(number, header[i], "repeated_key")
                given.add(i)
                if value is None:
                    cells[i] = ""  # null: an empty cell
                    continue
                if isinstance(value, bool) or not isinstance(value, str | int):
                    problem = problem or Problem(number, header[i], "not_text")
                    continue
                cells[i] = str(value)
            yield number, problem or cells

    return RawFile(name, "json", header, records(), max(1, len(data)), "record")


# ---------------------------------------------------------------------------------------------
# The stored people


def load_existing() -> Existing:
    """Everyone stored, as tuples (one query, streamed in batches), plus departments and
    locations by name. Repeated values (names of departments, titles, dates) are kept once."""
    manager = aliased(Employee)
    rows = db.session.execute(
        select(Employee.id, Employee.employee_number, Employee.full_name, Employee.email,
               Department.name, Location.name, Employee.job_title, manager.employee_number,
               Employee.hire_date, Employee.leave_date, Employee.gender, Employee.locale,
               Employee.active)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(Location, Location.id == Employee.location_id)
        .outerjoin(manager, manager.id == Employee.manager_id),
        execution_options={"yield_per": 10_000})
    existing = Existing()
    people, by_email = existing.people, existing.by_email
    once: dict = {None: None}
    with _bulk():
        for (id_, number, full_name, email, department, location, job_title, manager_number,
             hire_date, leave_date, gender, locale, active) in rows:
            people[number] = Person(
                id_, None, number, full_name, email, once.setdefault(department, department),
                once.setdefault(location, location), once.setdefault(job_title, job_title),
                manager_number, once.setdefault(hire_date, hire_date),
                once.setdefault(leave_date, leave_date), once.setdefault(gender, gender),
                once.setdefault(locale or DEFAULT_LOCALE, locale or DEFAULT_LOCALE), bool(active))
            by_email[email] = number
    existing.departments = dict(db.session.execute(select(Department.name, Department.id)).all())
    existing.locations = dict(db.session.execute(select(Location.name, Location.id)).all())
    return existing


@contextmanager
def _bulk():
    """Building hundreds of thousands of tuples: the cycle collector would rescan them again
    and again (a quarter of the time) for cycles that tuples of strings and dates cannot
    form. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Checking single values


class _Bad(Exception):
    """A value is wrong: a Problem's code and parameters, without its row and column."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


# Refused in any text: C0 and C1 control characters (category Cc: they break terminals, CSV
# exports and PostgreSQL, which refuses NUL) and lone surrogates (Cs, possible in JSON).
_BAD_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_VISIBLE = re.compile(r"\w")


def _blank(value: str) -> bool:
    """Nothing visible: only spaces, zero-width and format characters."""
    if value.isascii():
        return not value.strip()
    if _VISIBLE.search(value):
        return False
    return all(unicodedata.category(ch)[0] in "ZC" for ch in value)


def _cjk(text: str) -> bool:
    """Written in Chinese, Japanese or Korean script (Han, kana, Hangul) throughout."""
    letters = [ch for ch in text if not ch.isspace() and ch not in "·・"]
    return bool(letters) and all(
        0x3040 <= (code := ord(ch)) <= 0x30FF or 0x3400 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F for ch in letters)


def compose_name(given: str | None, family: str | None) -> str | None:
    """A full name from its parts: family name first and no space when both are written in
    CJK script (王 + 小明 -> 王小明); otherwise given name, a space, family name."""
    if given and family:
        if _cjk(given) and _cjk(family):
            return family + given
        return f"{given} {family}"
    return given or family


def parse_date(value: str, cache: dict[str, date | None]) -> date | None:
    value = value.strip()
    if value in cache:
        return cache[value]
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise _Bad("bad_date", value=value[:40])
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _Bad("bad_date", value=value[:40]) from None
    cache[value] = day
    return day


_LOCALE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|[0-9]{3}))?\Z")


def parse_locale(value: str, cache: dict[str, str | None] | None = None) -> str | None:
    """A BCP 47 language tag (language, optional script and region) in its usual casing:
    ``zh_hans`` -> ``zh-Hans``, ``EN-gb`` -> ``en-GB``."""
    if cache is not None and value in cache:
        return cache[value]
    text = value.strip()
    tag = None
    if text:
        match = _LOCALE.match(text)
        if match is None:
            raise _Bad("bad_locale", value=text[:40])
        language, script, region = match.groups()
        parts = [language.lower()]
        if script:
            parts.append(script.title())
        if region:
            parts.append(region.upper())
        tag = "-".join(parts)
    if cache is not None:
        cache[value] = tag
    return tag


# The local part rule email-validator applies first (RFC 5322 dot-atom, ASCII).
_DOT_ATOM = re.compile(r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+)*\Z")
_ADDRESS_MAX = 254


class EmailChecker:
    """email-validator without DNS, remembering each domain's verdict. Checking a domain is
    two thirds of the library's cost and an HR file has a handful of domains, so plain ASCII
    addresses at a domain already checked only need the local-part rule; anything else goes
    through the library in full."""

    def __init__(self) -> None:
        self.domains: dict[str, str] = {}  # domain as written -> its normalised ASCII form

    def __call__(self, address: str) -> str:
        """The address, normalised and lower-cased; raises _Bad if it is not valid."""
        local, at, domain = address.rpartition("@")
        known = self.domains.get(domain) if at else None
        if (known is not None and address.isascii() and _DOT_ATOM.match(local)
                and len(local) + 1 + len(known) <= _ADDRESS_MAX):
            return f"{local}@{known}".lower()
        try:
            checked = validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise _Bad("bad_email", value=address[:80], reason=str(exc)) from None
        if at and domain.isascii() and checked.domain == checked.ascii_domain:
            self.domains[domain] = checked.domain  # a plain ASCII domain (not IDNA)
        return checked.normalized.lower()


# ---------------------------------------------------------------------------------------------
# The plan


def plan_import(raw: RawFile, existing: Existing, today: date, *,
                deactivate_missing: bool = False,
                on_rows: Callable[[int], None] | None = None) -> Plan:
    """Check every row and compare the file with ``existing``. Pure: reads nothing else and
    writes nothing. ``on_rows(n)`` is told every few thousand rows (a progress bar)."""
    plan = Plan(raw.name, raw.fmt, raw.unit, deactivate_missing)
    problems = plan.problems
    columns = _check_header(raw.header, problems)
    plan.columns = tuple(c for c in KNOWN_COLUMNS if c in columns)
    if any(p.level == "error" for p in problems):
        return plan

    with _bulk():
        checked = _check_rows(raw, columns, existing, today, plan, on_rows)
        if plan.rows == 0:
            problems.append(Problem(None, None, "no_rows"))
            return plan
        _check_across(checked, existing, columns, plan)
        _compare(checked, existing, today, plan)
    problems.sort(key=Problem.sort_key)
    return plan


def _check_header(header: list[str], problems: list[Problem]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, column in enumerate(header):
        if not column:
            continue
        if column in columns:
            problems.append(Problem(1, column, "duplicate_column", {"value": column}))
        elif column not in KNOWN_COLUMNS:
            problems.append(Problem(1, column, "unknown_column", {"value": column[:60]},
                                    "warning"))
        columns.setdefault(column, i)
    for required in ("employee_number", "email"):
        if required not in columns:
            problems.append(Problem(1, required, "missing_column", {"value": required}))
    if not {"full_name", "given_name", "family_name"} & columns.keys():
        problems.append(Problem(1, "full_name", "missing_name_column"))
    return {c: i for c, i in columns.items() if c in KNOWN_COLUMNS}


@dataclass
class _Checked:
    """Pass one's results: the rows that passed their own checks, and what is in the file."""

    people: list[Person] = field(default_factory=list)
    numbers: dict[str, list[int]] = field(default_factory=dict)  # number -> rows
    emails: dict[str, list[int]] = field(default_factory=dict)  # e-mail -> rows
    bad_rows: set[int] = field(default_factory=set)


TEXT_COLUMNS = ("employee_number", "full_name", "given_name", "family_name", "email",
                "department", "location", "job_title", "manager_employee_number", "gender")
SHARED_COLUMNS = ("department", "location", "job_title", "gender")  # values repeat a lot


def _check_rows(raw: RawFile, columns: dict[str, int], existing: Existing, today: date,
                plan: Plan, on_rows) -> _Checked:
    """Pass one: each row on its own (values, lengths, formats). The hot loop of a big import:
    text cells are checked inline, not through calls. Text is trimmed; empty is None."""
    result = _Checked()
    problems, bad_rows = plan.problems, result.bad_rows
    numbers, emails = result.numbers, result.emails
    stored = existing.people
    width = len(raw.header)
    check_email = EmailChecker()
    dates: dict[str, date | None] = {"": None}
    locales: dict[str, str | None] = {}
    shared: dict[str, str] = {}  # one copy of each repeated value (departments, titles)
    texts = [(c, columns[c], LIMITS[c], c in SHARED_COLUMNS) for c in TEXT_COLUMNS
             if c in columns]
    day_columns = [(c, columns[c]) for c in ("hire_date", "leave_date") if c in columns]
    locale_index = columns.get("locale")
    bad_chars = _BAD_CHARS.search
    is_json = raw.fmt == "json"
    count = 0

    for row, cells in raw.rows:
        count += 1
        if on_rows is not None and count % 5000 == 0:
            on_rows(5000)
        if isinstance(cells, Problem):
            problems.append(cells)
            bad_rows.add(row)
            continue
        if not is_json and len(cells) != width:
            problems.append(Problem(row, None, "cell_count",
                                    {"found": len(cells), "expected": width}))
            bad_rows.add(row)
            continue
        row_problems: list[Problem] = []
        # The fields this row sets. A column the file lacks, or a key a JSON record leaves
        # out (a None cell), is not set: the stored value stays.
        new: dict[str, object] = {}
        for column, index, limit, repeats in texts:
            cell = cells[index]
            if cell is None:
                continue
            text = cell.strip()
            if not text:
                new[column] = None
            elif len(text) > limit:
                row_problems.append(Problem(row, column, "too_long",
                                            {"length": len(text), "limit": limit}))
            elif bad_chars(text):
                row_problems.append(Problem(row, column, "control_characters"))
            else:
                new[column] = shared.setdefault(text, text) if repeats else text

        number = new.get("employee_number")
        if number is None and not row_problems:
            row_problems.append(Problem(row, "employee_number", "missing_key"))
        old = stored.get(number) if number is not None else None
        if number is not None:
            numbers.setdefault(number, []).append(row)

        full_name = new.get("full_name")
        if full_name is None and ("given_name" in new or "family_name" in new):
            full_name = compose_name(new.get("given_name"), new.get("family_name"))
            if full_name is not None and len(full_name) > LIMITS["full_name"]:
                row_problems.append(Problem(row, "family_name", "too_long", {
                    "length": len(full_name), "limit": LIMITS["full_name"]}))
        if (full_name is None or _blank(full_name)) and not any(
                p.column in ("full_name", "given_name", "family_name") for p in row_problems):
            row_problems.append(Problem(
                row, "full_name" if "full_name" in columns else "given_name", "missing_name"))

        email = None
        address = new.get("email")
        if address is None:
            if not any(p.column == "email" for p in row_problems):
                row_problems.append(Problem(row, "email", "missing_email"))
        elif old is not None and old.email == address.lower():
            email = old.email  # stored before and unchanged
        else:
            try:
                email = check_email(address)
            except _Bad as bad:
                row_problems.append(Problem(row, "email", bad.code, bad.params))
        if email is not None:
            emails.setdefault(email, []).append(row)

        if "manager_employee_number" in new:
            new["manager"] = new["manager_employee_number"]
        for column, index in day_columns:
            if cells[index] is not None:
                try:
                    new[column] = parse_date(cells[index], dates)
                except _Bad as bad:
                    row_problems.append(Problem(row, column, bad.code, bad.params))
        if locale_index is not None and cells[locale_index] is not None:
            try:
                locale = parse_locale(cells[locale_index], locales)
            except _Bad as bad:
                row_problems.append(Problem(row, "locale", bad.code, bad.params))
            else:
                if locale is not None:  # empty: keep the person's language
                    new["locale"] = locale

        if row_problems:
            problems.extend(row_problems)
            bad_rows.add(row)
            continue

        def field(name: str, default=None, _new=new, _old=old):
            if name in _new:
                return _new[name]
            return getattr(_old, name) if _old is not None else default

        hire_date, leave_date = field("hire_date"), field("leave_date")
        if leave_date is not None and hire_date is not None and leave_date < hire_date:
            problems.append(Problem(row, "leave_date", "leave_before_hire", {
                "value": leave_date.isoformat(), "other": hire_date.isoformat()}))
            bad_rows.add(row)
            continue
        if "leave_date" in new:
            active = leave_date is None or leave_date > today
        else:
            active = field("active", True)
        result.people.append(Person(
            old.id if old is not None else None, row, number, full_name, email,
            field("department"), field("location"), field("job_title"), field("manager"),
            hire_date, leave_date, field("gender"), field("locale", DEFAULT_LOCALE), active))
    if on_rows is not None:
        on_rows(count % 5000)
    plan.rows = count
    return result


def _others(plan: Plan, rows: list[int], row: int) -> str:
    others = [plan.where(r) for r in rows if r != row]
    shown = ", ".join(others[:LINES_SHOWN])
    return shown + (f" (+{len(others) - LINES_SHOWN})" if len(others) > LINES_SHOWN else "")


def _check_across(checked: _Checked, existing: Existing, columns: dict[str, int],
                  plan: Plan) -> None:
    """Pass two: what needs the whole file (duplicates, managers, loops, e-mail owners)."""
    problems, bad_rows = plan.problems, checked.bad_rows
    for key, column, code in ((checked.numbers, "employee_number", "duplicate_key"),
                              (checked.emails, "email", "duplicate_email")):
        for value, rows in key.items():
            if len(rows) > 1:
                for row in rows:
                    problems.append(Problem(row, column, code, {
                        "value": value, "others": _others(plan, rows, row)}))
                    bad_rows.add(row)

    in_file = checked.numbers
    stored = existing.people
    for person in checked.people:
        holder = existing.by_email.get(person.email)
        if holder is not None and holder != person.number:
            if holder in in_file:
                plan.email_moves = True
            else:
                problems.append(Problem(person.row, "email", "email_taken", {
                    "value": person.email, "other": holder}))
                bad_rows.add(person.row)
        if person.manager is not None and "manager_employee_number" in columns:
            if person.manager == person.number:
                problems.append(Problem(person.row, "manager_employee_number", "self_manager"))
                bad_rows.add(person.row)
            elif person.manager not in in_file and person.manager not in stored:
                problems.append(Problem(person.row, "manager_employee_number",
                                        "unknown_manager", {"value": person.manager}))
                bad_rows.add(person.row)
    _check_loops(checked, existing, plan)


def _check_loops(checked: _Checked, existing: Existing, plan: Plan) -> None:
    """Manager loops through any number of people, in the org chart as it would be after the
    import (the file's rows over the stored ones). Each person in a loop is reported once."""
    boss: dict[str, str] = {n: p.manager for n, p in existing.people.items() if p.manager}
    rows: dict[str, int] = {}
    for person in checked.people:
        if person.row in checked.bad_rows and person.manager == person.number:
            continue  # reported as its own manager
        rows.setdefault(person.number, person.row)
        if person.manager is not None and person.manager != person.number:
            boss[person.number] = person.manager
        else:
            boss.pop(person.number, None)
    state: dict[str, bool] = {}  # False: on the current walk; True: finished
    for start in rows:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = False
            path.append(node)
            node = boss.get(node)
        if node is not None and state[node] is False:
            loop = path[path.index(node):]
            shown = " → ".join([*loop[:LOOP_SHOWN], loop[0] if len(loop) <= LOOP_SHOWN
                                else f"… ({len(loop)})"])
            in_file = [n for n in loop if n in rows]
            for member in in_file:
                plan.problems.append(Problem(rows[member], "manager_employee_number",
                                             "manager_loop", {"value": shown}))
                checked.bad_rows.add(rows[member])
            if not in_file:
                plan.problems.append(Problem(None, "manager_employee_number", "existing_loop",
                                             {"value": shown}))
        for member in path:
            state[member] = True


def _compare(checked: _Checked, existing: Existing, today: date, plan: Plan) -> None:
    """Pass three: the changes, for the rows without problems."""
    stored = existing.people
    bad_rows = checked.bad_rows
    new_departments: set[str] = set()
    new_locations: set[str] = set()
    final_active: dict[str, bool] = {n: p.active for n, p in stored.items()}
    final_boss: dict[str, str | None] = {n: p.manager for n, p in stored.items()}
    names: dict[str, str] = {}
    for person in checked.people:
        if person.row in bad_rows:
            continue
        if person.department and person.department not in existing.departments:
            new_departments.add(person.department)
        if person.location and person.location not in existing.locations:
            new_locations.add(person.location)
        old = stored.get(person.number)
        final_active[person.number] = person.active
        final_boss[person.number] = person.manager
        names[person.number] = person.full_name
        if old is None:
            plan.adds.append(person)
            if person.manager is not None:
                plan.manager_links.append((person.number, person.manager))
            continue
        changed = () if person[_COMPARED] == old[_COMPARED] else tuple(
            f for f in FIELDS if getattr(person, f) != getattr(old, f))
        if changed:
            plan.updates.append(Update(person.row, old, person, changed))
            if "manager" in changed:
                plan.manager_links.append((person.number, person.manager))
        else:
            plan.unchanged += 1
        if person.active != old.active:
            if person.active:
                plan.reactivations.append(person)
            else:
                plan.deactivations.append((person.row, old, "leave_date"))
                plan.ended_ids.append(old.id)
        if changed or person.active != old.active:
            plan.writes.append(person)

    if plan.deactivate_missing:
        for number, old in stored.items():
            if old.active and number not in checked.numbers:
                plan.deactivations.append((None, old, "missing"))
                plan.ended_ids.append(old.id)
                final_active[number] = False

    before = {p.manager for p in stored.values() if p.manager and p.active}
    after = {m for n, m in final_boss.items() if m and final_active.get(n)}
    for number in sorted(after - before):
        name = names.get(number) or (stored[number].full_name if number in stored else number)
        plan.new_managers.append((number, name))
    warned: set[str] = set()
    for person in checked.people:
        boss = person.manager
        if (person.row not in bad_rows and boss and person.active and boss not in warned
                and final_active.get(boss) is False):
            warned.add(boss)
            plan.problems.append(Problem(person.row, "manager_employee_number",
                                         "inactive_manager", {"value": boss}, "warning"))
    for names_new, known, column in ((new_departments, existing.departments, "department"),
                                     (new_locations, existing.locations, "location")):
        folded = {name.casefold(): name for name in known}
        for name in sorted(names_new):
            if name.casefold() in folded:
                plan.problems.append(Problem(None, column, "department_case", {
                    "value": name, "other": folded[name.casefold()]}, "warning"))
    plan.new_departments = sorted(new_departments)
    plan.new_locations = sorted(new_locations)

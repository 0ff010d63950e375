"""Query parameters of the API: each defined once, so that the parser and the OpenAPI document
cannot disagree, and parsed strictly (an unknown or malformed parameter is a 400, never a
silently ignored filter or a 500).

Cursors are opaque to clients: base64url of ``{"k": listing, "id": last id}``; the listing
name stops a cursor of one endpoint from being replayed on another.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date

from lms.reports.roster import STATUSES

CERTIFICATE_STATUSES = ("valid", "expired", "revoked")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# No data predates 1900 or lies past 9000, and bounds outside are where date arithmetic
# (the day after, the UTC start of a local day) overflows; a bound outside is moved to the
# edge, which selects the same rows (and still means "has a date": completed_from=0001-01-01
# is every completed assignment, not every assignment).
EARLIEST = date(1900, 1, 1)
LATEST = date(9000, 12, 31)
# Text filters: printable, no control characters (PostgreSQL refuses NUL in a string).
TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]+$"
_TEXT = re.compile(TEXT_PATTERN)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(DATE_PATTERN)
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_INT = re.compile(r"[0-9]{1,7}")


class ParamError(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # text, date, enum_list, bool, limit, cursor
    description: str
    max_length: int = 0
    choices: tuple[str, ...] = ()

    def schema(self) -> dict:
        if self.kind == "text":
            return {"type": "string", "minLength": 1, "maxLength": self.max_length,
                    "pattern": TEXT_PATTERN}
        if self.kind == "date":
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if self.kind == "enum_list":
            return {"type": "array", "items": {"type": "string", "enum": list(self.choices)}}
        if self.kind == "bool":
            return {"type": "boolean", "default": False}
        if self.kind == "limit":
            return {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}
        if self.kind == "cursor":
            return {"type": "string", "pattern": CURSOR_PATTERN}
        raise AssertionError(self.kind)

    def parse(self, values: list[str]):
        if self.kind == "enum_list":
            for value in values:
                if value not in self.choices:
                    raise ParamError(self.name, f"must be one of {', '.join(self.choices)}")
            return tuple(dict.fromkeys(values))
        if len(values) > 1:
            raise ParamError(self.name, "may be given once")
        value = values[0]
        if self.kind == "text":
            if not value or len(value) > self.max_length or not _TEXT.match(value):
                raise ParamError(self.name, f"must be 1 to {self.max_length} printable "
                                            "characters")
            return value
        if self.kind == "date":
            return _parse_date(self.name, value)
        if self.kind == "bool":
            if value not in ("true", "false"):
                raise ParamError(self.name, "must be true or false")
            return value == "true"
        if self.kind == "limit":
            if not _INT.fullmatch(value) or not 1 <= int(value) <= MAX_LIMIT:
                raise ParamError(self.name, f"must be a whole number from 1 to {MAX_LIMIT}")
            return int(value)
        if self.kind == "cursor":
            return value  # decoded by decode_cursor, which knows the listing
        raise AssertionError(self.kind)


def _parse_date(name: str, value: str) -> date:
    if not _DATE.match(value):
        raise ParamError(name, "must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ParamError(name, "is not a calendar date") from None
    return min(max(day, EARLIEST), LATEST)


def _text(name: str, length: int, description: str) -> Param:
    return Param(name, "text", description, max_length=length)


LIMIT = Param("limit", "limit", "Rows per page (default 100, at most 1000).")
CURSOR = Param("cursor", "cursor", "The `next_cursor` of the previous page; omit for the first.")

ASSIGNMENT_FILTERS = (
    Param("status", "enum_list", "Status; repeat for any of several. `overdue` is an open "
          "assignment past its due date (computed, never stored).", choices=STATUSES),
    _text("course", 100, "Course slug."),
    _text("cycle", 32, "Cycle, such as `2026`."),
    _text("employee_number", 64, "The employee's number."),
    _text("department", 200, "Department name (exact)."),
    _text("location", 200, "Location name (exact)."),
    _text("manager", 64, "A manager's employee number: everyone below them in the org tree."),
    Param("direct_only", "bool", "With `manager`: only their direct reports."),
    Param("active_only", "bool", "Leave out people who have left (included by default)."),
    Param("due_from", "date", "Due on or after this date."),
    Param("due_to", "date", "Due on or before this date."),
    Param("completed_from", "date", "Completed on or after this company-local date."),
    Param("completed_to", "date", "Completed on or before this company-local date."),
)

CERTIFICATE_FILTERS = (
    _text("employee_number", 64, "The holder's employee number."),
    _text("course", 100, "Course slug."),
    Param("status", "enum_list", "Status today; repeat for any of several.",
          choices=CERTIFICATE_STATUSES),
    Param("issued_from", "date", "Issued on or after this company-local date."),
    Param("issued_to", "date", "Issued on or before this company-local date."),
)


def parse(params: tuple[Param, ...], args) -> dict:
    """``args``: a werkzeug MultiDict. Every parameter given must be known and well formed;
    returns ``{name: value}`` for those given."""
    known = {param.name: param for param in params}
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise ParamError(unknown[0][:40], "is not a parameter of this endpoint")
    return {name: known[name].parse(args.getlist(name)) for name in args}


def encode_cursor(listing: str, last_id: int) -> str:
    raw = json.dumps({"k": listing, "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(listing: str, cursor: str | None) -> int:
    """The id the next page starts after (0 for the first page)."""
    if cursor is None:
        return 0
    bad = ParamError("cursor", "is not a cursor this endpoint returned")
    if not _CURSOR.match(cursor):
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(data, dict) or set(data) != {"k", "id"} or data["k"] != listing:
        raise bad
    last_id = data["id"]
    if type(last_id) is not int or not 0 <= last_id < 2**63:
        raise bad
    return last_id

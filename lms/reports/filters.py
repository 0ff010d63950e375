"""The roster's filters from a query string, parsed in one place: the roster page, its CSV and
XLSX downloads and the dashboard's drill-down links all speak the same parameters.

    course=ID  cycle=TEXT  department=ID  location=ID  manager=EMPLOYEE_NUMBER  direct=1
    status=S (repeatable, from roster.STATUSES)
    due_from, due_to, completed_from, completed_to = YYYY-MM-DD

A value that cannot be understood is an error with a message for the page, never a filter
silently dropped: an export must not hand out more rows than were asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.db import db
from lms.people.models import Employee
from lms.reports.roster import STATUSES, RosterFilters

ID_PARAMS = {"course": "course_id", "department": "department_id", "location": "location_id"}
DATE_PARAMS = ("due_from", "due_to", "completed_from", "completed_to")
CYCLE_MAX = 32  # Assignment.cycle's column width
NUMBER_MAX = 64  # Employee.employee_number's column width
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = ("1", "on", "true", "yes", "y")


@dataclass
class ParsedFilters:
    """The filters, what was typed (to show the form again) and the errors by parameter."""

    filters: RosterFilters = field(default_factory=RosterFilters)
    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    manager: Employee | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def args(self) -> dict:
        """The filters as query parameters, for links to other pages and the downloads."""
        f = self.filters
        args: dict = {}
        for param, attribute in ID_PARAMS.items():
            if getattr(f, attribute) is not None:
                args[param] = getattr(f, attribute)
        if f.cycle is not None:
            args["cycle"] = f.cycle
        if self.manager is not None:
            args["manager"] = self.manager.employee_number
            if f.direct_only:
                args["direct"] = 1
        if f.statuses:
            args["status"] = list(f.statuses)
        for param in DATE_PARAMS:
            if getattr(f, param) is not None:
                args[param] = getattr(f, param).isoformat()
        return args


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD day, or None. (``date.fromisoformat`` alone would also take 20260601 and
    2026-W23-1, which nobody types into a filter on purpose.)"""
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def reversed_ranges(filters: RosterFilters) -> list[str]:
    """The 'to' parameters whose range ends before it starts: a mistake worth saying rather
    than an empty list. (Names, not messages: the command line has no request to translate
    for.)"""
    reversed_ = []
    if filters.due_from and filters.due_to and filters.due_from > filters.due_to:
        reversed_.append("due_to")
    if (filters.completed_from and filters.completed_to
            and filters.completed_from > filters.completed_to):
        reversed_.append("completed_to")
    return reversed_


def parse_roster_args(args: MultiDict) -> ParsedFilters:
    """Request arguments -> RosterFilters (with the manager looked up by employee number)."""
    values: dict = {}
    errors: dict[str, str] = {}
    chosen: dict = {}

    for param, attribute in ID_PARAMS.items():
        raw = args.get(param, "").strip()
        values[param] = raw
        if not raw:
            continue
        if raw.isascii() and raw.isdigit() and len(raw) < 10:  # not '²': int() refuses it
            chosen[attribute] = int(raw)
        else:
            errors[param] = {"course": _("Choose a course from the list."),
                             "department": _("Choose a department from the list."),
                             "location": _("Choose a location from the list.")}[param]

    cycle = args.get("cycle", "").strip()
    values["cycle"] = cycle
    if len(cycle) > CYCLE_MAX or "\x00" in cycle:
        errors["cycle"] = _("A cycle is at most %(num)s characters, for example 2026.",
                            num=CYCLE_MAX)
    elif cycle:
        chosen["cycle"] = cycle

    manager = None
    number = args.get("manager", "").strip()
    values["manager"] = number
    values["direct"] = args.get("direct", "").strip().lower() in _TRUE
    if number:
        # (PostgreSQL refuses a NUL in a text parameter: no employee number has one anyway.)
        if len(number) <= NUMBER_MAX and "\x00" not in number:
            manager = db.session.scalar(select(Employee)
                                        .where(Employee.employee_number == number))
        if manager is None:
            errors["manager"] = _("No employee has this number.")
        else:
            chosen["manager_id"] = manager.id
            chosen["direct_only"] = values["direct"]

    statuses = [s.strip() for s in args.getlist("status") if s.strip()]
    values["status"] = statuses
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        errors["status"] = _("Unknown status: %(statuses)s.",
                             statuses=", ".join(sorted(set(unknown)))[:200])
    elif statuses:
        chosen["statuses"] = tuple(s for s in STATUSES if s in statuses)

    for param in DATE_PARAMS:
        raw = args.get(param, "").strip()
        values[param] = raw
        if not raw:
            continue
        day = parse_day(raw)
        if day is None:
            errors[param] = _("Enter a date as YYYY-MM-DD, for example 2026-06-30.")
        else:
            chosen[param] = day

    filters = replace(RosterFilters(), **chosen)
    for param in reversed_ranges(filters):
        errors.setdefault(param, {
            "due_to": _("The due date range ends before it starts."),
            "completed_to": _("The completion date range ends before it starts.")}[param])
    return ParsedFilters(filters, values, errors, manager)

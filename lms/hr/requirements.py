"""Checking and saving requirements as HR edits them: plain values in, a requirement or the
problems per field out. The sync applies a saved change on its next run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from courses.models import Course
from lms.compliance.models import Requirement
from lms.db import db
from lms.errors import lazy_gettext as _l
from lms.people.models import Department, Location

RECURRENCES = ("once", "rolling", "calendar")


@dataclass
class RequirementInput:
    course_id: int | None = None
    name: str = ""
    everyone: bool = False
    new_hires: bool = False
    managers: bool = False
    department_ids: list[int] = field(default_factory=list)
    location_ids: list[int] = field(default_factory=list)
    job_titles: str = ""  # one per line
    recurrence: str = "calendar"
    every_months: int | None = None
    deadline_month: int | None = 12
    deadline_day: int | None = 31
    window_days: int = 30
    due_days_after_entry: int | None = None
    reminder_days: str = "14, 3, 0"
    escalate_manager_days: int | None = None
    escalate_hr_days: int | None = None
    starts_on: date | None = None
    active: bool = True


def _days(text: str) -> list[int] | None:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdecimal() and int(p) <= 365 for p in parts):
        return None
    return sorted({int(p) for p in parts}, reverse=True)


def check(data: RequirementInput) -> tuple[dict, dict[str, str]]:
    """The model's values, and a message per field that is wrong."""
    errors: dict[str, str] = {}
    if data.course_id is None or db.session.get(Course, data.course_id) is None:
        errors["course_id"] = _l("Choose a course.")
    name = data.name.strip()
    if not name or len(name) > 200:
        errors["name"] = _l("Give the requirement a name of at most %(num)s characters.", num=200)
    titles = sorted({t.strip() for t in data.job_titles.splitlines() if t.strip()})
    audience: dict = {}
    for key in ("everyone", "new_hires", "managers"):
        if getattr(data, key):
            audience[key] = True
    known_departments = set(db.session.scalars(select(Department.id)))
    known_locations = set(db.session.scalars(select(Location.id)))
    if set(data.department_ids) - known_departments or set(data.location_ids) - known_locations:
        errors["audience"] = _l("A department or location chosen no longer exists.")
    if data.department_ids:
        audience["departments"] = sorted(set(data.department_ids))
    if data.location_ids:
        audience["locations"] = sorted(set(data.location_ids))
    if titles:
        audience["job_titles"] = titles
    if not audience:
        errors["audience"] = _l("Say who must take it: everyone, or at least one condition.")
    if data.recurrence not in RECURRENCES:
        errors["recurrence"] = _l("Choose once, every N months, or every year by a date.")
    if data.recurrence == "rolling" and not (data.every_months and 1 <= data.every_months <= 120):
        errors["every_months"] = _l("Every how many months: 1 to 120.")
    if data.recurrence == "calendar":
        try:
            date(2024, data.deadline_month or 0, data.deadline_day or 0)  # a leap year
        except ValueError:
            errors["deadline_day"] = _l("Give a real date for the yearly deadline.")
    reminders = _days(data.reminder_days)
    if reminders is None:
        errors["reminder_days"] = _l(
            "Days before due, separated by commas (for example 14, 3, 0).")
    for key in ("window_days", "due_days_after_entry", "escalate_manager_days",
                "escalate_hr_days"):
        value = getattr(data, key)
        if value is not None and not 0 <= value <= 3650:
            errors[key] = _l("A number of days from 0 to %(num)s.", num=3650)
    values = {
        "course_id": data.course_id, "name": name, "audience": audience,
        "recurrence": data.recurrence,
        "every_months": data.every_months if data.recurrence == "rolling" else None,
        "deadline_month": data.deadline_month if data.recurrence == "calendar" else None,
        "deadline_day": data.deadline_day if data.recurrence == "calendar" else None,
        "window_days": data.window_days or 0, "due_days_after_entry": data.due_days_after_entry,
        "reminder_days": reminders or [], "escalate_manager_days": data.escalate_manager_days,
        "escalate_hr_days": data.escalate_hr_days, "starts_on": data.starts_on or date.today(),
        "active": data.active,
    }
    return values, errors


def save(requirement: Requirement | None, data: RequirementInput
         ) -> tuple[Requirement | None, dict[str, str]]:
    """Create or update a requirement; nothing is changed if any field is wrong."""
    values, errors = check(data)
    if errors:
        return None, errors
    if requirement is None:
        requirement = Requirement(**values)
        db.session.add(requirement)
    else:
        for key, value in values.items():
            setattr(requirement, key, value)
    db.session.flush()
    return requirement, {}


def _ids(values: list, model) -> list[int]:
    """Audience entries may name a department or location instead of giving its id."""
    ids = [v for v in values if isinstance(v, int)]
    names = [v for v in values if isinstance(v, str)]
    if names:
        ids += db.session.scalars(select(model.id).where(model.name.in_(names))).all()
    return sorted(set(ids))


def as_input(requirement: Requirement) -> RequirementInput:
    audience = requirement.audience or {}
    return RequirementInput(
        course_id=requirement.course_id, name=requirement.name,
        everyone=bool(audience.get("everyone")), new_hires=bool(audience.get("new_hires")),
        managers=bool(audience.get("managers")),
        department_ids=_ids(audience.get("departments", []), Department),
        location_ids=_ids(audience.get("locations", []), Location),
        job_titles="\n".join(audience.get("job_titles", [])), recurrence=requirement.recurrence,
        every_months=requirement.every_months, deadline_month=requirement.deadline_month,
        deadline_day=requirement.deadline_day, window_days=requirement.window_days,
        due_days_after_entry=requirement.due_days_after_entry,
        reminder_days=", ".join(str(d) for d in requirement.reminder_days or []),
        escalate_manager_days=requirement.escalate_manager_days,
        escalate_hr_days=requirement.escalate_hr_days, starts_on=requirement.starts_on,
        active=requirement.active)

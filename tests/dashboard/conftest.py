"""A small hand-made organisation for the dashboard and ESG tests: people placed in chosen
departments and locations, assignments in chosen states, courses completed with time spent."""

from __future__ import annotations

from datetime import date, datetime, time
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from courses.models import CourseVersion, Enrollment, Module, ModuleProgress
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Location
from tests.conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 15, minute: int = 0) -> datetime:
    """A moment on a company-local day (the company is in Shanghai)."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def place(app):
    """place(department_name, location_name) -> (Department | None, Location | None)."""

    def get(department: str | None, location: str | None = None):
        found = []
        for model, name in ((Department, department), (Location, location)):
            if name is None:
                found.append(None)
                continue
            row = db.session.scalar(select(model).where(model.name == name))
            if row is None:
                row = model(name=name)
                db.session.add(row)
                db.session.flush()
            found.append(row)
        db.session.commit()
        return tuple(found)

    return get


@pytest.fixture
def person(make_employee, place):
    """person(name, department, location, **fields): an employee placed where asked (None:
    not recorded)."""

    def make(name: str, department: str | None = "Sales", location: str | None = "Hangzhou",
             **fields):
        employee = make_employee(name, **fields)
        dept, loc = place(department, location)
        employee.department_id = dept.id if dept else None
        employee.location_id = loc.id if loc else None
        db.session.commit()
        return employee

    return make


@pytest.fixture
def assignment(app):
    """assignment(employee, course, cycle, status, due_on, completed_on=..., assigned_on=...)."""

    def make(employee, course, cycle: str, status: str = "assigned",
             due_on: date = date(2026, 12, 31), completed: datetime | None = None,
             assigned_on: date = date(2026, 1, 5)) -> Assignment:
        row = Assignment(employee_id=employee.id, course_id=course.id, cycle=cycle,
                         assigned_on=assigned_on, due_on=due_on, status=status,
                         completed_at=completed)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def learned(app):
    """learned(employee, course, completed, seconds=[...], status="completed"): an enrolment
    with the given time spent per module."""

    def make(employee, course, completed: datetime | None, seconds: tuple[int, ...] = (),
             status: str = "completed") -> Enrollment:
        version = db.session.scalar(select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.status == "published"))
        modules = db.session.scalars(select(Module).where(Module.version_id == version.id)
                                     .order_by(Module.position)).all()
        assert len(modules) >= len(seconds)
        enrollment = Enrollment(employee_id=employee.id, course_version_id=version.id,
                                status=status, completed_at=completed)
        db.session.add(enrollment)
        db.session.flush()
        for module, spent in zip(modules, seconds, strict=False):
            db.session.add(ModuleProgress(enrollment_id=enrollment.id, module_id=module.id,
                                          seconds_spent=spent))
        db.session.commit()
        return enrollment

    return make


@pytest.fixture
def hr_client(app, make_employee):
    # Hired after the ESG tests' year (2025), so not in their headcount.
    make_employee("Hr Person", email="hr@example.com", roles=("hr",),
                  hire_date=date(2026, 1, 1))
    client = app.test_client()
    response = client.post("/login", data={"email": "hr@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return client


class Tags(HTMLParser):
    """Every tag, attribute name and link target of a page (to look for injected markup)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]


TODAY = date(2026, 6, 15)


def frozen(day: date = TODAY):
    return time_machine.travel(datetime.combine(day, time(10, 0), SHANGHAI), tick=False)


@pytest.fixture
def hr(app, make_employee):
    """HR, signed in on the frozen day (a session from the real today would look expired)."""
    make_employee("Hr Person", email="hr@example.com", roles=("hr",))
    client = app.test_client()
    with frozen():
        assert client.post("/login", data={"email": "hr@example.com",
                                           "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def org(catalog, person, assignment):
    """Course A (code of conduct): cycles 2025 and 2026. Course B (harassment): "once".

    A 2026, assigned 5 Jan 2026 (a Monday), due 31 Dec 2026:
      s1 Sales/Hangzhou completed Sun 11 Jan 23:30 local (still week 1 locally; 15:30 UTC)
      s2 Sales/Hangzhou completed 20 Jan       s3 Sales/Shanghai in progress
      f1 Finance/Shanghai overdue (due 1 Mar)  f2 Finance/Shanghai waived (not counted)
      f3 Finance/Shanghai expired (completed 2 Feb)   n1 no department/location, paused
    A 2025: s1 completed, s2 closed.  B once: s1 overdue (due 1 Feb), s2 completed.
    """
    a, b = catalog["code-of-conduct"], catalog["harassment-prevention"]
    s1 = person("S One", "Sales", "Hangzhou")
    s2 = person("S Two", "Sales", "Hangzhou")
    s3 = person("S Three", "Sales", "Shanghai")
    f1 = person("F One", "Finance", "Shanghai")
    f2 = person("F Two", "Finance", "Shanghai")
    f3 = person("F Three", "Finance", "Shanghai")
    n1 = person("N One", None, None)
    assignment(s1, a, "2026", "completed", completed=at(date(2026, 1, 11), 23, 30))
    assignment(s2, a, "2026", "completed", completed=at(date(2026, 1, 20)))
    assignment(s3, a, "2026", "in_progress")
    assignment(f1, a, "2026", "assigned", due_on=date(2026, 3, 1))
    assignment(f2, a, "2026", "waived", due_on=date(2026, 3, 1))
    assignment(f3, a, "2026", "expired", completed=at(date(2026, 2, 2)))
    assignment(n1, a, "2026", "paused", due_on=date(2026, 3, 1))
    assignment(s1, a, "2025", "completed", due_on=date(2025, 12, 31),
               completed=at(date(2025, 5, 1)), assigned_on=date(2025, 1, 1))
    assignment(s2, a, "2025", "closed", due_on=date(2025, 12, 31), assigned_on=date(2025, 1, 1))
    assignment(s1, b, "once", "assigned", due_on=date(2026, 2, 1))
    assignment(s2, b, "once", "completed", completed=at(date(2026, 1, 8)))
    ids = {name: db.session.scalar(select(model.id).where(model.name == name))
           for model, name in ((Department, "Sales"), (Department, "Finance"),
                               (Location, "Hangzhou"), (Location, "Shanghai"))}
    return {"a": a.id, "b": b.id, **ids}

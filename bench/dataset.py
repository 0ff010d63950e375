"""A large, realistic and reproducible company for the benchmarks: ``seed_org(250_000)``.

The org tree is built level by level so that it is about ten levels deep whatever its size:
level sizes grow geometrically to the head count, and each level's reports are shared out
among some of the level above in spans of 3 to 15. Departments are whole subtrees, people
mostly work where their department is, hire dates spread over fifteen years (a few people are
about to join, a few have left). The courses and requirements are the demo's.

On PostgreSQL the people are loaded with COPY, elsewhere with executemany; the rest is small.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, text

from courses.models import Course
from lms.catalog.services import sync_catalog
from lms.compliance.models import Requirement
from lms.db import db, utcnow
from lms.demo.data import (
    DEPARTMENTS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    JOB_TITLES,
    LATIN_NAMES,
    ORG_SETTINGS,
)
from lms.org.services import set_org_settings
from lms.people.models import Department, Employee, Location

# A fixed "today", so that the same seed gives the same dates (and due dates) on any day.
TODAY = date(2026, 9, 15)
DEPTH = 10
SPAN = (3, 15)
DEPARTMENT_COUNT = 200
HISTORY_YEARS = 15

CITIES = [
    ("Hangzhou", "Asia/Shanghai"), ("Shanghai", "Asia/Shanghai"), ("Beijing", "Asia/Shanghai"),
    ("Shenzhen", "Asia/Shanghai"), ("Guangzhou", "Asia/Shanghai"), ("Chengdu", "Asia/Shanghai"),
    ("Wuhan", "Asia/Shanghai"), ("Xi'an", "Asia/Shanghai"), ("Hong Kong", "Asia/Hong_Kong"),
    ("Taipei", "Asia/Taipei"), ("Singapore", "Asia/Singapore"), ("Kuala Lumpur",
                                                                  "Asia/Kuala_Lumpur"),
    ("Bangkok", "Asia/Bangkok"), ("Jakarta", "Asia/Jakarta"), ("Manila", "Asia/Manila"),
    ("Tokyo", "Asia/Tokyo"), ("Seoul", "Asia/Seoul"), ("Bengaluru", "Asia/Kolkata"),
    ("Dubai", "Asia/Dubai"), ("Sydney", "Australia/Sydney"), ("Dublin", "Europe/Dublin"),
    ("London", "Europe/London"), ("Paris", "Europe/Paris"), ("Berlin", "Europe/Berlin"),
    ("Madrid", "Europe/Madrid"), ("Warsaw", "Europe/Warsaw"), ("New York", "America/New_York"),
    ("Chicago", "America/Chicago"), ("São Paulo", "America/Sao_Paulo"),
    ("Mexico City", "America/Mexico_City"),
]
LEADER_TITLES = ["Chief Executive Officer", "Executive Vice President", "Senior Vice President",
                 "Vice President", "Senior Director", "Director", "Senior Manager", "Manager",
                 "Team Lead", "Team Lead"]

EMPLOYEE_COLUMNS = ("id", "employee_number", "full_name", "email", "password_hash",
                    "department_id", "location_id", "job_title", "manager_id", "hire_date",
                    "leave_date", "locale", "active", "created_at", "updated_at")


@dataclass
class _Person:
    id: int
    level: int
    manager_id: int | None
    department: int = 0  # index into the department list; 0 is the executive office
    reports: int = 0


def level_sizes(employees: int, depth: int = DEPTH) -> list[int]:
    """Head count per level, 1 at the top, growing by a constant factor to ``employees``."""
    depth = max(1, min(depth, employees))
    low, high = 1.0, float(employees)
    for _ in range(100):  # bisection: sum of growth**d for d < depth == employees
        growth = (low + high) / 2
        if sum(growth ** d for d in range(depth)) < employees:
            low = growth
        else:
            high = growth
    cumulative = [round(sum(growth ** k for k in range(d + 1))) for d in range(depth)]
    cumulative[-1] = employees
    sizes = [cumulative[0]] + [cumulative[d] - cumulative[d - 1] for d in range(1, depth)]
    return [size for size in sizes if size > 0]


def _org_tree(rng: random.Random, employees: int) -> list[_Person]:
    sizes = level_sizes(employees)
    people = [_Person(1, 0, None)]
    level = people
    # Departments are the subtrees under the first level wide enough to hold them all.
    department_level = next((d for d, size in enumerate(sizes)
                             if size >= min(DEPARTMENT_COUNT, employees // 10)), len(sizes) - 1)
    for depth, size in enumerate(sizes[1:], start=1):
        managers = rng.sample(level, len(level))
        spans, left = [], size
        while left > 0 and len(spans) < len(managers):
            span = min(rng.randint(*SPAN), left)
            spans.append(span)
            left -= span
        for index in range(left):  # more reports than spans of 15 allow: widen evenly
            spans[index % len(spans)] += 1
        next_level = []
        for manager, span in zip(managers, spans, strict=False):
            manager.reports = span
            for _ in range(span):
                person = _Person(len(people) + 1, depth, manager.id, manager.department)
                if depth == department_level:
                    person.department = len(next_level) % DEPARTMENT_COUNT + 1
                people.append(person)
                next_level.append(person)
        level = next_level
    return people


def _departments() -> list[tuple[str, str]]:
    """(name, kind) of each department: "Sales", ..., "Sales 2", ...; the kind picks titles."""
    found = [("Executive Office", "Executive Office")]
    for number in range(DEPARTMENT_COUNT):
        kind = DEPARTMENTS[number % len(DEPARTMENTS)]
        found.append((kind if number < len(DEPARTMENTS)
                      else f"{kind} {number // len(DEPARTMENTS) + 1}", kind))
    return found


def _name(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)
    return rng.choice(LATIN_NAMES)


def _employee_rows(rng: random.Random, people: list[_Person], department_ids: list[int],
                   location_ids: list[int], today: date) -> list[tuple]:
    kinds = [kind for _, kind in _departments()]
    home = [rng.choice(location_ids) for _ in kinds]
    history = HISTORY_YEARS * 365
    now = utcnow()
    rows = []
    for person in people:
        if person.reports:
            title = LEADER_TITLES[min(person.level, len(LEADER_TITLES) - 1)]
        else:
            title = rng.choice(JOB_TITLES.get(kinds[person.department], ["Executive Assistant"]))
        location = home[person.department] if rng.random() < 0.8 else rng.choice(location_ids)
        chance = rng.random()
        hire_date = today - timedelta(days=rng.randrange(history))
        leave_date, active = None, True
        if chance < 0.003:  # signed, starting within the month
            hire_date = today + timedelta(days=rng.randint(1, 30))
        elif chance < 0.023 and not person.reports:  # left; their record stays
            leave_date = hire_date + timedelta(days=rng.randint(0, (today - hire_date).days))
            active = False
        rows.append((person.id, f"E{person.id:07d}", _name(rng), f"e{person.id:07d}@example.com",
                     None, department_ids[person.department], location, title,
                     person.manager_id, hire_date, leave_date,
                     "zh-Hans" if rng.random() < 0.15 else "en", active, now, now))
    return rows


def _load_employees(rows: list[tuple]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        columns = ", ".join(EMPLOYEE_COLUMNS)
        cursor = connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY employees ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # The ids were given, so the sequence must be moved past them.
        connection.execute(text("SELECT setval(pg_get_serial_sequence('employees', 'id'), "
                                "(SELECT max(id) FROM employees))"))
    else:
        connection.execute(insert(Employee.__table__),
                           [dict(zip(EMPLOYEE_COLUMNS, row, strict=True)) for row in rows])


REQUIRED_COURSES = ("code-of-conduct", "harassment-prevention", "self-defense-basics",
                    "manager-track")


def _courses() -> dict[str, Course]:
    """The shipped catalog, loaded as ``flask content sync`` loads it: real modules, quizzes
    and attestation texts, so that course pages, quiz attempts and certificates have the
    content they have in production."""
    report = sync_catalog(Path(current_app.config["LMS_CONTENT_DIR"]))
    if report.failed:
        raise RuntimeError(f"the shipped catalog does not load: {report.failed}")
    db.session.flush()
    courses = {c.slug: c for c in db.session.scalars(
        select(Course).where(Course.slug.in_(REQUIRED_COURSES)))}
    missing = set(REQUIRED_COURSES) - set(courses)
    if missing:
        raise RuntimeError(f"the shipped catalog lacks {sorted(missing)}")
    return courses


def _requirements(courses: dict[str, Course], today: date) -> list[Requirement]:
    """The demo's requirements, with the escalations the reminder job acts on."""
    year_start = date(today.year, 1, 1)

    def calendar_year(slug: str, name: str, audience: dict, **fields) -> Requirement:
        return Requirement(course_id=courses[slug].id, name=name, audience=audience,
                           recurrence="calendar", deadline_month=12, deadline_day=31,
                           window_days=30, starts_on=year_start, reminder_days=[14, 3, 0],
                           **fields)

    requirements = [
        calendar_year("code-of-conduct", "Code of Conduct: annual certification",
                      {"everyone": True}, escalate_manager_days=7, escalate_hr_days=30),
        calendar_year("harassment-prevention",
                      "Harassment prevention: every year, new hires within 30 days",
                      {"everyone": True}, due_days_after_entry=30, escalate_manager_days=7),
        calendar_year("manager-track",
                      "Manager track: every year, within 60 days of becoming a manager",
                      {"managers": True}, due_days_after_entry=60, escalate_hr_days=14),
        Requirement(course_id=courses["self-defense-basics"].id,
                    name="Self-defense basics: every two years", audience={"everyone": True},
                    recurrence="rolling", every_months=24, window_days=60,
                    due_days_after_entry=90, starts_on=today - timedelta(days=60),
                    reminder_days=[14, 3, 0]),
    ]
    db.session.add_all(requirements)
    db.session.flush()
    return requirements


def seed_org(employees: int, seed: int = 1, today: date = TODAY) -> dict:
    """Fill the current app's (empty) database with a company of ``employees`` people, its
    departments, locations, courses and requirements. The same ``seed`` gives the same data.
    Flushes, never commits. Returns what it made."""
    rng = random.Random(seed)
    set_org_settings(ORG_SETTINGS)
    departments = [Department(name=name) for name, _ in _departments()]
    locations = [Location(name=city, timezone=zone) for city, zone in CITIES]
    db.session.add_all(departments + locations)
    db.session.flush()
    people = _org_tree(rng, employees)
    _load_employees(_employee_rows(rng, people, [d.id for d in departments],
                                   [loc.id for loc in locations], today))
    courses = _courses()
    requirements = _requirements(courses, today)
    db.session.flush()
    return {"employees": len(people), "managers": sum(1 for p in people if p.reports),
            "levels": max(p.level for p in people) + 1, "departments": len(departments),
            "locations": len(locations), "courses": {s: c.id for s, c in courses.items()},
            "requirements": [r.id for r in requirements], "today": today}


def seed_company(employees: int, seed: int = 1, years: int = 3, today: date = TODAY,
                 progress=None) -> dict:
    """The company (seed_org) and ``years`` cycles of its training history (0: none), with the
    benchmark logins. What ``flask bench seed`` writes and the data benchmarks run on.
    ``progress(n)`` is called as people are done. Flushes, never commits."""
    from bench.history import bench_logins, seed_history

    made = seed_org(employees, seed, today)
    if progress:
        progress(0)
    made["history"] = seed_history(today, years, seed, progress) if years else {}
    made["logins"] = bench_logins(employees) if years else {}
    return made

"""Seed the demo organisation. Idempotent: an existing demo organisation is left as it is."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from courses.models import Course
from courses.services import complete_module, module_states, sign_attestation
from lms.auth.services import hash_password
from lms.compliance.leave import record_leave
from lms.compliance.models import Assignment, Requirement
from lms.compliance.services import begin
from lms.compliance.sync import sync_assignments
from lms.compliance.waivers import waive
from lms.db import db
from lms.demo import data
from lms.org.services import set_org_settings
from lms.people.models import Department, Employee, Location, RoleGrant
from quizzes.services import shown_questions, start_attempt, submit_attempt


@dataclass
class DemoLogin:
    email: str
    role: str
    name: str


DEMO_LOGINS = [
    DemoLogin("employee@example.com", "employee", "Wang Fang"),
    DemoLogin("manager@example.com", "manager (of the employee)", "Zhang Wei"),
    DemoLogin("hr@example.com", "hr", "Liu Min"),
    DemoLogin("trainer@example.com", "trainer", "Sarah Kelly"),
    DemoLogin("admin@example.com", "admin", "Chen Jie"),
]


def _person(number: int, name: str, email: str, dept: Department, loc: Location, title: str,
            manager: Employee | None, password_hash: str, hired: date) -> Employee:
    employee = Employee(
        employee_number=f"E{number:05d}", full_name=name, email=email, password_hash=password_hash,
        department=dept, location=loc, job_title=title, manager=manager, hire_date=hired,
        locale="zh-Hans" if any("\u4e00" <= ch <= "\u9fff" for ch in name) else "en",
    )
    db.session.add(employee)
    return employee


def seed_people(
    rng: random.Random, size: int, password_hash: str, today: date
) -> dict[str, Employee]:
    """An org tree: a CEO, department heads, team managers and staff, about ``size`` people."""
    locations = [Location(name=n, timezone=tz) for n, tz in data.LOCATIONS]
    departments = {name: Department(name=name) for name in data.DEPARTMENTS}
    db.session.add_all(locations + list(departments.values()))
    counter = iter(range(1, 100000))

    def name() -> str:
        if rng.random() < 0.8:
            return rng.choice(data.FAMILY_NAMES) + rng.choice(data.GIVEN_NAMES)
        return rng.choice(data.LATIN_NAMES)

    def hired() -> date:
        return today - timedelta(days=rng.randint(40, 3000))

    ceo = _person(next(counter), "赵国华", "ceo@example.com", departments["Operations"],
                  locations[0], "Chief Executive Officer", None, password_hash, date(2012, 3, 1))
    named = {}
    everyone = [ceo]
    per_dept = max(4, (size - 1) // len(departments))
    for index, dept in enumerate(departments.values()):
        head = _person(next(counter), name(), f"head.{index}@example.com", dept,
                       locations[index % len(locations)], f"Head of {dept.name}", ceo,
                       password_hash, hired())
        everyone.append(head)
        managers = []
        for team in range(2):
            number = next(counter)
            manager = _person(number, name(), f"user{number}@example.com", dept,
                              locations[(index + team) % len(locations)], "Team Manager", head,
                              password_hash, hired())
            managers.append(manager)
            everyone.append(manager)
        for _ in range(per_dept - 3):
            number = next(counter)
            person = _person(number, name(), f"user{number}@example.com", dept,
                             rng.choice(locations), rng.choice(data.JOB_TITLES[dept.name]),
                             rng.choice(managers), password_hash, hired())
            everyone.append(person)
    sales = departments["Sales"]
    hrd = departments["Human Resources"]
    sales_head = next(e for e in everyone if e.job_title == "Head of Sales")
    named["manager"] = _person(next(counter), "Zhang Wei", "manager@example.com", sales,
                               locations[0], "Sales Team Manager", sales_head, password_hash,
                               date(2019, 5, 6))
    named["employee"] = _person(next(counter), "Wang Fang", "employee@example.com", sales,
                                locations[0], "Account Manager", named["manager"], password_hash,
                                date(2023, 9, 18))
    for _ in range(4):
        number = next(counter)
        everyone.append(_person(number, name(), f"user{number}@example.com", sales, locations[0],
                                "Sales Representative", named["manager"], password_hash, hired()))
    hr_head = next(e for e in everyone if e.job_title == "Head of Human Resources")
    named["hr"] = _person(next(counter), "Liu Min", "hr@example.com", hrd, locations[1],
                          "HR Business Partner", hr_head, password_hash, date(2018, 2, 12))
    named["trainer"] = _person(next(counter), "Sarah Kelly", "trainer@example.com", hrd,
                               locations[5], "Learning Designer", hr_head, password_hash,
                               date(2021, 1, 11))
    named["admin"] = _person(next(counter), "Chen Jie", "admin@example.com",
                             departments["Engineering"], locations[0], "Systems Administrator",
                             ceo, password_hash, date(2017, 7, 3))
    everyone.extend(named.values())
    db.session.flush()
    for key in ("hr", "trainer", "admin"):
        db.session.add(RoleGrant(employee_id=named[key].id, role=key))
    named["everyone"] = everyone
    return named


def pass_course(assignment: Assignment, employee: Employee) -> None:
    """Complete an assignment through the learner's own steps: read, sign, answer correctly."""
    enrollment = begin(assignment)
    for state in module_states(enrollment):
        complete_module(enrollment, state.module.position)
    if enrollment.version.attestation_text:
        sign_attestation(enrollment, employee, employee.full_name, data.DEMO_PASSWORD,
                         "127.0.0.1", "demo seed")
    attempt = start_attempt(enrollment, random.Random(assignment.id))
    form = {}
    for shown in shown_questions(attempt):
        form[f"q{shown.index}"] = [str(i) for i, option in enumerate(shown.options)
                                   if option.correct]
    submit_attempt(attempt.id, form)


def seed_requirements(courses: dict[str, Course], today: date) -> list[Requirement]:
    """The requirements of the mission: Code of Conduct for everyone every calendar year;
    harassment prevention every year and within 30 days for new hires; self-defense basics
    every two years; the manager track for managers and within 60 days of becoming one; the
    professional track for HR and investigators."""
    year_start = date(today.year, 1, 1)

    def calendar_year(slug: str, name: str, audience: dict, **fields) -> Requirement:
        fields.setdefault("window_days", 30)
        return Requirement(course_id=courses[slug].id, name=name, audience=audience,
                           recurrence="calendar", deadline_month=12, deadline_day=31,
                           starts_on=year_start, **fields)

    requirements = [
        calendar_year("code-of-conduct", "Code of Conduct: annual certification",
                      {"everyone": True}, window_days=92),  # the campaign opens 1 October
        calendar_year("harassment-prevention",
                      "Harassment prevention: every year, new hires within 30 days",
                      {"everyone": True}, due_days_after_entry=30),
        Requirement(course_id=courses["self-defense-basics"].id,
                    name="Self-defense basics: every two years", audience={"everyone": True},
                    recurrence="rolling", every_months=24, window_days=60,
                    due_days_after_entry=90, starts_on=today - timedelta(days=60)),
    ]
    if "manager-track" in courses:
        requirements.append(calendar_year(
            "manager-track", "Manager track: every year, within 60 days of becoming a manager",
            {"managers": True}, due_days_after_entry=60, escalate_hr_days=14))
    if "professional-track" in courses:
        requirements += [
            calendar_year("professional-track", "Professional track: HR",
                          {"departments": ["Human Resources"]}),
            calendar_year("professional-track", "Professional track: investigators",
                          {"job_titles": ["Workplace Investigator", "Compliance Officer"]}),
        ]
    db.session.add_all(requirements)
    db.session.flush()
    return requirements


def seed_demo(today: date, size: int = 200, seed: int = 2026) -> dict:
    """Create the demo organisation, its settings and training history (once)."""
    if db.session.scalar(select(func.count()).select_from(Employee)) > 0:
        return {"created": False}
    rng = random.Random(seed)
    set_org_settings(data.ORG_SETTINGS)
    for locale, values in data.ORG_SETTINGS_TRANSLATED.items():
        set_org_settings(values, locale)
    people = seed_people(rng, size, hash_password(data.DEMO_PASSWORD), today)
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    missing = {"code-of-conduct", "harassment-prevention", "self-defense-basics"} - set(courses)
    if missing:
        raise RuntimeError(f"load the catalog first (flask --app lms content sync); missing: "
                           f"{', '.join(sorted(missing))}")
    seed_requirements(courses, today)
    sync_assignments(today)
    everyone = people["everyone"]
    employee = people["employee"]
    self_defense = db.session.scalar(select(Assignment).where(
        Assignment.employee_id == employee.id,
        Assignment.course_id == courses["self-defense-basics"].id))
    pass_course(self_defense, employee)
    # Some colleagues have already finished, as in any real cycle.
    for person in everyone:
        if person.id in (employee.id, people["manager"].id) or rng.random() > 0.45:
            continue
        assignment = db.session.scalar(select(Assignment).where(
            Assignment.employee_id == person.id,
            Assignment.course_id == courses["code-of-conduct"].id))
        pass_course(assignment, person)
    _seed_exemptions(people, everyone, courses, today, rng)
    if "self-defense-class" in courses:
        seed_classes(people, courses, today, random.Random(seed + 1))
    db.session.flush()
    return {"created": True, "employees": len(everyone)}


def _seed_exemptions(people: dict, everyone: list, courses: dict, today: date,
                     rng: random.Random) -> None:
    """A waiver and a leave of absence, as HR would record them, so the states show."""
    hr = people["hr"]
    named = {p.id for p in people.values() if isinstance(p, Employee)}
    others = [p for p in everyone if p.id not in named]
    if len(others) < 2:
        return
    injured, on_leave = rng.sample(others, 2)
    self_defense = db.session.scalar(select(Assignment).where(
        Assignment.employee_id == injured.id,
        Assignment.course_id == courses["self-defense-basics"].id,
        Assignment.status.in_(("assigned", "in_progress"))))
    if self_defense is not None:
        waive(self_defense.id, today + timedelta(days=120),
              "Knee surgery: no physical training for four months (occupational health note "
              "on file).", hr.id, today)
    record_leave(on_leave.id, today - timedelta(days=20), today + timedelta(days=70),
                 "Parental leave", hr.id, today)


def seed_classes(people: dict, courses: dict, today: date, rng: random.Random) -> dict:
    """The practical self-defense class: a requirement for everyone (every two years), two
    coming classes (Hangzhou nearly full, with two places left for the demo employee; Dublin
    full, with a waiting list) and a past class in Hangzhou with attendance taken, completed,
    so its participants have their certificates. Bookings go through the booking services."""
    from courses.models import Booking, ClassSession, Enrollment
    from lms.classroom.services import book, complete_session
    from lms.clock import org_zone

    course = courses["self-defense-class"]
    db.session.add(Requirement(
        course_id=course.id, name="Self-defense practical class every two years",
        audience={"everyone": True}, recurrence="rolling", every_months=24, window_days=60,
        due_days_after_entry=90, starts_on=today - timedelta(days=60)))
    db.session.flush()
    sync_assignments(today)
    now = datetime.combine(today, time(10), tzinfo=org_zone()).astimezone(UTC)
    trainer, employee = people["trainer"], people["employee"]
    keep_free = {employee.id, people["manager"].id}
    open_rows = db.session.execute(
        select(Assignment, Employee).join(Employee, Employee.id == Assignment.employee_id)
        .where(Assignment.course_id == course.id,
               Assignment.status.in_(("assigned", "in_progress")))
        .order_by(Employee.id)).all()
    candidates = [(a, e) for a, e in open_rows if e.id not in keep_free]
    rng.shuffle(candidates)

    def by_city(name: str) -> list:
        here = [row for row in candidates if row[1].location and row[1].location.name == name]
        return here + [row for row in candidates if row not in here]

    def new_class(day: date, start: time, hours: int, zone: str, venue: str,
                  capacity: int) -> ClassSession:
        starts = datetime.combine(day, start, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        session = ClassSession(
            course_id=course.id, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            timezone=zone, venue=venue, capacity=capacity, instructors=[trainer],
            signup_deadline=starts - timedelta(days=2), created_by_id=trainer.id,
            created_at=now - timedelta(days=40),
            notes="Wear comfortable clothes and flat shoes; bring water. Changing rooms are "
                  "next to the training room.")
        db.session.add(session)
        db.session.flush()
        return session

    taken: set[int] = set()

    def take(pool: list, count: int) -> list:
        chosen = [row for row in pool if row[1].id not in taken][:count]
        taken.update(person.id for _, person in chosen)
        return chosen

    # The past class: the online part done beforehand, attendance taken, the class completed.
    past_day = today - timedelta(days=21)
    past = new_class(past_day, time(9, 30), 3, "Asia/Shanghai",
                     "Hangzhou HQ, 12F training room (Room 1203)", 12)
    marks = ["present"] * 5 + ["late"] * 2 + ["absent"]
    for (assignment, person), mark in zip(take(by_city("Hangzhou"), len(marks)), marks,
                                          strict=False):
        pass_course(assignment, person)
        # The history is seeded today; the run began before the class (as it would have).
        enrollment = db.session.get(Enrollment, assignment.enrollment_id)
        enrollment.started_at = past.starts_at - timedelta(days=14)
        db.session.add(Booking(
            session_id=past.id, employee_id=person.id, status="booked", booked_by_id=person.id,
            queued_at=past.starts_at - timedelta(days=10), attendance=mark,
            attendance_note="Called in sick that morning." if mark == "absent" else "",
            marked_by_id=trainer.id, marked_at=past.ends_at))
    db.session.flush()
    counts = complete_session(past.id, trainer, now)

    hangzhou = new_class(today + timedelta(days=16), time(9, 30), 3, "Asia/Shanghai",
                         "Hangzhou HQ, 12F training room (Room 1203)", 12)
    for _, person in take(by_city("Hangzhou"), 10):
        book(hangzhou.id, person.id, person, now)
    dublin = new_class(today + timedelta(days=23), time(14, 0), 3, "Europe/Dublin",
                       "Dublin office, Grand Canal Dock, 3rd floor meeting room", 6)
    for _, person in take(by_city("Dublin"), 9):
        book(dublin.id, person.id, person, now)
    db.session.flush()
    return {"classes": 3, "completed": counts["completed"]}

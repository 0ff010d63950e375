"""Years of training history for the benchmark company: ``seed_history(today, years=3)``.

For each requirement, each person in its audience and each cycle of the last ``years``, an
assignment as the sync would have made it, and what the person did about it: most cycles
completed (an enrolment, every module's progress, one or two quiz attempts, the signed
attestation where the course has one, a certificate with its code), some left open past the
due date (overdue), some waived by HR, some paused while the person is on leave, some still
in progress. The same seed gives the same history.

The rows that carry choices (assignments, enrolments, attempts, certificates, leaves) are made
here in chunks of people and loaded with COPY on PostgreSQL (executemany elsewhere); the rows
that follow from them (module progress, attestations, assignment events, audience members) are
written by the database itself with ``INSERT ... SELECT``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import JSON, String, delete, func, insert, literal, select, text, update

from certificates.models import Certificate
from certificates.services import ALPHABET, CODE_GROUPS, GROUP_SIZE, add_months
from courses.models import Attestation, CourseVersion, Enrollment, Module, ModuleProgress
from lms.auth.services import hash_password
from lms.compliance import rules
from lms.compliance.models import Assignment, AssignmentEvent, Requirement, RequirementMember
from lms.db import db
from lms.people.models import Employee, Leave, RoleGrant
from quizzes.models import Quiz, QuizAttempt
from quizzes.services import draw_layout

CHUNK = 5_000  # people per batch of generated rows
LAYOUTS = 8  # distinct quiz layouts per quiz, shared by the attempts
ON_LEAVE = 0.01
BENCH_PASSWORD = "guardrail-bench"  # the seeded benchmark logins (bench/README.md)
WAIVER_REASON = "Covered by an equivalent external certification."

ASSIGNMENT_COLUMNS = ("id", "employee_id", "course_id", "cycle", "assigned_on", "due_on",
                      "status", "enrollment_id", "completed_at", "created_at", "requirement_id",
                      "reason", "waived_until", "waiver_reason", "waived_by_id", "paused_on",
                      "leave_days")
ENROLLMENT_COLUMNS = ("id", "employee_id", "course_version_id", "status", "started_at",
                      "completed_at", "score_percent")
ATTEMPT_COLUMNS = ("enrollment_id", "quiz_id", "number", "status", "started_at",
                   "submitted_at", "layout", "answers", "score_points", "max_points",
                   "score_percent", "passed", "extensions_used")
CERTIFICATE_COLUMNS = ("code", "employee_id", "enrollment_id", "course_id", "course_version_id",
                       "holder_name", "employee_number", "course_title", "version_label",
                       "content_hash", "score_percent", "completed_on", "expires_on",
                       "issued_at")
LEAVE_COLUMNS = ("employee_id", "starts_on", "ends_on", "reason", "created_at")
# Tables seed_history fills, children first (the order clear_history empties them in).
HISTORY_MODELS = (QuizAttempt, Certificate, Attestation, ModuleProgress, AssignmentEvent,
                  RequirementMember, Assignment, Enrollment, Leave)


@dataclass
class _Version:
    id: int
    course_id: int
    title: str
    label: str
    content_hash: str
    validity_months: int
    quiz_id: int | None
    layouts: list[list[dict]]
    max_points: int


def copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence],
              json_columns: Sequence[str] = ()) -> int:
    """Load rows into ``model``'s table: COPY on PostgreSQL, executemany elsewhere."""
    table = model.__table__
    connection = db.session.connection()
    count = 0
    if connection.dialect.name == "postgresql":
        positions = [columns.index(c) for c in json_columns]
        dumped: dict[int, str] = {}  # layouts are shared objects: dump each once
        cursor = connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if positions:
                    row = list(row)
                    for position in positions:
                        value = row[position]
                        if value is not None:
                            key = id(value)
                            if key not in dumped:
                                dumped[key] = json.dumps(value)
                            row[position] = dumped[key]
                copy.write_row(row)
                count += 1
        return count
    batch = [dict(zip(columns, row, strict=True)) for row in rows]
    if batch:
        connection.execute(insert(table), batch)
    return len(batch)


def _move_sequence(model) -> None:
    """Ids were given explicitly: move PostgreSQL's sequence past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        name = model.__tablename__
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"))


def _versions(course_ids: set[int], rng: random.Random) -> dict[int, _Version]:
    """The published version of each course, with a few quiz layouts drawn as attempts draw
    them."""
    found = {}
    for version in db.session.scalars(select(CourseVersion).where(
            CourseVersion.course_id.in_(course_ids), CourseVersion.status == "published")
            .order_by(CourseVersion.number)):
        quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == version.id))
        layouts = [draw_layout(quiz, rng) for _ in range(LAYOUTS)] if quiz else []
        found[version.course_id] = _Version(
            version.id, version.course_id, version.title, version.label, version.content_hash,
            version.validity_months or 0, quiz.id if quiz else None, layouts,
            len(layouts[0]) if layouts else 0)
    return found


def _code(rng: random.Random) -> str:
    bits = rng.getrandbits(CODE_GROUPS * GROUP_SIZE * 5)
    symbols = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_GROUPS * GROUP_SIZE))
    return "-".join(symbols[i:i + GROUP_SIZE] for i in range(0, len(symbols), GROUP_SIZE))


def _at(day: date, rng: random.Random) -> datetime:
    """A time during the working day (UTC) of ``day``."""
    return datetime.combine(day, time(1), tzinfo=UTC) + timedelta(seconds=rng.randrange(36_000))


@dataclass
class _Cycle:
    label: str
    start: date
    deadline: date
    current: bool


def _cycles(requirement: Requirement, today: date, years: int) -> list[_Cycle]:
    if requirement.recurrence == "calendar":
        found = []
        for year in range(today.year - years + 1, today.year + 1):
            cycle = rules.calendar_cycle(date(year, 6, 30), requirement.deadline_month,
                                         requirement.deadline_day)
            found.append(_Cycle(cycle.label, cycle.start, cycle.deadline,
                                cycle.start <= today <= cycle.deadline))
        return found
    # A rolling or one-off requirement: the first cycle, opened when the requirement started.
    label = "once" if requirement.recurrence == "once" else "cycle-1"
    return [_Cycle(label, requirement.starts_on, today + timedelta(days=3650), True)]


class _Writer:
    """Turns one chunk of people into rows, and loads them."""

    def __init__(self, rng: random.Random, today: date, years: int,
                 requirements: list[Requirement], versions: dict[int, _Version],
                 waived_by: int | None):
        self.rng, self.today, self.years = rng, today, years
        self.requirements = [(r, _cycles(r, today, years)) for r in requirements]
        self.versions, self.waived_by = versions, waived_by
        self.next_assignment = self.next_enrollment = 1
        self.counts: dict[str, int] = {}

    def _due(self, requirement: Requirement, cycle: _Cycle, hired: date) -> tuple[date, str]:
        if requirement.recurrence == "calendar":
            due, why = rules.calendar_due(
                rules.Cycle(cycle.label, cycle.start, cycle.deadline), hired, date.min,
                requirement.due_days_after_entry)
            return due, "new_hire" if why == "new_entrant" else "cycle"
        # A rolling or one-off first cycle is counted from entering the audience: the hire.
        return rules.first_due(hired, requirement.starts_on,
                               requirement.due_days_after_entry), "new_hire"

    def _status(self, cycle: _Cycle, due: date, left: date | None, on_leave: bool) -> str:
        u = self.rng.random()
        if left is not None and left <= cycle.deadline:
            return "completed" if u < 0.5 else "closed"
        if not cycle.current:
            return "completed" if u < 0.9 else "waived" if u < 0.92 else "assigned"
        if on_leave and u >= 0.4:
            return "paused"
        if due < self.today:
            return "completed" if u < 0.75 else "in_progress" if u < 0.8 else "assigned"
        return ("completed" if u < 0.55 else "in_progress" if u < 0.67
                else "waived" if u < 0.69 else "assigned")

    def chunk(self, people: list) -> None:
        rng, today = self.rng, self.today
        assignments, enrollments, attempts, certificates, leaves = [], [], [], [], []
        for person in people:
            hired, left = person.hire_date, person.leave_date
            if hired is None or hired > today:
                continue
            leave_start = None
            if person.active and rng.random() < ON_LEAVE:
                leave_start = today - timedelta(days=rng.randint(3, 90))
                leaves.append((person.id, leave_start, None, "", _at(leave_start, rng)))
            for requirement, cycles in self.requirements:
                if requirement.audience.get("managers") and not person.manages:
                    continue
                version = self.versions[requirement.course_id]
                for cycle in cycles:
                    if hired > cycle.deadline or (left is not None and left < cycle.start):
                        continue
                    due, reason = self._due(requirement, cycle, hired)
                    assigned_on = max(cycle.start, hired)
                    status = self._status(cycle, due, left, leave_start is not None)
                    if status in ("assigned", "in_progress"):
                        # As the sync leaves them: a leaver owes nothing, a person on leave
                        # owes it later.
                        if left is not None and left <= today:
                            status = "closed"
                        elif leave_start is not None:
                            status = "paused"
                    enrollment_id = completed_at = waived_until = paused_on = None
                    if status in ("completed", "in_progress"):
                        enrollment_id = self.next_enrollment
                        self.next_enrollment += 1
                        latest = min(today, left or today, due + timedelta(
                            days=30 if rng.random() < 0.05 else 0))
                        latest = max(latest, assigned_on)
                        done_on = assigned_on + timedelta(
                            days=rng.randint(0, (latest - assigned_on).days))
                        if status == "completed":
                            completed_at = _at(done_on, rng)
                            started_at = completed_at - timedelta(
                                minutes=rng.randint(20, 60 * 24 * 5))
                            score = rng.randint(80, 100)
                            enrollments.append((enrollment_id, person.id, version.id,
                                                "completed", started_at, completed_at, score))
                            self._attempts(attempts, version, enrollment_id, started_at,
                                           completed_at, score)
                            certificates.append((
                                _code(rng), person.id, enrollment_id, version.course_id,
                                version.id, person.full_name, person.employee_number,
                                version.title, version.label, version.content_hash, score,
                                done_on, add_months(done_on, version.validity_months)
                                if version.validity_months else None, completed_at))
                        else:
                            enrollments.append((enrollment_id, person.id, version.id,
                                                "in_progress", _at(done_on, rng), None, None))
                    elif status == "waived":
                        waived_until = cycle.deadline if not cycle.current else \
                            today + timedelta(days=365)
                    elif status == "paused":
                        paused_on = leave_start
                    assignments.append((
                        self.next_assignment, person.id, requirement.course_id, cycle.label,
                        assigned_on, due, status, enrollment_id, completed_at,
                        datetime.combine(assigned_on, time(2), tzinfo=UTC), requirement.id,
                        reason, waived_until, WAIVER_REASON if waived_until else None,
                        self.waived_by if waived_until else None, paused_on, 0))
                    self.next_assignment += 1
        self._load(Leave, LEAVE_COLUMNS, leaves)
        self._load(Enrollment, ENROLLMENT_COLUMNS, enrollments)
        self._load(Assignment, ASSIGNMENT_COLUMNS, assignments)
        self._load(QuizAttempt, ATTEMPT_COLUMNS, attempts, ("layout", "answers"))
        self._load(Certificate, CERTIFICATE_COLUMNS, certificates)

    def _attempts(self, rows: list, version: _Version, enrollment_id: int,
                  started_at: datetime, completed_at: datetime, score: int) -> None:
        if version.quiz_id is None:
            return
        rng = self.rng
        tries = 2 if rng.random() < 0.12 else 1
        for number in range(1, tries + 1):
            passed = number == tries
            percent = score if passed else rng.randint(30, 79)
            finished = completed_at if passed else started_at + (completed_at - started_at) / 2
            points = round(version.max_points * percent / 100)
            rows.append((enrollment_id, version.quiz_id, number, "submitted",
                         finished - timedelta(minutes=rng.randint(3, 15)), finished,
                         version.layouts[rng.randrange(LAYOUTS)], {}, points,
                         version.max_points, percent, passed, 0))

    def _load(self, model, columns, rows, json_columns=()) -> None:
        self.counts[model.__tablename__] = (self.counts.get(model.__tablename__, 0)
                                            + copy_rows(model, columns, rows, json_columns))


def _derived(today: date, requirements: list[Requirement]) -> None:
    """The rows that follow from the generated ones, written by the database."""
    session = db.session
    session.execute(insert(ModuleProgress).from_select(
        ["enrollment_id", "module_id", "first_viewed_at", "completed_at", "seconds_spent"],
        select(Enrollment.id, Module.id, Enrollment.started_at, Enrollment.completed_at,
               60 + (Enrollment.id * 7 + Module.position * 13) % 600)
        .join(Module, Module.version_id == Enrollment.course_version_id)
        .where(Enrollment.status == "completed")))
    # Started: the first one or two modules read.
    session.execute(insert(ModuleProgress).from_select(
        ["enrollment_id", "module_id", "first_viewed_at", "completed_at", "seconds_spent"],
        select(Enrollment.id, Module.id, Enrollment.started_at, Enrollment.started_at,
               60 + (Enrollment.id * 7) % 300)
        .join(Module, Module.version_id == Enrollment.course_version_id)
        .where(Enrollment.status == "in_progress", Module.position <= 1 + Enrollment.id % 2)))
    for version in session.scalars(select(CourseVersion).where(
            CourseVersion.attestation_text.is_not(None))):
        policy_hash = hashlib.sha256(version.attestation_text.encode()).hexdigest()
        session.execute(insert(Attestation).from_select(
            ["enrollment_id", "employee_id", "course_version_id", "policy_hash", "statement",
             "typed_name", "signed_at", "ip_address", "user_agent"],
            select(Enrollment.id, Enrollment.employee_id, Enrollment.course_version_id,
                   literal(policy_hash, String), literal(version.attestation_text, String),
                   Employee.full_name, Enrollment.completed_at, literal("10.20.30.40"),
                   literal("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"))
            .join(Employee, Employee.id == Enrollment.employee_id)
            .where(Enrollment.course_version_id == version.id,
                   Enrollment.status == "completed")))
    for kind, column, condition in (
            ("created", Assignment.created_at, Assignment.id.is_not(None)),
            ("completed", Assignment.completed_at, Assignment.status == "completed")):
        session.execute(insert(AssignmentEvent).from_select(
            ["assignment_id", "at", "kind", "detail"],
            select(Assignment.id, column, literal(kind),
                   literal({"source": "benchmark history"}, JSON)).where(condition)))
    for requirement in requirements:
        audience = select(literal(requirement.id), Employee.id, Employee.hire_date).where(
            Employee.active.is_(True), Employee.hire_date <= today)
        if requirement.audience.get("managers"):
            boss = Employee.__table__.alias("boss")
            audience = audience.where(select(boss.c.id).where(
                boss.c.manager_id == Employee.id).exists())
        session.execute(insert(RequirementMember).from_select(
            ["requirement_id", "employee_id", "entered_on"], audience))
    session.execute(update(Requirement).values(last_synced_on=today))


def bench_logins(employees: int) -> dict[str, dict]:
    """The people the page benchmarks sign in as, given the password BENCH_PASSWORD: an
    employee with a certificate and a course in progress, a manager of about ten, a manager of
    about a fifth of the company, and someone in HR. Chosen by rule, so any seeded database
    yields the same ones."""
    managers = dict(db.session.execute(
        select(Employee.manager_id, func.count()).where(Employee.manager_id.is_not(None))
        .group_by(Employee.manager_id)).all())
    parents = dict(db.session.execute(select(Employee.id, Employee.manager_id)).all())
    below: dict[int, int] = dict.fromkeys(managers, 0)
    for boss in parents.values():  # every person counts once for each manager above them
        while boss is not None:
            below[boss] += 1
            boss = parents[boss]
    target = max(10, employees // 5)
    big = min(below, key=lambda m: (abs(below[m] - target), m))
    small = min((m for m in below if managers[m] == below[m]),
                key=lambda m: (abs(below[m] - 10), m), default=big)
    learner = db.session.scalar(
        select(Employee.id).where(
            Employee.active.is_(True), Employee.id.not_in(list(managers)),
            select(Certificate.id).where(Certificate.employee_id == Employee.id).exists(),
            select(Enrollment.id).where(Enrollment.employee_id == Employee.id,
                                        Enrollment.status == "in_progress").exists())
        .order_by(Employee.id).limit(1))
    hr = db.session.scalar(select(Employee.id).where(
        Employee.active.is_(True), Employee.id.not_in([big, small, learner or 0]))
        .order_by(Employee.id.desc()).limit(1))
    chosen = {"employee": learner, "manager": small, "manager_large": big, "hr": hr}
    chosen = {role: person for role, person in chosen.items() if person is not None}
    db.session.execute(update(Employee).where(Employee.id.in_(list(chosen.values())))
                       .values(password_hash=hash_password(BENCH_PASSWORD)))
    if "hr" in chosen and not db.session.get(RoleGrant, (chosen["hr"], "hr")):
        db.session.add(RoleGrant(employee_id=chosen["hr"], role="hr"))
    emails = dict(db.session.execute(select(Employee.id, Employee.email).where(
        Employee.id.in_(list(chosen.values())))).all())
    return {role: {"id": person, "email": emails[person],
                   "reports_below": below.get(person, 0)} for role, person in chosen.items()}


def seed_history(today: date, years: int = 3, seed: int = 1,
                 progress: Callable[[int], object] | None = None) -> dict:
    """Fill the history of the company already seeded (seed_org) for the last ``years``
    cycles. ``progress(n)`` is called as each chunk of ``n`` people is done. Flushes, never
    commits. Returns the rows written per table."""
    rng = random.Random(seed * 7919 + years)
    requirements = list(db.session.scalars(select(Requirement).where(
        Requirement.active.is_(True)).order_by(Requirement.id)))
    versions = _versions({r.course_id for r in requirements}, rng)
    manager_ids = set(db.session.scalars(select(Employee.manager_id).distinct().where(
        Employee.manager_id.is_not(None))))
    waived_by = db.session.scalar(select(func.min(Employee.id)))
    writer = _Writer(rng, today, years, requirements, versions, waived_by)
    columns = (Employee.id, Employee.full_name, Employee.employee_number, Employee.hire_date,
               Employee.leave_date, Employee.active)
    rows = db.session.execute(select(*columns).order_by(Employee.id)).all()

    @dataclass
    class Person:
        id: int
        full_name: str
        employee_number: str
        hire_date: date | None
        leave_date: date | None
        active: bool
        manages: bool

    for start in range(0, len(rows), CHUNK):
        chunk = [Person(*row, row.id in manager_ids) for row in rows[start:start + CHUNK]]
        writer.chunk(chunk)
        if progress:
            progress(len(chunk))
    _move_sequence(Assignment)
    _move_sequence(Enrollment)
    _derived(today, requirements)
    db.session.flush()
    counts = dict(writer.counts)
    for model in (ModuleProgress, Attestation, AssignmentEvent, RequirementMember):
        counts[model.__tablename__] = db.session.scalar(
            select(func.count()).select_from(model))
    return counts


def clear_history() -> None:
    """Remove every row seed_history made (the benchmarks that start from no assignments need
    the company without its history). Commits."""
    for model in HISTORY_MODELS:
        db.session.execute(delete(model))
    db.session.execute(update(Requirement).values(last_synced_on=None))
    db.session.commit()


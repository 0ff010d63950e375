"""Reminders to the employee, escalation to the manager and HR, and the daily HR digest.

Each e-mail has an outbox key naming the event (assignment, kind, cycle, step), so running the
job twice, or in two processes, sends nothing twice; a day the job did not run is caught up the
next day.

The sweep is set-based: per kind of e-mail, one SELECT finds the open assignments that need
a message not queued yet (from the assignments and the outbox keys alone), one ``INSERT ...
SELECT`` records an event for each, and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``
queues those messages (as a template with its parameters: delivery renders each in the
recipient's language). Nothing is loaded per person, and the number of statements does not
grow with the company.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, Integer, String, case, cast, exists, func, literal, select, text
from sqlalchemy.orm import aliased

from courses.models import CourseVersion
from lms.compliance.models import Assignment, AssignmentEvent, Requirement
from lms.compliance.scope import among
from lms.db import db, utcnow
from lms.i18n import translated
from lms.notifications.models import OutboxMessage
from lms.notifications.services import (
    check_recipient,
    enqueue_select,
    enqueue_template,
    message_key,
    sql_json,
    sql_params,
)
from lms.org.services import org_settings
from lms.people.models import Employee, RoleGrant
from lms.people.services import people_locales

OPEN = ("assigned", "in_progress")
KINDS = ("reminded", "escalated_manager", "escalated_hr")
SWEEP_LOCK = 0x67726472  # "grdr": the advisory lock that serialises reminder sweeps
FEW = 5000  # new messages of one kind up to which the sweep looks them up by id (see below)


def reminder_step(steps: list[int], due_on: date, today: date) -> int | None:
    """The reminder that applies today: the nearest step (days before due) already reached.
    Earlier steps that were missed are not sent late: a person added two days before the due
    date gets the 3-day reminder, not the 14-day one as well."""
    days_left = (due_on - today).days
    if days_left < 0:
        return None
    reached = [step for step in steps if days_left <= step]
    return min(reached) if reached else None


def _link() -> str:
    return f"{current_app.config.get('LMS_BASE_URL', '')}/training"


def _days(start, end):
    """Whole days from ``start`` to ``end`` (dates) in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return end - start  # date - date is an integer on PostgreSQL
    return cast(func.julianday(end) - func.julianday(start), Integer)


def _titles(person: Employee):
    """The course's title in the person's language, as SQL: one CASE over the published
    versions and the languages people have (translations are resolved here, in Python, once
    per course and language)."""
    versions = db.session.scalars(
        select(CourseVersion).where(CourseVersion.status == "published")).all()
    locales = people_locales()
    whens = [((CourseVersion.course_id == version.course_id) & (person.locale == locale),
              translated(version, "title", locale))
             for version in versions for locale in locales]
    return cast(case(*whens, else_=CourseVersion.title), String) if whens else CourseVersion.title


def send_reminders(today: date) -> dict[str, int]:
    """Queue today's reminders and escalations: ``{"reminded", "escalated_manager",
    "escalated_hr"}``. Flushes; the job commits."""
    counts = dict.fromkeys(KINDS, 0)
    if db.session.get_bind().dialect.name == "postgresql":
        # One sweep at a time: a second one waits for the first to commit, then finds every
        # message queued (SQLite's BEGIN IMMEDIATE does this).
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})
    requirements = db.session.execute(
        select(Requirement.id, Requirement.reminder_days, Requirement.escalate_manager_days,
               Requirement.escalate_hr_days)).all()
    if not requirements:
        return counts
    now = utcnow()
    person, manager = Employee, aliased(Employee)
    a = Assignment
    # The candidates (open assignments, found below) of active people whose course is
    # published, with the manager if active. No condition on the assignments themselves: the
    # candidates' ids drive the statement through the primary key, whatever the statistics
    # say (right after a sync they can be far off, and the planner then scanned every open
    # assignment of each course).
    base = (select().select_from(a)
            .join(person, person.id == a.employee_id)
            .outerjoin(manager, (manager.id == person.manager_id) & manager.active.is_(True))
            .join(CourseVersion, (CourseVersion.course_id == a.course_id)
                  & (CourseVersion.status == "published"))
            .where(person.active.is_(True)))
    today_sql = literal(today, Date)
    common = {"name": person.full_name, "course": _titles(person), "due_on": a.due_on,
              "link": _link(), "days_overdue": _days(a.due_on, today_sql)}
    prefix = ("assignment=", a.id, ":cycle=", a.cycle)

    # Reminders: the step reached today, per requirement (see reminder_step).
    step_whens, steps_used = [], set()
    for requirement in requirements:
        for step in sorted({s for s in requirement.reminder_days or [] if s >= 0}):
            steps_used.add(step)
            step_whens.append(((a.requirement_id == requirement.id)
                               & (a.due_on <= today + timedelta(days=step)), f":step={step}"))
    kinds = {}
    if step_whens:
        step = case(*step_whens)
        kinds["reminded"] = (
            "reminder", ("reminder:", *prefix, step), person.email, person.locale,
            {**common, "days_left": _days(today_sql, a.due_on)},
            # The plain range lets the database find the candidates through the (status,
            # due_on) index; the CASE alone hides it from the planner (a scan of every row).
            [a.due_on >= today, a.due_on <= today + timedelta(days=max(steps_used)),
             step.is_not(None)], [])

    # Escalations: overdue at least the requirement's number of days.
    def overdue_since(days_of) -> list:
        days = {r.id: days_of(r) for r in requirements if days_of(r) is not None}
        limits = [(a.requirement_id == rid, today - timedelta(days=n)) for rid, n in days.items()]
        # The first condition is implied by the second; it is there for the index (as above).
        return [a.due_on <= today - timedelta(days=min(days.values())),
                a.due_on <= case(*limits)] if limits else []

    if manager_due := overdue_since(lambda r: r.escalate_manager_days):
        kinds["escalated_manager"] = (
            "escalation_manager", ("escalation-manager:", *prefix), manager.email,
            manager.locale, {**common, "manager": manager.full_name},
            manager_due, [manager.id.is_not(None)])
    hr_mailbox = org_settings().get("hr_contact", "")
    if "@" in hr_mailbox and (hr_due := overdue_since(lambda r: r.escalate_hr_days)):
        kinds["escalated_hr"] = (
            "escalation_hr", ("escalation-hr:", *prefix), check_recipient(hr_mailbox), "en",
            {**common, "employee_number": person.employee_number,
             "manager": manager.full_name}, hr_due, [])

    outbox = OutboxMessage.__table__.c
    for counter, kind in kinds.items():
        template, key_parts, to, locale, params, conditions, joined = kind
        key = _concat(key_parts)
        # The assignments whose message is not queued yet, first, from the assignments and the
        # outbox keys alone (one index probe per candidate); the lock above keeps it so. Joined
        # to people, managers and courses in the same statement, the planner could not tell
        # that an ordinary day has a few hundred (the conditions are a CASE per requirement)
        # and hashed every employee.
        ids = db.session.scalars(select(a.id).where(
            a.status.in_(OPEN), *conditions, ~exists().where(outbox.key == key))
            .limit(FEW + 1)).all()
        if not ids:
            continue
        recipient = cast(literal(to), String) if isinstance(to, str) else to
        locale = cast(literal(locale), String) if isinstance(locale, str) else locale
        # Their events, then the messages themselves. A few (an ordinary day): their ids drive
        # the statement through the primary key. Many (the first sweep, or after an outage):
        # the same conditions again, which the planner answers by hashing, about half the time
        # of 40,000 primary-key probes at 250,000 employees.
        if len(ids) <= FEW:
            new = base.where(among(a.id, ids), *joined)
        else:
            new = base.where(a.status.in_(OPEN), *conditions, *joined,
                             ~exists().where(outbox.key == key))
        counts[counter] = db.session.execute(
            AssignmentEvent.__table__.insert().from_select(
                ["assignment_id", "at", "kind", "detail"],
                new.add_columns(a.id, literal(now, AssignmentEvent.at.type),
                                cast(literal(counter), String),
                                sql_json(to=recipient, key=key))),
            execution_options={"preserve_rowcount": True}).rowcount
        if counts[counter]:
            enqueue_select(new.add_columns(key, recipient, cast(literal(template), String),
                                           locale, sql_params(dates=("due_on",), **params)), now)
    db.session.flush()
    return counts


def _concat(parts):
    """SQL string concatenation of literal strings and columns."""
    expression = None
    for part in parts:
        part = cast(literal(part), String) if isinstance(part, str) else cast(part, String)
        expression = part if expression is None else expression + part
    return expression


def send_hr_digest(today: date) -> dict[str, int]:
    """One e-mail a day to each HR person: how many are overdue, how many became overdue
    yesterday, and the link to the list."""
    open_overdue = (select(func.count()).select_from(Assignment)
                    .join(Employee, Employee.id == Assignment.employee_id)
                    .where(Assignment.status.in_(OPEN), Assignment.due_on < today,
                           Employee.active.is_(True)))
    total = db.session.scalar(open_overdue)
    new = db.session.scalar(open_overdue.where(Assignment.due_on == today - timedelta(days=1)))
    people = db.session.scalars(
        select(Employee).join(RoleGrant, RoleGrant.employee_id == Employee.id)
        .where(RoleGrant.role == "hr", Employee.active.is_(True))).all()
    sent = 0
    link = f"{current_app.config.get('LMS_BASE_URL', '')}/hr/overdue"
    for person in people:
        key = message_key("hr-digest", day=today.isoformat(), to=person.id)
        if enqueue_template(key, person.email, "hr_digest", person.locale, name=person.full_name,
                            total=total, new=new, day=today, link=link):
            sent += 1
    return {"digests": sent, "overdue": total, "newly_overdue": new}

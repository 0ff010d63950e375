"""Reminders to the employee, escalation to the manager and HR, and the daily HR digest.

Each e-mail has an outbox key naming the event (assignment, kind, cycle, step), so running the
job twice, or in two processes, sends nothing twice; a day the job did not run is caught up the
next day. Candidates come from one query per kind; only messages whose key is new are rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import aliased

from courses.models import CourseVersion
from lms.compliance.models import Assignment, AssignmentEvent, Requirement
from lms.db import db
from lms.i18n import translated
from lms.notifications.models import OutboxMessage
from lms.notifications.services import enqueue_template, message_key
from lms.org.services import org_settings
from lms.people.models import Employee, RoleGrant

OPEN = ("assigned", "in_progress")


@dataclass(frozen=True)
class _Candidate:
    assignment: Assignment
    requirement: Requirement
    employee: Employee
    manager: Employee | None
    version: CourseVersion


def reminder_step(steps: list[int], due_on: date, today: date) -> int | None:
    """The reminder that applies today: the nearest step (days before due) already reached.
    Earlier steps that were missed are not sent late: a person added two days before the due
    date gets the 3-day reminder, not the 14-day one as well."""
    days_left = (due_on - today).days
    if days_left < 0:
        return None
    reached = [step for step in steps if days_left <= step]
    return min(reached) if reached else None


def _candidates(today: date) -> list[_Candidate]:
    """Open assignments of active people that are near due or overdue, with what the e-mails
    need, in one query."""
    horizon = max((max(steps, default=0) for steps in
                   db.session.scalars(select(Requirement.reminder_days)) if steps), default=0)
    manager = aliased(Employee)
    rows = db.session.execute(
        select(Assignment, Requirement, Employee, manager, CourseVersion)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .join(Employee, Employee.id == Assignment.employee_id)
        .outerjoin(manager, (manager.id == Employee.manager_id) & manager.active.is_(True))
        .join(CourseVersion, (CourseVersion.course_id == Assignment.course_id)
              & (CourseVersion.status == "published"))
        .where(Assignment.status.in_(OPEN), Employee.active.is_(True),
               Assignment.due_on <= today + timedelta(days=horizon))
    ).all()
    return [_Candidate(*row) for row in rows]


def _already_queued(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        found.update(db.session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.key.in_(keys[start:start + 1000]))))
    return found


def _link() -> str:
    return f"{current_app.config.get('LMS_BASE_URL', '')}/training"


def send_reminders(today: date) -> dict[str, int]:
    """Queue today's reminders and escalations: ``{"reminded", "escalated_manager",
    "escalated_hr"}``. Flushes; the job commits."""
    planned: list[tuple[str, str, str, str, dict, Assignment, str]] = []
    hr_mailbox = org_settings().get("hr_contact", "")
    for c in _candidates(today):
        a, r, person = c.assignment, c.requirement, c.employee
        title = translated(c.version, "title", person.locale)
        common = {"name": person.full_name, "course": title, "due_on": a.due_on,
                  "link": _link(), "days_overdue": (today - a.due_on).days}
        step = reminder_step(r.reminder_days or [], a.due_on, today)
        if step is not None:
            planned.append((message_key("reminder", assignment=a.id, cycle=a.cycle, step=step),
                            person.email, "reminder", person.locale,
                            {**common, "days_left": (a.due_on - today).days}, a, "reminded"))
        overdue_days = (today - a.due_on).days
        if (r.escalate_manager_days is not None and c.manager is not None
                and overdue_days >= r.escalate_manager_days):
            planned.append((message_key("escalation-manager", assignment=a.id, cycle=a.cycle),
                            c.manager.email, "escalation_manager", c.manager.locale,
                            {**common, "manager": c.manager.full_name}, a, "escalated_manager"))
        if (r.escalate_hr_days is not None and "@" in hr_mailbox
                and overdue_days >= r.escalate_hr_days):
            planned.append((message_key("escalation-hr", assignment=a.id, cycle=a.cycle),
                            hr_mailbox, "escalation_hr", "en",
                            {**common, "employee_number": person.employee_number,
                             "manager": c.manager.full_name if c.manager else None},
                            a, "escalated_hr"))
    counts = {"reminded": 0, "escalated_manager": 0, "escalated_hr": 0}
    done = _already_queued([p[0] for p in planned])
    events = []
    for key, to, template, locale, context, assignment, counter in planned:
        if key in done:
            continue
        if enqueue_template(key, to, template, locale, **context):
            counts[counter] += 1
            events.append({"assignment_id": assignment.id, "kind": counter,
                           "detail": {"to": to, "key": key}})
    # One bulk insert at the end: an ORM object per message would make every enqueue flush it
    # on its own (a statement and a unit of work per message).
    if events:
        db.session.execute(insert(AssignmentEvent), events)
    db.session.flush()
    return counts


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

"""Assignments: what a person must take, their state, and the My training list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, select

from certificates.models import Certificate
from certificates.services import issue_certificate
from courses.models import Attestation, CourseVersion, Enrollment, Module, ModuleProgress
from courses.services import published_version, start_enrollment
from courses.signals import enrollment_completed
from lms.clock import local_date
from lms.compliance import rules
from lms.compliance.models import Assignment, AssignmentEvent
from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.i18n import translated
from quizzes.models import Quiz


class AssignmentError(UserError):
    pass


def assign(
    employee_id: int, course_id: int, cycle: str, assigned_on: date, due_on: date
) -> Assignment:
    """Create the assignment for a person, course and cycle (or return the existing one)."""
    existing = db.session.scalar(select(Assignment).where(
        Assignment.employee_id == employee_id, Assignment.course_id == course_id,
        Assignment.cycle == cycle,
    ))
    if existing is not None:
        return existing
    assignment = Assignment(employee_id=employee_id, course_id=course_id, cycle=cycle,
                            assigned_on=assigned_on, due_on=due_on, status="assigned")
    db.session.add(assignment)
    db.session.flush()
    return assignment


def begin(assignment: Assignment) -> Enrollment:
    """Start (or continue) the assignment's course on the currently published version."""
    if assignment.enrollment is not None and assignment.enrollment.status != "failed":
        return assignment.enrollment
    if assignment.status not in ("assigned", "in_progress", "paused"):
        raise AssignmentError(_l("This assignment is closed."))
    if assignment.enrollment is not None:
        raise AssignmentError(_l("All quiz attempts are used. Please contact HR to reset them."))
    version = published_version(assignment.course_id)
    if version is None:
        raise AssignmentError(_l("This course has no published version yet."))
    enrollment = start_enrollment(assignment.employee_id, version.id)
    assignment.enrollment_id = enrollment.id
    if assignment.status == "assigned":  # paused stays paused: taking it on leave is allowed
        assignment.status = "in_progress"
    db.session.flush()
    return enrollment


@enrollment_completed.connect
def _on_enrollment_completed(enrollment: Enrollment, **_) -> None:
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.enrollment_id == enrollment.id))
    if assignment is None or assignment.status == "completed":
        return
    assignment.status = "completed"
    assignment.completed_at = enrollment.completed_at
    assignment.paused_on = None
    completed_on = local_date(enrollment.completed_at)
    detail = {"enrollment_id": enrollment.id,
              "completed_at": enrollment.completed_at.isoformat()
              if enrollment.completed_at else None}
    if assignment.requirement is not None:
        # The requirement, not the course, says how long this certification lasts.
        certificate = issue_certificate(enrollment, completed_on)
        certificate.expires_on = certification_expires_on(assignment, completed_on)
        detail["certificate_expires_on"] = (certificate.expires_on.isoformat()
                                            if certificate.expires_on else None)
    db.session.add(AssignmentEvent(assignment_id=assignment.id, kind="completed",
                                   detail=detail))
    db.session.flush()


def certification_expires_on(assignment: Assignment, completed_on: date) -> date | None:
    """When the certificate earned by completing this assignment lapses: the next cycle's due
    date. Calendar: the next deadline. Rolling: ``every_months`` after the cycle's due date
    when completed inside its window (so completing early costs nothing), else after the
    completion. Once: never."""
    requirement = assignment.requirement
    if requirement.recurrence == "calendar" and assignment.cycle.isdecimal():
        return rules.deadline_in(int(assignment.cycle) + 1, requirement.deadline_month,
                                 requirement.deadline_day)
    if requirement.recurrence == "rolling":
        return rules.next_rolling_due(assignment.due_on, completed_on, requirement.every_months,
                                      requirement.window_days)
    return None


def explain(assignment_id: int) -> dict | None:
    """Why an assignment exists and is due when: its requirement, the dates its due date was
    computed from (as recorded when it was created or last moved) and every event, in order."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        return None
    requirement = assignment.requirement
    computed = next((e.detail for e in reversed(assignment.events)
                     if e.kind in ("created", "updated")), {})
    return {
        "assignment_id": assignment.id, "employee_id": assignment.employee_id,
        "course_id": assignment.course_id, "cycle": assignment.cycle,
        "status": assignment.status, "assigned_on": assignment.assigned_on,
        "due_on": assignment.due_on, "reason": assignment.reason,
        "requirement": None if requirement is None else {
            "id": requirement.id, "name": requirement.name,
            "audience": requirement.audience, "recurrence": requirement.recurrence,
            "every_months": requirement.every_months,
            "deadline": (requirement.deadline_month, requirement.deadline_day),
            "window_days": requirement.window_days,
            "due_days_after_entry": requirement.due_days_after_entry},
        "computed_from": computed,
        "events": [{"at": e.at, "kind": e.kind, "detail": e.detail}
                   for e in assignment.events],
    }


@dataclass(frozen=True)
class TrainingRow:
    assignment_id: int
    title: str
    cycle: str
    due_on: date
    # not_started | in_progress | completed | overdue | waived | paused | expired | failed
    status: str
    steps_done: int
    steps_total: int
    completed_at: datetime | None
    certificate_code: str | None
    enrollment_id: int | None
    estimated_minutes: int
    waived_until: date | None = None
    certificate_expires_on: date | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0


def display_status(status: str, due_on: date, today: date, enrollment_status: str | None) -> str:
    if status == "completed":
        return "completed"
    if status in ("waived", "closed", "paused", "expired"):
        return status
    if enrollment_status == "failed":
        return "failed"
    if due_on < today:
        return "overdue"
    return "in_progress" if status == "in_progress" else "not_started"


@lru_cache(maxsize=1)
def _training_query():
    # Built once (the person is a parameter): constructing this statement and its cache key
    # cost more than running it, on the page every learner opens first.
    # The version shown: the one being taken, else the currently published one.
    shown_version = func.coalesce(Enrollment.course_version_id, (
        select(CourseVersion.id).where(CourseVersion.course_id == Assignment.course_id,
                                       CourseVersion.status == "published")
        .correlate(Assignment).scalar_subquery()
    ))
    modules_total = (select(func.count()).select_from(Module)
                     .where(Module.version_id == CourseVersion.id).correlate(CourseVersion)
                     .scalar_subquery())
    modules_done = (select(func.count()).select_from(ModuleProgress)
                    .where(ModuleProgress.enrollment_id == Enrollment.id,
                           ModuleProgress.completed_at.is_not(None))
                    .correlate(Enrollment).scalar_subquery())
    has_quiz = (select(func.count()).select_from(Quiz).where(Quiz.version_id == CourseVersion.id)
                .correlate(CourseVersion).scalar_subquery())
    signed = (select(func.count()).select_from(Attestation)
              .where(Attestation.enrollment_id == Enrollment.id).correlate(Enrollment)
              .scalar_subquery())
    return (
        select(Assignment, CourseVersion, Enrollment.status, modules_total, modules_done, has_quiz,
               signed, Certificate.code, Certificate.expires_on)
        .outerjoin(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .join(CourseVersion, CourseVersion.id == shown_version)
        .outerjoin(Certificate, and_(Certificate.enrollment_id == Assignment.enrollment_id,
                                     Certificate.revoked_at.is_(None)))
        .where(Assignment.employee_id == bindparam("employee_id"),
               Assignment.status != "closed")
    )


def training_rows(employee_id: int, today: date, locale: str = "en") -> list[TrainingRow]:
    """Every assignment of a person with status and progress, in one query: overdue first,
    then by due date, completed last."""
    rows = db.session.execute(_training_query(), {"employee_id": employee_id}).all()
    result = []
    for (assignment, version, enrollment_status, total, done, quiz_count, signs, code,
         expires_on) in rows:
        attest = 1 if version.attestation_text else 0
        steps_total = total + attest + (1 if quiz_count else 0)
        status = display_status(assignment.status, assignment.due_on, today, enrollment_status)
        steps_done = steps_total if status == "completed" else (done or 0) + (
            1 if attest and signs else 0)
        result.append(TrainingRow(
            assignment.id, translated(version, "title", locale), assignment.cycle,
            assignment.due_on, status, steps_done, steps_total, assignment.completed_at, code,
            assignment.enrollment_id, version.estimated_minutes, assignment.waived_until,
            expires_on,
        ))
    order = {"overdue": 0, "failed": 1, "in_progress": 2, "not_started": 3, "paused": 4,
             "waived": 5, "completed": 6, "expired": 7}
    return sorted(result, key=lambda r: (order.get(r.status, 9), r.due_on))


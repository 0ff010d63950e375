"""Course rules: publishing versions, enrolments, reading modules in order, attestations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from courses.loader import CourseSpec
from courses.models import (
    Attestation,
    Booking,
    ClassSession,
    Course,
    CourseFile,
    CourseVersion,
    Enrollment,
    Module,
    ModuleProgress,
)
from courses.signals import enrollment_completed
from lms.auth.services import verify_password
from lms.db import db, utcnow
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.models import Employee
from lms.people.services import normalise_name

MAX_SECONDS_PER_VIEW = 2 * 60 * 60  # a tab left open overnight is not eight hours of training


class CourseRuleError(UserError):
    """A learner action that the course's rules do not allow now; the message says why, and
    ``field`` names the form field it concerns, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def published_version(course_id: int) -> CourseVersion | None:
    return db.session.scalar(
        select(CourseVersion).where(
            CourseVersion.course_id == course_id, CourseVersion.status == "published"
        )
    )


def publish_version(spec: CourseSpec) -> tuple[CourseVersion, bool]:
    """Store a loaded course as a new immutable version, unless one with the same content hash
    exists. Returns (version, created). The previous published version is retired; enrolments
    keep pointing at the version they started."""
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
        db.session.flush()
    existing = db.session.scalar(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.content_hash == spec.content_hash
        )
    )
    if existing is not None:
        return existing, False
    number = (db.session.scalar(
        select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
    ) or 0) + 1
    current = published_version(course.id)
    if current is not None:
        current.status = "retired"
    now = utcnow()
    version = CourseVersion(
        course_id=course.id, number=number, content_hash=spec.content_hash, status="published",
        title=spec.title, kind=spec.kind, audience=spec.audience,
        pass_mark_percent=spec.pass_mark_percent, max_attempts=spec.max_attempts,
        time_limit_minutes=spec.time_limit_minutes, time_extensions=spec.time_extensions,
        estimated_minutes=spec.estimated_minutes,
        recurrence=spec.recurrence, validity_months=spec.validity_months,
        in_person=spec.in_person, attestation_text=spec.attestation, intro_md=spec.intro,
        created_at=now, published_at=now,
        translations={locale: {k: v for k, v in entry.items() if k != "modules"}
                      for locale, entry in spec.translations.items()},
        modules=[Module(position=i, slug=m.slug, title=m.title, body_md=m.body,
                        translations=_module_translations(spec, m.position))
                 for i, m in enumerate(sorted(spec.modules, key=lambda m: m.position), start=1)],
        files=[CourseFile(path=path, content=data) for path, data in sorted(spec.files.items())],
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def _module_translations(spec: CourseSpec, file_number: int) -> dict:
    return {locale: entry["modules"][file_number]
            for locale, entry in spec.translations.items() if file_number in entry["modules"]}


def start_enrollment(employee_id: int, version_id: int) -> Enrollment:
    enrollment = Enrollment(employee_id=employee_id, course_version_id=version_id)
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


@dataclass(frozen=True)
class ModuleState:
    module: Module
    completed: bool
    open: bool  # may be read now (every earlier module is completed)


def module_states(enrollment: Enrollment) -> list[ModuleState]:
    done = set(db.session.scalars(
        select(ModuleProgress.module_id).where(
            ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.completed_at.is_not(None)
        )
    ))
    return _states(enrollment, done)


def _states(enrollment: Enrollment, done: set[int]) -> list[ModuleState]:
    states, previous_done = [], True
    for module in enrollment.version.modules:
        completed = module.id in done
        states.append(ModuleState(module, completed, previous_done))
        previous_done = previous_done and completed
    return states


def resume_position(states: list[ModuleState]) -> int | None:
    """The module to continue with: the first one not completed (None if all are)."""
    return next((s.module.position for s in states if not s.completed), None)


def open_module(enrollment: Enrollment, position: int) -> ModuleState:
    """The module at a position, if the learner may read it; records the first view."""
    return view_module(enrollment, position)[0]


def view_module(enrollment: Enrollment,
                position: int) -> tuple[ModuleState, list[ModuleState], bool]:
    """``open_module``, with every module's state and whether this was the first view (a row
    was added, to be committed). A first view completes nothing, so the states read before
    it are still the states after it: the page needs no second read."""
    # Every progress row of the enrollment at once: the completed ones make the states, and
    # whether this module has one says if this is its first view.
    progress = {row.module_id: row for row in db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id))}
    states = _states(enrollment, {module_id for module_id, row in progress.items()
                                  if row.completed_at is not None})
    state = next((s for s in states if s.module.position == position), None)
    if state is None:
        raise LookupError(position)
    if not state.open:
        raise CourseRuleError(_l("Read the modules in order: finish the earlier ones first."))
    first_view = state.module.id not in progress
    if first_view:
        db.session.add(ModuleProgress(enrollment_id=enrollment.id, module_id=state.module.id))
        db.session.flush()
    return state, states, first_view


def complete_module(enrollment: Enrollment, position: int) -> None:
    """Mark a module read, adding the time since it was first opened (capped) to time spent."""
    state = open_module(enrollment, position)
    progress = db.session.get(ModuleProgress, (enrollment.id, state.module.id))
    if progress.completed_at is None:
        now = utcnow()
        progress.completed_at = now
        elapsed = int((now - progress.first_viewed_at).total_seconds())
        progress.seconds_spent = max(0, min(elapsed, MAX_SECONDS_PER_VIEW))
        db.session.flush()


def all_modules_done(enrollment: Enrollment) -> bool:
    return all(state.completed for state in module_states(enrollment))


def sign_attestation(
    enrollment: Enrollment, employee: Employee, typed_name: str, password: str,
    ip: str | None, user_agent: str | None, statement: str | None = None,
) -> Attestation:
    """Record an e-signature on the version's attestation, after checking name and password.
    ``statement`` is the text as shown (a translation); the source text by default."""
    version = enrollment.version
    if not version.attestation_text:
        raise CourseRuleError(_l("This course has no attestation to sign."))
    if enrollment.attestation is not None:
        return enrollment.attestation
    if not all_modules_done(enrollment):
        raise CourseRuleError(_l("Read every module before you sign the attestation."))
    if normalise_name(typed_name) != normalise_name(employee.full_name):
        raise CourseRuleError(_l("The name you typed does not match the name on your record."),
                              "full_name")
    if not verify_password(employee, password):
        raise CourseRuleError(_l("The password is not correct."), "password")
    attestation = Attestation(
        enrollment=enrollment, employee_id=employee.id, course_version_id=version.id,
        policy_hash=version.content_hash, statement=statement or version.attestation_text,
        typed_name=typed_name.strip(), signed_at=utcnow(), ip_address=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:512] or None,
    )
    db.session.add(attestation)
    db.session.flush()
    return attestation


def quiz_blocker(enrollment: Enrollment):
    """Why the quiz cannot be taken yet (a lazily translated message), or None if it can."""
    if enrollment.status != "in_progress":
        return _l("This course is already finished.")
    if not all_modules_done(enrollment):
        return _l("Read every module before you take the quiz.")
    if enrollment.version.attestation_text and enrollment.attestation is None:
        return _l("Sign the attestation before you take the quiz.")
    return None


def complete_enrollment(enrollment: Enrollment, score_percent: int | None) -> None:
    """Complete the run (passed, attestation signed) and tell whoever listens. A course with
    an in-person part waits, with the score kept, until the person has attended a class."""
    if enrollment.status == "completed":
        return
    if enrollment.version.attestation_text and enrollment.attestation is None:
        raise CourseRuleError(_l("The attestation is not signed."))
    if enrollment.version.in_person and not attended(enrollment):
        enrollment.score_percent = score_percent
        db.session.flush()
        return
    enrollment.status = "completed"
    enrollment.completed_at = utcnow()
    enrollment.score_percent = score_percent
    db.session.flush()
    enrollment_completed.send(enrollment)


def fail_enrollment(enrollment: Enrollment) -> None:
    enrollment.status = "failed"
    db.session.flush()


def seconds_spent(enrollment_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(ModuleProgress.seconds_spent), 0))
        .where(ModuleProgress.enrollment_id == enrollment_id)
    )


def attended(enrollment: Enrollment) -> bool:
    """Present (or late) at a class of the course that ended after this enrolment began."""
    return db.session.scalar(
        select(Booking.id).join(ClassSession, ClassSession.id == Booking.session_id)
        .where(Booking.employee_id == enrollment.employee_id, Booking.status == "booked",
               Booking.attendance.in_(("present", "late")),
               ClassSession.course_id == enrollment.version.course_id,
               ClassSession.ends_at >= enrollment.started_at).limit(1)) is not None


def awaiting_class(enrollment: Enrollment) -> bool:
    """Online part passed, the in-person part not attended yet."""
    return (enrollment.status == "in_progress" and enrollment.version.in_person
            and enrollment.score_percent is not None and not attended(enrollment))

"""Booking places in classes: capacity, the waitlist, cancellations, attendance, completion.

Every change to a class's bookings first locks the class row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), then counts and writes, so 30
people booking 20 places at once get exactly 20 places and 10 waitlist entries, and a freed
place goes to exactly one person: the first in the queue who has no clash.

Rules: only people with an open assignment of the course may book (themselves, or their
manager for them); nobody holds two places, or queue entries, for classes of the same course,
or a place in two classes that overlap in time; booking and cancelling close at the class's
sign-up deadline (trainers and HR may still change bookings after it). Every booking change
queues its e-mail, with a calendar invitation, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from courses.models import Booking, ClassSession, CourseVersion, Enrollment
from courses.services import all_modules_done, complete_enrollment
from lms.classroom import notices
from lms.compliance.models import Assignment
from lms.compliance.services import begin
from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l
from lms.people.models import Employee
from lms.people.org import in_subtree

OPEN = ("assigned", "in_progress", "paused")
ACTIVE = ("booked", "waitlisted")
ATTENDED = ("present", "late")


class BookingError(UserError, ValueError):
    pass


SAME_COURSE, SAME_TIME = "same_course", "same_time"
# Why a clash refuses a booking, as whole sentences so that each reads naturally when translated.
_CLASH_MESSAGES = {
    SAME_COURSE: _l("Cannot book: already booked (or waiting) for another class of this "
                    "course."),
    SAME_TIME: _l("Cannot book: booked for another class at the same time."),
}


def lock(session_id: int) -> ClassSession:
    """The class, locked for this transaction (PostgreSQL row lock)."""
    session = db.session.scalar(select(ClassSession).where(ClassSession.id == session_id)
                                .with_for_update())
    if session is None:
        raise BookingError(_l("No such class."))
    return session


def booked_count(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session_id, Booking.status == "booked"))


def open_assignment(employee_id: int, course_id: int) -> Assignment | None:
    return db.session.scalar(
        select(Assignment).where(Assignment.employee_id == employee_id,
                                 Assignment.course_id == course_id,
                                 Assignment.status.in_(OPEN))
        .order_by(Assignment.due_on).limit(1))


def may_book_for(actor: Employee, employee_id: int, staff: bool = False) -> bool:
    """Oneself; one's reports (anywhere below); trainers and HR (``staff``) anyone."""
    return staff or actor.id == employee_id or in_subtree(actor.id, employee_id)


def _clash(session: ClassSession, employee_id: int, now: datetime) -> str | None:
    """Why this person cannot hold a place in this class (SAME_COURSE, SAME_TIME), or None."""
    same_course = db.session.scalar(
        select(ClassSession.id).join(Booking, Booking.session_id == ClassSession.id)
        .where(Booking.employee_id == employee_id, Booking.status.in_(ACTIVE),
               ClassSession.course_id == session.course_id, ClassSession.id != session.id,
               ClassSession.status == "scheduled", ClassSession.ends_at > now)
        .limit(1))
    if same_course is not None:
        return SAME_COURSE
    overlapping = db.session.scalar(
        select(ClassSession.id).join(Booking, Booking.session_id == ClassSession.id)
        .where(Booking.employee_id == employee_id, Booking.status == "booked",
               ClassSession.id != session.id, ClassSession.status == "scheduled",
               ClassSession.starts_at < session.ends_at,
               ClassSession.ends_at > session.starts_at)
        .limit(1))
    if overlapping is not None:
        return SAME_TIME
    return None


def book(session_id: int, employee_id: int, by: Employee, now: datetime,
         staff: bool = False) -> Booking:
    """A place, or a place in the queue when the class is full. Flushes."""
    session = lock(session_id)
    if session.status != "scheduled" or session.starts_at <= now:
        raise BookingError(_l("This class is not open for booking."))
    if now > session.signup_deadline and not staff:
        raise BookingError(_l("Sign-up for this class has closed."))
    if not may_book_for(by, employee_id, staff):
        raise BookingError(_l("You can book only for yourself or the people you manage."))
    assignment = open_assignment(employee_id, session.course_id)
    if assignment is None:
        raise BookingError(_l("Only people assigned this course can book its classes."))
    booking = db.session.scalar(select(Booking).where(Booking.session_id == session_id,
                                                      Booking.employee_id == employee_id))
    if booking is not None and booking.status in ACTIVE:
        return booking
    clash = _clash(session, employee_id, now)
    if clash:
        raise BookingError(_CLASH_MESSAGES[clash])
    status = "booked" if booked_count(session_id) < session.capacity else "waitlisted"
    if booking is None:
        booking = Booking(session_id=session_id, employee_id=employee_id)
        db.session.add(booking)
    booking.status, booking.booked_by_id, booking.queued_at = status, by.id, now
    booking.cancelled_at = booking.promoted_at = None
    begin(assignment)  # the class counts for this cycle's enrolment
    db.session.flush()
    notices.booking_changed(booking, now, "booked" if status == "booked" else "waitlisted")
    return booking


def cancel(session_id: int, employee_id: int, by: Employee, now: datetime,
           staff: bool = False) -> Booking | None:
    """Give up a place (or a queue entry); the first person in the queue with no clash gets
    the place. Returns the promoted booking, if any. Flushes."""
    session = lock(session_id)
    if not may_book_for(by, employee_id, staff):
        raise BookingError(_l("You can cancel only your own bookings or your reports'."))
    booking = db.session.scalar(select(Booking).where(Booking.session_id == session_id,
                                                      Booking.employee_id == employee_id))
    if booking is None or booking.status not in ACTIVE:
        raise BookingError(_l("There is no booking to cancel."))
    if now > session.signup_deadline and not staff:
        raise BookingError(_l(
            "The class is too close to cancel here: please contact the trainer."))
    was_booked = booking.status == "booked"
    booking.status, booking.cancelled_at = "cancelled", now
    db.session.flush()
    notices.booking_changed(booking, now, "cancelled")
    if was_booked and session.starts_at > now:
        return promote(session, now)
    return None


def promote(session: ClassSession, now: datetime) -> Booking | None:
    """Fill free places from the queue, first come first served (the class is locked)."""
    promoted = None
    free = session.capacity - booked_count(session.id)
    queue = db.session.scalars(select(Booking).where(
        Booking.session_id == session.id, Booking.status == "waitlisted")
        .order_by(Booking.queued_at, Booking.id)).all()
    for candidate in queue:
        if free <= 0:
            break
        clash = _clash(session, candidate.employee_id, now)
        if clash == SAME_TIME:
            continue  # they booked something at that time since; the next one gets it
        candidate.status, candidate.promoted_at = "booked", now
        db.session.flush()
        notices.booking_changed(candidate, now, "promoted")
        promoted = promoted or candidate
        free -= 1
    return promoted


def mark_attendance(session_id: int, marks: dict[int, tuple[str | None, str]], by: Employee,
                    now: datetime) -> int:
    """Set present/late/absent (and a note) for booked people; returns how many changed."""
    lock(session_id)
    bookings = {b.employee_id: b for b in db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.status == "booked"))}
    changed = 0
    for employee_id, (attendance, note) in marks.items():
        booking = bookings.get(employee_id)
        if booking is None:
            raise BookingError(_l("That person has no place in this class."))
        if attendance not in (None, "present", "late", "absent"):
            raise BookingError(_l("Unknown attendance %(value)s.", value=repr(attendance)))
        note = (note or "").strip()[:1000]
        if (booking.attendance, booking.attendance_note) != (attendance, note):
            booking.attendance, booking.attendance_note = attendance, note
            booking.marked_by_id, booking.marked_at = by.id, now
            changed += 1
    db.session.flush()
    return changed


def complete_session(session_id: int, by: Employee, now: datetime) -> dict[str, int]:
    """Close the class: attendance completes each present (or late) person's course where the
    online part is done (issuing the certificate); no-shows are asked to book again."""
    session = lock(session_id)
    if session.status == "cancelled":
        raise BookingError(_l("A cancelled class cannot be completed."))
    bookings = db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.status == "booked")).all()
    unmarked = [b for b in bookings if b.attendance is None]
    if unmarked:
        raise BookingError(_l("Take attendance for everyone first (%(num)s unmarked).",
                              num=len(unmarked)))
    session.status, session.completed_at = "completed", now
    counts = {"completed": 0, "waiting_for_online_part": 0, "absent": 0}
    for booking in bookings:
        if booking.attendance in ATTENDED:
            counts["completed" if complete_if_ready(booking.employee_id, session.course_id)
                   else "waiting_for_online_part"] += 1
        else:
            counts["absent"] += 1
            notices.missed(booking, now)
    db.session.flush()
    return counts


def complete_if_ready(employee_id: int, course_id: int) -> bool:
    """Complete the person's current enrolment of the course if everything but the class is
    done (modules, attestation, quiz passed); the class is. Returns whether it completed."""
    from quizzes.services import quiz_for_version

    enrollment = db.session.scalar(
        select(Enrollment).join(CourseVersion, CourseVersion.id == Enrollment.course_version_id)
        .where(Enrollment.employee_id == employee_id, Enrollment.status == "in_progress",
               CourseVersion.course_id == course_id)
        .order_by(Enrollment.started_at.desc()).limit(1))
    if enrollment is None or not all_modules_done(enrollment):
        return False
    if enrollment.version.attestation_text and enrollment.attestation is None:
        return False
    if quiz_for_version(enrollment.course_version_id) is not None and (
            enrollment.score_percent is None):
        return False
    complete_enrollment(enrollment, enrollment.score_percent)
    return enrollment.status == "completed"


def close_class(session_id: int, by: Employee, now: datetime) -> dict[str, int]:
    """The instructor's "mark complete": only once the class has begun (a certificate before
    the class would certify nothing), then as ``complete_session``."""
    session = lock(session_id)
    if session.status == "completed":
        raise BookingError(_l("This class is already complete."))
    if session.starts_at > now:
        raise BookingError(_l(
            "The class has not started yet: complete it after it has taken place."))
    return complete_session(session_id, by, now)

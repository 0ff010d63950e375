"""What the class pages read: classes with their counts (one grouped query, never a count per
class), a person's bookings, a manager's reports for a class, the attendance list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from courses.models import Booking, ClassSession, CourseVersion
from lms.classroom.services import ACTIVE, OPEN
from lms.clock import start_of
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from lms.people.org import subtree_ids


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counts():
    booked = Booking.status == "booked"
    return (select(Booking.session_id.label("session_id"),
                   _count(booked).label("booked"),
                   _count(Booking.status == "waitlisted").label("waiting"),
                   _count(booked & (Booking.attendance == "present")).label("present"),
                   _count(booked & (Booking.attendance == "late")).label("late"),
                   _count(booked & (Booking.attendance == "absent")).label("absent"))
            .group_by(Booking.session_id).subquery("class_counts"))


@dataclass
class ClassRow:
    session: ClassSession
    version: CourseVersion | None  # the course's published version, for its title
    booked: int
    waiting: int
    present: int = 0
    late: int = 0
    absent: int = 0

    @property
    def free(self) -> int:
        return max(0, self.session.capacity - self.booked)

    @property
    def fill_percent(self) -> int:
        return round(100 * self.booked / self.session.capacity) if self.session.capacity else 0

    @property
    def unmarked(self) -> int:
        return self.booked - self.present - self.late - self.absent


def class_select():
    counts = _counts()
    return (select(ClassSession, CourseVersion,
                   *(func.coalesce(getattr(counts.c, name), 0) for name in
                     ("booked", "waiting", "present", "late", "absent")))
            .outerjoin(CourseVersion, and_(CourseVersion.course_id == ClassSession.course_id,
                                           CourseVersion.status == "published"))
            .outerjoin(counts, counts.c.session_id == ClassSession.id))


def _rows(query) -> list[ClassRow]:
    return [ClassRow(session, version, *numbers)
            for session, version, *numbers in db.session.execute(query).all()]


def class_row(session_id: int) -> ClassRow | None:
    rows = _rows(class_select().where(ClassSession.id == session_id)
                 .options(selectinload(ClassSession.instructors)))
    return rows[0] if rows else None


def upcoming(now: datetime, course_ids=None, limit: int = 20) -> list[ClassRow]:
    """Scheduled classes still open for sign-up, soonest first (of some courses, if given)."""
    query = class_select().where(ClassSession.status == "scheduled",
                                 ClassSession.starts_at > now,
                                 ClassSession.signup_deadline >= now)
    if course_ids is not None:
        query = query.where(ClassSession.course_id.in_(course_ids))
    return _rows(query.order_by(ClassSession.starts_at, ClassSession.id).limit(limit))


def bookable_course_ids(employee_id: int, now: datetime):
    """A SELECT of the courses this person may book a class of now: an open assignment, and no
    place or queue entry in a coming class of the course yet."""
    mine = aliased(ClassSession)
    return (select(Assignment.course_id).where(
        Assignment.employee_id == employee_id, Assignment.status.in_(OPEN),
        ~exists().where(Booking.employee_id == employee_id, Booking.status.in_(ACTIVE),
                        Booking.session_id == mine.id, mine.course_id == Assignment.course_id,
                        mine.status == "scheduled", mine.ends_at > now)))


def has_open_assignment(employee_id: int, course_id: int) -> bool:
    return db.session.scalar(select(Assignment.id).where(
        Assignment.employee_id == employee_id, Assignment.course_id == course_id,
        Assignment.status.in_(OPEN)).limit(1)) is not None


def booking_of(session_id: int, employee_id: int) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id,
                                                   Booking.employee_id == employee_id))


def queue_position(booking: Booking) -> int:
    """1 for the first in the queue (queued_at, then id, as promote() reads it)."""
    return 1 + db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == booking.session_id, Booking.status == "waitlisted",
        or_(Booking.queued_at < booking.queued_at,
            and_(Booking.queued_at == booking.queued_at, Booking.id < booking.id))))


@dataclass
class MyBooking:
    booking: Booking
    session: ClassSession
    version: CourseVersion | None
    position: int | None  # in the queue, for a waitlisted booking


def my_bookings(employee_id: int, now: datetime) -> tuple[list[MyBooking], list[MyBooking]]:
    """(coming: places and queue entries in classes still to come; past: places in classes
    that ended or were completed, with the attendance taken)."""
    ahead = aliased(Booking)
    position = (select(func.count()).select_from(ahead).where(
        ahead.session_id == Booking.session_id, ahead.status == "waitlisted",
        or_(ahead.queued_at < Booking.queued_at,
            and_(ahead.queued_at == Booking.queued_at, ahead.id < Booking.id)))
        .scalar_subquery())
    query = (select(Booking, ClassSession, CourseVersion, position)
             .join(ClassSession, ClassSession.id == Booking.session_id)
             .outerjoin(CourseVersion, and_(CourseVersion.course_id == ClassSession.course_id,
                                            CourseVersion.status == "published"))
             .where(Booking.employee_id == employee_id))
    coming = [MyBooking(b, s, v, p + 1 if b.status == "waitlisted" else None)
              for b, s, v, p in db.session.execute(query.where(
                  Booking.status.in_(ACTIVE), ClassSession.status == "scheduled",
                  ClassSession.ends_at > now).order_by(ClassSession.starts_at))]
    past = [MyBooking(b, s, v, None) for b, s, v, _ in db.session.execute(query.where(
        Booking.status == "booked",
        or_(ClassSession.status == "completed",
            and_(ClassSession.status == "scheduled", ClassSession.ends_at <= now)))
        .order_by(ClassSession.starts_at.desc()).limit(100))]
    return coming, past


def bookable_reports(manager_id: int, session: ClassSession, limit: int = 500) -> list[Employee]:
    """People below the manager who are assigned the class's course and hold no place or queue
    entry in this class."""
    return list(db.session.scalars(
        select(Employee).where(
            Employee.id.in_(subtree_ids(manager_id)), Employee.active.is_(True),
            exists().where(Assignment.employee_id == Employee.id,
                           Assignment.course_id == session.course_id,
                           Assignment.status.in_(OPEN)),
            ~exists().where(Booking.employee_id == Employee.id,
                            Booking.session_id == session.id, Booking.status.in_(ACTIVE)))
        .order_by(Employee.full_name, Employee.id).limit(limit)))


def reports_in_class(manager_id: int, session_id: int) -> list[tuple[Booking, Employee]]:
    return list(db.session.execute(
        select(Booking, Employee).join(Employee, Employee.id == Booking.employee_id)
        .where(Booking.session_id == session_id, Booking.status.in_(ACTIVE),
               Employee.id.in_(subtree_ids(manager_id)))
        .order_by(Booking.status, Employee.full_name)))


def class_list(session_id: int, statuses=ACTIVE) -> list[tuple[Booking, Employee]]:
    """The people in a class (booked first, then the queue in order), for staff."""
    return list(db.session.execute(
        select(Booking, Employee).join(Employee, Employee.id == Booking.employee_id)
        .where(Booking.session_id == session_id, Booking.status.in_(statuses))
        .order_by(Booking.status, Employee.full_name, Employee.id)))


def booked_and_waiting(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session_id, Booking.status.in_(ACTIVE)))


def sign_in_list(session_id: int) -> list[tuple[Booking, Employee, str | None]]:
    """Everyone with a place, by name, with their department, for the printed sheet."""
    return list(db.session.execute(
        select(Booking, Employee, Department.name)
        .join(Employee, Employee.id == Booking.employee_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(Booking.session_id == session_id, Booking.status == "booked")
        .order_by(Employee.full_name, Employee.id)))


SHEET_COLUMNS = ("Name", "Employee number", "Email", "Department", "Location", "Place",
                 "Attendance", "Note", "Booked at (UTC)")


def sheet_rows(session_id: int):
    """The attendance sheet: everyone booked (then everyone waiting), as spreadsheet rows."""
    query = (select(Employee.full_name, Employee.employee_number, Employee.email,
                    Department.name, Location.name, Booking.status, Booking.attendance,
                    Booking.attendance_note, Booking.queued_at)
             .join(Employee, Employee.id == Booking.employee_id)
             .outerjoin(Department, Department.id == Employee.department_id)
             .outerjoin(Location, Location.id == Employee.location_id)
             .where(Booking.session_id == session_id, Booking.status.in_(ACTIVE))
             .order_by(Booking.status, Employee.full_name, Employee.id))
    for row in db.session.execute(query):
        yield tuple(row)


@dataclass(frozen=True)
class HrFilters:
    course_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive


def hr_classes(filters: HrFilters, page: int, per_page: int) -> tuple[list[ClassRow], int]:
    """Classes for HR, newest first, filtered by course and by start date (company days)."""
    conditions = []
    if filters.course_id:
        conditions.append(ClassSession.course_id == filters.course_id)
    if filters.since:
        conditions.append(ClassSession.starts_at >= start_of(filters.since))
    if filters.until:
        conditions.append(ClassSession.starts_at < start_of(date.fromordinal(
            filters.until.toordinal() + 1)))
    total = db.session.scalar(select(func.count()).select_from(ClassSession).where(*conditions))
    rows = _rows(class_select().where(*conditions)
                 .order_by(ClassSession.starts_at.desc(), ClassSession.id.desc())
                 .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return rows, total


def trainer_classes(now: datetime, page: int, per_page: int) -> tuple[list[ClassRow], int]:
    """Every class: those to come first (soonest first), then the rest (latest first)."""
    coming = and_(ClassSession.status == "scheduled", ClassSession.ends_at > now)
    total = db.session.scalar(select(func.count()).select_from(ClassSession))
    rows = _rows(class_select()
                 .order_by(case((coming, 0), else_=1),
                           case((coming, ClassSession.starts_at)),
                           ClassSession.starts_at.desc(), ClassSession.id)
                 .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return rows, total


def course_choices() -> list[tuple[int, str]]:
    """Courses that have (or had) classes, for HR's filter."""
    return list(db.session.execute(
        select(CourseVersion.course_id, CourseVersion.title)
        .where(CourseVersion.status == "published",
               or_(CourseVersion.in_person.is_(True),
                   CourseVersion.course_id.in_(select(ClassSession.course_id))))
        .order_by(CourseVersion.title)))

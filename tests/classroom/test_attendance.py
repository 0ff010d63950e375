"""The instructor's attendance page: present / late / absent and a note per person, then
"Mark the class complete", which completes the courses and issues the certificates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from certificates.models import Certificate
from courses.models import Booking, ClassSession
from lms.classroom.services import book
from lms.compliance.models import Assignment
from lms.db import db, utcnow
from tests import helpers


def test_the_instructor_takes_attendance_and_completes_the_class(cast, as_user, make_employee,
                                                                 make_assignment):
    session, learner, other = cast["class"], cast["learner"], cast["other"]
    late = make_employee("Lars Late")
    make_assignment(late, cast["course"], due_on=utcnow().date() + timedelta(days=60))
    # the learner does the online part first: the class completes the course
    client = as_user("learner@example.com")
    assignment = db.session.scalar(select(Assignment).where(
        Assignment.employee_id == learner.id))
    enrollment = helpers.complete_course(client, assignment, learner.full_name, "")
    for person in (learner, other, late):
        book(session.id, person.id, person, utcnow())
    db.session.commit()

    instructor = as_user("instructor@example.com")
    page = instructor.get(f"/classes/{session.id}/attendance").text
    for person in (learner, other, late):
        assert person.full_name in page
        assert f'name="a-{person.id}" value="present"' in page
        assert f'<label class="note-label" for="n-{person.id}">' in page
    assert "You can complete the class once it has started." in page

    marks = {f"a-{learner.id}": "present", f"n-{learner.id}": "Great effort",
             f"a-{other.id}": "absent", f"n-{other.id}": "Ill",
             f"a-{late.id}": "late", f"n-{late.id}": "<b>20 minutes</b>"}
    page = instructor.post(f"/classes/{session.id}/attendance", data=marks,
                           follow_redirects=True).text
    assert "Attendance saved (3 changes)." in page
    assert "&lt;b&gt;20 minutes&lt;/b&gt;" in page
    # too early to complete
    page = instructor.post(f"/classes/{session.id}/complete", follow_redirects=True).text
    assert "The class has not started yet" in page
    assert db.session.scalar(select(Certificate)) is None

    # the day comes: the class began three hours ago and is ending
    row = db.session.get(ClassSession, session.id)
    row.starts_at, row.ends_at = utcnow() - timedelta(hours=3), utcnow() + timedelta(minutes=5)
    row.signup_deadline = row.starts_at - timedelta(days=2)
    db.session.commit()
    page = instructor.post(f"/classes/{session.id}/complete", follow_redirects=True).text
    assert ("The class is complete: 1 completed the course, 1 still need the online part, "
            "1 absent.") in page
    assert "This class is complete." in page and "Save attendance" not in page
    db.session.expire_all()
    certificate = db.session.scalar(select(Certificate))
    assert certificate.employee_id == learner.id and certificate.enrollment_id == enrollment.id
    assert "Present" in as_user("learner@example.com").get("/classes").text
    assert instructor.post(f"/classes/{session.id}/attendance",
                           data=marks).status_code == 409
    assert db.session.scalar(select(Booking.attendance).where(
        Booking.employee_id == other.id)) == "absent"


def test_a_trainer_who_does_not_teach_the_class_may_still_take_attendance(cast, as_user):
    session, learner = cast["class"], cast["learner"]
    book(session.id, learner.id, learner, utcnow())
    db.session.commit()
    page = as_user("trainer@example.com").post(
        f"/classes/{session.id}/attendance", data={f"a-{learner.id}": "present"},
        follow_redirects=True).text
    assert "Attendance saved (1 change)." in page
    assert as_user("hr@example.com").post(
        f"/classes/{session.id}/attendance", data={f"a-{learner.id}": "absent"}
    ).status_code == 403
    assert as_user("other@example.com").get(
        f"/classes/{session.id}/attendance").status_code == 403
    assert db.session.scalar(select(Booking.attendance)) == "present"


def test_unknown_marks_are_left_unmarked(cast, as_user):
    session, learner = cast["class"], cast["learner"]
    book(session.id, learner.id, learner, utcnow())
    db.session.commit()
    as_user("instructor@example.com").post(f"/classes/{session.id}/attendance",
                                           data={f"a-{learner.id}": "asleep"})
    db.session.expire_all()
    assert db.session.scalar(select(Booking.attendance)) is None

"""The class pages for everyone who may (or may not) open them: learners, their managers,
instructors, trainers, HR and admins, and visitors who are not signed in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from courses.models import Booking
from lms.classroom.services import book
from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage

EVERYONE = ("learner", "other", "boss", "other_boss", "instructor", "trainer", "hr", "admin")
EMAILS = {role: f"{role.replace('_', '')}@example.com" for role in EVERYONE}


def status_of(client, method: str, url: str) -> tuple[int, str]:
    response = client.open(url, method=method)
    return response.status_code, response.location or ""


def test_every_class_page_lets_in_exactly_who_it_should(cast, as_user, client):
    class_id = cast["class"].id
    book(class_id, cast["learner"].id, cast["learner"], utcnow())
    db.session.commit()
    clients = {role: as_user(EMAILS[role]) for role in EVERYONE}
    allowed = {
        ("GET", "/classes"): set(EVERYONE),
        ("GET", f"/classes/{class_id}"): set(EVERYONE),
        ("GET", f"/classes/{class_id}/attendance"): {"instructor", "trainer", "admin"},
        ("POST", f"/classes/{class_id}/complete"): {"instructor", "trainer", "admin"},
        ("GET", "/classes/manage"): {"trainer", "admin"},
        ("GET", "/classes/manage/new"): {"trainer", "admin"},
        ("GET", f"/classes/manage/{class_id}"): {"trainer", "admin"},
        ("POST", f"/classes/manage/{class_id}/cancel"): {"trainer", "admin"},
        ("GET", "/hr/classes"): {"hr", "admin"},
        ("GET", f"/hr/classes/{class_id}/attendance.csv"): {"hr", "admin"},
        ("GET", f"/hr/classes/{class_id}/attendance.xlsx"): {"hr", "admin"},
        ("GET", f"/hr/classes/{class_id}/sign-in.pdf"): {"hr", "admin"},
    }
    failures = []
    for (method, url), who in allowed.items():
        status, location = status_of(client, method, url)
        if status != 302 or "/login" not in location:
            failures.append(f"{method} {url} anonymous: {status}")
        for role, user in clients.items():
            if method == "POST" and role in who:
                continue  # allowed changes are tested below, once
            status, _ = status_of(user, method, url)
            if (status == 200) != (role in who) or (role not in who and status != 403):
                failures.append(f"{method} {url} as {role}: {status}")
    for method, url in (("GET", "/classes/999999"), ("GET", "/classes/999999/attendance"),
                        ("POST", "/classes/999999/book"), ("GET", "/classes/manage/999999"),
                        ("GET", "/hr/classes/999999/attendance.csv")):
        status, _ = status_of(clients["admin"], method, url)
        if status != 404:
            failures.append(f"{method} {url} (no such class): {status}")
    assert failures == []


def test_learners_never_see_who_else_is_booked(cast, as_user):
    session, learner, other = cast["class"], cast["learner"], cast["other"]
    book(session.id, learner.id, learner, utcnow())
    db.session.commit()
    page = as_user("other@example.com").get(f"/classes/{session.id}").text
    assert learner.full_name not in page
    assert "Take attendance" not in page and "People booked and waiting" not in page
    own = as_user("learner@example.com").get(f"/classes/{session.id}").text
    assert "Booked" in own and "Cancel my booking" in own
    assert other.full_name not in own
    for role in ("instructor", "trainer", "hr", "admin"):
        staff_page = as_user(EMAILS[role]).get(f"/classes/{session.id}").text
        assert learner.full_name in staff_page, role
    assert "Take attendance" in as_user("instructor@example.com").get(
        f"/classes/{session.id}").text
    hr_page = as_user("hr@example.com").get(f"/classes/{session.id}").text
    assert "Take attendance" not in hr_page and "Sign-in sheet (PDF)" in hr_page


def test_the_video_link_is_only_for_people_with_a_place_and_staff(cast, as_user):
    session, learner = cast["class"], cast["learner"]
    session.video_url = "https://meet.example.com/self-defense-42"
    db.session.commit()
    assert session.video_url not in as_user("other@example.com").get(
        f"/classes/{session.id}").text
    book(session.id, learner.id, learner, utcnow())
    db.session.commit()
    assert session.video_url in as_user("learner@example.com").get(
        f"/classes/{session.id}").text
    assert session.video_url in as_user("instructor@example.com").get(
        f"/classes/{session.id}").text


def test_times_are_shown_in_the_venues_zone_with_its_city(cast, make_class, as_user):
    from tests.classroom.conftest import local_start

    hangzhou = make_class(cast["course"], local_start(12, "09:30"), zone="Asia/Shanghai")
    client = as_user("learner@example.com")
    assert "09:00–12:00 Dublin time" in client.get(f"/classes/{cast['class'].id}").text
    assert "09:30–12:30 Shanghai time" in client.get(f"/classes/{hangzhou.id}").text


def test_booking_the_last_place_the_queue_and_promotion(cast, make_employee, make_assignment,
                                                        as_user):
    session, other = cast["class"], cast["other"]
    fillers = [make_employee(f"Filler {i}") for i in range(2)]
    for person in fillers:
        make_assignment(person, cast["course"], due_on=utcnow().date())
        book(session.id, person.id, person, utcnow())
    db.session.commit()
    lea, otto = as_user("learner@example.com"), as_user("other@example.com")
    assert "1 of 3 places left" in lea.get(f"/classes/{session.id}").text

    response = lea.post(f"/classes/{session.id}/book", data={"back": f"/classes/{session.id}"})
    assert response.status_code == 302 and response.location == f"/classes/{session.id}"
    page = otto.get(f"/classes/{session.id}").text
    assert "Full: join the waiting list (you would be 1st)" in page
    assert "Join the waiting list" in page

    page = otto.post(f"/classes/{session.id}/book", follow_redirects=True).text
    assert "you are 1st on the waiting list" in page
    assert "Waiting list: 1st" in page and "Leave the waiting list" in page
    assert "(you would be 2nd)" in as_user(fillers[0].email).get(f"/classes/{session.id}").text

    page = lea.post(f"/classes/{session.id}/unbook", follow_redirects=True).text
    assert "Your booking is cancelled" in page
    page = otto.get(f"/classes/{session.id}").text
    assert "Booked" in page and "Cancel my booking" in page
    promoted = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == other.email, OutboxMessage.key.like("class-promoted:%")))
    assert promoted is not None and "BEGIN:VCALENDAR" in promoted.calendar
    mine = otto.get("/classes").text
    assert "Coming up" in mine and "Dublin office" in mine and "Booked" in mine


def test_errors_from_the_rules_are_shown_not_raised(cast, as_user, make_employee):
    session = cast["class"]
    make_employee("Not Assigned", email="stranger@example.com")
    page = as_user("stranger@example.com").get(f"/classes/{session.id}").text
    assert "Only people who are assigned this course can book" in page
    assert "Book a place" not in page
    page = as_user("stranger@example.com").post(f"/classes/{session.id}/book",
                                                follow_redirects=True).text
    assert "Only people assigned this course can book its classes." in page
    page = as_user("learner@example.com").post(f"/classes/{session.id}/unbook",
                                               follow_redirects=True).text
    assert "There is no booking to cancel." in page
    # "back" never leaves the site
    response = as_user("learner@example.com").post(
        f"/classes/{session.id}/book", data={"back": "//evil.example/x"})
    assert response.location == f"/classes/{session.id}"


def test_a_manager_books_and_cancels_for_a_report_and_nobody_else(cast, as_user):
    session, learner = cast["class"], cast["learner"]
    boss, stranger_boss = as_user("boss@example.com"), as_user("otherboss@example.com")
    page = boss.get(f"/classes/{session.id}").text
    assert "Book a place for one of your reports" in page
    assert re.search(rf'<option value="{learner.id}">Lea Learner', page)
    assert "Lea Learner" not in stranger_boss.get(f"/classes/{session.id}").text

    assert stranger_boss.post(f"/classes/{session.id}/book-report",
                              data={"employee_id": learner.id}).status_code == 403
    assert as_user("other@example.com").post(
        f"/classes/{session.id}/book-report", data={"employee_id": learner.id}
    ).status_code == 403
    page = boss.post(f"/classes/{session.id}/book-report", data={"employee_id": learner.id},
                     follow_redirects=True).text
    assert "Lea Learner has a place in this class." in page
    booking = db.session.scalar(select(Booking).where(Booking.employee_id == learner.id))
    assert (booking.status, booking.booked_by_id) == ("booked", cast["boss"].id)
    assert stranger_boss.post(f"/classes/{session.id}/unbook-report",
                              data={"employee_id": learner.id}).status_code == 403
    page = boss.post(f"/classes/{session.id}/unbook-report", data={"employee_id": learner.id},
                     follow_redirects=True).text
    assert "The booking is cancelled." in page
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"


@pytest.mark.parametrize("value", ["abc", "", "1" * 12])
def test_a_bad_person_id_is_refused(cast, as_user, value):
    response = as_user("boss@example.com").post(f"/classes/{cast['class'].id}/book-report",
                                                data={"employee_id": value})
    assert response.status_code == 400


def test_the_course_page_and_quiz_result_wait_for_the_class(cast, as_user):
    from lms.compliance.models import Assignment
    from tests import helpers

    learner = cast["learner"]
    assignment = db.session.scalar(select(Assignment).where(
        Assignment.employee_id == learner.id))
    client = as_user("learner@example.com")
    enrollment = helpers.start(client, assignment)
    home = client.get(f"/learn/{enrollment.id}").text
    assert "The practical class" in home and "Choose a class" in home
    assert "Waiting for your class" not in home
    helpers.read_all_modules(client, enrollment)
    attempt = helpers.open_attempt(client, enrollment)
    response = client.post(f"/quiz/attempts/{attempt.id}",
                           data=helpers.answers(attempt, right=True), follow_redirects=True)
    assert "You passed with 100%" in response.text
    assert "Waiting for your class" in response.text
    assert "Your certificate is ready" not in response.text
    home = client.get(f"/learn/{enrollment.id}").text
    assert "Waiting for your class" in home and "Take the quiz" not in home
    assert "1 of 3 places left" not in home and "3 of 3 places left" in home
    client.post(f"/classes/{cast['class'].id}/book", data={"back": f"/learn/{enrollment.id}"})
    home = client.get(f"/learn/{enrollment.id}").text
    assert "Your class" in home and "Booked" in home

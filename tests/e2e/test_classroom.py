"""A class in a real browser: an employee books the last place, a colleague joins the waiting
list, the first cancels and the colleague is promoted (and told by e-mail, with an invitation);
then the instructor, on a phone, marks attendance and completes the class, and the colleague's
certificate appears."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from certificates.models import Certificate
from courses.models import ClassSession
from lms.classroom.services import book
from lms.compliance.models import Assignment
from lms.db import db, utcnow
from lms.demo.services import pass_course
from lms.notifications.models import OutboxMessage
from lms.notifications.services import email_of
from tests.conftest import PASSWORD
from tests.e2e.test_learner_journey import one, read

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}
TITLE = "Self-defense: practical class"


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/training")


def no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]}px wide on a {widths[1]}px screen"


def shoot(page: Page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("LMS_E2E_SHOTS")  # a folder to keep the screenshots in, if given
    if keep:
        shutil.copy(path, os.path.join(keep, path.name))


def test_book_queue_promote_attend_certify(live_server: str, browser: Browser, catalog,
                                           make_employee, make_assignment, tmp_path):
    base = live_server
    course = catalog["self-defense-class"]
    due = utcnow().date() + timedelta(days=60)
    anna = make_employee("Anna Byrne", email="anna@example.com")
    bo = make_employee("李波", email="bo@example.com")
    early = make_employee("Early Bird", email="early@example.com")
    instructor = make_employee("Ivy Instructor", email="instructor@example.com")
    for person in (anna, bo, early):
        make_assignment(person, course, due_on=due)
    # Bo has done the online part: read the modules and passed the quiz.
    assignment = db.session.scalar(sa.select(Assignment).where(Assignment.employee_id == bo.id))
    pass_course(assignment, bo)
    start = datetime.combine(utcnow().date() + timedelta(days=9), time(9),
                             tzinfo=ZoneInfo("Europe/Dublin"))
    session = ClassSession(
        course_id=course.id, starts_at=start, ends_at=start + timedelta(hours=3),
        timezone="Europe/Dublin", venue="Dublin office, Grand Canal Dock, room 2", capacity=2,
        signup_deadline=start - timedelta(days=2))
    session.instructors = [instructor]
    db.session.add(session)
    db.session.flush()
    book(session.id, early.id, early, utcnow())  # one of the two places is taken
    db.session.commit()
    class_id, bo_id = session.id, bo.id
    db.session.close()
    class_url = f"{base}/classes/{class_id}"

    # Anna books the last place from her classes page; the class is full.
    anna_context = browser.new_context()
    bo_context = browser.new_context()
    try:
        page = anna_context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, "anna@example.com")
        page.goto(f"{base}/classes")
        item = page.locator("li.class-item").filter(has_text="Dublin office")
        expect(item).to_contain_text("1 of 2 places left")
        expect(item).to_contain_text("09:00–12:00 Dublin time")
        item.get_by_role("button", name=re.compile(r"^Book a place")).click()
        expect(page.locator(".flash-success")).to_contain_text("You have a place")
        page.goto(class_url)
        expect(page.locator("#mine-h + p")).to_contain_text("Booked")
        expect(page.get_by_text("Full: join the waiting list (you would be 1st)").first) \
            .to_be_visible()

        # Bo joins the waiting list.
        other = bo_context.new_page()
        other.set_default_timeout(10_000)
        sign_in(other, base, "bo@example.com")
        other.goto(class_url)
        other.get_by_role("button", name=re.compile(r"^Join the waiting list")).click()
        expect(other.locator(".flash-success")).to_contain_text("1st on the waiting list")
        expect(other.get_by_text("Waiting list: 1st")).to_be_visible()

        # Anna cancels: Bo is promoted, sees his place and has an invitation in his inbox.
        page.get_by_role("button", name="Cancel my booking").click()
        expect(page.locator(".flash-success")).to_contain_text("Your booking is cancelled")
        other.reload()
        expect(other.locator("#mine-h + p")).to_contain_text("Booked")
        expect(other.get_by_role("button", name="Cancel my booking")).to_be_visible()
        promoted = one(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == "bo@example.com",
            OutboxMessage.key.like("class-promoted:%")))
        assert promoted is not None and "BEGIN:VEVENT" in promoted.calendar
        assert "A place for you" in email_of(promoted).subject

        # The day of the class: it has begun and ends in a few minutes.
        def begin_class():
            row = db.session.get(ClassSession, class_id)
            row.starts_at = utcnow() - timedelta(hours=3)
            row.ends_at = utcnow() + timedelta(minutes=10)
            row.signup_deadline = row.starts_at - timedelta(days=2)
            db.session.commit()

        read(begin_class)

        # The instructor, on a phone, marks attendance and completes the class.
        phone = browser.new_context(**PHONE)
        try:
            mobile = phone.new_page()
            mobile.set_default_timeout(10_000)
            sign_in(mobile, base, "instructor@example.com")
            mobile.goto(f"{class_url}/attendance")
            expect(mobile.get_by_role("heading", name="Attendance", level=1)).to_be_visible()
            no_horizontal_overflow(mobile)
            shoot(mobile, tmp_path, "attendance-phone")
            bo_row = mobile.locator("li.attendee").filter(has_text="李波")
            early_row = mobile.locator("li.attendee").filter(has_text="Early Bird")
            expect(mobile.locator("li.attendee")).to_have_count(2)
            bo_row.get_by_text("Present").tap()
            expect(bo_row.get_by_role("radio", name="Present")).to_be_checked()
            early_row.get_by_text("Absent").tap()
            early_row.get_by_role("textbox").fill("Called in sick")
            box = bo_row.locator("label.mark").first.bounding_box()
            assert box and box["height"] >= 44 and box["width"] >= 44  # a thumb can hit it
            mobile.get_by_role("button", name="Save attendance").tap()
            expect(mobile.locator(".flash-success")).to_contain_text(
                "Attendance saved (2 changes)")
            no_horizontal_overflow(mobile)
            mobile.get_by_role("button", name="Mark the class complete").tap()
            expect(mobile.locator(".flash-success")).to_contain_text(
                "1 completed the course, 0 still need the online part, 1 absent")
            expect(mobile.get_by_text("This class is complete.")).to_be_visible()
            no_horizontal_overflow(mobile)
            shoot(mobile, tmp_path, "attendance-phone-complete")
        finally:
            phone.close()

        # Bo's certificate.
        other.goto(f"{base}/certificates")
        row = other.get_by_role("row").filter(has_text=TITLE)
        expect(row).to_have_count(1)
        code = one(sa.select(Certificate.code).where(Certificate.employee_id == bo_id))
        expect(row).to_contain_text(code)
        other.goto(f"{base}/classes")
        expect(other.get_by_role("row").filter(has_text=TITLE)).to_contain_text("Present")
    finally:
        anna_context.close()
        bo_context.close()

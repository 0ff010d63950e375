"""The whole learner journey in a real browser: sign in, read, sign, fail the quiz, pass it,
download the certificate and verify it publicly."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from certificates.models import Certificate
from courses.models import Attestation, Enrollment
from lms.clock import today
from lms.compliance.models import Assignment
from lms.db import db
from quizzes.models import Option, Question, QuizAttempt
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

NAME = "Zhou Xiaoyu"
EMAIL = "zhou.xiaoyu@example.com"
COURSE_TITLE = "Business Code of Conduct: annual certification"


def read(fn):
    """Run ``fn`` on a fresh session and end the transaction straight away.

    The test's session must not stay in a transaction while the browser drives the live
    server: on SQLite the app begins every transaction with BEGIN IMMEDIATE, so an open one here
    would make every request wait. Objects come back detached, with what ``fn`` loaded.
    """
    db.session.close()
    try:
        return fn()
    finally:
        db.session.close()


def one(statement):
    return read(lambda: db.session.scalar(statement))


def open_attempt_layout(enrollment_id: int):
    """The open attempt, its layout, and its questions and options by id."""
    def load():
        attempt = db.session.scalar(sa.select(QuizAttempt).where(
            QuizAttempt.enrollment_id == enrollment_id, QuizAttempt.status == "open"))
        assert attempt is not None
        question_ids = [item["q"] for item in attempt.layout]
        questions = {q.id: q for q in db.session.scalars(
            sa.select(Question).where(Question.id.in_(question_ids)))}
        options = {o.id: o for o in db.session.scalars(
            sa.select(Option).where(Option.question_id.in_(question_ids)))}
        return attempt, attempt.layout, questions, options

    return read(load)


def answer_quiz(page: Page, layout: list[dict], options: dict[int, Option], *, right: bool) -> None:
    """Tick the shown positions of the right (or of one wrong) option(s) for every question."""
    for index, item in enumerate(layout):
        shown = [options[o] for o in item["o"]]
        if right:
            picks = [pos for pos, o in enumerate(shown) if o.correct]
        else:
            picks = [next(pos for pos, o in enumerate(shown) if not o.correct)]
        for pos in picks:
            page.locator(f'input[name="q{index}"][value="{pos}"]').check()


def assert_quiz_page_leaks_nothing(html: str, layout: list[dict], questions: dict[int, Question],
                                   options: dict[int, Option]) -> None:
    # No data- attributes at all (nothing for a script or a curious learner to read).
    assert not re.search(r"\sdata-[\w-]+\s*=", html), "data- attribute on the quiz page"
    # "correct" appears only where the shown question text itself says it ("Which statement is
    # correct?"): no class, attribute, hidden field or feedback gives the answers away.
    shown_text = " ".join(
        [questions[item["q"]].title + " " + questions[item["q"]].prompt_md for item in layout]
        + [options[o].text_md for item in layout for o in item["o"]]
    ).lower()
    assert html.lower().count("correct") == shown_text.count("correct")
    assert not re.search(r"""(class|name|id|value)=["'][^"']*correct""", html, re.I)
    for item in layout:
        question = questions[item["q"]]
        if question.explanation_md:
            assert question.explanation_md[:60] not in html
        for option_id in item["o"]:
            feedback = options[option_id].feedback_md
            if feedback:
                assert feedback[:60] not in html, "option feedback shown before submitting"


def test_learner_journey(live_server: str, page: Page, browser: Browser, catalog,
                         make_employee, make_assignment, tmp_path):
    base = live_server
    employee = make_employee(NAME, email=EMAIL)
    course = catalog["code-of-conduct"]
    day = today()
    make_assignment(employee, course, cycle=str(day.year), assigned_on=day,
                    due_on=day + timedelta(days=30))
    employee_id = employee.id
    db.session.close()
    page.set_default_timeout(10_000)

    # Sign in through the form (CSRF on).
    page.goto(f"{base}/login")
    page.locator('input[name="email"]').fill(EMAIL)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/training")
    expect(page.get_by_role("heading", name="My training", level=1)).to_be_visible()
    card = page.locator("li.course-card").filter(has_text=COURSE_TITLE)
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text(re.compile(r"Not started"))
    expect(card.locator("progress")).to_have_attribute("value", "0")

    # Start: the course home offers "Start reading".
    card.get_by_role("button", name=re.compile(r"^Start")).click()
    expect(page).to_have_url(re.compile(rf"{base}/learn/\d+$"))
    enrollment_id = int(page.url.rsplit("/", 1)[1])
    enrollment, version, count = read(lambda: (
        (e := db.session.get(Enrollment, enrollment_id)), e.version, len(e.version.modules)))
    assert enrollment.employee_id == employee_id
    assert count >= 3
    page.get_by_role("link", name="Start reading").click()

    # Read every module in order; halfway, leave for My training and come back.
    leave_after = 2
    for position in range(1, count + 1):
        expect(page).to_have_url(f"{base}/learn/{enrollment_id}/modules/{position}")
        expect(page.get_by_text(f"Module {position} of {count}")).to_be_visible()
        label = ("I have read this: next module" if position < count
                 else "I have read this: continue")
        page.get_by_role("button", name=label).click()
        if position == leave_after:
            expect(page).to_have_url(f"{base}/learn/{enrollment_id}/modules/{position + 1}")
            page.get_by_role("link", name="My training").first.click()
            card = page.locator("li.course-card").filter(has_text=COURSE_TITLE)
            expect(card.locator(".badge")).to_have_text(re.compile(r"In progress"))
            card.get_by_role("link", name=re.compile(r"^Continue")).click()
            expect(page).to_have_url(f"{base}/learn/{enrollment_id}")
            resume = page.get_by_role("link", name="Continue reading")
            expect(resume).to_have_attribute(
                "href", f"/learn/{enrollment_id}/modules/{leave_after + 1}")
            resume.click()

    # After the last module: the attestation, signed with the typed name and the password.
    expect(page).to_have_url(f"{base}/learn/{enrollment_id}/attestation")
    expect(page.locator("blockquote.statement")).to_have_text(version.attestation_text)
    page.locator('input[name="agree"]').check()
    page.locator('input[name="full_name"]').fill(NAME)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign the attestation").click()
    expect(page).to_have_url(f"{base}/learn/{enrollment_id}")
    expect(page.get_by_text("Your attestation is signed and recorded")).to_be_visible()

    attestation = one(sa.select(Attestation).where(Attestation.enrollment_id == enrollment_id))
    assert attestation is not None
    assert attestation.employee_id == employee_id
    assert attestation.policy_hash == version.content_hash
    assert attestation.statement == version.attestation_text
    assert attestation.course_version_id == enrollment.course_version_id
    assert attestation.typed_name == NAME
    assert attestation.ip_address == "127.0.0.1"
    assert attestation.user_agent and "Chrom" in attestation.user_agent
    assert attestation.signed_at.tzinfo is not None
    assert attestation.signed_at.utcoffset() == timedelta(0)

    # First attempt: wrong on purpose.
    page.get_by_role("button", name="Take the quiz").click()
    expect(page).to_have_url(re.compile(rf"{base}/quiz/attempts/\d+$"))
    attempt, layout, questions, options = open_attempt_layout(enrollment_id)
    assert page.url.endswith(f"/quiz/attempts/{attempt.id}")
    assert_quiz_page_leaks_nothing(page.content(), layout, questions, options)
    answer_quiz(page, layout, options, right=False)
    page.get_by_role("button", name="Submit answers").click()
    expect(page).to_have_url(f"{base}/quiz/attempts/{attempt.id}/result")
    status = page.get_by_role("status").filter(has_text="Not passed")
    expect(status).to_contain_text("Not passed")
    left = version.max_attempts - 1
    expect(status).to_contain_text(f"You have {left} attempt{'s' if left != 1 else ''} left")
    failed = one(sa.select(QuizAttempt).where(QuizAttempt.id == attempt.id))
    assert failed.status == "submitted" and failed.passed is False

    # Second attempt: right.
    page.get_by_role("link", name="Back to the course").click()
    page.get_by_role("button", name="Take the quiz").click()
    expect(page).to_have_url(re.compile(rf"{base}/quiz/attempts/\d+$"))
    attempt, layout, questions, options = open_attempt_layout(enrollment_id)
    assert attempt.number == 2
    answer_quiz(page, layout, options, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page).to_have_url(f"{base}/quiz/attempts/{attempt.id}/result")
    expect(page.get_by_role("status")).to_contain_text("You passed with 100%.")

    certificate = one(sa.select(Certificate).where(Certificate.enrollment_id == enrollment_id))
    assert certificate is not None
    code, holder = certificate.code, certificate.holder_name
    assert holder == NAME

    # The certificate from the course home.
    page.get_by_role("link", name="Get your certificate").click()
    expect(page).to_have_url(f"{base}/learn/{enrollment_id}")
    expect(page.get_by_text(code)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"certificate-{code}.pdf"
    pdf_path = tmp_path / "downloaded.pdf"
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    assert NAME in text
    assert code in text

    # My training and My certificates show it too.
    page.get_by_role("link", name="My training").first.click()
    card = page.locator("li.course-card").filter(has_text=COURSE_TITLE)
    expect(card.locator(".badge")).to_have_text(re.compile(r"Completed"))
    expect(card.get_by_role("link", name=re.compile(r"Download certificate \(PDF\)"))) \
        .to_have_attribute("href", f"/certificates/{code}.pdf")
    page.get_by_role("link", name="My certificates").click()
    expect(page.get_by_role("row").filter(has_text=COURSE_TITLE)).to_contain_text(code)

    assignment = one(sa.select(Assignment).where(Assignment.enrollment_id == enrollment_id))
    assert assignment.status == "completed"

    # Public verification, signed out (a new browser context has no session cookie).
    visitor = browser.new_context()
    try:
        public = visitor.new_page()
        response = public.goto(f"{base}/verify/{code}")
        assert response is not None and response.status == 200
        card = public.locator("section.card")
        expect(card.locator(".badge")).to_have_text(re.compile(r"Valid"))
        expect(card).to_contain_text("genuine and valid")
        expect(card).to_contain_text(NAME)
        expect(card).to_contain_text(COURSE_TITLE)
        expect(public.get_by_role("link", name="My training")).to_have_count(0)

        response = public.goto(f"{base}/verify/AAAAA-AAAAA-AAAAA-AAAAA")
        assert response is not None and response.status == 404
        expect(public.get_by_role("heading", name="Certificate not found")).to_be_visible()
    finally:
        visitor.close()

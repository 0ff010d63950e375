"""The learner journey on a phone: a 390x844 touch screen, every step by tap(), a screenshot of
every page (saved under the test's tmp dir) and a check that nothing is wider than the screen
(wide tables may scroll inside their .table-wrap)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from certificates.models import Certificate
from lms.clock import today
from lms.db import db
from tests.conftest import PASSWORD
from tests.e2e.test_learner_journey import COURSE_TITLE, open_attempt_layout, read

pytestmark = pytest.mark.e2e

NAME = "Phone Person"
EMAIL = "phone.person@example.com"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}

# Elements reaching past the right edge of the screen, outside a scrolling .table-wrap (and not
# hidden on purpose: the skip link waits off-screen to the left until it has the focus).
OVERFLOW = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => !el.closest('.table-wrap') && !el.closest('.skip-link, .visually-hidden'))
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.width > 0 && (r.right > width + 1 || r.width > width + 1); })
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                   + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
}"""


def check_page(page: Page, shots: Path, name: str) -> list[str]:
    """Screenshot the whole page; return what overflows the screen."""
    page.wait_for_load_state()
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    problems = []
    scroll_width, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width > inner:
        problems.append(f"{name}: page is {scroll_width}px wide on a {inner}px screen")
    problems += [f"{name}: {what}" for what in page.evaluate(OVERFLOW)]
    # A wide table scrolls inside its wrapper instead of widening the page.
    for box in page.locator(".table-wrap").all():
        overflow_x = box.evaluate("el => getComputedStyle(el).overflowX")
        if overflow_x not in ("auto", "scroll"):
            problems.append(f"{name}: a .table-wrap that does not scroll")
    return problems


def tap_sign_in(page: Page, base: str, email: str) -> None:
    """Sign in on the open sign-in page by touch and the on-screen keyboard."""
    page.locator('input[name="email"]').tap()
    page.keyboard.type(email)
    page.locator('input[name="password"]').tap()
    page.keyboard.type(PASSWORD)
    page.locator('main button[type="submit"]').tap()
    expect(page).to_have_url(f"{base}/training")


def test_learner_journey_on_a_phone(live_server: str, browser: Browser, catalog, make_employee,
                                    make_assignment, tmp_path):
    base = live_server
    employee = make_employee(NAME, email=EMAIL)
    day = today()
    make_assignment(employee, catalog["code-of-conduct"], cycle=str(day.year), assigned_on=day,
                    due_on=day + timedelta(days=30))
    db.session.close()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto(f"{base}/login")
        problems += check_page(page, shots, "01-sign-in")
        tap_sign_in(page, base, EMAIL)
        problems += check_page(page, shots, "02-my-training")

        card = page.locator("li.course-card").filter(has_text=COURSE_TITLE)
        card.get_by_role("button", name=re.compile(r"^Start")).tap()
        expect(page).to_have_url(re.compile(rf"{base}/learn/\d+$"))
        enrollment_id = int(page.url.rsplit("/", 1)[1])
        problems += check_page(page, shots, "03-course-home")
        page.get_by_role("link", name="Start reading").tap()

        number = 0
        while True:
            expect(page).to_have_url(re.compile(rf"{base}/learn/{enrollment_id}/(modules|att)"))
            if "/modules/" not in page.url:
                break
            number += 1
            problems += check_page(page, shots, f"04-module-{number}")
            page.get_by_role("button", name=re.compile(r"^I have read this")).tap()
            page.wait_for_url(lambda url, n=number: not url.endswith(f"/modules/{n}"))
        assert number >= 3

        expect(page).to_have_url(f"{base}/learn/{enrollment_id}/attestation")
        problems += check_page(page, shots, "05-attestation")
        page.locator('input[name="agree"]').tap()
        page.locator('input[name="full_name"]').tap()
        page.keyboard.type(NAME)
        page.locator('input[name="password"]').tap()
        page.keyboard.type(PASSWORD)
        page.get_by_role("button", name="Sign the attestation").tap()
        expect(page).to_have_url(f"{base}/learn/{enrollment_id}")

        page.get_by_role("button", name="Take the quiz").tap()
        expect(page).to_have_url(re.compile(rf"{base}/quiz/attempts/\d+$"))
        problems += check_page(page, shots, "06-quiz")
        _attempt, layout, _questions, options = open_attempt_layout(enrollment_id)
        for index, item in enumerate(layout):
            shown = [options[o] for o in item["o"]]
            for pos, option in enumerate(shown):
                if option.correct:
                    # The label is the big touch target.
                    page.locator(f'label[for="q{index}-{pos}"]').tap()
                    expect(page.locator(f"#q{index}-{pos}")).to_be_checked()
        page.get_by_role("button", name="Submit answers").tap()
        expect(page).to_have_url(re.compile(rf"{base}/quiz/attempts/\d+/result$"))
        expect(page.get_by_role("status")).to_contain_text("You passed")
        problems += check_page(page, shots, "07-result")

        page.get_by_role("link", name="Get your certificate").tap()
        expect(page).to_have_url(f"{base}/learn/{enrollment_id}")
        code = read(lambda: db.session.scalar(
            sa.select(Certificate.code).where(Certificate.enrollment_id == enrollment_id)))
        expect(page.get_by_text(code)).to_be_visible()
        problems += check_page(page, shots, "08-certificate")
        page.get_by_role("link", name="My certificates").tap()
        problems += check_page(page, shots, "09-my-certificates")
        page.goto(f"{base}/verify/{code}")
        problems += check_page(page, shots, "10-verify")
    finally:
        context.close()

    assert len(list(shots.glob("*.png"))) >= 12
    assert problems == [], "\n".join(problems)


def test_chinese_learner_pages_fit_a_phone(live_server: str, browser: Browser, app, catalog,
                                           make_employee, make_assignment, login, tmp_path):
    """The same pages in Chinese (longer words, no spaces to break at in Latin terms mixed in)
    fit the screen: each learner page of a translated course at 390x844."""
    from quizzes.models import QuizAttempt
    from tests import helpers

    email = "wang.fang@example.com"
    employee = make_employee("王芳", email=email, locale="zh-Hans")
    client = app.test_client()
    login(client, email)
    done = helpers.complete_course(client, make_assignment(
        employee, catalog["self-defense-basics"]), "王芳", PASSWORD)
    done_id = done.id
    result = db.session.scalar(
        sa.select(QuizAttempt.id).where(QuizAttempt.enrollment_id == done_id))
    code = db.session.scalar(
        sa.select(Certificate.code).where(Certificate.enrollment_id == done_id))
    reading = helpers.start(client, make_assignment(employee, catalog["code-of-conduct"]))
    helpers.read_all_modules(client, reading)
    quiz = helpers.start(client, make_assignment(employee, catalog["harassment-prevention"]))
    helpers.read_all_modules(client, quiz)
    attempt = helpers.open_attempt(client, quiz)
    reading_id, attempt_id = reading.id, attempt.id
    modules = len(reading.version.modules)
    db.session.close()

    shots = tmp_path / "screenshots"
    shots.mkdir()
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto(f"{live_server}/login")
        tap_sign_in(page, live_server, email)
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        paths = ["/training", f"/learn/{reading_id}",
                 *(f"/learn/{reading_id}/modules/{n}" for n in range(1, modules + 1)),
                 f"/learn/{reading_id}/attestation", f"/quiz/attempts/{attempt_id}",
                 f"/quiz/attempts/{result}/result", f"/learn/{done_id}", "/certificates",
                 f"/verify/{code}"]
        for number, path in enumerate(paths, 1):
            page.goto(f"{live_server}{path}")
            problems += check_page(page, shots, f"zh-{number:02d}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)

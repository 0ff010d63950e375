"""The learner journey with the keyboard alone: Tab, Shift+Tab, Enter, Space and the arrow
keys, never the mouse, and no address typed after the sign-in page. On the way: the skip link
is the first tab stop, every focused element shows its focus, every control has a label, and
errors are announced and tied to their fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from certificates.models import Certificate
from courses.models import CourseVersion
from lms.clock import today
from lms.db import db
from quizzes.models import QuizAttempt
from tests.conftest import PASSWORD
from tests.e2e.test_learner_journey import COURSE_TITLE, open_attempt_layout, read

pytestmark = pytest.mark.e2e

NAME = "Keyboard Person"
EMAIL = "keyboard.person@example.com"

FOCUS_STYLE = """el => {
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return outline || shadow;
}"""

# Every visible control and its accessible name source (a <label>, aria-label(ledby), title or,
# for buttons and links, their text).
UNLABELLED = """() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button, a[href], summary')]
    .filter(el => el.getClientRects().length > 0)
    .filter(el => {
        if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title)
            return false;
        if (el.labels && el.labels.length) return false;
        if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName)) return !el.textContent.trim();
        if (el.type === 'submit' || el.type === 'button') return !el.value;
        return true;
    })
    .map(el => el.outerHTML.slice(0, 120))"""


def at(pattern: str) -> re.Pattern:
    """A page address; the skip link's "#main" may stay on it through a form's redirect."""
    return re.compile(pattern + r"(#main)?$")


class Keyboard:
    """Moves the focus with Tab / Shift+Tab only, checking every stop shows its focus."""

    def __init__(self, page: Page):
        self.page = page
        self.invisible_focus: list[str] = []

    def focused(self) -> str:
        return self.page.evaluate(
            "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''")

    def tab_to(self, target: Locator, *, backwards: bool = False, limit: int = 120) -> None:
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            self.page.keyboard.press(key)
            active = self.page.evaluate_handle("() => document.activeElement")
            if not self.page.evaluate(FOCUS_STYLE, active) and \
                    self.page.evaluate("el => el !== document.body", active):
                self.invisible_focus.append(self.focused())
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"{key} never reached {target}; focus is on {self.focused()}")

    def press(self, target: Locator, key: str = "Enter") -> None:
        self.tab_to(target)
        self.page.keyboard.press(key)

    def submit(self, target: Locator) -> None:
        """Tab to a button or link and press Enter, waiting for the page it loads."""
        self.tab_to(target)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def assert_labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED) == [], f"controls without a label on {page.url}"


def assert_errors_tied(page: Page) -> None:
    """Every invalid field names its message (aria-describedby), which is announced."""
    invalid = page.locator('[aria-invalid="true"]')
    assert invalid.count() > 0, "no field is marked invalid"
    for index in range(invalid.count()):
        field = invalid.nth(index)
        described = field.get_attribute("aria-describedby")
        assert described, f"{field.evaluate('el => el.outerHTML')} names no message"
        message = page.locator(f"#{described.split()[0]}")
        expect(message).to_be_visible()
        assert message.evaluate(
            "el => el.closest('[role=alert], [aria-live]') !== null"), "error not announced"


def test_learner_journey_by_keyboard(live_server: str, page: Page, catalog, make_employee,
                                     make_assignment):
    base = live_server
    employee = make_employee(NAME, email=EMAIL)
    day = today()
    make_assignment(employee, catalog["code-of-conduct"], cycle=str(day.year), assigned_on=day,
                    due_on=day + timedelta(days=30))
    db.session.close()
    page.set_default_timeout(10_000)
    keys = Keyboard(page)

    page.goto(f"{base}/login")
    # The skip link is the first tab stop, visible when focused, and moves into the main part.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("el => el === document.activeElement"), keys.focused()
    assert skip.get_attribute("href") == "#main"
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # Sign in, first with nothing typed: the errors are announced and tied to their fields.
    assert_labelled(page)
    email = page.locator('input[name="email"]')
    keys.submit(page.locator('main button[type="submit"]'))
    assert_errors_tied(page)
    keys.tab_to(email)
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(at(rf"{base}/training"))
    assert_labelled(page)

    card = page.locator("li.course-card").filter(has_text=COURSE_TITLE)
    keys.submit(card.get_by_role("button", name=re.compile(r"^Start")))
    expect(page).to_have_url(at(rf"{base}/learn/\d+"))
    enrollment_id = int(re.search(r"/learn/(\d+)", page.url).group(1))
    keys.submit(page.get_by_role("link", name="Start reading"))

    # Read the modules; once, go back a module with Shift+Tab to the "Previous module" link.
    went_back = False
    while "/modules/" in page.url:
        assert_labelled(page)
        next_button = page.get_by_role("button", name=re.compile(r"^I have read this"))
        keys.submit(next_button)
        if not went_back and "/modules/3" in page.url:
            went_back = True
            keys.tab_to(page.get_by_role("button", name=re.compile(r"^I have read this")))
            keys.tab_to(page.get_by_role("link", name="Previous module"), backwards=True)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            expect(page).to_have_url(at(rf"{base}/learn/{enrollment_id}/modules/2"))
    assert went_back
    expect(page).to_have_url(at(rf"{base}/learn/{enrollment_id}/attestation"))

    # The attestation: a wrong name first (errors tied to the field), then right.
    assert_labelled(page)
    agree = page.locator('input[name="agree"]')
    keys.press(agree, " ")
    expect(agree).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Somebody Else")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(at(rf"{base}/learn/{enrollment_id}/attestation"))
    assert_errors_tied(page)
    agree = page.locator('input[name="agree"]')
    if not agree.is_checked():
        keys.press(agree, " ")
    keys.tab_to(page.locator('input[name="full_name"]'))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(NAME)
    keys.tab_to(page.locator('input[name="password"]'))
    page.keyboard.type(PASSWORD)
    keys.submit(page.get_by_role("button", name="Sign the attestation"))
    expect(page).to_have_url(at(rf"{base}/learn/{enrollment_id}"))

    # The quiz: radio groups with the arrow keys, check boxes with Space.
    keys.submit(page.get_by_role("button", name="Take the quiz"))
    expect(page).to_have_url(at(rf"{base}/quiz/attempts/\d+"))
    assert_labelled(page)
    _attempt, layout, _questions, options = open_attempt_layout(enrollment_id)
    for index, item in enumerate(layout):
        shown = [options[o] for o in item["o"]]
        right = [pos for pos, o in enumerate(shown) if o.correct]
        if page.locator(f"#q{index}-0").get_attribute("type") == "radio":
            keys.tab_to(page.locator(f"#q{index}-0"))
            if right[0] == 0:
                page.keyboard.press("Space")
            for _ in range(right[0]):
                page.keyboard.press("ArrowDown")
        else:
            for pos in right:
                keys.press(page.locator(f"#q{index}-{pos}"), " ")
        for pos in range(len(shown)):
            expect(page.locator(f"#q{index}-{pos}")).to_be_checked(checked=pos in right)
    keys.submit(page.get_by_role("button", name="Submit answers"))
    expect(page).to_have_url(at(rf"{base}/quiz/attempts/\d+/result"))
    expect(page.get_by_role("status")).to_contain_text("You passed")
    assert_labelled(page)

    # The certificate, reached from the result page.
    keys.submit(page.get_by_role("link", name="Get your certificate"))
    expect(page).to_have_url(at(rf"{base}/learn/{enrollment_id}"))
    code = read(lambda: db.session.scalar(
        sa.select(Certificate.code).where(Certificate.enrollment_id == enrollment_id)))
    assert code
    expect(page.get_by_text(code)).to_be_visible()
    download = page.get_by_role("link", name="Download certificate (PDF)")
    keys.tab_to(download)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == f"certificate-{code}.pdf"

    assert keys.invisible_focus == [], "focus not visible on these elements"


@pytest.fixture
def timed_quiz(live_server: str, page: Page, catalog, make_employee, make_assignment, login,
               app):
    """timed_quiz(extensions) -> the page, signed in on an open attempt of a 2-minute quiz."""
    from tests import helpers

    def open_quiz(extensions: int = 0) -> int:
        course = catalog["self-defense-basics"]
        employee = make_employee(NAME, email=EMAIL)
        assignment = make_assignment(employee, course)
        db.session.execute(sa.update(CourseVersion).where(CourseVersion.course_id == course.id)
                           .values(time_limit_minutes=2, time_extensions=extensions))
        db.session.commit()
        client = app.test_client()
        login(client, EMAIL)
        enrollment = helpers.start(client, assignment)
        helpers.read_all_modules(client, enrollment)
        attempt_id = helpers.open_attempt(client, enrollment).id
        db.session.close()
        page.goto(f"{live_server}/login")
        page.locator('input[name="email"]').fill(EMAIL)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        expect(page).to_have_url(at(rf"{live_server}/training"))
        page.goto(f"{live_server}/quiz/attempts/{attempt_id}")
        return attempt_id

    return open_quiz


def test_time_limit_warns_before_time_runs_out(page: Page, timed_quiz):
    """A quiz with a time limit says when it ends and warns (aria-live) two minutes before."""
    timed_quiz()
    warning = page.locator("#quiz-time-warning")
    expect(warning).to_have_attribute("aria-live", re.compile("polite|assertive"))
    expect(warning).to_contain_text(re.compile(r"minutes? left"), timeout=5_000)


def test_more_time_by_keyboard_keeps_the_answers(page: Page, timed_quiz):
    """Where the course allows it, "More time" is reached and pressed with the keyboard; the
    deadline moves, the change is announced, and the answers already chosen stay chosen."""
    attempt_id = timed_quiz(extensions=1)
    warning = page.locator("#quiz-time-warning")
    expect(warning).to_contain_text("More time", timeout=5_000)
    keys = Keyboard(page)
    # Space ticks the first option, whether the question is single choice or multiple.
    keys.press(page.locator("#q0-0"), " ")
    expect(page.locator("#q0-0")).to_be_checked()
    before = page.locator("#quiz-deadline").get_attribute("datetime")
    keys.press(page.get_by_role("button", name="More time"))
    expect(warning).to_contain_text("Time extended")
    expect(page.locator("#quiz-deadline-text")).to_contain_text("Time extended: submit by")
    expect(page.get_by_role("button", name="More time")).to_be_hidden()
    assert page.locator("#quiz-deadline").get_attribute("datetime") != before
    expect(page.locator("#q0-0")).to_be_checked()
    extended = read(lambda: db.session.get(QuizAttempt, attempt_id))
    assert extended.extensions_used == 1
    assert extended.deadline_at - extended.started_at == timedelta(minutes=3)
    assert keys.invisible_focus == [], "focus not visible on these elements"

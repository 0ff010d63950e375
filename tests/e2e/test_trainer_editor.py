"""The editor in a real browser: a trainer breaks code-of-conduct's quiz, sees the error at its
line in the live preview, fixes it and publishes v2; an employee who started v1 before finishes
v1, and one who starts afterwards takes v2."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from courses.models import CourseVersion, Enrollment
from lms.clock import today
from lms.db import db
from tests.conftest import PASSWORD
from tests.e2e.test_learner_journey import answer_quiz, one, open_attempt_layout, read
from tests.lms.test_authoring import second_x

pytestmark = pytest.mark.e2e

SLUG = "code-of-conduct"
OLD = "sits on the evaluation panel for a packaging tender"
NEW = "sits on the evaluation panel for a cleaning-services tender"
TRAINER = "trainer@example.com"
EARLY = ("Early Starter", "early@example.com")
LATE = ("Late Starter", "late@example.com")


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/training")


def start_course(page: Page, base: str) -> int:
    page.locator("li.course-card").get_by_role("button", name=re.compile(r"^Start")).click()
    expect(page).to_have_url(re.compile(rf"{base}/learn/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def read_modules(page: Page, base: str, enrollment_id: int, first: int, last: int,
                 count: int) -> None:
    page.goto(f"{base}/learn/{enrollment_id}/modules/{first}")
    for position in range(first, last + 1):
        expect(page.get_by_text(f"Module {position} of {count}")).to_be_visible()
        label = ("I have read this: next module" if position < count
                 else "I have read this: continue")
        page.get_by_role("button", name=label).click()


def finish_course(page: Page, base: str, enrollment_id: int, name: str, shown: str,
                  hidden: str) -> None:
    """Sign the attestation, then take the quiz: its first question says ``shown`` and not
    ``hidden``; answer it rightly and pass."""
    expect(page).to_have_url(f"{base}/learn/{enrollment_id}/attestation")
    page.locator('input[name="agree"]').check()
    page.locator('input[name="full_name"]').fill(name)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign the attestation").click()
    page.get_by_role("button", name="Take the quiz").click()
    expect(page).to_have_url(re.compile(rf"{base}/quiz/attempts/\d+$"))
    expect(page.locator("form.quiz")).to_contain_text(shown)
    expect(page.locator("form.quiz")).not_to_contain_text(hidden)
    _, layout, _, options = open_attempt_layout(enrollment_id)
    answer_quiz(page, layout, options, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("status")).to_contain_text("You passed with 100%.")


def caret_line(page: Page) -> int:
    return page.evaluate("""() => {
        const t = document.getElementById('editor-text');
        return t.value.slice(0, t.selectionStart).split('\\n').length;
    }""")


def test_trainer_fixes_a_quiz_error_and_publishes_while_learners_keep_their_version(
        live_server: str, page: Page, browser: Browser, catalog, make_employee,
        make_assignment):
    base = live_server
    course = catalog[SLUG]
    course_id = course.id
    make_employee("Chen Jie", email=TRAINER, roles=("trainer",))
    day = today()
    for name, email in (EARLY, LATE):
        make_assignment(make_employee(name, email=email), course, cycle=str(day.year),
                        assigned_on=day, due_on=day + timedelta(days=30))
    v1_id, count = read(lambda: (
        (v := db.session.scalar(sa.select(CourseVersion).where(
            CourseVersion.course_id == course_id))).id, len(v.modules)))
    page.set_default_timeout(15_000)

    # The early employee starts on v1 and reads the first two modules.
    early_context = browser.new_context()
    early = early_context.new_page()
    early.set_default_timeout(15_000)
    sign_in(early, base, EARLY[1])
    early_enrollment = start_course(early, base)
    read_modules(early, base, early_enrollment, 1, 2, count)
    assert one(sa.select(Enrollment.course_version_id).where(
        Enrollment.id == early_enrollment)) == v1_id

    # The trainer opens the quiz in the editor.
    sign_in(page, base, TRAINER)
    page.locator("summary", has_text="Trainer").click()  # the trainer's menu in the header
    page.get_by_role("link", name="Content", exact=True).click()
    expect(page).to_have_url(f"{base}/content/")
    page.get_by_role("link", name="Business Code of Conduct: annual certification").click()
    page.get_by_role("button", name="Start editing").click()
    page.get_by_role("link", name="quiz.md", exact=True).click()
    expect(page).to_have_url(f"{base}/content/courses/{SLUG}/draft/quiz.md")
    editor = page.locator("#editor-text")
    original = editor.input_value()
    assert OLD in original
    expect(page.locator("#problems-status")).to_have_text("No problems")

    # A second [x] on a single-choice question: the live check lists it at its line.
    broken, line = second_x(original)
    editor.fill(broken)
    problem = page.locator("#problems-list li.problem-error")
    expect(problem).to_have_count(1)
    expect(problem.locator("button.problem-line")).to_have_text(f"Line {line}")
    expect(problem).to_contain_text("a single-choice question needs exactly one [x] option")
    expect(page.locator("#problems-status")).to_have_text("1 problem(s)")
    editor.evaluate("t => t.setSelectionRange(t.value.length, t.value.length)")
    problem.locator("button.problem-line").click()
    expect(page.locator("#caret-status")).to_have_text(f"Line {line}, column 1")
    assert caret_line(page) == line
    assert page.evaluate("document.activeElement.id") == "editor-text"

    # Saving it anyway (no script needed) keeps it as a draft; publishing is refused.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved quiz.md in the draft.")).to_be_visible()
    expect(page.locator(f'#problems-list button[data-line="{line}"]')).to_have_count(1)
    page.get_by_role("link", name="Back to the course (publish there)").click()
    page.get_by_role("button", name="Publish as a new version").click()
    refusal = page.get_by_role("alert").filter(has_text="Not published")
    expect(refusal).to_contain_text(f"quiz.md:{line}:1")
    refusal.get_by_role("link", name=f"quiz.md:{line}:1").click()
    expect(page).to_have_url(f"{base}/content/courses/{SLUG}/draft/quiz.md?line={line}")
    expect(page.locator("#caret-status")).to_have_text(f"Line {line}, column 1")

    # The fix (and a change learners will see), checked live, saved and published.
    editor = page.locator("#editor-text")
    editor.fill(original.replace(OLD, NEW))
    expect(page.locator("#problems-status")).to_have_text("No problems")
    expect(page.locator("#problems-list li")).to_have_count(0)
    expect(page.locator("#preview")).to_contain_text("cleaning-services tender")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved quiz.md in the draft.")).to_be_visible()
    page.get_by_role("link", name="Back to the course (publish there)").click()
    # The Chinese quiz was translated from the old text: a warning, which does not stop
    # publishing (learners reading Chinese keep the old wording until it is updated).
    expect(page.get_by_text("Problems: 0 error(s), 1 warning(s)")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("quiz.zh-Hans.md:2:1")
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page.get_by_text("Published v2.")).to_be_visible()
    versions = page.locator("table.versions")
    expect(versions.locator("#v2")).to_contain_text("Published")
    expect(versions.locator("#v1")).to_contain_text("Retired")
    expect(versions.locator("#v1")).to_contain_text("1 in progress")
    page.goto(f"{base}/content/courses/{SLUG}/diff?old=1&new=2")
    page.goto(f"{base}/content/")
    v2_id = one(sa.select(CourseVersion.id).where(CourseVersion.course_id == course_id,
                                                  CourseVersion.number == 2))

    # The early employee finishes the version they started: v1's quiz.
    read_modules(early, base, early_enrollment, 3, count, count)
    name, _ = EARLY
    finish_course(early, base, early_enrollment, name, shown=OLD, hidden=NEW)
    early_context.close()

    # The late employee starts now and gets v2.
    late_context = browser.new_context()
    late = late_context.new_page()
    late.set_default_timeout(15_000)
    sign_in(late, base, LATE[1])
    late_enrollment = start_course(late, base)
    read_modules(late, base, late_enrollment, 1, count, count)
    finish_course(late, base, late_enrollment, LATE[0], shown=NEW, hidden=OLD)
    late_context.close()

    finished = read(lambda: {e.id: (e.course_version_id, e.status) for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.id.in_([early_enrollment, late_enrollment])))})
    assert finished == {early_enrollment: (v1_id, "completed"),
                        late_enrollment: (v2_id, "completed")}

"""Every page, for every role, checked with axe-core in Chromium: no serious or critical
WCAG 2.1 A/AA violation.

axe-core comes from npm (tests/e2e/package.json; `make test` installs it like the OIDC
provider). It is injected as an init script, which the page's CSP does not govern, so the
pages are checked under their real CSP.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page

from certificates.models import Certificate
from courses.models import ClassSession, SessionInstructor
from lms.api.services import create_token
from lms.classroom.services import book
from lms.clock import today
from lms.compliance.models import Requirement
from lms.db import db, utcnow
from lms.people.import_store import save_upload
from lms.people.models import Employee, Leave
from lms.reports.models import ExportJob
from quizzes.models import QuizAttempt
from tests import helpers
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


def axe_script() -> Path:
    """The path of axe.min.js, installing the npm package on first use (as tests/oidc does)."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the accessibility tests (make test installs Node.js)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       capture_output=True, timeout=300)
    return AXE


def new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.add_init_script(path=str(axe_script()))
    context.set_default_timeout(10_000)
    return context


def sign_in(context: BrowserContext, base: str, email: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def violations(page: Page) -> list[dict]:
    """Serious and critical axe violations on the current page, in a short readable form."""
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: '
                                               + (n.failureSummary || '').slice(0, 300))}));
        }""",
        TAGS,
    )
    return [v for v in result if v["impact"] in FAILING_IMPACTS]


def check_pages(page: Page, base: str, paths: list[str]) -> dict[str, list[dict]]:
    found = {}
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        bad = violations(page)
        if bad:
            found[path] = bad
    return found


@pytest.fixture
def world(app, make_employee, make_assignment, catalog, login):
    """Something to show on every page: a learner with a certificate, a quiz result, an open
    attempt and an unsigned attestation; an overdue colleague; HR data; a course draft."""
    day = today()
    learner = make_employee("Owner Person", email="owner@example.com")
    late = make_employee("Late Person", email="late@example.com", manager=learner)
    trainer_person = make_employee("Trainer Person", email="trainer@example.com",
                                   roles=("trainer",))
    make_employee("Admin Person", email="admin@example.com", roles=("admin",))
    make_employee("Every Role", email="all@example.com", roles=("hr", "trainer", "admin"),
                  manager=learner)
    make_employee("Hr Person", email="hr@example.com", roles=("hr",))
    overdue = make_assignment(late, catalog["code-of-conduct"], cycle=str(day.year),
                              assigned_on=day - timedelta(days=60),
                              due_on=day - timedelta(days=5))
    client = app.test_client()
    login(client, "owner@example.com")
    done = helpers.complete_course(client, make_assignment(
        learner, catalog["self-defense-basics"]), "Owner Person", PASSWORD)
    result_attempt = db.session.scalar(sa.select(QuizAttempt.id).where(
        QuizAttempt.enrollment_id == done.id))
    quiz = helpers.start(client, make_assignment(learner, catalog["code-of-conduct"]))
    helpers.read_all_modules(client, quiz)
    helpers.sign(client, quiz, "Owner Person", PASSWORD)
    attempt = helpers.open_attempt(client, quiz)
    unsigned = helpers.start(client, make_assignment(learner, catalog["manager-track"]))
    helpers.read_all_modules(client, unsigned)
    code = db.session.scalar(sa.select(Certificate.code))
    requirement = Requirement(course_id=catalog["code-of-conduct"].id, name="Everyone",
                              audience={"everyone": True}, recurrence="once",
                              starts_on=date(2026, 1, 1))
    leave = Leave(employee_id=late.id, starts_on=date(2020, 1, 1), ends_on=date(2020, 2, 1))
    hr_id = db.session.scalar(sa.select(Employee.id).where(Employee.email == "hr@example.com"))
    db.session.add_all([requirement, leave, ExportJob(kind="evidence", requested_by_id=hr_id,
                                                      filters={})])
    create_token("Reporting", ["roster:read"], None)
    # A class three weeks ahead, taught by the trainer, with the learner booked on it.
    starts = utcnow() + timedelta(days=21)
    lesson = ClassSession(course_id=catalog["self-defense-class"].id, starts_at=starts,
                          ends_at=starts + timedelta(hours=3), timezone="Asia/Shanghai",
                          venue="Hangzhou HQ, room 3", capacity=12,
                          signup_deadline=starts - timedelta(days=2), created_at=utcnow())
    db.session.add(lesson)
    db.session.flush()
    db.session.add(SessionInstructor(session_id=lesson.id, employee_id=trainer_person.id))
    make_assignment(learner, catalog["self-defense-class"])
    make_assignment(late, catalog["self-defense-class"])
    db.session.flush()
    book(lesson.id, learner.id, learner, utcnow())
    db.session.commit()
    digest = save_upload(b"employee_number,full_name,email\nM1,New Person,m1@example.com\n"
                         b"M2,,not-an-email\n", "people.csv", None, hr_id)
    db.session.commit()
    trainer = app.test_client()
    login(trainer, "trainer@example.com")
    assert trainer.post("/content/courses/code-of-conduct/draft").status_code == 302
    ids = {"module_enrollment": unsigned.id, "unsigned": unsigned.id, "attempt": attempt.id,
           "result": result_attempt, "code": code, "overdue": overdue.id,
           "requirement": requirement.id, "late": late.id, "digest": digest,
           "done": done.id, "created": datetime.now(UTC), "class": lesson.id}
    db.session.close()
    return ids


def test_every_page_passes_axe(live_server: str, browser: Browser, world):
    base = live_server
    w = world
    failures: dict[str, list[dict]] = {}

    anonymous = new_context(browser)
    try:
        page = anonymous.new_page()
        failures |= check_pages(page, base, ["/login", "/verify", f"/verify/{w['code']}",
                                             "/speak-up"])
        # A failed sign-in: the errors are shown, announced and tied to their fields.
        page.goto(f"{base}/login")
        page.locator('input[name="email"]').fill("nobody@example.com")
        page.locator('input[name="password"]').fill("wrong password")
        page.locator('main button[type="submit"]').click()
        page.wait_for_load_state()
        bad = violations(page)
        if bad:
            failures["/login (failed)"] = bad
    finally:
        anonymous.close()

    pages_by_role = {
        "owner@example.com": [
            "/training", f"/learn/{w['done']}", f"/learn/{w['unsigned']}",
            f"/learn/{w['module_enrollment']}/modules/1",
            f"/learn/{w['unsigned']}/attestation", f"/quiz/attempts/{w['attempt']}",
            f"/quiz/attempts/{w['result']}/result", "/certificates", "/speak-up",
            "/team", "/team?direct=0", "/classes", f"/classes/{w['class']}",
            "/account/password",
        ],
        "hr@example.com": [
            "/hr/overdue", f"/hr/assignments/{w['overdue']}", "/hr/requirements",
            "/hr/requirements/new", f"/hr/requirements/{w['requirement']}",
            f"/hr/people/{w['late']}/leave", "/hr/roster", "/hr/dashboard",
            "/hr/dashboard/departments", "/hr/esg",
            "/hr/import", f"/hr/import/{w['digest']}", "/hr/evidence",
        ],
        "admin@example.com": ["/admin/audit", "/admin/jobs", "/admin/api-tokens"],
        "trainer@example.com": [
            "/content/", "/content/courses/code-of-conduct",
            "/content/courses/code-of-conduct/draft/course.md",
            "/content/courses/code-of-conduct/draft/quiz.md",
            "/content/courses/code-of-conduct/diff", "/content/media",
            "/classes/manage", "/classes/manage/new", f"/classes/manage/{w['class']}",
            f"/classes/{w['class']}/attendance",
        ],
    }
    for email, paths in pages_by_role.items():
        context = new_context(browser)
        try:
            page = sign_in(context, base, email)
            failures |= {f"{path} ({email})": v
                         for path, v in check_pages(page, base, paths).items()}
        finally:
            context.close()

    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


def _owner_paths(w: dict) -> list[str]:
    return ["/training", f"/learn/{w['done']}", f"/learn/{w['module_enrollment']}/modules/1",
            f"/learn/{w['unsigned']}/attestation", f"/quiz/attempts/{w['attempt']}",
            f"/quiz/attempts/{w['result']}/result", "/certificates", "/team",
            f"/classes/{w['class']}"]


def test_pages_in_chinese_pass_axe(live_server: str, browser: Browser, world):
    """The same checks after switching to Chinese: lang="zh-Hans" on every page, and the
    Chinese labels, headings and names are what assistive technology reads."""
    context = new_context(browser, locale="zh-CN")
    try:
        page = sign_in(context, live_server, "owner@example.com")
        page.locator('.language-switch button[value="zh-Hans"]').click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        failures = check_pages(page, live_server, _owner_paths(world))
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
    finally:
        context.close()
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


def test_opened_header_menus_pass_axe(live_server: str, browser: Browser, world):
    """The Trainer, HR and Admin menus are disclosure widgets: checked open, on a wide screen
    and on a phone, for someone who has every role."""
    failures = {}
    for size in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        context = new_context(browser, viewport=size)
        try:
            page = sign_in(context, live_server, "all@example.com")
            menus = page.locator("header details")
            assert menus.count() == 3
            for index in range(menus.count()):
                menu = menus.nth(index)
                menu.locator("summary").click()
                assert menu.get_attribute("open") is not None
                assert menu.locator("a").first.is_visible()
                bad = violations(page)
                if bad:
                    failures[f"menu {index} at {size['width']}px"] = bad
                menu.locator("summary").click()
        finally:
            context.close()
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)

"""Stored hostile text: payloads from the XSS corpus as people's names, departments, locations
and job titles, follow-up notes, waiver reasons, leave notes, requirement names, API token
names and course content (title, module body, question and option text, feedback) come out
inert on every page that shows them, in e-mails, and in CSV and XLSX exports.

Each page is first rendered with harmless text in every field (its baseline: the elements and
attributes the template writes); with payloads in the same fields it may hold no other element
or attribute, and never a script, an event handler or a script URL."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from courses.services import published_version
from lms.api.models import ApiToken
from lms.api.services import create_token
from lms.compliance.models import Assignment, Requirement
from lms.compliance.waivers import waive
from lms.db import db
from lms.hr.models import FollowUp
from lms.hr.services import add_follow_up
from lms.people.models import Department, Employee, Leave, Location
from lms.reports.spreadsheet import csv_chunks, write_xlsx
from quizzes.models import Option, Question
from tests.security.conftest import XSS, assert_inert, dom, sample

HARMLESS = "Plain words"
# Markdown's own formatting, which a payload's backticks, asterisks or hashes legitimately make.
MARKDOWN_TAGS = {"code", "em", "strong", "p", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
                 "h1", "h2", "h3", "h4", "h5", "h6", "del", "s"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def world(client, make_employee, make_assignment, catalog, login):
    boss = make_employee("Hana Boss", email="boss@example.com", roles=("hr", "admin"))
    course = catalog["code-of-conduct"]
    people = []
    for index in range(4):
        person = make_employee(f"{HARMLESS} {index}", email=f"p{index}@example.com",
                               manager=boss, job_title=HARMLESS)
        overdue = make_assignment(person, course, due_on=date(2025, 1, 31),
                                  assigned_on=date(2025, 1, 1))
        add_follow_up(overdue.id, boss.id, HARMLESS, True)
        people.append((person, overdue))
    learner, _ = people[0]
    waived = make_assignment(people[1][0], catalog["harassment-prevention"])
    waive(waived.id, date(2027, 6, 30), HARMLESS, boss.id, date(2026, 3, 1))
    db.session.add(Leave(employee_id=people[2][0].id, starts_on=date(2026, 2, 1),
                         reason=HARMLESS, recorded_by_id=boss.id))
    db.session.add(Requirement(course_id=course.id, name=HARMLESS, audience={"everyone": True},
                               recurrence="calendar", deadline_month=12, deadline_day=31,
                               starts_on=date(2020, 1, 1)))
    create_token(HARMLESS, ["roster:read"], boss.id)
    db.session.commit()
    return {"boss": boss, "people": people, "course": course, "waived": waived,
            "learner": learner}


def _staff_pages(world) -> dict[str, str]:
    people = world["people"]
    _first, assignment = people[0]
    return {
        "overdue": "/hr/overdue", "roster": "/hr/roster", "team": "/team",
        "explain": f"/hr/assignments/{assignment.id}",
        "waived": f"/hr/assignments/{world['waived'].id}",
        "leave": f"/hr/people/{people[2][0].id}/leave",
        "requirements": "/hr/requirements", "tokens": "/admin/api-tokens",
        "audit": "/admin/audit", "dashboard": "/hr/dashboard",
    }


def _set_payloads(world, words: list[str]) -> None:
    """Every stored text field of the world gets its own payload."""
    cycle = iter(words * 4)
    for person, _assignment in world["people"]:
        person.full_name = next(cycle)[:300]
        person.job_title = next(cycle)[:200]
    for follow_up in db.session.scalars(select(FollowUp)):
        follow_up.note = next(cycle)
    for department in db.session.scalars(select(Department)):
        department.name = next(cycle)[:200]
    for location in db.session.scalars(select(Location)):
        location.name = next(cycle)[:200]
    db.session.get(Assignment, world["waived"].id).waiver_reason = next(cycle)
    for leave in db.session.scalars(select(Leave)):
        leave.reason = next(cycle)
    for requirement in db.session.scalars(select(Requirement)):
        requirement.name = next(cycle)[:200]
    for token in db.session.scalars(select(ApiToken)):
        token.name = next(cycle)[:200]
    db.session.commit()


def test_staff_pages_show_stored_payloads_as_text(client, world, login):
    login(client, "boss@example.com")
    pages = _staff_pages(world)
    baselines = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        baselines[name] = dom(response.text)
    words = sample(XSS, 60)
    for start in range(0, len(words), 20):
        _set_payloads(world, words[start:start + 20])
        for name, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            assert_inert(response.text, (name, start), baselines[name])


def test_exports_neutralise_stored_payloads(client, world, login):
    words = [*sample(XSS, 20), '=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3",
             "@SUM(A1)", "\t=1+1"]
    _set_payloads(world, words)
    login(client, "boss@example.com")
    exports = {"roster.csv": "/hr/roster.csv", "team.csv": "/team/export.csv"}
    for name, url in exports.items():
        response = client.get(url)
        assert response.status_code == 200, name
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert len(rows) > 1, name
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(FORMULA_START), (name, cell)
    response = client.get("/hr/roster.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    texts = 0
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                texts += 1
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                assert not cell.value.startswith(FORMULA_START), cell.value
    assert texts


def test_spreadsheet_writers_take_every_payload_as_text(tmp_path):
    """The shared writers, with the whole XSS corpus plus formula starters, no request needed."""
    from tests.security.conftest import CORPORA, _lines

    values = [*XSS, *_lines("csv-injection")]
    body = "".join(csv_chunks(["value"], ([v] for v in values)))
    for row in list(csv.reader(io.StringIO(body)))[1:]:
        assert not row[0].startswith(FORMULA_START), row[0]
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["value"], ([v] for v in values))
    sheet = load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(values)
    for cell in cells:
        assert cell.data_type == "s", (cell.coordinate, cell.value)
    assert CORPORA.exists()


def test_learner_pages_show_hostile_course_content_as_text(client, world, login):
    """Course text written by trainers (or imported) is Markdown: raw HTML in it is text."""
    from tests import helpers

    learner, assignment = world["people"][0]
    login(client, learner.email)
    enrollment = helpers.start(client, assignment)
    version = published_version(world["course"].id)
    urls = {"home": f"/learn/{enrollment.id}", "module": f"/learn/{enrollment.id}/modules/1",
            "training": "/training"}
    baselines = {name: dom(client.get(url).text) for name, url in urls.items()}
    for baseline in baselines.values():
        baseline.tags |= MARKDOWN_TAGS
    words = sample(XSS, 45)
    for start in range(0, len(words), 15):
        batch = iter(words[start:start + 15] * 20)
        version.title = next(batch)[:300]
        for module in version.modules:
            module.title = next(batch)[:300]
            module.body_md = "\n\n".join(next(batch) for _ in range(3))
        db.session.commit()
        for name, url in urls.items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            assert_inert(response.text, (name, start), baselines[name])


def test_quiz_pages_show_hostile_questions_as_text(client, world, login):
    from tests import helpers
    from tests.conftest import PASSWORD

    learner, assignment = world["people"][0]
    login(client, learner.email)
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, learner.full_name, PASSWORD)
    attempt = helpers.open_attempt(client, enrollment)
    url = f"/quiz/attempts/{attempt.id}"
    baseline = dom(client.get(url).text)
    baseline.tags |= MARKDOWN_TAGS
    question_ids = [item["q"] for item in attempt.layout]
    words = iter(sample(XSS, 80) * 3)
    for question in db.session.scalars(select(Question).where(Question.id.in_(question_ids))):
        question.title = next(words)[:500]
        question.prompt_md = next(words)
        for option in question.options:
            option.text_md = next(words)
            option.feedback_md = next(words)
    db.session.commit()
    assert_inert(client.get(url).text, "attempt", baseline)
    client.post(url, data=helpers.answers(attempt, right=False))
    result = client.get(f"{url}/result")
    assert result.status_code == 200
    assert_inert(result.text, "result", None)
    assert db.session.scalar(select(Option).limit(1)) is not None


def test_emails_escape_payloads_and_keep_one_line_subjects(app):
    from lms.notifications.services import render_email
    from tests.notifications.test_email_translations import EMAILS, SAMPLE

    text_keys = [k for k, v in SAMPLE.items() if isinstance(v, str) and k not in (
        "link", "base_url", "video_url")]
    words = [*sample(XSS, 30), "Li\r\nBcc: victim@example.com", "x\nSubject: spoof"]
    with app.test_request_context():
        for index, payload in enumerate(words):
            context = dict(SAMPLE)
            context.update(dict.fromkeys(text_keys, payload))
            for name in EMAILS:
                for locale in ("en", "zh-Hans"):
                    email = render_email(name, locale, **context)
                    assert "\r" not in email.subject and "\n" not in email.subject, name
                    assert_inert(email.html, (name, locale, index))
    assert Employee

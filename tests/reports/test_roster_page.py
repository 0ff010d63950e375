"""HR's roster page: every filter, the manager subtree, paging counted in SQL, bad input shown
as messages (never a 500), attack payloads inert, and who may see it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import event, select

from courses.models import Course
from lms.clock import today
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Location
from tests.compliance.conftest import finish
from tests.reports.roster_helpers import PageText, add_people, corpus_lines, injection_payloads

ROW_NAME = re.compile(r'<th scope="row">([^<]*)<br>')


@pytest.fixture
def hr(app, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), employee_number="HR01")
    client = app.test_client()
    login(client, "hr@example.com")
    return client


@pytest.fixture
def org(make_employee, make_assignment, catalog):
    """Boss (M001) > Lead (M002) > Dev, Boss > Ops; Other (M009) > X. Dev is overdue, Lead
    has completed the code of conduct, X (Legal, Dublin) has a 2025 harassment course."""
    day = today()
    boss = make_employee("Boss", employee_number="M001")
    lead = make_employee("Lead", manager=boss, employee_number="M002")
    dev = make_employee("Dev", manager=lead)
    ops = make_employee("Ops", manager=boss)
    other = make_employee("Other", employee_number="M009")
    x = make_employee("X", manager=other)
    legal, dublin = Department(name="Legal"), Location(name="Dublin", timezone="Europe/Dublin")
    db.session.add_all([legal, dublin])
    x.department, x.location = legal, dublin
    db.session.commit()
    coc, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    make_assignment(dev, coc, due_on=day - timedelta(days=10))
    make_assignment(ops, coc, due_on=day + timedelta(days=30))
    finish(make_assignment(lead, coc, due_on=day + timedelta(days=30)), 90)
    make_assignment(x, harassment, cycle="2025", due_on=day + timedelta(days=60))
    make_assignment(boss, harassment, due_on=day + timedelta(days=5))
    return {"coc": coc.id, "harassment": harassment.id, "legal": legal.id, "dublin": dublin.id}


def names(client, query: str = "") -> set[str]:
    response = client.get(f"/hr/roster?{query}")
    assert response.status_code == 200, response.text[:300]
    return set(ROW_NAME.findall(response.text))


def test_the_page_lists_every_assignment_with_its_explain_link(hr, org):
    page = hr.get("/hr/roster")
    assert page.status_code == 200
    assert "5 assignments match." in page.text
    assert set(ROW_NAME.findall(page.text)) == {"Boss", "Lead", "Dev", "Ops", "X"}
    for assignment_id in db.session.scalars(select(Assignment.id)):
        assert f'href="/hr/assignments/{assignment_id}"' in page.text
    assert "Overdue" in page.text and "90%" in page.text
    # Downloads carry the same filters as the page.
    filtered = hr.get(f"/hr/roster?course={org['coc']}&status=overdue&status=assigned").text
    assert (f'href="/hr/roster.csv?course={org["coc"]}&amp;status=assigned&amp;status=overdue"'
            in filtered)


FILTER_CASES = [
    ("course={coc}", {"Dev", "Ops", "Lead"}),
    ("course={harassment}", {"X", "Boss"}),
    ("cycle=2025", {"X"}),
    ("cycle=+2026+", {"Dev", "Ops", "Lead", "Boss"}),
    ("department={legal}", {"X"}),
    ("location={dublin}", {"X"}),
    ("manager=M001", {"Lead", "Dev", "Ops"}),
    ("manager=M001&direct=1", {"Lead", "Ops"}),
    ("manager=M002", {"Dev"}),
    ("manager=M009", {"X"}),
    ("status=overdue", {"Dev"}),
    ("status=assigned", {"Ops", "X", "Boss"}),
    ("status=overdue&status=completed", {"Dev", "Lead"}),
    ("due_to={yesterday}", {"Dev"}),
    ("due_from={in31}", {"X"}),
    ("due_from={in5}&due_to={in30}", {"Ops", "Lead", "Boss"}),
    ("completed_from={today}", {"Lead"}),
    ("completed_to={yesterday}", set()),
    ("completed_from={today}&completed_to={today}", {"Lead"}),
    ("course={coc}&manager=M001&status=assigned", {"Ops"}),
    ("department={legal}&course={coc}", set()),
]


def test_each_filter_narrows(hr, org):
    day = today()
    wrong = {}
    for template, expected in FILTER_CASES:
        query = template.format(**org, today=day, yesterday=day - timedelta(days=1),
                                in5=day + timedelta(days=5), in30=day + timedelta(days=30),
                                in31=day + timedelta(days=31))
        if names(hr, query) != expected:
            wrong[query] = (names(hr, query), expected)
    assert wrong == {}
    assert "No assignments match these filters." in hr.get("/hr/roster?cycle=1999").text


def test_the_form_shows_the_filters_applied(hr, org):
    text = hr.get(f"/hr/roster?course={org['coc']}&manager=M001&direct=1&status=overdue"
                  "&due_from=2026-01-01").text
    assert f'<option value="{org["coc"]}" selected>' in text
    assert 'id="f-direct" name="direct" value="1" checked' in text
    assert 'value="overdue" checked' in text and 'value="assigned" >' in text
    assert 'name="due_from" type="date" value="2026-01-01"' in text
    assert "Direct reports of Boss" in text


BAD_FILTERS = [
    ("due_from=2026-13-01", "due_from", "Enter a date as YYYY-MM-DD"),
    ("due_to=yesterday", "due_to", "Enter a date as YYYY-MM-DD"),
    ("completed_from=20260101", "completed_from", "Enter a date as YYYY-MM-DD"),
    ("completed_to=2026-02-30", "completed_to", "Enter a date as YYYY-MM-DD"),
    ("due_from=2026-W01-1", "due_from", "Enter a date as YYYY-MM-DD"),
    ("due_from=2026-06-01&due_to=2026-05-01", "due_to", "The due date range ends before"),
    ("completed_from=2026-06-01&completed_to=2026-05-31", "completed_to",
     "The completion date range ends before"),
    ("manager=NOPE", "manager", "No employee has this number."),
    ("manager=M001%00", "manager", "No employee has this number."),
    ("status=late", "status", "Unknown status: late."),
    ("course=abc", "course", "Choose a course from the list."),
    ("course=%C2%B2", "course", "Choose a course from the list."),
    ("department=1%27%20OR%201=1--", "department", "Choose a department from the list."),
    ("location=-1", "location", "Choose a location from the list."),
    ("cycle=" + "9" * 33, "cycle", "A cycle is at most 32 characters"),
    ("cycle=20%0026", "cycle", "A cycle is at most 32 characters"),
]


def test_bad_filters_are_explained_on_the_page(hr, org):
    for query, field, message in BAD_FILTERS:
        response = hr.get(f"/hr/roster?{query}")
        assert response.status_code == 400, query
        error = re.search(rf'<p class="error" id="f-{field}-error" role="alert">([^<]*)</p>',
                          response.text)
        assert error and message in error.group(1), query
        assert "Some filters could not be used" in response.text
        assert not ROW_NAME.findall(response.text), f"rows shown for {query}"
        assert "roster.csv" not in response.text


def test_the_ends_of_the_calendar_are_valid_filters(hr, org):
    for query in ("completed_to=9999-12-31", "completed_from=0001-01-01",
                  "due_from=0001-01-01&due_to=9999-12-31", "completed_from=9999-12-31",
                  "completed_to=0001-01-01"):
        assert hr.get(f"/hr/roster?{query}").status_code == 200, query
    assert names(hr, "completed_from=0001-01-01&completed_to=9999-12-31") == {"Lead"}


def test_sql_injection_in_any_filter_is_a_message_or_nothing(hr, org):
    params = ["course", "cycle", "department", "location", "manager", "direct", "status",
              "due_from", "due_to", "completed_from", "completed_to", "page"]
    for n, payload in enumerate(corpus_lines("sqli")):
        param = params[n % len(params)]
        response = hr.get(f"/hr/roster?{param}={quote(payload)}")
        assert response.status_code in (200, 400), (param, payload)
        assert ROW_NAME.findall(response.text) == [] or param in ("direct", "page"), payload


def test_paging_50_at_a_time_counted_in_the_database(hr, app):
    course = Course(slug="paging-course")
    db.session.add(course)
    db.session.commit()
    add_people([{"full_name": f"Person {n:03d}"} for n in range(120)], course)
    first = hr.get("/hr/roster?status=assigned").text
    assert "120 assignments match." in first and len(ROW_NAME.findall(first)) == 50
    assert "Rows 1 to 50 of 120" in first and "Page 1 of 3" in first
    assert 'href="/hr/roster?page=2&amp;status=assigned"' in first
    third = hr.get("/hr/roster?status=assigned&page=3").text
    assert len(ROW_NAME.findall(third)) == 20 and "Person 119" in third
    assert 'href="/hr/roster?page=2&amp;status=assigned"' in third
    # Past the end: the last page, not an empty one or an error.
    assert "Page 3 of 3" in hr.get("/hr/roster?status=assigned&page=99").text
    for page in ("abc", "0", "-1", "%C2%B2", "9" * 20):
        assert "Page 1 of 3" in hr.get(f"/hr/roster?status=assigned&page={page}").text


def test_the_page_is_a_fixed_number_of_queries(hr, app):
    course = Course(slug="query-count")
    db.session.add(course)
    db.session.commit()

    def queries(count: int, offset: int) -> int:
        add_people([{"full_name": f"Q{offset + n}", "employee_number": f"Q{offset + n:05d}",
                     "department": f"Dept {offset + n}", "manager_index": 0 if n else None}
                    for n in range(count)], course)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert hr.get("/hr/roster").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries(3, 0) == queries(40, 100)


def _inert(page: PageText, baseline: PageText) -> None:
    assert page.tags <= baseline.tags, page.tags - baseline.tags
    assert page.attributes <= baseline.attributes, page.attributes - baseline.attributes
    assert not any(v.strip().lower().startswith(("javascript:", "vbscript:", "data:"))
                   for v in page.values)


def test_attack_payloads_are_inert_text_in_the_page(hr, app):
    """Every CSV-injection and XSS payload as a name, manager, department, location and job
    title: shown as text, exactly, and never as markup."""
    course = Course(slug="payloads")
    db.session.add(course)
    db.session.commit()
    add_people([{"full_name": "Plain", "department": "Plain", "location": "Plain",
                  "employee_number": "A0"}, {"full_name": "Plain Too", "manager_index": 0,
                                             "employee_number": "A1"}], course)
    baseline = PageText(hr.get("/hr/roster").text)
    payloads = injection_payloads()
    add_people([{"full_name": p[:300], "department": p[:200], "location": p[:200],
                 "job_title": p[:200], "manager_index": n - 1 if n else None,
                 "employee_number": f"P{n:05d}"}
                for n, p in enumerate(payloads)], course)
    seen = set()
    pages = -(-len(payloads) // 50)
    for page_number in range(1, pages + 1):
        response = hr.get(f"/hr/roster?page={page_number}")
        assert response.status_code == 200
        page = PageText(response.text)
        _inert(page, baseline)
        seen.update(p for p in payloads if p[:300] in page.text)
    assert seen == set(payloads)
    # And with filters showing payloads as the selected department and location.
    plain = PageText(hr.get(f"/hr/roster?department={_id(Department, 'Plain')}"
                            f"&location={_id(Location, 'Plain')}").text)
    for payload in payloads[:20]:
        page = PageText(hr.get(f"/hr/roster?department={_id(Department, payload[:200])}"
                               f"&location={_id(Location, payload[:200])}").text)
        _inert(page, plain)
        assert payload[:300] in page.text


def _id(model, name: str) -> int:
    return db.session.scalar(select(model.id).where(model.name == name))


def test_naughty_names_render_and_nothing_crashes(hr, app):
    from tests.reports.roster_helpers import naughty_strings

    course = Course(slug="naughty")
    db.session.add(course)
    db.session.commit()
    strings = [s for s in naughty_strings() if s.strip()]
    add_people([{"full_name": s, "employee_number": f"N{n:05d}"}
                for n, s in enumerate(strings)], course)
    texts = []
    for page_number in range(1, -(-len(strings) // 50) + 1):
        response = hr.get(f"/hr/roster?page={page_number}")
        assert response.status_code == 200
        texts.append(PageText(response.text).text)
    # Carriage returns are newlines to an HTML parser, as the HTML standard says.
    missing = [s for s in strings if s.replace("\r\n", "\n").replace("\r", "\n")
               not in "".join(texts)]
    assert missing == []


def test_only_hr_and_admins(app, make_employee, login):
    boss = make_employee("A Manager", email="boss@example.com")
    make_employee("Report", manager=boss)
    make_employee("Trainer", email="trainer@example.com", roles=("trainer",))
    make_employee("Admin", email="admin@example.com", roles=("admin",))
    clients = {None: app.test_client()}
    for email in ("boss@example.com", "trainer@example.com", "admin@example.com"):
        clients[email] = app.test_client()
        login(clients[email], email)
    for path in ("/hr/roster", "/hr/roster.csv", "/hr/roster.xlsx"):
        anonymous = clients[None].get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.location
        for email, status in (("boss@example.com", 403), ("trainer@example.com", 403),
                              ("admin@example.com", 200)):
            assert clients[email].get(path).status_code == status, (path, email)

"""HR's overdue list: who is overdue, filters, sorting, paging and follow-up notes."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, select

from lms.clock import today
from lms.db import db
from lms.hr.models import FollowUp
from lms.hr.services import OverdueFilters, overdue
from lms.people.models import Department, Location
from tests.conftest import PASSWORD


@pytest.fixture
def hr(app, make_employee):
    make_employee("Liu Min", email="hr@example.com", roles=("hr",))
    client = app.test_client()
    client.post("/login", data={"email": "hr@example.com", "password": PASSWORD})
    return client


@pytest.fixture
def team(make_employee, make_assignment, catalog):
    """A manager and reports: two overdue by 10 and 40 days, one not yet due, one done."""
    boss = make_employee("Zhang Wei", email="boss@example.com", employee_number="M001")
    late = make_employee("Late Person", email="late@example.com", manager=boss)
    later = make_employee("Later Person", email="later@example.com", manager=boss)
    fine = make_employee("On Time", email="fine@example.com", manager=boss)
    day = today()
    coc, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    make_assignment(late, coc, due_on=day - timedelta(days=10))
    make_assignment(later, harassment, due_on=day - timedelta(days=40))
    make_assignment(fine, coc, due_on=day + timedelta(days=5))
    done = make_assignment(fine, harassment, due_on=day - timedelta(days=3))
    done.status = "completed"
    db.session.commit()
    return {"boss": boss, "late": late, "later": later}


def test_lists_the_overdue_most_overdue_first(hr, team):
    page = hr.get("/hr/overdue")
    assert page.status_code == 200
    text = page.text
    assert "2 assignments are overdue" in text
    assert text.index("Later Person") < text.index("Late Person")
    assert "On Time" not in text
    assert ">40<" in text and ">10<" in text


def test_filters(hr, team, catalog):
    coc = catalog["code-of-conduct"].id
    assert "Later Person" not in hr.get(f"/hr/overdue?course={coc}").text
    assert "Late Person" not in hr.get("/hr/overdue?min_days=20").text
    assert "2 assignments" in hr.get("/hr/overdue?manager=M001").text
    unknown = hr.get("/hr/overdue?manager=NOPE").text
    assert "No employee has this number" in unknown and "Late Person" not in unknown
    sales = db.session.scalar(select(Department.id).where(Department.name == "Sales"))
    assert "2 assignments" in hr.get(f"/hr/overdue?department={sales}").text
    elsewhere = Location(name="Dublin", timezone="Europe/Dublin")
    db.session.add(elsewhere)
    db.session.commit()
    assert "Nobody is overdue" in hr.get(f"/hr/overdue?location={elsewhere.id}").text


@pytest.mark.parametrize("query", ["course=abc", "min_days=-5", "page=0", "sort=evil",
                                   "department=1%27%20OR%201=1--", "manager=%27%3B%20DROP"])
def test_bad_filter_values_are_ignored_not_errors(hr, team, query):
    response = hr.get(f"/hr/overdue?{query}")
    assert response.status_code == 200


def test_leavers_and_closed_assignments_are_not_listed(hr, team):
    team["late"].active = False
    db.session.commit()
    assert "Late Person" not in hr.get("/hr/overdue").text


def test_follow_up_note_and_contacted_mark(hr, team):
    rows, _ = overdue(today(), OverdueFilters())
    target = next(r for r in rows if r.name == "Late Person")
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    response = hr.post(f"/hr/overdue/{target.assignment_id}/follow-up",
                       data={"note": f"Called, will finish Friday. {payload}", "contacted": "y",
                             "back": "/hr/overdue?sort=name"})
    assert response.status_code == 302 and response.location.endswith("/hr/overdue?sort=name")
    page = hr.get("/hr/overdue").text
    assert "Called, will finish Friday." in page and "✓ Contacted" in page
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert not any(name.startswith("on") for name in parser.attributes)
    assert db.session.scalar(select(FollowUp.contacted)) is True


def test_empty_follow_up_is_refused(hr, team):
    rows, _ = overdue(today(), OverdueFilters())
    response = hr.post(f"/hr/overdue/{rows[0].assignment_id}/follow-up", data={"note": "  "})
    assert response.status_code == 302
    assert "Write a note or mark" in hr.get("/hr/overdue").text
    assert db.session.scalar(select(FollowUp.id)) is None


def test_offsite_back_links_are_not_followed(hr, team):
    rows, _ = overdue(today(), OverdueFilters())
    response = hr.post(f"/hr/overdue/{rows[0].assignment_id}/follow-up",
                       data={"note": "ok", "back": "https://evil.example/"})
    assert response.location.endswith("/hr/overdue")


def test_paging_counts_in_the_database(make_employee, make_assignment, catalog):
    day = today()
    for n in range(7):
        person = make_employee(f"Person {n}", email=f"p{n}@example.com")
        make_assignment(person, catalog["code-of-conduct"], due_on=day - timedelta(days=n + 1))
    first, total = overdue(day, OverdueFilters(per_page=3))
    third, _ = overdue(day, OverdueFilters(per_page=3, page=3))
    assert total == 7 and len(first) == 3 and len(third) == 1
    assert first[0].days_overdue == 7 and third[0].days_overdue == 1


def test_the_list_is_a_fixed_number_of_queries(app, make_employee, make_assignment, catalog):
    def queries_for(count: int) -> int:
        day = today()
        for n in range(count):
            person = make_employee(f"Q {count}-{n}", email=f"q{count}-{n}@example.com")
            make_assignment(person, catalog["code-of-conduct"], due_on=day - timedelta(days=2))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            overdue(day, OverdueFilters())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries_for(3) == queries_for(30)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

"""A small org for the team pages.

boss > lead > dev, and boss > ops; in another branch rival > outsider, who works in a
department and a location nobody under boss is in. Each has required courses in a different
state (today-relative, so the tests hold on any day)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.clock import today
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Department, Employee, Location
from tests.compliance.conftest import complete
from tests.conftest import PASSWORD


@pytest.fixture
def as_user(app):
    """A signed-in test client for an e-mail address."""

    def sign_in(email: str):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.text[:300]
        return client

    return sign_in


@pytest.fixture
def org(make_employee, make_assignment, catalog) -> dict:
    day = today()
    coc, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    selfdef = catalog["self-defense-basics"]
    boss = make_employee("Zhang Wei", email="boss@example.com")
    lead = make_employee("Lead Li", email="lead@example.com", manager=boss)
    ops = make_employee("Ops Ou", email="ops@example.com", manager=boss)
    dev = make_employee("Dev Deng", email="dev@example.com", manager=lead, locale="zh-Hans")
    rival = make_employee("Rival Ren", email="rival@example.com")
    outsider = make_employee("Out Sider", email="outsider@example.com", manager=rival)
    legal = Department(name="Legal Secret Dept")
    dublin = Location(name="Dublin Hidden Office", timezone="Europe/Dublin")
    db.session.add_all([legal, dublin])
    db.session.flush()
    outsider.department_id, outsider.location_id = legal.id, dublin.id
    db.session.commit()

    a = {
        "lead_late": make_assignment(lead, coc, due_on=day - timedelta(days=10)),
        "ops_open": make_assignment(ops, harassment, due_on=day + timedelta(days=20)),
        "ops_done": make_assignment(ops, coc, due_on=day + timedelta(days=5)),
        "ops_closed": make_assignment(ops, selfdef, due_on=day - timedelta(days=30)),
        "dev_late": make_assignment(dev, coc, due_on=day - timedelta(days=3)),
        "outsider_late": make_assignment(outsider, coc, due_on=day - timedelta(days=5)),
    }
    complete(a["ops_done"], day - timedelta(days=2))
    a["ops_closed"].status = "closed"
    db.session.commit()
    people = {"boss": boss, "lead": lead, "ops": ops, "dev": dev, "rival": rival,
              "outsider": outsider}
    return {**people, "a": {k: v.id for k, v in a.items()}, "legal": legal.id,
            "dublin": dublin.id, "courses": {"coc": coc.id, "harassment": harassment.id}}


def add_reports(boss: Employee, names: list[str], course, prefix: str,
                due_on: date | None = None) -> list[int]:
    """Direct reports of ``boss`` with these names, one open assignment each (overdue by 1 to
    30 days unless ``due_on`` is given), inserted in bulk; returns the assignment ids."""
    day = today()
    sales = db.session.scalar(select(Department.id).where(Department.name == "Sales"))
    people = [Employee(employee_number=f"{prefix}{n:05d}", full_name=name,
                       email=f"{prefix.lower()}{n}@example.com", manager_id=boss.id,
                       department_id=sales, active=True, locale="en")
              for n, name in enumerate(names)]
    db.session.add_all(people)
    db.session.flush()
    assignments = [Assignment(employee_id=p.id, course_id=course.id, cycle="2026",
                              assigned_on=day - timedelta(days=60),
                              due_on=due_on or day - timedelta(days=1 + n % 30),
                              status="assigned")
                   for n, p in enumerate(people)]
    db.session.add_all(assignments)
    db.session.commit()
    return [a.id for a in assignments]

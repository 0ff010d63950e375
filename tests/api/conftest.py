from __future__ import annotations

from datetime import timedelta

import pytest

from lms.api.services import SCOPES, create_token
from lms.clock import today
from lms.db import db
from lms.people.models import Department, Location
from tests.compliance.conftest import finish


@pytest.fixture
def make_token(app):
    """A token and its secret: make_token(scopes=..., expires_at=...)."""

    def make(scopes=SCOPES, expires_at=None, name="BI export"):
        token, secret = create_token(name, scopes, None, expires_at)
        db.session.commit()
        return token, secret

    return make


@pytest.fixture
def secret(make_token) -> str:
    return make_token()[1]


@pytest.fixture
def api(client):
    """api(path, secret, **query) -> response; list values repeat the parameter."""

    def get(path: str, token: str | None = None, **query):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(f"/api/v1{path}", headers=headers, query_string=query)

    return get


@pytest.fixture
def records(make_employee, make_assignment, catalog):
    """Four people, five assignments: one completed with a certificate, one overdue, one open,
    one in another department; and a leaver's open one."""
    conduct, selfdef = catalog["code-of-conduct"], catalog["self-defense-basics"]
    boss = make_employee("Boss Person", employee_number="E100")
    ana = make_employee("Ana Lima", employee_number="E101", manager=boss)
    bo = make_employee("Bo Chen", employee_number="E102", manager=boss)
    ops = Department(name="Operations")
    paris = Location(name="Paris", timezone="Europe/Paris")
    db.session.add_all([ops, paris])
    db.session.commit()
    cy = make_employee("Cy Dias", employee_number="E103")
    cy.department, cy.location = ops, paris
    db.session.commit()
    gone = make_employee("Gone Person", employee_number="E104", active=False)
    day = today()
    done = make_assignment(ana, selfdef, due_on=day + timedelta(days=30))
    finish(done, score=90)
    late = make_assignment(bo, conduct, due_on=day - timedelta(days=10))
    open_ = make_assignment(ana, conduct, due_on=day + timedelta(days=60))
    other = make_assignment(cy, conduct, cycle="2025", due_on=day + timedelta(days=5))
    leaver = make_assignment(gone, conduct, due_on=day + timedelta(days=5))
    return {"done": done, "late": late, "open": open_, "other": other, "leaver": leaver,
            "ana": ana, "bo": bo, "cy": cy, "boss": boss, "gone": gone,
            "conduct": conduct, "selfdef": selfdef}

"""HR edits requirements in the browser; bad input is refused per field and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.compliance.models import Requirement
from lms.db import db
from lms.people.models import Department
from tests.conftest import PASSWORD


@pytest.fixture
def hr(app, make_employee, catalog):
    make_employee("Liu Min", email="hr@example.com", roles=("hr",))
    client = app.test_client()
    client.post("/login", data={"email": "hr@example.com", "password": PASSWORD})
    return client


def _form(catalog, **overrides):
    data = {"name": "Code of Conduct for Sales", "course_id": str(catalog["code-of-conduct"].id),
            "everyone": "on", "recurrence": "calendar", "deadline_month": "12",
            "deadline_day": "31", "window_days": "30", "reminder_days": "14, 3, 0",
            "escalate_manager_days": "7", "escalate_hr_days": "30", "starts_on": "2026-01-01",
            "active": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_list_and_edit(hr, catalog):
    sales = db.session.scalar(select(Department.id).where(Department.name == "Sales"))
    form = _form(catalog, everyone=None, department_ids=str(sales),
                 job_titles="Account Manager\nSales Representative")
    response = hr.post("/hr/requirements/new", data=form)
    assert response.status_code == 302
    requirement = db.session.scalar(select(Requirement))
    assert requirement.audience == {"departments": [sales],
                                    "job_titles": ["Account Manager", "Sales Representative"]}
    assert requirement.reminder_days == [14, 3, 0] and requirement.deadline_day == 31
    listing = hr.get("/hr/requirements").text
    assert "Code of Conduct for Sales" in listing and "every year by 31/12" in listing
    page = hr.get(f"/hr/requirements/{requirement.id}").text
    assert "Account Manager" in page and f'value="{sales}" selected' in page
    hr.post(f"/hr/requirements/{requirement.id}",
            data=_form(catalog, recurrence="rolling", every_months="24"))
    db.session.expire_all()
    requirement = db.session.get(Requirement, requirement.id)
    assert requirement.recurrence == "rolling" and requirement.every_months == 24
    assert requirement.deadline_month is None


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": ""}, "Give the requirement a name"),
    ({"course_id": "999999"}, "Choose a course."),
    ({"everyone": None}, "Say who must take it"),
    ({"deadline_month": "2", "deadline_day": "30"}, "Give a real date"),
    ({"recurrence": "rolling"}, "Every how many months"),
    ({"reminder_days": "14, soon"}, "Days before due"),
    ({"recurrence": "weekly"}, "Choose once"),
])
def test_bad_input_is_refused_per_field_and_saves_nothing(hr, catalog, overrides, message):
    response = hr.post("/hr/requirements/new", data=_form(catalog, **overrides))
    assert response.status_code == 400 and message in response.text
    assert 'role="alert"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Requirement)) == 0


def test_names_in_the_form_are_escaped(hr, catalog):
    hr.post("/hr/requirements/new", data=_form(catalog, name="<script>alert(1)</script>"))
    listing = hr.get("/hr/requirements").text
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;" in listing


def test_unknown_requirement_is_404(hr):
    assert hr.get("/hr/requirements/424242").status_code == 404

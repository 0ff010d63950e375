"""Public pages, error pages, headers and the demo command."""

from datetime import date

from flask import current_app
from sqlalchemy import func, select

from certificates.models import Certificate
from lms.db import db
from lms.people.models import Employee


def test_speak_up_is_public_and_uses_the_company_settings(client, catalog):
    page = client.get("/speak-up")
    assert page.status_code == 200
    for text in ("400-820-1234", "speakup@example.com", "Workplace Conduct Investigations Office",
                 "Conduct Appeals Panel", "400-820-5678", "400-820-9012"):
        assert text in page.text


def test_every_page_links_to_speak_up(client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    for path in ("/login", "/verify"):
        assert 'href="/speak-up"' in client.get(path).text
    login(client, "li.na@example.com")
    assert 'href="/speak-up"' in client.get("/training").text


def test_unconfigured_settings_say_so(client):
    assert "not configured" in client.get("/speak-up").text


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in response.text


def test_demo_seed_refuses_outside_demo_mode(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "demo mode" in result.output


def test_demo_seed_creates_the_organisation(runner, catalog):
    current_app.config["LMS_DEMO"] = True  # commands run in the test's app context
    result = runner.invoke(args=["demo", "seed", "--size", "60"])
    assert result.exit_code == 0, result.output
    for login in ("employee@example.com", "manager@example.com", "hr@example.com",
                  "trainer@example.com", "admin@example.com"):
        assert login in result.output
    db.session.expire_all()
    employee = db.session.scalar(select(Employee).where(Employee.email == "employee@example.com"))
    manager = db.session.scalar(select(Employee).where(Employee.email == "manager@example.com"))
    assert employee.manager_id == manager.id
    assert db.session.scalar(select(func.count()).select_from(Certificate)
                             .where(Certificate.employee_id == employee.id)) >= 1
    again = runner.invoke(args=["demo", "seed"])
    assert "nothing changed" in again.output
    assert db.session.scalar(select(func.count()).select_from(Employee)) >= 60
    assert date.today().year >= 2026


def test_navigation_shows_each_role_its_areas(app, make_employee):
    from tests.conftest import PASSWORD

    make_employee("Plain", email="plain@example.com")
    make_employee("Trainer", email="trainer@example.com", roles=("trainer",))
    make_employee("Admin", email="admin@example.com", roles=("admin",))
    pages = {}
    for email in ("plain@example.com", "trainer@example.com", "admin@example.com"):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        pages[email] = client.get("/training").text
    assert 'href="/content/"' not in pages["plain@example.com"]
    assert 'href="/admin/jobs"' not in pages["plain@example.com"]
    assert 'href="/content/"' in pages["trainer@example.com"]
    assert 'href="/admin/jobs"' not in pages["trainer@example.com"]
    assert 'href="/admin/jobs"' in pages["admin@example.com"]


def test_database_outage_gives_a_clean_503(tmp_path):
    """While the database cannot be reached, pages answer 503 with a page of their own."""
    import socket

    from tests.conftest import make_test_app

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/none?connect_timeout=2"
    app = make_test_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert "briefly unavailable" in response.text and 'href="/speak-up"' in response.text

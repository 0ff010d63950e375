from sqlalchemy import select

from lms.auth.models import AuthSession
from lms.db import db
from lms.people.services import deactivate
from tests.conftest import PASSWORD

GENERIC = "E-mail or password is not correct."


def test_sign_in_lands_on_my_training(client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    response = login(client, "li.na@example.com")
    assert response.location.endswith("/training")
    page = client.get("/training")
    assert page.status_code == 200
    assert "My training" in page.text


def test_email_is_case_insensitive(client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    login(client, "  Li.Na@Example.COM ")


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    wrong = client.post("/login", data={"email": "li.na@example.com", "password": "nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert GENERIC in wrong.text and GENERIC in unknown.text
    assert "nobody@example.com" in unknown.text  # the e-mail stays in the form, nothing more


def test_deactivated_employee_cannot_sign_in(client, make_employee):
    make_employee("Gone", email="gone@example.com", active=False)
    response = client.post("/login", data={"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert GENERIC in response.text


def test_pages_need_sign_in(client):
    for path in ("/training", "/certificates", "/learn/1", "/quiz/attempts/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.location


def test_next_parameter_only_goes_to_this_site(client, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    data = {"email": "li.na@example.com", "password": PASSWORD}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.location.endswith("/training")
    client.post("/logout")
    response = client.post("/login?next=/certificates", data=data)
    assert response.location.endswith("/certificates")


def test_sign_out_ends_the_session_on_the_server(app, client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    login(client, "li.na@example.com")
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    # Replaying the old cookie (as a thief would) no longer works.
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/training")
    assert response.status_code == 302 and "/login" in response.location
    assert db.session.scalar(select(AuthSession.revoked_at)) is not None


def test_deactivation_ends_access_at_once(app, client, make_employee, login):
    person = make_employee("Li Na", email="li.na@example.com")
    login(client, "li.na@example.com")
    assert client.get("/training").status_code == 200
    deactivate(db.session.get(type(person), person.id))
    db.session.commit()
    response = client.get("/training")
    assert response.status_code == 302 and "/login" in response.location


def test_login_form_requires_csrf_token(migrated, tmp_path, make_employee):
    from tests.conftest import make_test_app

    make_employee("Li Na", email="li.na@example.com")
    app = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"email": "li.na@example.com", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login")
    assert 'name="csrf_token"' in page.text
    assert 'name="email"' in page.text and 'name="password"' in page.text


def test_session_cookie_flags(client, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    response = client.post("/login", data={"email": "li.na@example.com", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

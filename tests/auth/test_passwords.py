"""The password policy, the change-password page, and what a change does to other sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.auth.models import AuthSession
from lms.auth.passwords import COMMON, PERSONAL, TOO_SHORT, problems
from lms.auth.services import authenticate
from lms.db import db
from lms.people.models import Employee
from tests.conftest import PASSWORD

NEW = "plum orchard kettle 7"


def _check(password, min_length=12):
    return problems(password, email="li.na@example.com", full_name="Li Na",
                    min_length=min_length)


@pytest.mark.parametrize("password,expected", [
    ("short1!", [TOO_SHORT]),
    ("elevenchars", [TOO_SHORT]),
    ("password1234", [COMMON]), ("Password1234", [COMMON]), ("123456789012", [COMMON]),
    ("qwertyuiop123", [COMMON]), ("iloveyou1234", [COMMON]),
    ("li.na@example.com", [PERSONAL]), ("LI.NA@EXAMPLE.COM", [PERSONAL]),
    ("Li Na", [TOO_SHORT, PERSONAL]),
    (NEW, []), ("correct horse battery staple", []), ("Tr0ub4dor&3xyz!", []),
])
def test_policy(password, expected):
    assert _check(password) == expected


def test_minimum_length_is_a_setting():
    assert _check("Tr0ub4dor&3x", min_length=16) == [TOO_SHORT]
    assert _check("Tr0ub4dor&3x", min_length=12) == []


def _change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "confirm": new if confirm is None else confirm})


def test_the_page_asks_for_the_current_and_the_new_password(client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    login(client, "li.na@example.com")
    page = client.get("/account/password")
    assert page.status_code == 200
    for name in ("current_password", "new_password", "confirm"):
        assert f'name="{name}"' in page.text and f'for="{name}"' in page.text
    assert 'autocomplete="new-password"' in page.text


@pytest.mark.parametrize("current,new,confirm,message", [
    ("not my password", NEW, None, "This is not your current password."),
    (PASSWORD, "password1234", None, "list of common, leaked passwords"),
    (PASSWORD, "short pw", None, "Use at least 12 characters."),
    (PASSWORD, "li.na@example.com", None, "Do not use your e-mail address or your name."),
    (PASSWORD, NEW, "plum orchard kettle 8", "The two new passwords differ."),
    (PASSWORD, PASSWORD, None, "different from the current one"),
])
def test_refused_changes_change_nothing(client, make_employee, login, current, new, confirm,
                                        message):
    person = make_employee("Li Na", email="li.na@example.com")
    before = person.password_hash
    login(client, "li.na@example.com")
    response = _change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.text
    db.session.expire_all()
    assert db.session.get(Employee, person.id).password_hash == before
    assert not db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "password_changed"))


def test_a_change_ends_every_other_session(app, client, make_employee, login):
    person = make_employee("Li Na", email="li.na@example.com")
    login(client, "li.na@example.com")
    elsewhere = app.test_client()
    login(elsewhere, "li.na@example.com")
    copied = app.test_client()  # someone who copied the cookie of the other browser
    copied.set_cookie("session", elsewhere.get_cookie("session").value)
    assert copied.get("/training").status_code == 200

    response = _change(client)
    assert response.status_code == 302
    # This browser stays signed in; the other browser and the copied cookie are out.
    assert client.get("/training").status_code == 200
    for other in (elsewhere, copied):
        answer = other.get("/training")
        assert answer.status_code == 302 and "/login" in answer.location
    live = db.session.scalars(select(AuthSession).where(
        AuthSession.employee_id == person.id, AuthSession.revoked_at.is_(None))).all()
    assert len(live) == 1
    # The new password works, the old one does not; the change is in the audit log.
    assert authenticate("li.na@example.com", NEW) is not None
    assert authenticate("li.na@example.com", PASSWORD) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_changed"))
    assert event.actor_id == person.id and event.target_id == str(person.id)
    assert event.detail == {"other_sessions_ended": 1}
    assert NEW not in str(event.detail) and PASSWORD not in str(event.detail)


def test_people_without_a_password_are_sent_to_their_company_account(client, make_employee,
                                                                   login):
    person = make_employee("Li Na", email="li.na@example.com")
    login(client, "li.na@example.com")
    db.session.get(Employee, person.id).password_hash = None
    db.session.commit()
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "company account" in page.text and 'name="new_password"' not in page.text
    assert _change(client).status_code == 200  # nothing to change: the page again
    assert db.session.get(Employee, person.id).password_hash is None


def test_the_page_needs_sign_in(client):
    for method in ("get", "post"):
        response = getattr(client, method)("/account/password")
        assert response.status_code == 302 and "/login" in response.location

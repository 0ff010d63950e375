"""Signing in with the company's identity provider: a real OpenID Connect provider on
loopback, the whole authorization code flow with PKCE, and every way it can go wrong."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
import time_machine

from lms.audit.models import AuditEvent
from lms.auth import oidc
from lms.db import db, utcnow
from lms.people.models import Employee
from tests.conftest import PASSWORD, make_test_app
from tests.oidc.conftest import sso_config, through_provider, token_for


def start(client, account: str) -> tuple[str, object]:
    """Click "sign in with your company account", go through the provider, come back."""
    response = client.get("/login/sso")
    assert response.status_code == 302
    authorize = response.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    back = through_provider(authorize, account)
    parts = urlsplit(back)
    return back, client.get(f"{parts.path}?{parts.query}")


def failures() -> list[str]:
    db.session.expire_all()
    return [e.detail.get("reason", "") for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sign_in_failed"))]


def test_a_known_person_signs_in(sso_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = sso_app.test_client()
    assert "Sign in with your Example Corp account" in client.get("/login").text
    _, response = start(client, "li")
    assert response.status_code == 302 and response.headers["Location"].endswith("/training")
    assert client.get("/training").status_code == 200
    entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in"))
    assert entry.detail["method"] == "oidc" and entry.actor.startswith("Li Na")
    # signing out ends the local session and sends the browser to the provider's sign-out
    out = client.post("/logout")
    assert out.headers["Location"].startswith(sso_app.config["LMS_OIDC_ISSUER"] +
                                              "/session/end?id_token_hint=")
    assert client.get("/training").status_code == 302


def test_a_replayed_state_is_refused(sso_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = sso_app.test_client()
    back, first = start(client, "li")
    assert first.status_code == 302
    client.post("/logout")
    parts = urlsplit(back)
    again = client.get(f"{parts.path}?{parts.query}")
    assert again.status_code == 400 and "already used or has expired" in again.text
    assert failures() == ["state mismatch or replay"]


def test_an_unknown_person_is_not_created(sso_app):
    client = sso_app.test_client()
    _, response = start(client, "ghost")
    assert response.status_code == 400 and "not registered in Guardrail" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Employee)) == 0
    assert failures() == ["unknown email ghost@example.com"]


def test_people_are_created_only_when_the_settings_allow(app, provider, tmp_path):
    allowing = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                             **sso_config(provider, LMS_OIDC_CREATE_USERS=True))
    _, response = start(allowing.test_client(), "newbie")
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Employee))
    assert (person.email, person.employee_number, person.full_name) == (
        "new.person@example.com", "E555", "New Person")


def test_matching_by_employee_number(app, provider, tmp_path, make_employee):
    make_employee("Li Na", email="someone.else@example.com", employee_number="E100")
    by_number = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, **sso_config(
        provider, LMS_OIDC_MATCH="employee_number", LMS_OIDC_CLAIM="employee_number"))
    _, response = start(by_number.test_client(), "li")
    assert response.status_code == 302


def test_an_inactive_person_is_refused(sso_app, make_employee):
    make_employee("Li Na", email="li.na@example.com", active=False)
    _, response = start(sso_app.test_client(), "li")
    assert response.status_code == 400 and "not active" in response.text


@pytest.fixture
def verify(sso_app):
    """Check a token as the callback does, inside the configured app."""
    def check(token: dict, nonce: str = "n-0") -> dict:
        with sso_app.test_request_context():
            return oidc.verify(token, nonce)

    return check


def outcome(check, token: dict, nonce: str = "n-0") -> str:
    with pytest.raises(Exception) as caught:
        check(token, nonce)
    return oidc.explain(caught.value).reason


def test_the_tokens_checks(verify, provider):
    good = token_for(provider, "li")
    assert verify(good)["email"] == "Li.Na@Example.com"
    # another application's token
    other = token_for(provider, "li", client_id="another-app")
    assert outcome(verify, other) == "wrong audience"
    # a tampered signature
    header, payload, signature = good["id_token"].split(".")
    flipped = ("A" if signature[5] != "A" else "B")
    tampered = {**good, "id_token": f"{header}.{payload}.{signature[:5]}{flipped}"
                                    f"{signature[6:]}"}
    assert outcome(verify, tampered).startswith("bad token")
    # a tampered payload with the old signature
    forged = {**good, "id_token": f"{header}.{payload[:-4]}AAAA.{signature}"}
    assert outcome(verify, forged).startswith(("bad token", "token"))
    # a replayed token: its nonce is not the one this sign-in asked for
    assert outcome(verify, good, nonce="another-nonce") == "nonce mismatch or replay"
    # an expired one: the provider's token lives an hour
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        assert outcome(verify, good) == "expired id_token"


def test_password_sign_in_can_be_turned_off_but_for_break_glass_admins(
        app, provider, tmp_path, make_employee):
    make_employee("Employee", email="staff@example.com")
    make_employee("Admin", email="admin@example.com", roles=("admin",))
    make_employee("Other Admin", email="other.admin@example.com", roles=("admin",))
    strict = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, **sso_config(
        provider, LMS_PASSWORD_SIGNIN=False, LMS_BREAK_GLASS=["admin@example.com"]))
    client = strict.test_client()
    page = client.get("/login").text
    assert 'name="password"' not in page and "Administrator sign-in" in page
    for email in ("staff@example.com", "other.admin@example.com"):
        refused = client.post("/login", data={"email": email, "password": PASSWORD})
        assert refused.status_code == 400 and "Password sign-in is turned off" in refused.text
    assert client.post("/login", data={"email": "admin@example.com",
                                       "password": PASSWORD}).status_code == 302

"""API tokens: created by admins, shown once, stored hashed, scoped, revoked, expiring; and a
browser session never stands in for one."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms.api.models import ApiToken
from lms.api.services import TokenError, authenticate, create_token, revoke
from lms.audit.models import AuditEvent
from lms.db import db, utcnow

SECRET_IN_PAGE = re.compile(r'id="new-secret" type="text" value="(grd_[A-Za-z0-9_-]+)"')


@pytest.fixture
def admin_client(app, make_employee, login):
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    client = app.test_client()
    login(client, "admin@example.com")
    return client


def _create(admin_client, **form) -> str:
    data = {"name": "Workday sync", "scopes": ["assignments:read"], **form}
    response = admin_client.post("/admin/api-tokens", data=data)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Cache-Control"] == "no-store"
    return SECRET_IN_PAGE.search(response.text).group(1)


def _everything_stored() -> str:
    """Every value of every row of every table, as one string."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def test_a_token_is_shown_once_and_only_its_hash_is_stored(admin_client, api):
    secret = _create(admin_client)
    assert secret.startswith("grd_") and len(secret) > 40
    token = db.session.scalar(sa.select(ApiToken))
    assert token.prefix == secret[:10]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == ["assignments:read"] and token.created_by_id is not None
    stored = _everything_stored()
    assert secret not in stored and secret[10:] not in stored
    # The list shows the prefix, never the secret again.
    page = admin_client.get("/admin/api-tokens").text
    assert secret not in page and token.prefix in page and "Workday sync" in page
    entry = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "api_token_created"))
    assert entry.target_id == str(token.id) and entry.detail["prefix"] == token.prefix
    assert api("/assignments", secret).status_code == 200


def test_revoking_ends_access_at_once(admin_client, api):
    secret = _create(admin_client)
    assert api("/assignments", secret).status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    response = admin_client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    response = api("/assignments", secret)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json == {"error": {"code": "unauthorized",
                                       "message": "The token is unknown, revoked or expired."}}
    # Revoking again changes nothing and records nothing more.
    assert admin_client.post(f"/admin/api-tokens/{token.id}/revoke").status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("api_token_revoked") == 1
    assert admin_client.post("/admin/api-tokens/999999/revoke").status_code == 404


def test_an_expired_token_is_refused(make_token, api):
    _, secret = make_token(expires_at=utcnow() + timedelta(hours=1))
    assert api("/assignments", secret).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=1, seconds=1), tick=False):
        response = api("/assignments", secret)
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_the_expiry_date_chosen_by_the_admin_is_a_whole_day(admin_client, api):
    from lms.clock import today

    response = admin_client.post("/admin/api-tokens", data={
        "name": "x", "scopes": ["roster:read"],
        "expires_on": (today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "cannot be in the past" in response.text
    secret = _create(admin_client, expires_on=today().isoformat())
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == secret[:10]))
    assert token.expires_at > utcnow()


def test_a_missing_scope_is_403_and_names_it(make_token, api):
    _, secret = make_token(scopes=["certificates:read"])
    assert api("/certificates", secret).status_code == 200
    for path, scope in (("/assignments", "assignments:read"),
                        ("/completions", "assignments:read"), ("/roster", "roster:read")):
        response = api(path, secret)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "insufficient_scope"
        assert f'scope="{scope}"' in response.headers["WWW-Authenticate"]


def test_no_or_a_wrong_token_is_401(client, secret):
    for header in (None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token grd_abc",
                   "Bearer grd_" + "A" * 43, "Bearer " + "x" * 5000, "Bearer grd_a b",
                   f"Bearer {secret}x", f"Bearer {secret[:-1]}", f"{secret}"):
        headers = {"Authorization": header} if header is not None else {}
        response = client.get("/api/v1/assignments", headers=headers)
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="guardrail"')
        assert response.is_json and response.json["error"]["code"] == "unauthorized"


def test_the_scheme_is_case_insensitive(client, secret):
    response = client.get("/api/v1/assignments", headers={"Authorization": f"bearer {secret}"})
    assert response.status_code == 200


def test_a_browser_session_does_not_authorise_the_api(admin_client, secret):
    """Signed in as an admin, with the session cookie, but no token: 401 everywhere."""
    for path in ("/assignments", "/completions", "/certificates", "/roster"):
        response = admin_client.get(f"/api/v1{path}")
        assert response.status_code == 401, path
        assert response.is_json
    # The token still works with the cookie present (the cookie neither helps nor hurts).
    response = admin_client.get("/api/v1/roster", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_the_secret_is_not_accepted_in_the_query_string(client, secret):
    assert client.get(f"/api/v1/assignments?access_token={secret}").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(app, make_token, api):
    token, secret = make_token()
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        api("/roster", secret)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        api("/roster", secret)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api("/roster", secret)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start + timedelta(seconds=61)


def test_the_services_refuse_bad_tokens(app):
    with pytest.raises(TokenError):
        create_token(" ", ["roster:read"], None)
    with pytest.raises(TokenError):
        create_token("x", [], None)
    with pytest.raises(TokenError):
        create_token("x", ["roster:write"], None)
    with pytest.raises(TokenError):
        create_token("x", ["roster:read"], None, utcnow() - timedelta(seconds=1))
    token, secret = create_token("x", ["roster:read", "roster:read"], None)
    assert token.scopes == ["roster:read"]
    assert authenticate(f"Bearer {secret}") is token
    revoke(token.id)
    assert authenticate(f"Bearer {secret}") is None
    assert revoke(987654) is None
    db.session.rollback()


def test_the_admin_form_checks_its_input_and_escapes_names(admin_client):
    response = admin_client.post("/admin/api-tokens", data={"name": "no scopes"})
    assert response.status_code == 400 and "Choose at least one scope" in response.text
    response = admin_client.post("/admin/api-tokens", data={"name": "", "scopes": ["x"]})
    assert response.status_code == 400
    payload = '<script>alert("x")</script>'
    _create(admin_client, name=payload)
    page = admin_client.get("/admin/api-tokens").text
    assert payload not in page and "&lt;script&gt;" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_csrf_guards_the_token_forms_and_the_api_needs_none(migrated, tmp_path, make_employee,
                                                          secret):
    from tests.conftest import PASSWORD, make_test_app

    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    app = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                       "csrf_token": _csrf(client.get("/login").text)}
                       ).status_code == 302
    form = {"name": "x", "scopes": ["roster:read"]}
    assert client.post("/admin/api-tokens", data=form).status_code == 400
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/admin/api-tokens/{token.id}/revoke").status_code == 400
    page = client.get("/admin/api-tokens").text
    response = client.post("/admin/api-tokens", data={**form, "csrf_token": _csrf(page)})
    assert response.status_code == 200 and SECRET_IN_PAGE.search(response.text)
    # The API: no CSRF token, and a session cookie that counts for nothing.
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/roster", headers=headers).status_code == 200
    assert client.get("/api/v1/roster").status_code == 401
    response = api.post("/api/v1/roster", headers=headers)
    assert response.status_code == 405 and response.is_json
    with app.app_context():
        db.engine.dispose()


def test_a_name_of_spaces_is_refused(admin_client):
    response = admin_client.post("/admin/api-tokens",
                                 data={"name": "   ", "scopes": ["roster:read"]})
    assert response.status_code == 400 and "This field is required." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0

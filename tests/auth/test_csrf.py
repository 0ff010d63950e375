"""CSRF on every state-changing request, generated from the route table: a signed-in admin's
POST/PUT/PATCH/DELETE without a token is refused (400) and changes nothing. The token-only
areas (/api/v1, /scim/v2) take no cookies: a session there gets 401, so CSRF cannot apply."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from lms.auth.models import AuthSession
from lms.db import db
from tests.conftest import PASSWORD, make_test_app
from tests.test_access_matrix import world  # noqa: F401  (the fixture: objects for every URL)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN_ONLY = ("/api/v1", "/scim/v2")
SCIM_TOKEN = "s" * 40


@pytest.fixture
def csrf_app(app, tmp_path):
    return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, WTF_CSRF_ENABLED=True,
                         LMS_SCIM_TOKEN_HASH=hashlib.sha256(SCIM_TOKEN.encode()).hexdigest())


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _signed_in(app, email: str):
    client = app.test_client()
    token = _token(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.text[:300]
    return client


def _counts() -> dict[str, int]:
    db.session.commit()  # a fresh snapshot
    with db.engine.connect() as conn:
        return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t))
                for t in db.metadata.sorted_tables}


def _url(app, rule, values: dict) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: values.get(k, 1) for k in rule.arguments})


def test_every_state_changing_route_needs_the_token(csrf_app, world):  # noqa: F811
    admin = _signed_in(csrf_app, "admin@example.com")
    before = _counts()
    checked, failures = 0, []
    for rule in csrf_app.url_map.iter_rules():
        url = _url(csrf_app, rule, world)
        for method in sorted(rule.methods & STATE_CHANGING):
            response = admin.open(url, method=method, data={"name": "x", "confirm": "y"})
            checked += 1
            expected = 401 if url.startswith(TOKEN_ONLY) else 400
            if response.status_code != expected:
                failures.append(f"{method} {url}: {response.status_code}")
    assert failures == []
    assert checked >= 40
    assert _counts() == before
    # Even the sign-out did not go through: the admin is still signed in.
    assert admin.get("/training").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(
        AuthSession.revoked_at.is_not(None))) == 0


def test_the_token_only_areas_ignore_session_cookies(csrf_app, world):  # noqa: F811
    admin = _signed_in(csrf_app, "admin@example.com")
    for url in ("/api/v1/roster", "/api/v1/assignments", "/scim/v2/Users"):
        response = admin.get(url)
        assert response.status_code == 401, (url, response.status_code)
    scim = admin.get("/scim/v2/Users", headers={"Authorization": f"Bearer {SCIM_TOKEN}"})
    assert scim.status_code == 200


class _Forms(HTMLParser):
    """Each <form method=post> on a page, and whether a csrf_token field is inside it."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action"), "token": False}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name") == "csrf_token":
            self._open["token"] = bool(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def test_every_post_form_on_the_pages_carries_the_token(csrf_app, world):  # noqa: F811
    """Every page an admin (and an anonymous visitor) can open: each POST form has a token."""
    admin = _signed_in(csrf_app, "admin@example.com")
    anonymous = csrf_app.test_client()
    assert 'name="csrf_token"' in anonymous.get("/login").text
    pages, missing = 0, []
    for rule in csrf_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(TOKEN_ONLY) or \
                rule.endpoint in ("static", "media.media_file"):
            continue
        url = _url(csrf_app, rule, world)
        for client in (admin, anonymous):
            response = client.get(url, buffered=True)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            parser = _Forms()
            parser.feed(response.text)
            missing += [f"{url}: form to {f['action']}" for f in parser.forms if not f["token"]]
    assert missing == []
    assert pages >= 20

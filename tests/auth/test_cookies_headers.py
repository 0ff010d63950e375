"""Session cookie flags and security headers, in production and in development."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.config import load_config
from tests.conftest import PASSWORD

PRODUCTION_ENV = {"LMS_ENV": "production", "LMS_SECRET_KEY": "s" * 40,
                  "LMS_BASE_URL": "https://training.example.com"}


def test_production_config_sets_secure_cookie_flags(tmp_path):
    config = load_config(PRODUCTION_ENV, instance_path=tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PREFERRED_URL_SCHEME"] == "https"
    development = load_config({}, instance_path=tmp_path)
    assert development["SESSION_COOKIE_SECURE"] is False
    assert development["SESSION_COOKIE_HTTPONLY"] is True
    assert development["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.fixture
def production_app(app, monkeypatch, tmp_path):
    """The app as production builds it (settings from the environment), on the test database."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"]})


def _cookie_flags(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_sign_in_cookie_in_production(production_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = production_app.test_client()
    response = client.post("/login", base_url="https://training.example.com",
                           data={"email": "li.na@example.com", "password": PASSWORD})
    assert response.status_code == 302
    cookie = _cookie_flags(response)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_cookie_in_development(client, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    response = client.post("/login", data={"email": "li.na@example.com", "password": PASSWORD})
    cookie = _cookie_flags(response)
    assert "; HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def _pages(client, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    anonymous = {path: client.get(path) for path in ("/login", "/healthz", "/no-such-page")}
    client.post("/login", data={"email": "li.na@example.com", "password": PASSWORD})
    signed_in = {path: client.get(path) for path in ("/training", "/account/password")}
    return anonymous, signed_in


def _check_headers(response) -> None:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "'unsafe-inline'" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_headers_in_production_include_hsts(production_app, make_employee):
    client = production_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    anonymous, signed_in = _pages(client, make_employee)
    assert anonymous["/no-such-page"].status_code == 404
    for response in (*anonymous.values(), *signed_in.values()):
        _check_headers(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 31536000
    for response in signed_in.values():
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_headers_in_development_have_no_hsts(client, make_employee):
    anonymous, signed_in = _pages(client, make_employee)
    for response in (*anonymous.values(), *signed_in.values()):
        _check_headers(response)
        assert "Strict-Transport-Security" not in response.headers
    for response in signed_in.values():
        assert response.headers["Cache-Control"] == "no-store"

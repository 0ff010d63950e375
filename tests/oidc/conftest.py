"""A real OpenID Connect provider (panva/oidc-provider on Node) on loopback, and a driver
that signs in through its login and consent pages like a browser would."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.conftest import make_test_app

HERE = Path(__file__).parent
CALLBACK = "http://localhost/login/sso/callback"
SECRET = "guardrail-test-client-secret-0123456789"
CLIENTS = [
    {"client_id": "guardrail", "client_secret": SECRET, "redirect_uris": [CALLBACK],
     "post_logout_redirect_uris": ["http://localhost/login"]},
    {"client_id": "another-app", "client_secret": SECRET, "redirect_uris": [CALLBACK]},
]
ACCOUNTS = {
    "li": {"email": "Li.Na@Example.com", "email_verified": True, "name": "Li Na",
           "employee_number": "E100"},
    "ghost": {"email": "ghost@example.com", "name": "Nobody Here", "employee_number": "E999"},
    "newbie": {"email": "new.person@example.com", "name": "New Person",
               "employee_number": "E555"},
}


def _node_modules() -> None:
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed for the OpenID Connect tests (make test installs Node.js)"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                   capture_output=True, timeout=300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def provider():
    """The provider's issuer URL; the process lives for the test session."""
    _node_modules()
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "CLIENTS": json.dumps(CLIENTS),
           "ACCOUNTS": json.dumps(ACCOUNTS), "ID_TOKEN_TTL": "3600"}
    process = subprocess.Popen(["node", str(HERE / "provider.mjs")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().strip() == "ready", "the OIDC provider did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture
def sso_app(app, provider, tmp_path):
    """The app under test, configured for single sign-on with the provider."""
    return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, **sso_config(provider))


def sso_config(issuer: str, **overrides) -> dict:
    return {"LMS_OIDC_ISSUER": issuer, "LMS_OIDC_CLIENT_ID": "guardrail",
            "LMS_OIDC_CLIENT_SECRET": SECRET, "LMS_OIDC_SCOPES": "openid email profile",
            "LMS_OIDC_MATCH": "email", "LMS_OIDC_CLAIM": "email",
            "LMS_OIDC_CREATE_USERS": False, "LMS_OIDC_LABEL": "Example Corp account",
            "LMS_PASSWORD_SIGNIN": True, "LMS_BREAK_GLASS": [], **overrides}


def through_provider(authorize_url: str, account: str) -> str:
    """Follow the provider's pages as a browser: log in as ``account``, consent, and return
    the URL it sends the browser back to (our callback, with code and state)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(CALLBACK):
                return url
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        assert form, response.text[:500]
        action = urljoin(url, form.group(1))
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                 response.text))
        if 'name="login"' in response.text:
            fields.update(login=account, password="any")
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
        url = urljoin(action, response.headers["Location"])
        if url.startswith(CALLBACK):
            return url
    raise AssertionError("the provider did not send the browser back")


def token_for(issuer: str, account: str, client_id: str = "guardrail",
              nonce: str = "n-0") -> dict:
    """An ID token the provider really issued, through a whole code flow with PKCE."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()
                                         ).rstrip(b"=").decode()
    query = requests.Request("GET", f"{issuer}/auth", params={
        "client_id": client_id, "response_type": "code", "scope": "openid email profile",
        "redirect_uri": CALLBACK, "state": "s-0", "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256"}).prepare().url
    back = through_provider(query, account)
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = requests.post(f"{issuer}/token", auth=(client_id, SECRET), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier})
    response.raise_for_status()
    return response.json()

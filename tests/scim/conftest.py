from __future__ import annotations

import hashlib

import pytest

from tests.conftest import make_test_app

TOKEN = "scim-test-token-" + "x" * 32


@pytest.fixture
def scim_app(app, tmp_path):
    """The app with provisioning on (the token's hash configured)."""
    return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                         LMS_SCIM_TOKEN_HASH=hashlib.sha256(TOKEN.encode()).hexdigest())


@pytest.fixture
def scim(scim_app):
    """A test client that sends the bearer token and reads SCIM JSON."""
    client = scim_app.test_client()

    def call(method: str, path: str, body=None, token: str = TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(f"/scim/v2{path}", method=method, json=body, headers=headers)

    return call

"""Apps with the sign-in rate limits on (the suite's default app has them off), counting in
memory or in Redis under a key prefix of the test's own, removed afterwards."""

from __future__ import annotations

import os
import secrets

import pytest

from tests.conftest import make_test_app
from tests.oidc.conftest import provider, sso_config  # noqa: F401  (the provider fixture)

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip(f"no Redis at {REDIS_URL} (set LMS_TEST_REDIS_URL)")
    return client


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """Rate-limit settings for one storage: {"RATELIMIT_STORAGE_URI": ..., prefix}."""
    if request.param == "memory":
        yield {"RATELIMIT_STORAGE_URI": "memory://"}
        return
    client = _redis()
    prefix = f"guardrail-test-{secrets.token_hex(6)}"
    yield {"RATELIMIT_STORAGE_URI": REDIS_URL, "LMS_REDIS_URL": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": prefix}
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def limited_app(app, storage, tmp_path):
    """make(**overrides): an app on the test database with the sign-in limits on."""

    def make(**overrides):
        return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                             RATELIMIT_ENABLED=True, **{**storage, **overrides})

    return make

"""Sign-in attempts are limited per account and per address; a locked account says so without
telling whether it exists; only the sign-in POST (and the SSO start) is limited."""

from __future__ import annotations

import re

import pytest

from lms.config import ConfigError, load_config
from tests.conftest import PASSWORD

LOCKED = "Too many sign-in attempts"


def _sign_in(client, email, password="wrong password", address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_overrides={"REMOTE_ADDR": address})


def _body(response) -> str:
    """The page without its per-request CSRF tokens."""
    text = re.sub(r'name="csrf_token"[^>]*', "", response.text)
    return re.sub(r"\s+", " ", text)


def test_an_account_locks_after_five_failures_even_for_the_right_password(
        limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = limited_app().test_client()
    for _ in range(5):
        assert _sign_in(client, "li.na@example.com").status_code == 400
    locked = _sign_in(client, "li.na@example.com", PASSWORD)
    assert locked.status_code == 429
    assert LOCKED in locked.text and "wait 1 minute" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    # The e-mail typed is normalised: the same account however it is written.
    assert _sign_in(client, "  LI.NA@example.COM ", PASSWORD).status_code == 429
    # Another account from the same address is not locked, and the page still shows.
    make_employee("Wang Wei", email="wang.wei@example.com")
    assert _sign_in(client, "wang.wei@example.com", PASSWORD).status_code == 302
    assert limited_app().test_client().get("/login").status_code == 200


def test_unknown_and_real_accounts_lock_alike(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = limited_app().test_client()
    real = [_sign_in(client, "li.na@example.com") for _ in range(6)]
    unknown = [_sign_in(client, "nobody@example.com") for _ in range(6)]
    assert [r.status_code for r in real] == [r.status_code for r in unknown] == [400] * 5 + [429]
    assert _body(real[-1]) == _body(unknown[-1])
    # The same wait, give or take the seconds the second series took.
    waits = [int(r.headers["Retry-After"]) for r in (real[-1], unknown[-1])]
    assert abs(waits[0] - waits[1]) <= 15
    assert "li.na" not in real[-1].text and "nobody" not in unknown[-1].text


def test_the_hourly_account_limit_needs_minutes_of_waiting(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = limited_app(LMS_SIGNIN_LIMIT_ACCOUNT="3/hour").test_client()
    for _ in range(3):
        assert _sign_in(client, "li.na@example.com").status_code == 400
    locked = _sign_in(client, "li.na@example.com", PASSWORD)
    assert locked.status_code == 429
    minutes = int(re.search(r"wait (\d+) minutes", locked.text).group(1))
    assert 55 <= minutes <= 60


def test_an_address_locks_after_its_limit_whatever_the_accounts(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = limited_app(LMS_SIGNIN_LIMIT_ADDRESS="4/hour").test_client()
    for n in range(4):
        assert _sign_in(client, f"guess{n}@example.com").status_code == 400
    assert _sign_in(client, "li.na@example.com", PASSWORD).status_code == 429
    # Someone at another address is not affected.
    assert _sign_in(client, "li.na@example.com", PASSWORD, "10.0.0.2").status_code == 302


def test_successful_sign_ins_do_not_count(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    app = limited_app(LMS_SIGNIN_LIMIT_ADDRESS="3/hour")
    for _ in range(5):  # a busy office behind one address
        client = app.test_client()
        assert _sign_in(client, "li.na@example.com", PASSWORD).status_code == 302


def test_a_success_does_not_clear_earlier_failures(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    app = limited_app()
    for _ in range(4):
        assert _sign_in(app.test_client(), "li.na@example.com").status_code == 400
    assert _sign_in(app.test_client(), "li.na@example.com", PASSWORD).status_code == 302
    assert _sign_in(app.test_client(), "li.na@example.com").status_code == 400
    assert _sign_in(app.test_client(), "li.na@example.com", PASSWORD).status_code == 429


def test_only_sign_in_is_limited(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    app = limited_app(LMS_SIGNIN_LIMIT_ADDRESS="2/hour")
    client = app.test_client()
    for _ in range(3):
        _sign_in(client, "x@example.com")
    assert _sign_in(client, "li.na@example.com", PASSWORD).status_code == 429
    for _ in range(30):
        assert client.get("/login", environ_overrides={"REMOTE_ADDR": "10.0.0.1"}
                          ).status_code == 200
        assert client.get("/healthz", environ_overrides={"REMOTE_ADDR": "10.0.0.1"}
                          ).status_code == 200


def test_counts_are_shared_between_processes_through_redis(limited_app, storage,
                                                           make_employee):
    """Two apps (two web processes) on one Redis share the counts; in memory each counts
    alone."""
    make_employee("Li Na", email="li.na@example.com")
    first, second = limited_app().test_client(), limited_app().test_client()
    for n in range(5):
        assert _sign_in(first if n % 2 else second, "li.na@example.com").status_code == 400
    shared = "LMS_REDIS_URL" in storage
    expected = 429 if shared else 302
    assert _sign_in(first, "li.na@example.com", PASSWORD).status_code in (429, 302)
    assert _sign_in(second, "li.na@example.com", PASSWORD).status_code == expected


def test_the_suite_is_not_throttled_by_default(app, client, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    assert app.config["RATELIMIT_ENABLED"] is False
    for _ in range(7):  # more than the default 5/minute
        assert _sign_in(client, "li.na@example.com").status_code == 400
    login(client, "li.na@example.com")


def test_changing_the_password_is_limited_like_sign_in(limited_app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    client = limited_app().test_client()
    assert _sign_in(client, "li.na@example.com", PASSWORD).status_code == 302
    data = {"current_password": "a wrong guess", "new_password": "plum orchard kettle 7",
            "confirm": "plum orchard kettle 7"}
    for _ in range(5):
        assert client.post("/account/password", data=data).status_code == 400
    data["current_password"] = PASSWORD
    assert client.post("/account/password", data=data).status_code == 429


def test_sso_start_is_limited_per_address(limited_app, provider):
    from tests.oidc.conftest import sso_config

    client = limited_app(LMS_SSO_LIMIT_ADDRESS="3/minute", **sso_config(provider)).test_client()
    for _ in range(3):
        assert client.get("/login/sso").status_code == 302
    assert client.get("/login/sso").status_code == 429


@pytest.mark.parametrize("name,value", [
    ("LMS_SIGNIN_LIMIT_ACCOUNT", "many"), ("LMS_SIGNIN_LIMIT_ADDRESS", "5 per fortnight"),
    ("LMS_REDIS_URL", "127.0.0.1:6379"), ("LMS_PASSWORD_MIN_LENGTH", "6"),
])
def test_bad_settings_are_refused_by_name(name, value, tmp_path):
    with pytest.raises(ConfigError, match=name):
        load_config({name: value}, instance_path=tmp_path)


def test_settings_default_and_redis(tmp_path):
    config = load_config({}, instance_path=tmp_path)
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["LMS_SIGNIN_LIMIT_ACCOUNT"] == "5/minute;20/hour"
    assert config["LMS_SIGNIN_LIMIT_ADDRESS"] == "50/hour"
    assert config["LMS_PASSWORD_MIN_LENGTH"] == 12
    config = load_config({"LMS_REDIS_URL": "redis://127.0.0.1:6379/3"}, instance_path=tmp_path)
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_the_locked_page_has_every_security_header(limited_app, make_employee):
    from tests.auth.test_cookies_headers import _check_headers

    client = limited_app(LMS_ENV="production", LMS_SIGNIN_LIMIT_ACCOUNT="1/hour").test_client()
    _sign_in(client, "li.na@example.com")
    locked = _sign_in(client, "li.na@example.com")
    assert locked.status_code == 429
    _check_headers(locked)
    assert "Strict-Transport-Security" in locked.headers


def test_redis_down_falls_back_to_counting_in_memory(app, tmp_path, make_employee):
    from tests.conftest import make_test_app

    make_employee("Li Na", email="li.na@example.com")
    down = "redis://127.0.0.1:1/0"  # nothing listens there
    limited = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                            RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=down, LMS_REDIS_URL=down)
    client = limited.test_client()
    assert _sign_in(client, "wang.wei@example.com", PASSWORD).status_code == 400
    assert _sign_in(limited.test_client(), "li.na@example.com", PASSWORD).status_code == 302
    for _ in range(4):
        assert _sign_in(client, "wang.wei@example.com").status_code == 400
    assert _sign_in(client, "wang.wei@example.com").status_code == 429

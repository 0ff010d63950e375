import pytest

from lms.config import ConfigError, load_config


def test_defaults_use_sqlite_in_instance(tmp_path):
    config = load_config({}, instance_path=tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'guardrail.sqlite3'}"
    assert config["LMS_ENV"] == "development" and config["LMS_DEMO"] is False
    # The generated key is kept, so several local processes share it.
    assert load_config({}, instance_path=tmp_path)["SECRET_KEY"] == config["SECRET_KEY"]


def test_postgresql_url_gets_the_psycopg_driver(tmp_path):
    config = load_config({"LMS_DATABASE_URL": "postgresql://u@db/lms"}, instance_path=tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://u@db/lms")
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.parametrize(("env", "named"), [
    ({"LMS_ENV": "staging"}, "LMS_ENV"),
    ({"LMS_DATABASE_URL": "not a url"}, "LMS_DATABASE_URL"),
    ({"LMS_DATABASE_URL": "mysql://x@y/z"}, "LMS_DATABASE_URL"),
    ({"LMS_SESSION_HOURS": "twelve"}, "LMS_SESSION_HOURS"),
    ({"LMS_SESSION_HOURS": "0"}, "LMS_SESSION_HOURS"),
    ({"LMS_TIMEZONE": "Mars/Olympus"}, "LMS_TIMEZONE"),
    ({"LMS_DEMO": "maybe"}, "LMS_DEMO"),
    ({"LMS_BASE_URL": "ftp://x"}, "LMS_BASE_URL"),
    ({"LMS_ENV": "production", "LMS_BASE_URL": "https://lms.example.com"}, "LMS_SECRET_KEY"),
    ({"LMS_ENV": "production", "LMS_SECRET_KEY": "short",
      "LMS_BASE_URL": "https://lms.example.com"}, "LMS_SECRET_KEY"),
    ({"LMS_ENV": "production", "LMS_SECRET_KEY": "k" * 40}, "LMS_BASE_URL"),
])
def test_bad_settings_are_named(tmp_path, env, named):
    with pytest.raises(ConfigError, match=named):
        load_config(env, instance_path=tmp_path)


def test_demo_mode_refuses_production(tmp_path):
    env = {"LMS_ENV": "production", "LMS_DEMO": "1", "LMS_SECRET_KEY": "k" * 40,
           "LMS_BASE_URL": "https://lms.example.com"}
    with pytest.raises(ConfigError, match="demo mode"):
        load_config(env, instance_path=tmp_path)


def test_production_settings(tmp_path):
    env = {"LMS_ENV": "production", "LMS_SECRET_KEY": "k" * 40,
           "LMS_BASE_URL": "https://lms.example.com/", "LMS_DATABASE_URL": "postgresql://x@y/z"}
    config = load_config(env, instance_path=tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["LMS_BASE_URL"] == "https://lms.example.com"


@pytest.mark.parametrize(("env", "named"), [
    ({"LMS_OIDC_ISSUER": "idp.example.com"}, "LMS_OIDC_ISSUER"),
    ({"LMS_OIDC_ISSUER": "https://idp.example.com"}, "LMS_OIDC_CLIENT_ID"),
    ({"LMS_OIDC_MATCH": "name"}, "LMS_OIDC_MATCH"),
    ({"LMS_PASSWORD_SIGNIN": "off"}, "LMS_OIDC_ISSUER"),
    ({"LMS_PASSWORD_SIGNIN": "sometimes"}, "LMS_PASSWORD_SIGNIN"),
    ({"LMS_SCIM_TOKEN": "short"}, "LMS_SCIM_TOKEN"),
    ({"LMS_ENV": "production", "LMS_BASE_URL": "https://lms.example.com",
      "LMS_SECRET_KEY": "k" * 40, "LMS_OIDC_ISSUER": "http://idp.example.com",
      "LMS_OIDC_CLIENT_ID": "a", "LMS_OIDC_CLIENT_SECRET": "b"}, "https://"),
])
def test_identity_settings_are_checked(tmp_path, env, named):
    with pytest.raises(ConfigError, match=named):
        load_config(env, instance_path=tmp_path)


def test_identity_settings(tmp_path):
    config = load_config({
        "LMS_OIDC_ISSUER": "https://idp.example.com/", "LMS_OIDC_CLIENT_ID": "guardrail",
        "LMS_OIDC_CLIENT_SECRET": "s", "LMS_OIDC_MATCH": "employee_number",
        "LMS_PASSWORD_SIGNIN": "off", "LMS_BREAK_GLASS": "Root@Example.com, ops@example.com",
        "LMS_SCIM_TOKEN": "t" * 40}, instance_path=tmp_path)
    assert config["LMS_OIDC_ISSUER"] == "https://idp.example.com"
    assert config["LMS_OIDC_CLAIM"] == "employee_number"
    assert config["LMS_PASSWORD_SIGNIN"] is False
    assert config["LMS_BREAK_GLASS"] == ["root@example.com", "ops@example.com"]
    assert len(config["LMS_SCIM_TOKEN_HASH"]) == 64 and "t" * 40 not in str(config)

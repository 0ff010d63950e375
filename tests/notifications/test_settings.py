"""The LMS_SMTP_* and LMS_MAIL_FROM settings: defaults, and bad values named at start-up."""

import pytest

from lms.config import ConfigError, load_config


def test_defaults(tmp_path):
    config = load_config({}, instance_path=tmp_path)
    assert (config["LMS_SMTP_HOST"], config["LMS_SMTP_PORT"]) == ("localhost", 25)
    assert config["LMS_SMTP_STARTTLS"] is False and config["LMS_SMTP_USER"] == ""
    assert config["LMS_MAIL_FROM"] == "Guardrail <no-reply@localhost>"
    with_url = load_config({"LMS_BASE_URL": "https://lms.example.com"}, instance_path=tmp_path)
    assert with_url["LMS_MAIL_FROM"] == "Guardrail <no-reply@lms.example.com>"


def test_settings_are_read(tmp_path):
    env = {"LMS_SMTP_HOST": "mail.example.com", "LMS_SMTP_PORT": "587",
           "LMS_SMTP_USER": "lms", "LMS_SMTP_PASSWORD": "secret", "LMS_SMTP_STARTTLS": "yes",
           "LMS_MAIL_FROM": "Training <training@example.com>", "LMS_SMTP_TIMEOUT": "10"}
    config = load_config(env, instance_path=tmp_path)
    assert config["LMS_SMTP_HOST"] == "mail.example.com" and config["LMS_SMTP_PORT"] == 587
    assert config["LMS_SMTP_STARTTLS"] is True and config["LMS_SMTP_TIMEOUT"] == 10
    assert (config["LMS_SMTP_USER"], config["LMS_SMTP_PASSWORD"]) == ("lms", "secret")
    assert config["LMS_MAIL_FROM"] == "Training <training@example.com>"


PRODUCTION = {"LMS_ENV": "production", "LMS_SECRET_KEY": "k" * 40,
              "LMS_BASE_URL": "https://lms.example.com"}


@pytest.mark.parametrize(("env", "named"), [
    ({"LMS_SMTP_PORT": "smtp"}, "LMS_SMTP_PORT"),
    ({"LMS_SMTP_PORT": "0"}, "LMS_SMTP_PORT"),
    ({"LMS_SMTP_PORT": "70000"}, "LMS_SMTP_PORT"),
    ({"LMS_SMTP_HOST": "mail example.com"}, "LMS_SMTP_HOST"),
    ({"LMS_SMTP_STARTTLS": "sometimes"}, "LMS_SMTP_STARTTLS"),
    ({"LMS_SMTP_USER": "lms"}, "LMS_SMTP_PASSWORD"),
    ({"LMS_SMTP_PASSWORD": "secret"}, "LMS_SMTP_USER"),
    ({"LMS_SMTP_TIMEOUT": "0"}, "LMS_SMTP_TIMEOUT"),
    ({"LMS_MAIL_FROM": "training"}, "LMS_MAIL_FROM"),
    ({"LMS_MAIL_FROM": "a@example.com\r\nBcc: b@example.com"}, "LMS_MAIL_FROM"),
    ({**PRODUCTION, "LMS_SMTP_USER": "lms", "LMS_SMTP_PASSWORD": "secret"}, "LMS_SMTP_STARTTLS"),
])
def test_bad_settings_are_named(tmp_path, env, named):
    with pytest.raises(ConfigError, match=named):
        load_config(env, instance_path=tmp_path)

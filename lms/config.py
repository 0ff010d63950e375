"""Configuration from the environment, validated at start-up with messages that name the setting."""

from __future__ import annotations

import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENVIRONMENTS = ("development", "demo", "test", "production")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and says what to do."""


def _int(env: dict, name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), got {raw!r}")


def _secret_key(env: dict, lms_env: str, instance_path: Path) -> str:
    key = env.get("LMS_SECRET_KEY")
    if key:
        if lms_env == "production" and len(key) < 32:
            raise ConfigError("LMS_SECRET_KEY must be at least 32 characters in production")
        return key
    if lms_env == "production":
        raise ConfigError(
            "LMS_SECRET_KEY is not set; production needs a long random value shared by every "
            "web process (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    # Outside production, keep one generated key on disk so several local processes agree.
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _database_url(env: dict, instance_path: Path) -> str:
    raw = env.get("LMS_DATABASE_URL") or f"sqlite:///{instance_path / 'guardrail.sqlite3'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"LMS_DATABASE_URL is not a database URL: {raw!r} "
            "(expected e.g. postgresql+psycopg://user@host/db or sqlite:///path)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"LMS_DATABASE_URL must point to PostgreSQL or SQLite, got {url.get_backend_name()!r}"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        raw = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return raw


def _no_line_breaks(name: str, value: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise ConfigError(f"{name} must be one line (no line breaks)")
    return value


def _smtp(env: dict, lms_env: str, base_url: str) -> dict:
    """Outgoing mail: where the outbox worker sends, and the From address."""
    host = _no_line_breaks("LMS_SMTP_HOST", env.get("LMS_SMTP_HOST", "").strip() or "localhost")
    if any(ch.isspace() for ch in host) or "/" in host:
        raise ConfigError(f"LMS_SMTP_HOST must be a host name or address, got {host!r}")
    port = _int(env, "LMS_SMTP_PORT", 25, minimum=1)
    if port > 65535:
        raise ConfigError(f"LMS_SMTP_PORT must be at most 65535, got {port}")
    user = _no_line_breaks("LMS_SMTP_USER", env.get("LMS_SMTP_USER", ""))
    password = _no_line_breaks("LMS_SMTP_PASSWORD", env.get("LMS_SMTP_PASSWORD", ""))
    if bool(user) != bool(password):
        raise ConfigError("LMS_SMTP_USER and LMS_SMTP_PASSWORD must be set together (or neither)")
    starttls = _bool(env, "LMS_SMTP_STARTTLS", False)
    if user and not starttls and lms_env == "production":
        raise ConfigError(
            "LMS_SMTP_STARTTLS is off while LMS_SMTP_USER is set: production refuses to send the "
            "SMTP password unencrypted. Set LMS_SMTP_STARTTLS=1.")
    mail_from = _no_line_breaks("LMS_MAIL_FROM", env.get("LMS_MAIL_FROM", "").strip())
    if not mail_from:
        # By default, a no-reply address at the public host name.
        domain = urlsplit(base_url).hostname if base_url else None
        mail_from = f"Guardrail <no-reply@{domain or 'localhost'}>"
    _name, address = parseaddr(mail_from)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ConfigError(f"LMS_MAIL_FROM is not an e-mail address: {mail_from!r} "
                          "(expected e.g. Guardrail <training@example.com>)")
    return {
        "LMS_SMTP_HOST": host,
        "LMS_SMTP_PORT": port,
        "LMS_SMTP_USER": user,
        "LMS_SMTP_PASSWORD": password,
        "LMS_SMTP_STARTTLS": starttls,
        "LMS_SMTP_TIMEOUT": _int(env, "LMS_SMTP_TIMEOUT", 30, minimum=1),
        "LMS_MAIL_FROM": mail_from,
    }


def load_config(env: dict | None = None, instance_path: Path | None = None) -> dict:
    """Read every LMS_* setting, check it, and return a Flask config mapping."""
    env = dict(os.environ if env is None else env)
    instance_path = Path(env.get("LMS_INSTANCE_PATH") or instance_path or PROJECT_ROOT / "instance")
    lms_env = env.get("LMS_ENV", "development")
    if lms_env not in ENVIRONMENTS:
        raise ConfigError(f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {lms_env!r}")
    demo = _bool(env, "LMS_DEMO", False)
    if demo and lms_env == "production":
        raise ConfigError(
            "LMS_DEMO is on while LMS_ENV=production: demo mode (with its public demo logins) "
            "refuses to run in production. Unset LMS_DEMO."
        )
    tz_name = env.get("LMS_TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"LMS_TIMEZONE is not a known time zone: {tz_name!r}") from None
    base_url = env.get("LMS_BASE_URL", "").rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"LMS_BASE_URL must start with http:// or https://, got {base_url!r}")
    if lms_env == "production" and not base_url:
        raise ConfigError("LMS_BASE_URL is not set; production needs the public address")
    production = lms_env == "production"
    db_url = _database_url(env, instance_path)
    engine_options: dict = {"pool_pre_ping": True}
    if db_url.startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30}}
    return {
        "LMS_ENV": lms_env,
        "LMS_DEMO": demo,
        "LMS_TIMEZONE": tz_name,
        "LMS_BASE_URL": base_url,
        "LMS_INSTANCE_PATH": str(instance_path),
        "LMS_CACHE_DIR": env.get("LMS_CACHE_DIR") or str(instance_path / "cache"),
        "LMS_EXPORT_DIR": env.get("LMS_EXPORT_DIR") or str(instance_path / "exports"),
        "LMS_CONTENT_DIR": env.get("LMS_CONTENT_DIR") or str(PROJECT_ROOT / "courses" / "content"),
        "LMS_SESSION_HOURS": _int(env, "LMS_SESSION_HOURS", 12, minimum=1),
        "LMS_PDF_TIMEOUT": _int(env, "LMS_PDF_TIMEOUT", 20, minimum=1),
        "SECRET_KEY": _secret_key(env, lms_env, instance_path),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        **_smtp(env, lms_env, base_url),
        **_identity(env, production),
        **_sign_in_limits(env),
    }


def _identity(env: dict, production: bool) -> dict:
    """Single sign-on (OpenID Connect) and whether passwords may still be used."""
    issuer = env.get("LMS_OIDC_ISSUER", "").strip().rstrip("/")
    client_id = env.get("LMS_OIDC_CLIENT_ID", "").strip()
    secret = env.get("LMS_OIDC_CLIENT_SECRET", "").strip()
    if issuer:
        if not issuer.startswith(("https://", "http://")):
            raise ConfigError(f"LMS_OIDC_ISSUER must be the provider's URL, got {issuer!r}")
        if production and not issuer.startswith("https://"):
            raise ConfigError("LMS_OIDC_ISSUER must use https:// in production")
        if not client_id or not secret:
            raise ConfigError("LMS_OIDC_ISSUER is set: set LMS_OIDC_CLIENT_ID and "
                              "LMS_OIDC_CLIENT_SECRET too (from the provider's app registration)")
    match = env.get("LMS_OIDC_MATCH", "email").strip()
    if match not in ("email", "employee_number"):
        raise ConfigError(f"LMS_OIDC_MATCH must be email or employee_number, got {match!r}")
    signin = env.get("LMS_PASSWORD_SIGNIN", "on").strip().lower()
    if signin not in ("on", "off"):
        raise ConfigError(f"LMS_PASSWORD_SIGNIN must be on or off, got {signin!r}")
    if signin == "off" and not issuer:
        raise ConfigError("LMS_PASSWORD_SIGNIN=off needs single sign-on: set LMS_OIDC_ISSUER")
    break_glass = [e.strip().lower() for e in env.get("LMS_BREAK_GLASS", "").split(",")
                   if e.strip()]
    return {
        "LMS_OIDC_ISSUER": issuer,
        "LMS_OIDC_CLIENT_ID": client_id,
        "LMS_OIDC_CLIENT_SECRET": secret,
        "LMS_OIDC_SCOPES": env.get("LMS_OIDC_SCOPES", "openid email profile").strip(),
        "LMS_OIDC_MATCH": match,
        "LMS_OIDC_CLAIM": env.get("LMS_OIDC_CLAIM", "").strip() or match,
        "LMS_OIDC_CREATE_USERS": _bool(env, "LMS_OIDC_CREATE_USERS", False),
        "LMS_OIDC_LABEL": env.get("LMS_OIDC_LABEL", "").strip() or "company account",
        "LMS_PASSWORD_SIGNIN": signin == "on",
        "LMS_BREAK_GLASS": break_glass,
        "LMS_SCIM_TOKEN_HASH": _scim_token_hash(env),
    }


def _scim_token_hash(env: dict) -> str:
    """SHA-256 of the SCIM bearer token: the process keeps only the hash."""
    import hashlib

    token = env.get("LMS_SCIM_TOKEN", "").strip()
    if token and len(token) < 32:
        raise ConfigError("LMS_SCIM_TOKEN must be at least 32 characters (a random secret)")
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def _limit(env: dict, name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be rate limits like 5/minute;20/hour, got {value!r}"
                          ) from None
    return value


def _sign_in_limits(env: dict) -> dict:
    """Sign-in rate limits (Flask-Limiter), where the counts live, and the password policy."""
    redis_url = env.get("LMS_REDIS_URL", "").strip()
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"LMS_REDIS_URL must start with redis://, rediss:// or unix://, got "
                          f"{redis_url!r} (e.g. redis://127.0.0.1:6379/0)")
    return {
        "LMS_REDIS_URL": redis_url,
        # Counts in Redis are shared by every web process; in memory, each process counts alone.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": env.get("LMS_RATELIMIT_PREFIX", "").strip() or "guardrail",
        "RATELIMIT_STRATEGY": "moving-window",
        "LMS_SIGNIN_LIMIT_ACCOUNT": _limit(env, "LMS_SIGNIN_LIMIT_ACCOUNT", "5/minute;20/hour"),
        "LMS_SIGNIN_LIMIT_ADDRESS": _limit(env, "LMS_SIGNIN_LIMIT_ADDRESS", "50/hour"),
        "LMS_SSO_LIMIT_ADDRESS": _limit(env, "LMS_SSO_LIMIT_ADDRESS", "60/minute"),
        # The common-password list covers passwords of 10 characters and more.
        "LMS_PASSWORD_MIN_LENGTH": _int(env, "LMS_PASSWORD_MIN_LENGTH", 12, minimum=10),
    }

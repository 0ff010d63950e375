"""Flask extensions, created unbound and initialised in create_app()."""

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()


def client_address() -> str:
    """The address a request came from (behind a proxy, configure ProxyFix so this is the
    client's, not the proxy's)."""
    return request.remote_addr or "unknown"


def init_limiter(app: Flask) -> Limiter:
    """A rate limiter of this app's own, kept in ``app.extensions["lms_limiter"]``.

    Unlike the extensions above, not one shared instance: Flask-Limiter keeps its storage, its
    on/off switch and its key prefix on the instance, so several apps in one process (the test
    suite builds many) would overwrite each other's. No default limits: only the views that
    ask for one are limited (sign-in, see ``lms.auth.throttle``). Off under TESTING unless the
    test turns it on (``RATELIMIT_ENABLED=True``), so the suite's many sign-ins are not
    throttled."""
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    # If Redis is down, sign-in goes on with per-process counts rather than failing.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(key_func=client_address)
    limiter.init_app(app)
    app.extensions["lms_limiter"] = limiter
    return limiter

"""Browser-test fixtures: the app served over real HTTP in a background thread, and Chromium.

The live app is a second app object on the same database as the `app` fixture (so a test can
arrange data with factories and read the results with `db.session`); it has CSRF on, like
production. Teardown order: the server stops and its engine is disposed first, then the `app`
fixture empties the tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from lms.db import db
from tests.conftest import make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """The system Chromium (Playwright cannot download its own browsers here), headless unless
    --headed was given."""
    return {"headless": True, **browser_type_launch_args, "executable_path": CHROMIUM,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: tests use the live server's full URLs. (This also replaces
    pytest-playwright's fallback fixture, a method on a plugin class, which pytest 9 reports
    with a deprecation warning that `filterwarnings = error` turns into an error.)"""
    return None


@pytest.fixture
def live_server(app, migrated, tmp_path) -> Iterator[str]:
    """Serve a CSRF-protected app on 127.0.0.1 (a free port) and yield its base URL."""
    live_app = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with live_app.app_context():
            db.engine.dispose()

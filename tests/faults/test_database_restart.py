"""PostgreSQL restarted under load: while it is down every request gets the clean 503 page
(never a 500 or a traceback), and once it is back the same running app serves again, without a
restart (the pool's pre-ping drops the dead connections).

A real HTTP server (werkzeug, threaded, in this process) on a private PostgreSQL server that the
test stops with ``pg_ctl stop -m immediate`` (connections cut mid-query, like a crash) and starts
again. Runs whatever LMS_TEST_DB says: it brings its own database."""

from __future__ import annotations

import http.cookiejar
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from lms.auth.services import hash_password
from lms.db import db
from lms.people.models import Employee
from tests.conftest import PASSWORD, make_test_app
from tests.faults.private_postgres import PrivatePostgres, binaries

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(binaries() is None, reason="PostgreSQL binaries not installed")]

PAGES = ["/training", "/login"]  # a signed-in page and a public one; both read the database


@pytest.fixture
def server(tmp_path):
    postgres = PrivatePostgres()
    try:
        postgres.init()
        postgres.start()
        admin = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE guardrail"))
        admin.dispose()
        url = postgres.url.replace("/postgres?", "/guardrail?")
        app = make_test_app(url, tmp_path)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.session.add(Employee(employee_number="R1", full_name="Ruth Restart",
                                    email="ruth@example.com", hire_date=date(2024, 1, 1),
                                    password_hash=hash_password(PASSWORD)))
            db.session.commit()
            db.session.remove()
        http_server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=http_server.serve_forever, daemon=True)
        thread.start()
        try:
            yield postgres, f"http://127.0.0.1:{http_server.server_port}"
        finally:
            http_server.shutdown()
            thread.join(10)
            with app.app_context():
                db.engine.dispose()
    finally:
        postgres.destroy()


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar()))


def _get(opener, url: str) -> tuple[int, str]:
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_requests_during_an_outage_get_503_and_the_app_recovers_by_itself(server):
    postgres, base = server
    opener = _opener()
    body = urllib.parse.urlencode({"email": "ruth@example.com", "password": PASSWORD}).encode()
    with opener.open(f"{base}/login", data=body, timeout=30) as response:
        assert response.status == 200 and response.url.endswith("/training"), response.url
    assert _get(opener, f"{base}/training")[0] == 200

    # (sent, answered, page, status, text): a request is judged by when it was sent, since one
    # sent before the stop may have read everything it needed and still be rendering, and by
    # when it was answered, since the server may be up before pg_ctl start returns.
    results: list[tuple[float, float, str, int, str]] = []
    stop = threading.Event()

    def hammer(page: str) -> None:
        while not stop.is_set():
            sent = time.monotonic()
            status, text = _get(opener, f"{base}{page}")
            results.append((sent, time.monotonic(), page, status, text))
            time.sleep(0.01)

    workers = [threading.Thread(target=hammer, args=(page,)) for page in PAGES * 3]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.5)
        postgres.stop("immediate")  # cuts the connections of requests in flight
        down_at = time.monotonic()
        time.sleep(2)
        # Down for certain until here: pg_ctl start returns only after polling the server
        # ready, so requests may already succeed a little before ``up_at``.
        starting_at = time.monotonic()
        postgres.start()
        up_at = time.monotonic()
        # Back by itself: the same app, a new connection once the pool has dropped the dead ones.
        deadline = time.monotonic() + 30
        while not any(at > up_at and status == 200 for _s, at, _p, status, _t in results):
            assert time.monotonic() < deadline, "the app did not recover after the restart"
            time.sleep(0.1)
        time.sleep(1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)

    statuses = {status for _s, _at, _page, status, _text in results}
    assert statuses <= {200, 503}, statuses  # never a 500, whatever was cut mid-query
    during = [(page, status, text) for sent, at, page, status, text in results
              if down_at < sent and at < starting_at]
    assert during, "no request ran while the database was down"
    for page, status, text in during:
        assert status == 503, (page, status, text[:300])
    for text in (t for _s, _a, _p, s, t in results if s == 503):
        assert "briefly unavailable" in text and "Traceback" not in text
    # After the first success everything succeeds: no lingering dead connection in the pool.
    first_ok = min(at for _s, at, _p, status, _t in results if at > up_at and status == 200)
    late = [(page, status) for _s, at, page, status, _t in results if at > first_ok + 0.5]
    assert late and all(status == 200 for _page, status in late), late
    # And a signed-in page still knows the person: the session survived the outage.
    status, text = _get(opener, f"{base}/training")
    assert status == 200 and "Ruth Restart" in text

"""Run a real ``flask --app lms ...`` command in a child process, stop it right after a chosen
SQL statement (a listener in the child's own script: no hook in ``lms/``), then SIGKILL it.
The technique of tests/compliance/test_sync_killed.py, for any command."""

from __future__ import annotations

import os
import select as os_select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from lms.config import PROJECT_ROOT
from lms.db import db

APPLICATION_NAME = "killed-child"

CHILD = """
import json, os, sys, time
from flask.cli import main
from sqlalchemy import event
from sqlalchemy.engine import Engine

prefix, nth = os.environ["KILL_AFTER"], int(os.environ["KILL_AFTER_NTH"])
seen = 0

@event.listens_for(Engine, "after_cursor_execute")
def wait_to_be_killed(conn, cursor, statement, parameters, context, executemany):
    global seen
    if statement.startswith(prefix):
        seen += 1
        if seen == nth:
            print("paused", flush=True)
            time.sleep(300)

sys.argv = ["flask", "--app", "lms", *json.loads(os.environ["KILL_COMMAND"])]
main()
"""


def child_env(database_url: str, tmp_path: Path, **extra: str) -> dict:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": APPLICATION_NAME})
    return {**os.environ, "LMS_DATABASE_URL": url.render_as_string(hide_password=False),
            "LMS_INSTANCE_PATH": str(tmp_path), "LMS_SECRET_KEY": "x" * 40, "LMS_ENV": "test",
            "PYTHONPATH": str(PROJECT_ROOT), **extra}


def kill_after(command: list[str], statement: str, nth: int, database_url: str,
               tmp_path: Path, *, while_paused: Callable[[], None] | None = None,
               **extra: str) -> int:
    """Run ``command``, stop it after the ``nth`` statement starting with ``statement``, call
    ``while_paused`` (to look at the database while the child holds its transaction open), kill
    it and wait until the database has let go of it. Returns the child's pid."""
    import json

    log = tmp_path / "child.log"
    env = child_env(database_url, tmp_path, KILL_AFTER=statement, KILL_AFTER_NTH=str(nth),
                    KILL_COMMAND=json.dumps(command), **extra)
    with log.open("w") as stderr:
        child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=PROJECT_ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        ready, _, _ = os_select.select([child.stdout], [], [], 120)
        line = child.stdout.readline() if ready else ""
        if line.strip() != "paused":
            child.kill()
            child.wait(30)
            raise AssertionError(f"the child never reached the kill point:\n{line}"
                                 f"{child.stdout.read()}\n{log.read_text()}")
        if while_paused is not None:
            while_paused()
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stdout.close()
    _wait_for_the_server_to_drop_the_child()
    return child.pid


def _wait_for_the_server_to_drop_the_child() -> None:
    db.session.rollback()
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's locks go with the process; its WAL ignores uncommitted pages
    deadline = time.monotonic() + 10
    while db.session.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :name"),
            {"name": APPLICATION_NAME}):
        db.session.rollback()
        assert time.monotonic() < deadline, "PostgreSQL kept the killed client's session"
        time.sleep(0.05)
    db.session.rollback()


def run_command(command: list[str], database_url: str,
                tmp_path: Path) -> subprocess.CompletedProcess:
    """The same command, to completion, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "lms", *command],
                          cwd=PROJECT_ROOT, env=child_env(database_url, tmp_path),
                          capture_output=True, text=True, timeout=300)

"""A throwaway database for the benchmarks that need data: created empty on the server the
benchmarks are pointed at, given the app's schema, served by an app of its own, dropped at the
end. Nothing ever touches the database the app itself uses."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from lms.db import db

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Tables the data benchmarks write to; vacuumed after a rolled-back run so that the dead rows
# of one run do not slow the next (PostgreSQL keeps them until VACUUM).
WRITTEN = ("assignments", "assignment_events", "requirement_members", "outbox_messages")


def server_url(option: str | None) -> str:
    """The server to make the scratch database on: the option, LMS_DATABASE_URL, or the local
    PostgreSQL. ``sqlite`` (or any SQLite URL) means a scratch file instead."""
    raw = option or os.environ.get("LMS_DATABASE_URL") or DEFAULT_SERVER
    url = sa.engine.make_url("sqlite://" if raw == "sqlite" else raw)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on ``server``; dropped (or deleted) afterwards."""
    if server.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="guardrail_bench_") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    name = f"guardrail_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.engine.make_url(server).set(database=name).render_as_string(
                hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def scratch_app(url: str, cache_dir: str | None = None) -> Flask:
    """An app like the current one (its LMS_* settings) on the scratch database, with the
    schema the models declare. create_all rather than the migrations: the schema is the same
    (the test suite checks that) and it is built in a fraction of the time. ``cache_dir``: a
    PDF cache of its own, so the benchmarks never empty or fill the app's."""
    from lms import create_app

    config = {key: value for key, value in current_app.config.items()
              if key.startswith("LMS_") or key in ("SECRET_KEY", "TESTING")}
    config.update(
        # Runs are undone by rolling back: SQLite must be in a transaction from the first
        # statement, which the tests' twin app turns off.
        LMS_SQLITE_BEGIN_IMMEDIATE=True,
        SQLALCHEMY_DATABASE_URI=url,
        **({"LMS_CACHE_DIR": cache_dir} if cache_dir else {}),
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30}}
        if url.startswith("sqlite") else {"pool_pre_ping": True})
    app = create_app(config)
    with app.app_context():
        db.metadata.create_all(db.engine)
    return app


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a live system."""
    if is_postgresql():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def rollback() -> None:
    """Undo a run, and on PostgreSQL vacuum the rows it left dead."""
    db.session.rollback()
    if is_postgresql():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM {', '.join(WRITTEN)}")


def twin_app() -> Flask:
    """A second app on the current one's database and settings, for test clients: a request
    to the app whose context is pushed would share its ``g`` (and with it the signed-in
    user) with the benchmark code and with the other clients."""
    from lms import create_app

    config = {key: value for key, value in current_app.config.items()
              if key.startswith(("LMS_", "SQLALCHEMY_")) or key in ("SECRET_KEY", "TESTING")}
    return create_app(config)

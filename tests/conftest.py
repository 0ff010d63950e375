"""Fixtures: a real database (SQLite, or a throwaway PostgreSQL database with
LMS_TEST_DB=postgresql), migrated with Alembic once per run and emptied after every test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lms import create_app
from lms.auth.services import hash_password
from lms.db import db
from lms.people.models import Department, Employee, Location, RoleGrant

SHARED = Path(__file__).resolve().parents[2] / "shared"
PG_ADMIN_URL = os.environ.get("LMS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKEND = os.environ.get("LMS_TEST_DB", "sqlite")
PASSWORD = "correct horse battery staple"
_password_hash = hash_password(PASSWORD)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of its own for this test run, dropped at the end."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"guardrail_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_test_app(database_url: str, tmp: Path, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "LMS_ENV": "test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 30}}
        if database_url.startswith("sqlite") else {"pool_pre_ping": True},
        "LMS_INSTANCE_PATH": str(tmp / "instance"),
        "LMS_CACHE_DIR": str(tmp / "cache"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """Run every migration once: the schema under test is the one Alembic builds."""
    from flask_migrate import upgrade

    app = make_test_app(database_url, tmp_path_factory.mktemp("migrate"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_database() -> None:
    from lms.audit.models import APPEND_ONLY_DDL

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The audit log refuses DELETE (a trigger); TRUNCATE on PostgreSQL bypasses it.
            ddl = APPEND_ONLY_DDL["sqlite"]
            for statement in ddl["drop"]:
                conn.execute(sa.text(statement))
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))
            for statement in ddl["create"]:
                conn.execute(sa.text(statement))


@pytest.fixture
def app(migrated, tmp_path) -> Iterator[Flask]:
    """The app under test. Test code runs inside an app context of a twin app on the same
    database, so that each request through ``client`` gets a fresh context of its own (its own
    ``g`` and session), exactly as in production, instead of reusing the test's."""
    app = make_test_app(migrated, tmp_path)
    # Test code only reads between requests (and commits what it writes at once), so it does
    # not take SQLite's write lock early; a request never waits for the test's own snapshot.
    # On SQLite this leaves the test's session in the driver's autocommit mode (no BEGIN), so a
    # rollback in test code undoes nothing. Deliberately: a real SQLite transaction keeps the
    # snapshot of its first read (PostgreSQL's READ COMMITTED sees each new commit), so a test
    # reading, then making a request, then reading again would see stale rows, and writing
    # after a request's commit fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT).
    # Tried with a plain BEGIN: 15 of 77 tests in tests/manager and tests/evidence broke so.
    twin = make_test_app(migrated, tmp_path, LMS_SQLITE_BEGIN_IMMEDIATE=False)
    with twin.app_context():
        yield app
        db.session.remove()
        _empty_database()
        db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def catalog(app) -> dict:
    """The shipped course catalog, synced: {slug: Course}."""
    from courses.models import Course
    from lms.catalog.services import sync_catalog
    from lms.demo.data import ORG_SETTINGS
    from lms.org.services import set_org_settings

    set_org_settings(ORG_SETTINGS)
    report = sync_catalog(Path(app.config["LMS_CONTENT_DIR"]))
    assert not report.failed, report.failed
    db.session.commit()
    courses = {c.slug: c for c in db.session.scalars(sa.select(Course))}
    # End the read transaction: on SQLite the live server would otherwise wait for it.
    db.session.commit()
    return courses


@pytest.fixture
def make_employee(app):
    counter = iter(range(1, 100000))

    def make(full_name: str = "Test Person", email: str | None = None, manager=None,
             roles: tuple[str, ...] = (), active: bool = True, **fields) -> Employee:
        number = next(counter)
        dept = db.session.scalar(sa.select(Department).where(Department.name == "Sales"))
        if dept is None:
            dept = Department(name="Sales")
            loc = Location(name="Hangzhou", timezone="Asia/Shanghai")
            db.session.add_all([dept, loc])
        loc = db.session.scalar(sa.select(Location).where(Location.name == "Hangzhou"))
        employee = Employee(
            employee_number=fields.pop("employee_number", f"T{number:05d}"),
            full_name=full_name, email=(email or f"person{number}@example.com").lower(),
            password_hash=_password_hash, department=dept, location=loc, manager=manager,
            hire_date=fields.pop("hire_date", date(2024, 1, 15)), active=active, **fields,
        )
        db.session.add(employee)
        db.session.flush()
        for role in roles:
            db.session.add(RoleGrant(employee_id=employee.id, role=role))
        db.session.commit()
        return employee

    return make


@pytest.fixture
def login():
    def do_login(client: FlaskClient, email: str, password: str = PASSWORD):
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.text[:500]
        return response

    return do_login


@pytest.fixture
def make_assignment(app):
    from lms.compliance.services import assign

    def make(employee: Employee, course, cycle: str = "2026", due_on: date = date(2026, 12, 31),
             assigned_on: date = date(2026, 1, 1)):
        assignment = assign(employee.id, course.id, cycle, assigned_on, due_on)
        db.session.commit()
        return assignment

    return make

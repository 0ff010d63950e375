"""How a request's transaction ends: a request that wrote nothing commits, so that psycopg
keeps the statements it prepared on that connection; anything else ends with the rollback it
always had, and loses what it did not commit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Response
from sqlalchemy import select, text, update

from lms.db import commit_if_read_only, db
from lms.people.models import Employee
from tests.conftest import BACKEND

QUERY = "SELECT count(*) FROM employees WHERE id > :above"


def _routes(app) -> None:
    def read():
        db.session.execute(text(QUERY), {"above": 0}).scalar()
        prepared = db.session.execute(text(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE "
            "'SELECT count(*) FROM employees WHERE id > $1%'")).scalar()
        return {"prepared": prepared}

    def write():
        db.session.execute(update(Employee).values(full_name="Written, never committed"))
        return "ok"

    def pending():
        person = db.session.scalar(select(Employee))
        person.full_name = "Changed, never flushed"
        db.session.add(Employee(employee_number="P1", full_name="Pending Person",
                                email="pending@example.com"))
        return "ok"

    def fails():
        db.session.execute(update(Employee).values(full_name="Written, then failed"))
        raise RuntimeError("the view failed after writing")

    def streamed():
        person = db.session.scalar(select(Employee))

        def body():  # runs once the view has returned and the session has ended
            yield "name: "
            yield person.full_name

        return Response(body())

    for view in (read, write, pending, fails, streamed):
        app.add_url_rule(f"/_transaction/{view.__name__}", view.__name__, view)


@pytest.fixture
def person(make_employee):
    return make_employee("Tess Transaction", email="tess@example.com")


def _names() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Employee.full_name)))


def test_what_a_request_did_not_commit_is_lost(app, person):
    _routes(app)
    client = app.test_client()
    assert client.get("/_transaction/write").status_code == 200
    assert client.get("/_transaction/pending").status_code == 200
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/_transaction/fails").status_code == 500
    assert _names() == ["Tess Transaction"]


def test_a_streamed_response_still_reads_what_the_view_loaded(app, person):
    _routes(app)
    assert app.test_client().get("/_transaction/streamed").text == "name: Tess Transaction"


@pytest.mark.skipif(BACKEND != "postgresql", reason="psycopg's prepared statements")
def test_read_only_requests_keep_their_prepared_statements(app, person):
    """psycopg prepares a statement on its sixth run on a connection, and forgets them all on
    ROLLBACK: requests that ended in a rollback never got there."""
    _routes(app)
    client = app.test_client()
    seen = [client.get("/_transaction/read").get_json()["prepared"] for _ in range(8)]
    assert seen[:5] == [0] * 5
    assert seen[-1] == 1


@pytest.mark.skipif(BACKEND != "postgresql", reason="on SQLite it never commits (and the test "
                    "code's session does not open transactions there, see conftest)")
def test_only_a_transaction_that_wrote_nothing_commits(app, person):
    db.session.execute(text(QUERY), {"above": 0})
    assert commit_if_read_only(db.session()) is True
    db.session.execute(update(Employee).values(full_name="Written"))
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    db.session.scalar(select(Employee)).full_name = "Changed"
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    assert commit_if_read_only(db.session()) is False  # no transaction at all
    assert _names() == ["Tess Transaction"]


@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL setting")
def test_report_pages_plan_each_statement_for_its_values(app, person):
    """The HR, report and dashboard pages (and the rollup's grouping) set it for their
    transaction; the everyday pages keep PostgreSQL's choice of a generic plan."""
    from lms.dashboard.services import set_work_mem
    from lms.db import plan_each_statement

    for blueprint in ("hr", "reports", "dashboard"):
        assert plan_each_statement in app.before_request_funcs[blueprint]
    assert plan_each_statement not in app.before_request_funcs.get("manager", [])

    def mode() -> str:
        return db.session.execute(text("SHOW plan_cache_mode")).scalar()

    assert mode() == "auto"
    plan_each_statement()
    assert mode() == "force_custom_plan"
    db.session.rollback()
    assert mode() == "auto"  # SET LOCAL: this transaction only
    set_work_mem()
    assert mode() == "force_custom_plan"
    db.session.rollback()


@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL setting")
def test_scheduled_jobs_plan_each_statement_for_their_values(app, monkeypatch):
    from lms.scheduler import registry
    from lms.scheduler.runner import run_job

    seen = []
    job = replace(registry.get("dashboard-figures"), fn=lambda now: seen.append(
        db.session.execute(text("SHOW plan_cache_mode")).scalar()) or {})
    monkeypatch.setattr(registry, "get", lambda job_id: job)
    outcome = run_job(job.id)
    assert outcome["error"] is None and seen == ["force_custom_plan"]

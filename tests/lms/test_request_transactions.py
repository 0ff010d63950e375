"""How a request's transaction ends. On PostgreSQL a request that wrote nothing commits, so
that psycopg keeps the statements it prepared on that connection; anything else, and every
request on SQLite, ends with the rollback it always had and loses what it did not commit.
The report pages and the scheduled jobs plan each statement for its own values."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Response
from sqlalchemy import event, select, text, update

from lms.db import commit_if_read_only, db, plan_each_statement
from lms.people.models import Employee
from tests.conftest import BACKEND

POSTGRES = BACKEND == "postgresql"
QUERY = "SELECT count(*) FROM employees WHERE id > :above"


def _routes(app) -> None:
    def read():
        db.session.execute(text(QUERY), {"above": 0}).scalar()
        if not POSTGRES:
            return {"prepared": None}
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


def _endings(app) -> list[str]:
    """How each transaction on the app's engine ends, in order: "commit" or "rollback"."""
    endings: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda conn: endings.append("commit"))
    event.listen(engine, "rollback", lambda conn: endings.append("rollback"))
    return endings


def _statements(engine) -> list[str]:
    executed: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: executed.append(statement))
    return executed


@pytest.fixture
def person(make_employee):
    return make_employee("Tess Transaction", email="tess@example.com")


def _names() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Employee.full_name)))


def test_what_a_request_did_not_commit_is_lost(app, person):
    _routes(app)
    endings = _endings(app)
    client = app.test_client()
    assert client.get("/_transaction/write").status_code == 200
    assert client.get("/_transaction/pending").status_code == 200
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/_transaction/fails").status_code == 500
    assert endings == ["rollback"] * 3
    assert _names() == ["Tess Transaction"]


def test_a_read_only_request_commits_and_keeps_its_prepared_statements(app, person):
    """psycopg prepares a statement on its sixth run on a connection, and forgets them all on
    ROLLBACK: requests that ended in a rollback never got there. SQLite keeps its rollback."""
    _routes(app)
    endings = _endings(app)
    client = app.test_client()
    seen = [client.get("/_transaction/read").get_json()["prepared"] for _ in range(8)]
    if POSTGRES:
        assert endings == ["commit"] * 8
        assert seen[:5] == [0] * 5 and seen[-1] == 1
    else:
        assert endings == ["rollback"] * 8
        assert seen == [None] * 8


def test_a_streamed_response_still_reads_what_the_view_loaded(app, person):
    _routes(app)
    assert app.test_client().get("/_transaction/streamed").text == "name: Tess Transaction"


def test_only_a_transaction_that_wrote_nothing_commits(app, person):
    db.session.execute(text(QUERY), {"above": 0})
    if not POSTGRES:
        # And the test code's session opens no transaction there (see conftest), so the
        # writes below would not be undone: the requests above show SQLite's rollback.
        assert commit_if_read_only(db.session()) is False
        return
    assert commit_if_read_only(db.session()) is True
    db.session.execute(update(Employee).values(full_name="Written"))
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    db.session.scalar(select(Employee)).full_name = "Changed"
    assert commit_if_read_only(db.session()) is False
    db.session.rollback()
    assert commit_if_read_only(db.session()) is False  # no transaction at all
    assert _names() == ["Tess Transaction"]


def test_report_pages_plan_each_statement_for_its_values(app, person):
    """The HR, report and dashboard pages set it for their transaction (the rollup's job
    through the runner, below); the everyday pages keep PostgreSQL's choice of a generic
    plan. SQLite has no such setting: nothing is sent."""
    from lms.dashboard.services import WORK_MEM, set_work_mem

    for blueprint in ("hr", "reports", "dashboard"):
        assert plan_each_statement in app.before_request_funcs[blueprint]
    assert plan_each_statement not in app.before_request_funcs.get("manager", [])
    if not POSTGRES:
        executed = _statements(db.engine)
        plan_each_statement()
        set_work_mem()
        assert executed == []
        return

    def mode() -> str:
        return db.session.execute(text("SHOW plan_cache_mode")).scalar()

    assert mode() == "auto"
    plan_each_statement()
    assert mode() == "force_custom_plan"
    db.session.rollback()
    assert mode() == "auto"  # SET LOCAL: this transaction only
    set_work_mem()  # its callers plan each statement already (blueprint hook, job runner)
    assert mode() == "auto"
    assert db.session.execute(text("SHOW work_mem")).scalar() == WORK_MEM
    db.session.rollback()


def test_scheduled_jobs_plan_each_statement_for_their_values(app, monkeypatch):
    from lms.scheduler import registry, runner

    calls = []
    monkeypatch.setattr(runner, "plan_each_statement",
                        lambda: calls.append("planned") or plan_each_statement())

    def body(now):
        calls.append(db.session.execute(text("SHOW plan_cache_mode")).scalar()
                     if POSTGRES else "job")
        return {}

    job = replace(registry.get("dashboard-figures"), fn=body)
    monkeypatch.setattr(registry, "get", lambda job_id: job)
    outcome = runner.run_job(job.id)
    assert outcome["error"] is None
    assert calls == ["planned", "force_custom_plan" if POSTGRES else "job"]

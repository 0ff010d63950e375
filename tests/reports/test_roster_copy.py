"""The roster CSV written by PostgreSQL (COPY) is byte for byte the Python writer's: attack
payloads and naughty strings in every text column, empty strings, completions either side of
midnight in the company's zone, versions, scores and certificates, with and without the
byte-order mark, in the same chunks; through the service, the download and the CLI. On SQLite
the service is the Python writer itself, so the same comparisons hold trivially."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select, text, update

from courses.models import Course
from lms.clock import today
from lms.compliance.models import Assignment
from lms.db import db
from lms.reports import roster
from lms.reports.roster import RosterFilters, header, roster_csv_chunks, roster_rows
from lms.reports.spreadsheet import csv_chunks
from tests.compliance.conftest import finish
from tests.reports.roster_helpers import (
    add_people,
    csv_rows,
    injection_payloads,
    naughty_strings,
)


def python_chunks(filters: RosterFilters, day: date, bom: bool = False) -> list[bytes]:
    """The reference: the Python CSV writer over ``roster_rows``."""
    return [chunk.encode("utf-8")
            for chunk in csv_chunks(header(), roster_rows(filters, day), bom=bom)]


def service_chunks(filters: RosterFilters, day: date, bom: bool = False) -> list[bytes]:
    """``roster_csv_chunks``; on PostgreSQL it must not fall back to the Python writer."""
    with pytest.MonkeyPatch.context() as patch:
        if db.engine.dialect.name == "postgresql":
            def no_python(*args, **kwargs):
                raise AssertionError("the Python writer was used on PostgreSQL")

            patch.setattr(roster, "roster_rows", no_python)
        try:
            return list(roster_csv_chunks(filters, day, bom=bom))
        finally:
            db.session.rollback()


@pytest.fixture
def adversarial(app, make_employee, make_assignment, catalog):
    """About 1,300 rows: every CSV-injection and XSS payload as a name, department,
    location and (through the previous person) manager, in a cycle that itself starts like a
    formula; every naughty string as a name; empty department and location names; people
    who completed courses (version, score, certificate) just before and just after midnight
    in Shanghai; one overdue."""
    payloads = injection_payloads()
    add_people([{"full_name": p[:300], "department": p[:200], "location": p[:200],
                 "manager_index": n - 1 if n else None, "employee_number": f"P{n:05d}"}
                for n, p in enumerate(payloads)], _course("payloads"), cycle="-2026")
    add_people([{"full_name": s, "employee_number": f"N{n:05d}"}
                for n, s in enumerate(naughty_strings())], _course("naughty"), cycle="2026")
    add_people([{"full_name": "Nobody's, \"quoted\"", "department": "", "location": "",
                 "employee_number": "=E1"}], _course("empty"), cycle="@1")
    lead = make_employee("=Lead", employee_number="M002")
    dev = make_employee("+Dev\r\nline", manager=lead, employee_number="M003")
    coc, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    done = [make_assignment(lead, coc), make_assignment(dev, coc),
            make_assignment(lead, harassment)]
    for assignment, score in zip(done, (90, 0, 100), strict=True):
        finish(assignment, score)
    # 23:59:59 and 00:00:00 in Shanghai (UTC+8): the completion dates differ by a day.
    for assignment, moment in zip(done, (datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC),
                                         datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC),
                                         datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),
                                  strict=True):
        db.session.execute(update(Assignment).where(Assignment.id == assignment.id)
                           .values(completed_at=moment))
    make_assignment(dev, harassment, due_on=today() - timedelta(days=3))
    db.session.commit()
    return {"lead": lead, "coc": coc}


def _course(slug: str) -> Course:
    course = Course(slug=slug)
    db.session.add(course)
    db.session.commit()
    return course


def test_copy_writes_the_python_writers_bytes(adversarial):
    day = today()
    expected = python_chunks(RosterFilters(), day)
    assert len(expected) == 2  # 1,300 rows: a chunk of 1,000 and the rest
    text = b"".join(expected).decode("utf-8")
    assert "'-2026" in text and "'=Lead" in text and '"\'+Dev\r\nline"' in text
    assert ',2026-03-01,90,' in text and ',2026-03-02,0,' in text
    assert service_chunks(RosterFilters(), day) == expected
    marked = python_chunks(RosterFilters(), day, bom=True)
    assert marked[0].startswith(b"\xef\xbb\xbf")
    assert service_chunks(RosterFilters(), day, bom=True) == marked


def test_dates_when_the_session_does_not_write_iso_dates(adversarial):
    """With another DateStyle, COPY would write 21/11/2026: the dates go through to_char."""
    day = today()
    expected = python_chunks(RosterFilters(), day)
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL datestyle = 'SQL, DMY'"))
        assert db.session.scalar(text("SELECT DATE '2026-11-21'::text")) == "21/11/2026"
    assert service_chunks(RosterFilters(), day) == expected


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata", "UTC"])
def test_completion_dates_in_the_companys_zone(adversarial, monkeypatch, zone):
    monkeypatch.setitem(current_app.config, "LMS_TIMEZONE", zone)
    filters = RosterFilters(employee_id=adversarial["lead"].id)
    expected = python_chunks(filters, today())
    assert service_chunks(filters, today()) == expected


def test_copy_with_every_kind_of_filter(adversarial):
    day = today()
    coc_id = adversarial["coc"].id
    cases = [
        RosterFilters(statuses=("overdue", "completed")),
        RosterFilters(cycle="-2026"),
        RosterFilters(cycle="it's; DROP TABLE employees; --"),
        RosterFilters(course_id=coc_id, completed_from=date(2026, 3, 2),
                      completed_to=date(2026, 3, 2)),
        RosterFilters(manager_id=adversarial["lead"].id),
        RosterFilters(manager_id=adversarial["lead"].id, direct_only=True,
                      due_from=date(2000, 1, 1), due_to=date(9999, 12, 31)),
        RosterFilters(include_inactive=False, statuses=("assigned",)),
    ]
    for filters in cases:
        expected = python_chunks(filters, day)
        assert service_chunks(filters, day) == expected, filters
    assert db.session.scalar(select(db.func.count()).select_from(Assignment)) > 1000


def test_the_download_and_the_cli_write_the_same_bytes(adversarial, app, runner, tmp_path,
                                                        make_employee, login):
    expected = b"".join(python_chunks(RosterFilters(), today(), bom=True))
    db.session.rollback()
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), employee_number="HR01")
    client = app.test_client()
    login(client, "hr@example.com")
    assert client.get("/hr/roster.csv?bom=1").data == expected
    out = tmp_path / "roster.csv"
    result = runner.invoke(args=["roster", "export", "--format", "csv", "--out", str(out),
                                 "--bom"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected
    rows = len(csv_rows(expected)) - 1
    assert result.stdout == f"Wrote {rows:,} rows to {out}.\n"


def test_a_download_cut_short_leaves_the_server_usable(adversarial, app, make_employee, login):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), employee_number="HR01")
    client = app.test_client()
    login(client, "hr@example.com")
    response = client.get("/hr/roster.csv", buffered=False)
    first = next(iter(response.response))
    assert first.startswith(b"Employee number,")
    response.close()  # the COPY is cancelled mid-stream
    again = client.get("/hr/roster.csv")
    assert again.status_code == 200
    assert again.data.startswith(first)

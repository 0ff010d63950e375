"""The listings: what they return, every filter, cursor paging, and refusing bad input with a
400 in JSON (never a 500, never more rows)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certificates.models import Certificate
from lms.api.params import encode_cursor
from lms.clock import today
from lms.db import db, utcnow
from lms.reports.roster import COLUMNS, RosterFilters, roster_rows
from tests.conftest import SHARED

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _ids(response, key="id") -> list:
    assert response.status_code == 200, response.text[:500]
    return [row[key] for row in response.json["data"]]


def test_assignments_carry_the_person_the_course_and_the_outcome(api, secret, records):
    response = api("/assignments", secret)
    assert response.status_code == 200 and response.is_json
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["next_cursor"] is None
    rows = {row["id"]: row for row in body["data"]}
    assert list(rows) == sorted(rows) and len(rows) == 5
    done = rows[records["done"].id]
    assert done["status"] == "completed" and done["score"] == 90
    assert done["course"] == "self-defense-basics" and done["employee_number"] == "E101"
    assert ISO_UTC.match(done["completed_at"]) and done["completed_on"] == today().isoformat()
    assert done["certificate_code"] and done["version"].startswith("v1 (")
    assert done["manager"] == "Boss Person" and done["department"] == "Sales"
    late = rows[records["late"].id]
    assert late["status"] == "overdue" and late["completed_at"] is None
    assert late["due_on"] == (today() - timedelta(days=10)).isoformat()
    assert late["assigned_on"] == records["late"].assigned_on.isoformat()


FILTER_CASES = [
    ({"status": "overdue"}, ["late"]),
    ({"status": ["overdue", "completed"]}, ["done", "late"]),
    ({"status": "assigned"}, ["open", "other", "leaver"]),
    ({"course": "self-defense-basics"}, ["done"]),
    ({"course": "no-such-course"}, []),
    ({"cycle": "2025"}, ["other"]),
    ({"employee_number": "E101"}, ["done", "open"]),
    ({"employee_number": "E999"}, []),
    ({"department": "Operations"}, ["other"]),
    ({"location": "Paris"}, ["other"]),
    ({"location": "Atlantis"}, []),
    ({"manager": "E100"}, ["done", "late", "open"]),
    ({"manager": "E101"}, []),
    ({"active_only": "true"}, ["done", "late", "open", "other"]),
    ({"active_only": "false"}, ["done", "late", "open", "other", "leaver"]),
    ({"due_to": "today-1"}, ["late"]),
    ({"due_from": "today+30", "due_to": "today+60"}, ["done", "open"]),
    ({"completed_from": "today", "completed_to": "today"}, ["done"]),
    ({"completed_to": "today-1"}, []),
    ({"due_from": "0001-01-01", "due_to": "9999-12-31"},
     ["done", "late", "open", "other", "leaver"]),
    ({"completed_from": "0001-01-01", "completed_to": "9999-12-31"}, ["done"]),
]


def test_assignment_filters(api, secret, records):
    """Each filter on its own (one setup for all: the catalog takes seconds to sync)."""

    def resolve(value):
        if isinstance(value, str) and value.startswith("today"):
            offset = int(value[5:] or 0)
            return (today() + timedelta(days=offset)).isoformat()
        return value

    for query, expected in FILTER_CASES:
        query = {key: resolve(value) for key, value in query.items()}
        want = sorted(records[name].id for name in expected)
        assert _ids(api("/assignments", secret, **query)) == want, query
        # The roster and completions take the same filters.
        assert _ids(api("/roster", secret, **query), "assignment_id") == want, query
        completed = sorted(records[name].id for name in expected if name == "done")
        assert _ids(api("/completions", secret, **query), "assignment_id") == completed, query


def test_completions_hold_the_time_score_and_certificate(api, secret, records):
    body = api("/completions", secret).json
    (row,) = body["data"]
    certificate = db.session.scalar(sa.select(Certificate))
    assert row["assignment_id"] == records["done"].id
    assert row["certificate_code"] == certificate.code and row["score"] == 90
    assert ISO_UTC.match(row["completed_at"]) and row["course"] == "self-defense-basics"


def test_the_roster_rows_are_the_roster_exports_rows(api, secret, records):
    """Same query, same values: the API roster agrees with roster_rows() cell for cell."""
    body = api("/roster", secret, limit=2).json
    rows = body["data"]
    while body["next_cursor"]:
        body = api("/roster", secret, limit=2, cursor=body["next_cursor"]).json
        rows += body["data"]
    keys = [key for key, _ in COLUMNS]
    assert all(list(row) == sorted([*keys, "assignment_id"]) for row in rows)
    exported = {(row[0], row[6], row[8]): row for row in roster_rows(RosterFilters(), today())}
    assert len(rows) == len(exported) == 5
    for row in rows:
        expected = exported[(row["employee_number"], row["course"], row["cycle"])]
        for key, value in zip(keys, expected, strict=True):
            assert row[key] == (value.isoformat() if hasattr(value, "isoformat") else value), key


def test_certificates_with_status_and_filters(api, secret, records):
    certificate = db.session.scalar(sa.select(Certificate))
    (row,) = api("/certificates", secret).json["data"]
    assert row["code"] == certificate.code and row["holder"] == "Ana Lima"
    assert row["employee_number"] == "E101" and row["course"] == "self-defense-basics"
    assert row["status"] == "valid" and row["completed_on"] == today().isoformat()
    assert ISO_UTC.match(row["issued_at"]) and row["revoked_at"] is None
    day = today().isoformat()
    for query, count in (({"employee_number": "E101"}, 1), ({"employee_number": "E102"}, 0),
                         ({"course": "self-defense-basics"}, 1), ({"course": "nope"}, 0),
                         ({"issued_from": day, "issued_to": day}, 1),
                         ({"issued_to": (today() - timedelta(days=1)).isoformat()}, 0),
                         ({"issued_from": "0001-01-01", "issued_to": "9999-12-31"}, 1),
                         ({"status": "valid"}, 1), ({"status": ["expired", "revoked"]}, 0)):
        assert len(api("/certificates", secret, **query).json["data"]) == count, query
    certificate.revoked_at = utcnow()
    db.session.commit()
    (row,) = api("/certificates", secret, status="revoked").json["data"]
    assert row["status"] == "revoked" and ISO_UTC.match(row["revoked_at"])


@pytest.mark.parametrize("path", ["/assignments", "/roster", "/completions"])
def test_cursor_paging_sees_every_row_once_while_rows_are_added(
        api, secret, make_employee, make_assignment, catalog, path):
    from tests.compliance.conftest import finish

    courses = [catalog["code-of-conduct"], catalog["self-defense-basics"]]
    key = "id" if path == "/assignments" else "assignment_id"
    people = [make_employee(f"Person {n}") for n in range(12)]
    before = []
    for n, person in enumerate(people):
        for course in courses:
            assignment = make_assignment(person, course, cycle=str(2020 + n % 3))
            if path == "/completions" and n % 2 == 0:
                finish(assignment)
            before.append(assignment.id)
    seen, added, pages = [], [], 0
    body = api(path, secret, limit=5).json
    while True:
        pages += 1
        seen += [row[key] for row in body["data"]]
        assert len(body["data"]) <= 5
        # Someone is assigned something while the client pages.
        newcomer = make_employee(f"Newcomer {pages}")
        fresh = make_assignment(newcomer, courses[pages % 2])
        if path == "/completions":
            finish(fresh)
        added.append(fresh.id)
        if body["next_cursor"] is None:
            break
        body = api(path, secret, limit=5, cursor=body["next_cursor"]).json
    assert len(seen) == len(set(seen)), "a row came twice"
    assert seen == sorted(seen)
    expected = [i for i in before if path != "/completions" or i in _completed_ids()]
    assert set(expected) <= set(seen), "a row that existed before the walk was missed"
    assert set(seen) <= set(before) | set(added)
    assert pages > 2


def _completed_ids() -> set[int]:
    from lms.compliance.models import Assignment

    return set(db.session.scalars(sa.select(Assignment.id)
                                  .where(Assignment.completed_at.is_not(None))))


def test_a_full_page_with_nothing_after_it_ends_the_walk(api, secret, records):
    body = api("/assignments", secret, limit=5).json
    assert len(body["data"]) == 5 and body["next_cursor"] is None
    body = api("/assignments", secret, limit=4).json
    assert len(body["data"]) == 4 and body["next_cursor"]
    rest = api("/assignments", secret, limit=4, cursor=body["next_cursor"]).json
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_PARAMETERS = [
    ("/assignments", {"due_from": "2026-13-01"}),
    ("/assignments", {"due_to": "yesterday"}),
    ("/assignments", {"completed_from": "2026-1-1"}),
    ("/assignments", {"completed_to": "20260101"}),
    ("/assignments", {"due_from": "2026-02-30"}),
    ("/certificates", {"issued_from": "2026-W01-1"}),
    ("/assignments", {"cursor": "!!!"}),
    ("/assignments", {"cursor": "bm90IGpzb24"}),
    ("/assignments", {"cursor": _b64('{"k":"assignments","id":"1"}')}),
    ("/assignments", {"cursor": _b64('{"k":"assignments","id":-1}')}),
    ("/assignments", {"cursor": _b64('{"k":"assignments","id":true}')}),
    ("/assignments", {"cursor": _b64('{"k":"assignments","id":99999999999999999999999}')}),
    ("/assignments", {"cursor": _b64("[1]")}),
    ("/assignments", {"cursor": encode_cursor("certificates", 1)}),
    ("/certificates", {"cursor": encode_cursor("assignments", 1)}),
    ("/assignments", {"cursor": ["a", "b"]}),
    ("/assignments", {"limit": "0"}),
    ("/assignments", {"limit": "1001"}),
    ("/assignments", {"limit": "-1"}),
    ("/assignments", {"limit": "ten"}),
    ("/assignments", {"limit": "1.5"}),
    ("/assignments", {"limit": ""}),
    ("/roster", {"limit": "99999999999999999999"}),
    ("/assignments", {"status": "late"}),
    ("/certificates", {"status": "overdue"}),
    ("/assignments", {"statuses": "overdue"}),
    ("/completions", {"page": "2"}),
    ("/assignments", {"course": ""}),
    ("/assignments", {"course": "x" * 101}),
    ("/assignments", {"cycle": "c" * 33}),
    ("/assignments", {"employee_number": "E1\x00"}),
    ("/roster", {"department": "Sales\nHR"}),
    ("/assignments", {"cycle": ["2025", "2026"]}),
    ("/assignments", {"active_only": "yes"}),
    ("/roster", {"direct_only": "1"}),
]


def test_bad_parameters_are_400_in_json(api, secret):
    for path, query in BAD_PARAMETERS:
        response = api(path, secret, **query)
        assert response.status_code == 400, (path, query, response.text[:300])
        assert response.is_json
        error = response.json["error"]
        assert error["code"] == "bad_parameter" and error["message"], (path, query)


def test_a_bad_parameter_without_a_token_is_still_401(api):
    assert api("/assignments", None, limit="zero").status_code == 401


def test_unknown_paths_and_methods_answer_in_json(client, secret):
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/v1/nothing-here", headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    response = client.post("/api/v1/assignments", headers=headers)
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    # The rest of the site keeps its HTML error pages.
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def _sqli_payloads() -> list[str]:
    payloads = []
    for path in sorted((SHARED / "corpora" / "sqli").glob("*.txt")):
        payloads += [line for line in path.read_text(errors="replace").splitlines() if line]
    return payloads


def test_sql_injection_in_filters_is_400_or_nothing(api, secret, records):
    """Every payload once, in an (endpoint, filter) pair taken in turn: a 400 or an empty page;
    never a 500, never rows. (Values are bound parameters; this checks nothing is ever pasted
    into SQL.) ``cycle`` reaches the main roster query; the names go through look-ups."""
    payloads = _sqli_payloads()
    assert len(payloads) > 300
    filters = {"/assignments": ("cycle", "course", "employee_number", "department", "location",
                                "manager", "status", "due_from", "completed_to", "cursor"),
               "/roster": ("cycle", "employee_number", "department", "manager"),
               "/completions": ("cycle", "course", "status"),
               "/certificates": ("employee_number", "course", "status", "issued_from",
                                 "cursor")}
    pairs = [(path, name) for path, names in filters.items() for name in names]
    outcomes = {200: 0, 400: 0}
    for n, payload in enumerate(payloads):
        path, name = pairs[n % len(pairs)]
        response = api(path, secret, **{name: payload})
        assert response.status_code in (200, 400), (path, name, payload)
        assert response.is_json
        if response.status_code == 200:
            assert response.json["data"] == [], (path, name, payload)
        outcomes[response.status_code] += 1
    assert outcomes[200] > 100 and outcomes[400] > 100

"""Every SQL-injection payload and a spread of XSS payloads in every search, filter and sign-in
field a person can type into: no error page, no row that the filter should have excluded, and
whatever is echoed back into the form is text (no element, handler or script URL of its own)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest

from lms.audit.services import record
from lms.db import db
from tests.conftest import PASSWORD
from tests.security.conftest import SQLI, XSS, assert_inert, dom, sample

SECRET = "Zed Secretperson"
ERROR_MARKERS = ("Traceback", "Internal Server Error", "database is locked", "syntax error",
                 "OperationalError", "ProgrammingError", "psycopg", "sqlite3")

# endpoint -> the parameters its filter form sends (and that a person can edit in the URL)
FILTERS = {
    "/hr/overdue": ("manager", "course", "department", "location", "min_days", "sort", "page"),
    "/hr/roster": ("course", "department", "location", "cycle", "manager", "direct", "status",
                   "due_from", "due_to", "completed_from", "completed_to", "page"),
    "/hr/classes": ("course", "from", "to", "page"),
    "/admin/audit": ("action", "actor", "target_type", "target_id", "from", "to", "page"),
    "/team": ("course", "status", "department", "location", "direct", "page"),
    "/hr/esg": ("cycle", "course", "department", "location", "year"),
    "/hr/dashboard": ("cycle", "course", "department", "location"),
    "/hr/dashboard/departments": ("cycle", "course"),
}
# Attributes a template sets when a filter value happens to match a choice ("1" is a payload).
STATE_ATTRIBUTES = {"selected", "checked", "aria-current", "aria-invalid", "aria-describedby"}
# Where a payload in every field must leave nobody in the result (it names no one).
EXCLUDES_ALL = {"/hr/overdue", "/hr/roster", "/admin/audit"}


@pytest.fixture
def world(client, make_employee, make_assignment, catalog, login):
    """An admin (also HR) who manages one overdue person; that person's name is the marker
    for rows a filter should have excluded."""
    boss = make_employee("Hana Boss", email="boss@example.com", roles=("hr", "admin"))
    secret = make_employee(SECRET, email="zed@example.com", manager=boss)
    make_assignment(secret, catalog["code-of-conduct"], due_on=date(2025, 1, 31),
                    assigned_on=date(2025, 1, 1))
    record("sign_in", actor=secret, detail={"method": "password"})
    db.session.commit()
    login(client, "boss@example.com")
    baselines = {}
    for path, params in FILTERS.items():
        plain = client.get(path)
        assert plain.status_code == 200, (path, plain.status_code)
        harmless = client.get(f"{path}?{urlencode(dict.fromkeys(params, 'harmless'))}")
        assert harmless.status_code in (200, 400), path
        union = dom(plain.text)
        other = dom(harmless.text)
        union.tags |= other.tags
        union.attributes |= other.attributes | STATE_ATTRIBUTES
        baselines[path] = (union, plain.text.count("<tr"))
    return baselines


def _check_page(response, where: str) -> str:
    assert response.status_code in (200, 400), (where, response.status_code)
    body = response.text
    for marker in ERROR_MARKERS:
        assert marker not in body, (where, marker)
    return body


def _query(path: str, payload: str) -> str:
    return f"{path}?{urlencode(dict.fromkeys(FILTERS[path], payload))}"


def test_every_sqli_payload_reaches_the_text_filters_as_a_value(app, world, monkeypatch):
    """The whole corpus, through the services behind each text filter (set-based SQL, no
    page render, so every payload fits the time budget): nothing matches, nothing fails."""
    from werkzeug.datastructures import MultiDict

    import lms.auth.services as auth
    from certificates.services import find_by_code
    from lms.audit.services import AuditFilters, audit_page
    from lms.clock import today
    from lms.hr.services import OverdueFilters, manager_by_number, overdue
    from lms.reports.filters import parse_roster_args
    from lms.reports.roster import roster_count

    # The password is never in SQL; the e-mail is. A cheap check instead of the slow hash.
    monkeypatch.setattr(auth, "verify_password",
                        lambda employee, password: employee is not None and password == PASSWORD)
    everyone = roster_count(parse_roster_args(MultiDict()).filters, today())
    assert everyone == 1
    with app.test_request_context():
        for payload in SQLI:
            manager = manager_by_number(payload)
            assert manager is None, payload
            _rows, total = overdue(today(), OverdueFilters(manager_id=-1))
            assert total == 0
            parsed = parse_roster_args(MultiDict({"cycle": payload, "manager": payload}))
            assert roster_count(parsed.filters, today()) in (0, everyone), payload
            if not parsed.errors:
                assert roster_count(parsed.filters, today()) == 0, payload
            _, found = audit_page(AuditFilters(actor=payload, target_type=payload[:32],
                                               target_id=payload[:64]), 1, 50)
            assert found == 0, payload
            assert find_by_code(payload) is None, payload
            assert auth.authenticate(payload, PASSWORD) is None, payload
            assert auth.authenticate("zed@example.com", payload) is None, payload
            db.session.rollback()


def test_sqli_in_every_filter_page(client, world):
    """A spread of the corpus through every filter page: a value, never an error or extra row."""
    for path in sorted(FILTERS):
        baseline, rows = world[path]
        for payload in sample(SQLI, 12):
            where = (path, payload)
            body = _check_page(client.get(_query(path, payload)), where)
            if path in EXCLUDES_ALL and payload.lower() not in SECRET.lower():
                assert SECRET not in body, where
            # No filter value ever widens a result beyond the unfiltered page.
            assert body.count("<tr") <= rows, where
            assert_inert(body, where, baseline)
    for path in sorted(FILTERS):
        baseline, _ = world[path]
        for payload in sample(XSS, 12):
            body = _check_page(client.get(_query(path, payload)), (path, payload))
            assert_inert(body, (path, payload), baseline)
    # The certificate check is public: its code box and the "not found" page echo the code.
    client.post("/logout")
    baseline = dom(client.get("/verify/NOTACODE").text)
    baseline.tags |= dom(client.get("/verify").text).tags
    for payload in [*sample(SQLI, 20), *sample(XSS, 30)]:
        response = client.get(f"/verify?{urlencode({'code': payload})}")
        assert response.status_code == 302, payload
        page = client.get(response.location)
        assert page.status_code == 404, (payload, page.status_code)
        body = _check_page_404(page, payload)
        assert_inert(body, payload, baseline)


def _check_page_404(response, where) -> str:
    body = response.text
    for marker in ERROR_MARKERS:
        assert marker not in body, (where, marker)
    return body


def test_sign_in_fields_refuse_every_payload(client, world):
    client.post("/logout")
    baseline = dom(client.post("/login", data={"email": "x@example.com",
                                               "password": "wrong"}).text)
    for payload in [*sample(SQLI, 5), *sample(XSS, 5)]:
        for form in ({"email": payload, "password": payload},
                     {"email": "zed@example.com", "password": payload},
                     {"email": payload, "password": PASSWORD}):
            response = client.post("/login", data=form)
            assert response.status_code in (200, 400), (form, response.status_code)
            body = _check_page(response, form)
            assert_inert(body, form, baseline)
    # Nobody got in: every page still asks to sign in.
    assert client.get("/training").status_code == 302


def test_failed_sign_ins_are_text_in_the_audit_log(client, world, login):
    """The e-mail typed at a failed sign-in is stored and shown to admins: as text."""
    client.post("/logout")
    words = sample(XSS, 8)
    for payload in words:
        client.post("/login", data={"email": payload, "password": "wrong password"})
    login(client, "boss@example.com")
    baseline, _ = world["/admin/audit"]
    body = client.get("/admin/audit?action=sign_in_failed").text
    assert_inert(body, "audit log", baseline)
    export = client.get("/admin/audit/export.csv?action=sign_in_failed").get_data(as_text=True)
    for line in export.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), cell

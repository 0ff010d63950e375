"""Sensitive actions land in the audit log, and admins can browse and export it."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.clock import today as company_today
from lms.db import db
from tests.conftest import PASSWORD


def actions() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(e.action, e.actor) for e in db.session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_sign_in_out_and_failures_are_logged(client, make_employee):
    make_employee("Li Na", email="li@example.com")
    client.post("/login", data={"email": "li@example.com", "password": "wrong"})
    client.post("/login", data={"email": "nobody@example.com", "password": "x"})
    client.post("/login", data={"email": "li@example.com", "password": PASSWORD})
    client.post("/logout")
    assert actions() == [("sign_in_failed", "anonymous"), ("sign_in_failed", "anonymous"),
                         ("sign_in", "Li Na <li@example.com>"),
                         ("sign_out", "Li Na <li@example.com>")]
    failed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action ==
                                                           "sign_in_failed"))
    assert failed.detail["email"] == "li@example.com" and failed.ip == "127.0.0.1"
    assert "wrong" not in str(failed.detail)  # never the password


def test_hr_actions_are_logged(client, login, make_employee, make_assignment, catalog):
    make_employee("Hr Person", email="hr@example.com", roles=("hr",))
    person = make_employee("P")
    assignment = make_assignment(person, catalog["code-of-conduct"])
    login(client, "hr@example.com")
    client.post(f"/hr/assignments/{assignment.id}/waive",
                data={"until": "2027-06-30", "reason": "Seconded"})
    assert client.post(f"/hr/assignments/{assignment.id}/waive",
                       data={"until": "2027-06-30", "reason": "Seconded abroad"}
                       ).status_code == 302
    client.post(f"/hr/people/{person.id}/leave",
                data={"starts_on": "2026-02-01", "reason": "medical"})
    kinds = [a for a, _ in actions()]
    assert kinds.count("waiver") == 2 and kinds.count("leave") == 1
    leave = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "leave"))
    assert "medical" not in str(leave.detail)  # the reason stays on the leave record


def test_roles_from_the_command_line_are_logged(runner, make_employee):
    make_employee("Ad Min", email="ad@example.com")
    assert runner.invoke(args=["roles", "grant", "ad@example.com", "admin"]).exit_code == 0
    assert "already held" in runner.invoke(args=["roles", "grant", "ad@example.com",
                                                 "admin"]).output
    assert "admin    ad@example.com" in runner.invoke(args=["roles", "list"]).output
    assert runner.invoke(args=["roles", "revoke", "ad@example.com", "admin"]).exit_code == 0
    assert runner.invoke(args=["roles", "grant", "no@example.com", "hr"]).exit_code == 2
    assert actions() == [("role_granted", "system (cli: roles)"),
                         ("role_revoked", "system (cli: roles)")]


def test_admins_browse_filter_and_export(client, login, make_employee):
    make_employee("Admin", email="admin@example.com", roles=("admin",))
    record("export", actor_text="=cmd|' /C calc'!A0", detail={"rows": 1})
    record("import", actor_text="<script>alert(1)</script>", detail={"file": "<b>x</b>"})
    db.session.commit()
    login(client, "admin@example.com")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    only = client.get("/admin/audit?action=import").get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in only and "calc" not in only
    assert client.get("/admin/audit?from=yesterday").status_code == 400
    # The filter's days are the company's (Shanghai): after 16:00 UTC its today is tomorrow.
    assert "1 entry" in client.get(f"/admin/audit?actor=script&to={company_today()}").get_data(
        as_text=True)
    response = client.get("/admin/audit/export.csv?action=export")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["At (UTC)", "Actor", "Action"]
    assert "'=cmd|' /C calc'!A0" in [row[1] for row in rows[1:]]  # neutralised
    # the export itself is logged
    assert ("export", "Admin <admin@example.com>") in actions()

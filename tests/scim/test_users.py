"""Provisioning people over SCIM with the import's rules: filters, paging, PATCH, leavers,
manager loops, and bad payloads answered with clear SCIM errors and nothing changed."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from lms.auth.models import AuthSession
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Employee
from lms.scheduler.runner import run_job
from lms.scim.schemas import ENTERPRISE, ERROR, PATCH, USER


def user(number: str, email: str, name: str = "Li Na", **extra) -> dict:
    return {"schemas": [USER, ENTERPRISE], "userName": number, "displayName": name,
            "active": True, "emails": [{"value": email, "primary": True}], **extra}


def patch(*operations) -> dict:
    return {"schemas": [PATCH], "Operations": list(operations)}


def people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Employee))


def test_a_token_is_required_and_provisioning_can_be_off(scim, client):
    assert scim("GET", "/Users", token=None).status_code == 401
    wrong = scim("GET", "/Users", token="x" * 40)
    assert wrong.status_code == 401 and wrong.json["schemas"] == [ERROR]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/scim/v2/Users").status_code == 404  # no token configured: off


def test_create_read_filter_and_page(scim):
    boss = scim("POST", "/Users", user("E1", "Boss@Example.com", "Boss",
                                       **{ENTERPRISE: {"department": "Legal"}}))
    assert boss.status_code == 201 and boss.headers["Location"].endswith(
        f"/Users/{boss.json['id']}")
    assert boss.json["emails"] == [{"value": "boss@example.com"}]
    for i in range(2, 6):
        created = scim("POST", "/Users", user(f"E{i}", f"p{i}@example.com", f"P {i}", **{
            ENTERPRISE: {"manager": {"value": boss.json["id"]}}, "externalId": f"ext-{i}"}))
        assert created.status_code == 201, created.json
    found = scim("GET", '/Users?filter=userName eq "e3"').json
    assert found["totalResults"] == 1 and found["Resources"][0]["externalId"] == "ext-3"
    assert scim("GET", '/Users?filter=emails.value eq "P4@EXAMPLE.COM"').json[
        "totalResults"] == 1
    assert scim("GET", '/Users?filter=externalId eq "EXT-3"').json["totalResults"] == 0
    both = scim("GET", '/Users?filter=displayName sw "P" and active eq true').json
    assert both["totalResults"] == 4
    page = scim("GET", "/Users?startIndex=2&count=2").json
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["E2", "E3"]
    only = scim("GET", "/Users?attributes=userName&count=1").json["Resources"][0]
    assert set(only) == {"id", "schemas", "userName"}
    bad = scim("GET", '/Users?filter=userName gt "x"')
    assert bad.status_code == 400 and bad.json["scimType"] == "invalidFilter"
    assert scim("GET", "/Users?filter=userName eq \"x\" or 1=1").status_code == 400


def test_patch_deactivates_a_leaver_and_the_sync_closes_their_training(
        scim, make_assignment, catalog):
    created = scim("POST", "/Users", user("E7", "leaver@example.com")).json
    person = db.session.get(Employee, int(created["id"]))
    make_assignment(person, catalog["code-of-conduct"], due_on=date(2099, 1, 1))
    db.session.add(AuthSession(token_hash="h" * 64, employee_id=person.id,
                               created_at=person.created_at, last_seen_at=person.created_at,
                               expires_at=person.created_at.replace(year=2099)))
    db.session.commit()
    response = scim("PATCH", f"/Users/{person.id}",
                    patch({"op": "Replace", "path": "active", "value": False}))
    assert response.status_code == 200 and response.json["active"] is False
    db.session.expire_all()
    assert db.session.get(Employee, person.id).active is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(
        AuthSession.revoked_at.is_(None))) == 0  # every session ended
    assert run_job("assignment-sync-requested")["counts"]["closed"] == 1
    assert db.session.scalar(sa.select(Assignment.status)) == "closed"  # kept, closed


def test_azure_style_patch_without_a_path(scim):
    boss = scim("POST", "/Users", user("B1", "b1@example.com", "Boss")).json
    person = scim("POST", "/Users", user("P1", "p1@example.com")).json
    response = scim("PATCH", f"/Users/{person['id']}", patch({"op": "replace", "value": {
        "displayName": "Li Na (Legal)", "title": "Counsel",
        f"{ENTERPRISE}:department": "Legal",
        f"{ENTERPRISE}:manager": boss["id"]}}))
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Counsel"
    assert response.json[ENTERPRISE] == {"department": "Legal", "manager": {
        "value": boss["id"], "$ref": f"http://localhost/scim/v2/Users/{boss['id']}"}}
    removed = scim("PATCH", f"/Users/{person['id']}", patch(
        {"op": "remove", "path": f"{ENTERPRISE}:manager"}))
    assert "manager" not in removed.json.get(ENTERPRISE, {})


def test_a_manager_loop_is_refused_and_nothing_changes(scim):
    a = scim("POST", "/Users", user("A", "a@example.com", "A")).json
    b = scim("POST", "/Users", user("B", "b@example.com", "B",
                                    **{ENTERPRISE: {"manager": {"value": a["id"]}}})).json
    loop = scim("PATCH", f"/Users/{a['id']}", patch(
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": b["id"]}}))
    assert loop.status_code == 400 and "loop" in loop.json["detail"]
    itself = scim("PUT", f"/Users/{a['id']}", user(
        "A", "a@example.com", "A", **{ENTERPRISE: {"manager": {"value": a["id"]}}}))
    assert itself.status_code == 400
    db.session.expire_all()
    assert db.session.get(Employee, int(a["id"])).manager_id is None


def test_bad_payloads_get_scim_errors_and_change_nothing(scim):
    scim("POST", "/Users", user("E1", "one@example.com"))
    before = people()
    cases = [
        ("POST", "/Users", user("E1", "other@example.com"), 409, "uniqueness"),
        ("POST", "/Users", user("E2", "one@example.com"), 409, "uniqueness"),
        ("POST", "/Users", user("E3", "not-an-address"), 400, "invalidValue"),
        ("POST", "/Users", {"userName": "E4"}, 400, "invalidValue"),
        ("POST", "/Users", user("E5" * 40, "five@example.com"), 400, "invalidValue"),
        ("POST", "/Users", user("E6", "six@example.com", active="yes"), 400, "invalidValue"),
        ("POST", "/Users", user("E7", "seven@example.com",
                                **{ENTERPRISE: {"manager": {"value": "999999"}}}),
         400, "invalidValue"),
        ("PATCH", "/Users/1", {"Operations": []}, 400, "invalidSyntax"),
        ("PATCH", "/Users/1", patch({"op": "explode", "path": "title"}), 400, "invalidSyntax"),
    ]
    for method, path, body, status, kind in cases:
        response = scim(method, path, body)
        assert (response.status_code, response.json.get("scimType")) == (status, kind), (
            body, response.json)
        assert response.json["schemas"] == [ERROR]
    not_json = scim("POST", "/Users", None)
    assert not_json.status_code == 400
    assert people() == before
    assert scim("GET", "/Users/424242").status_code == 404
    assert scim("GET", "/Nowhere").json["schemas"] == [ERROR]


def test_delete_keeps_the_record_but_hides_it(scim):
    created = scim("POST", "/Users", user("E9", "gone@example.com")).json
    assert scim("DELETE", f"/Users/{created['id']}").status_code == 204
    assert scim("GET", f"/Users/{created['id']}").status_code == 404
    assert scim("GET", '/Users?filter=userName eq "E9"').json["totalResults"] == 0
    db.session.expire_all()
    kept = db.session.get(Employee, int(created["id"]))
    assert kept is not None and kept.active is False and kept.removed_at is not None

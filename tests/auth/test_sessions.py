"""A session cookie from before sign-in never becomes a signed-in one (no fixation)."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_a_cookie_from_before_sign_in_stays_signed_out(app, make_employee):
    make_employee("Li Na", email="li.na@example.com")
    victim = app.test_client()
    victim.get("/login")
    with victim.session_transaction() as session:
        session["planted"] = "by an attacker"
    planted = victim.get_cookie("session").value
    response = victim.post("/login", data={"email": "li.na@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert victim.get_cookie("session").value != planted
    with victim.session_transaction() as session:
        assert "planted" not in session
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    answer = attacker.get("/training")
    assert answer.status_code == 302 and "/login" in answer.location

"""The public verification page."""

from datetime import date, timedelta

import pytest

from certificates.services import issue_certificate, new_code, normalise_code
from lms.clock import today
from lms.db import db, utcnow
from tests import helpers
from tests.conftest import PASSWORD


@pytest.fixture
def certificate(client, make_employee, make_assignment, catalog, login):
    person = make_employee("Wang Fang", email="learner@example.com")
    assignment = make_assignment(person, catalog["self-defense-basics"])
    login(client, "learner@example.com")
    enrollment = helpers.complete_course(client, assignment, "Wang Fang", PASSWORD)
    client.post("/logout")
    return issue_certificate(enrollment, today())


def test_codes_are_random_and_readable():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert normalise_code(code.lower().replace("-", " ")) == code
    assert normalise_code("too-short") is None


def test_valid_certificate_shows_only_what_it_states(client, certificate):
    page = client.get(f"/verify/{certificate.code}")
    assert page.status_code == 200
    assert "genuine and valid" in page.text
    assert "Wang Fang" in page.text and "Personal safety" in page.text
    assert "learner@example.com" not in page.text  # no personal data beyond the certificate


def test_lower_case_and_spaced_codes_are_found(client, certificate):
    typed = certificate.code.lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert client.get(response.location).status_code == 200


def test_expired_and_revoked(client, certificate):
    certificate.expires_on = date.today() - timedelta(days=400)
    db.session.commit()
    assert "has expired" in client.get(f"/verify/{certificate.code}").text
    certificate.revoked_at = utcnow()
    db.session.commit()
    assert "has been revoked" in client.get(f"/verify/{certificate.code}").text


def test_unknown_code_is_a_clear_404(client):
    for code in ("AAAAA-AAAAA-AAAAA-AAAAA", "not-a-code", "<img src=x onerror=alert(1)>"):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "Certificate not found" in response.text
        assert "<img src=x" not in response.text

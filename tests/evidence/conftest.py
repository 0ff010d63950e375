"""A learner's real journey through a course (modules read over minutes, an attestation signed
from a known address and browser, a failed then a passed quiz attempt), and an export folder of
the test's own."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import current_app

from courses.models import Enrollment
from lms.compliance.models import Assignment
from lms.db import db
from lms.people.models import Employee
from tests import helpers
from tests.conftest import PASSWORD

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) EvidenceTest/1.0"
IP = "203.0.113.7"
SECONDS_PER_MODULE = 150
COURSE = "code-of-conduct"  # has an attestation and a quiz


@dataclass
class Journey:
    person: Employee
    assignment: Assignment
    enrollment: Enrollment


@pytest.fixture
def exports(app, tmp_path):
    """LMS_EXPORT_DIR for this test, on the app serving requests and on the test's twin."""
    folder = tmp_path / "exports"
    app.config["LMS_EXPORT_DIR"] = str(folder)
    current_app.config["LMS_EXPORT_DIR"] = str(folder)
    return folder


@pytest.fixture
def journey(app, make_employee, make_assignment, catalog, login):
    def run(name: str, email: str, **fields) -> Journey:
        person = make_employee(name, email=email, **fields)
        assignment = make_assignment(person, catalog[COURSE])
        client = app.test_client()
        client.environ_base.update(HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR=IP)
        login(client, email)
        enrollment = helpers.start(client, assignment)
        moment = datetime.now(UTC)
        for module in enrollment.version.modules:
            url = f"/learn/{enrollment.id}/modules/{module.position}"
            with time_machine.travel(moment, tick=False):
                assert client.get(url).status_code == 200
            moment += timedelta(seconds=SECONDS_PER_MODULE)
            with time_machine.travel(moment, tick=False):
                assert client.post(url).status_code == 302
            moment += timedelta(seconds=5)
        assert helpers.sign(client, enrollment, name, PASSWORD).status_code == 302
        for right in (False, True):
            attempt = helpers.open_attempt(client, enrollment)
            response = client.post(f"/quiz/attempts/{attempt.id}",
                                   data=helpers.answers(attempt, right=right))
            assert response.status_code == 303
        db.session.expire_all()
        enrollment = db.session.get(Enrollment, enrollment.id)
        assert enrollment.status == "completed"
        return Journey(db.session.get(Employee, person.id),
                       db.session.get(Assignment, assignment.id), enrollment)

    return run


@pytest.fixture
def hr_client(app, make_employee, login):
    make_employee("Harriet HR", email="hr@example.com", roles=("hr",))
    client = app.test_client()
    login(client, "hr@example.com")
    return client


def open_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive

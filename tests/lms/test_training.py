"""The learner's way through a course, through the web layer."""

import re
from datetime import UTC, date

from sqlalchemy import func, select

from certificates.models import Certificate
from courses.models import Attestation
from lms.compliance.models import Assignment
from lms.db import db
from quizzes.models import QuizAttempt
from tests import helpers
from tests.conftest import PASSWORD


def _employee_with_course(make_employee, make_assignment, catalog, login, client, slug,
                          name="Wang Fang"):
    person = make_employee(name, email="learner@example.com")
    assignment = make_assignment(person, catalog[slug])
    login(client, "learner@example.com")
    return person, assignment


def test_my_training_lists_status_due_date_and_progress(client, make_employee, make_assignment,
                                                        catalog, login):
    person = make_employee("Wang Fang", email="learner@example.com")
    make_assignment(person, catalog["code-of-conduct"], due_on=date(2026, 12, 31))
    make_assignment(person, catalog["harassment-prevention"], due_on=date(2020, 1, 31))
    login(client, "learner@example.com")
    page = client.get("/training").text
    assert "Business Code of Conduct: annual certification" in page
    assert "Not started" in page and "Overdue" in page
    assert "Dec 31, 2026" in page
    assert "<progress" in page
    # Overdue comes first.
    assert page.index("Preventing sexual harassment") < page.index("Business Code of Conduct")


def test_modules_are_read_in_order_and_progress_resumes(client, make_employee, make_assignment,
                                                         catalog, login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct")
    enrollment = helpers.start(client, assignment)
    assert client.get(f"/learn/{enrollment.id}/modules/3").status_code == 302  # not yet
    assert client.get(f"/learn/{enrollment.id}/modules/1").status_code == 200
    client.post(f"/learn/{enrollment.id}/modules/1")
    home = client.get(f"/learn/{enrollment.id}").text
    assert f"/learn/{enrollment.id}/modules/2" in home and "Continue reading" in home
    page = client.get("/training").text
    assert "In progress" in page and "Continue" in page
    assert client.get(f"/learn/{enrollment.id}/modules/99").status_code == 404


def test_quiz_is_locked_until_modules_read_and_attestation_signed(
        client, make_employee, make_assignment, catalog, login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct")
    enrollment = helpers.start(client, assignment)
    response = client.post(f"/learn/{enrollment.id}/quiz")
    assert response.status_code == 302 and f"/learn/{enrollment.id}" in response.location
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0
    helpers.read_all_modules(client, enrollment)
    client.post(f"/learn/{enrollment.id}/quiz")
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0
    assert helpers.sign(client, enrollment, "Wang Fang", PASSWORD).status_code == 302
    helpers.open_attempt(client, enrollment)


def test_attestation_is_an_e_signature(client, make_employee, make_assignment, catalog, login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    wrong_name = helpers.sign(client, enrollment, "Someone Else", PASSWORD)
    assert wrong_name.status_code == 400 and "does not match" in wrong_name.text
    wrong_password = helpers.sign(client, enrollment, "Wang Fang", "not my password")
    assert wrong_password.status_code == 400 and "password is not correct" in wrong_password.text
    assert db.session.scalar(select(func.count()).select_from(Attestation)) == 0
    ok = client.post(f"/learn/{enrollment.id}/attestation",
                     data={"agree": "y", "full_name": "  wang   FANG ", "password": PASSWORD},
                     headers={"User-Agent": "TestBrowser/1.0"},
                     environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert ok.status_code == 302
    signature = db.session.scalar(select(Attestation))
    assert signature.policy_hash == enrollment.version.content_hash
    assert signature.statement == enrollment.version.attestation_text
    assert signature.ip_address == "10.1.2.3" and signature.user_agent == "TestBrowser/1.0"
    assert signature.signed_at.tzinfo == UTC


def test_chinese_name_signature_ignores_spacing(client, make_employee, make_assignment, catalog,
                                                login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct", name="王小明")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    assert helpers.sign(client, enrollment, "王 小明", PASSWORD).status_code == 302


def test_failing_then_passing_completes_and_issues_one_certificate(
        client, make_employee, make_assignment, catalog, login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, "Wang Fang", PASSWORD)
    first = helpers.open_attempt(client, enrollment)
    response = client.post(f"/quiz/attempts/{first.id}", data=helpers.answers(first, right=False))
    result = client.get(response.location).text
    assert "Not passed" in result and "2 attempts left" in result
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0

    second = helpers.open_attempt(client, enrollment)
    assert second.id != first.id and second.number == 2
    response = client.post(f"/quiz/attempts/{second.id}", data=helpers.answers(second, right=True))
    assert "You passed with 100%" in client.get(response.location).text
    db.session.expire_all()
    assignment = db.session.get(Assignment, assignment.id)
    assert assignment.status == "completed" and assignment.completed_at is not None
    certificate = db.session.scalar(select(Certificate))
    assert certificate.holder_name == "Wang Fang" and certificate.score_percent == 100
    assert certificate.content_hash == enrollment.version.content_hash
    assert certificate.expires_on.year == certificate.completed_on.year + 1
    assert "Completed" in client.get("/training").text
    assert certificate.code in client.get("/certificates").text


def test_result_hides_correct_answers_while_attempts_remain(
        client, make_employee, make_assignment, catalog, login):
    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "self-defense-basics")
    enrollment = helpers.start(client, assignment)
    helpers.read_all_modules(client, enrollment)
    attempt = helpers.open_attempt(client, enrollment)
    response = client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, False))
    page = client.get(response.location).text
    assert "Your answer:" in page and "Correct answer:" not in page


def test_someone_elses_records_are_not_found(client, app, make_employee, make_assignment,
                                             catalog, login):
    owner = make_employee("Owner", email="owner@example.com")
    assignment = make_assignment(owner, catalog["code-of-conduct"])
    login(client, "owner@example.com")
    enrollment = helpers.start(client, assignment)
    attempt_client = client
    helpers.read_all_modules(attempt_client, enrollment)
    helpers.sign(client, enrollment, "Owner", PASSWORD)
    attempt = helpers.open_attempt(client, enrollment)

    make_employee("Other", email="other@example.com")
    other = app.test_client()
    other.post("/login", data={"email": "other@example.com", "password": PASSWORD})
    for path in (f"/learn/{enrollment.id}", f"/learn/{enrollment.id}/modules/1",
                 f"/learn/{enrollment.id}/attestation", f"/quiz/attempts/{attempt.id}",
                 f"/quiz/attempts/{attempt.id}/result"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/training/{assignment.id}/start").status_code == 404
    assert other.post(f"/quiz/attempts/{attempt.id}", data={"q0": ["0"]}).status_code == 404
    assert other.post(f"/learn/{enrollment.id}/modules/1").status_code == 404


def test_a_module_page_records_the_first_view_only_and_reads_the_same_every_time(
        client, make_employee, make_assignment, catalog, login):
    """The first view is recorded (and committed); later views write nothing and show the same
    page, states included, as the first (the states are read once, before the view)."""
    from courses.models import ModuleProgress

    _, assignment = _employee_with_course(make_employee, make_assignment, catalog, login, client,
                                          "code-of-conduct")
    enrollment = helpers.start(client, assignment)
    client.post(f"/learn/{enrollment.id}/modules/1")
    first = client.get(f"/learn/{enrollment.id}/modules/2")
    assert first.status_code == 200
    rows = db.session.execute(select(ModuleProgress.module_id, ModuleProgress.first_viewed_at,
                                     ModuleProgress.completed_at)
                              .where(ModuleProgress.enrollment_id == enrollment.id)
                              .order_by(ModuleProgress.module_id)).all()
    assert len(rows) == 2 and rows[0].completed_at is not None and rows[1].completed_at is None
    again = client.get(f"/learn/{enrollment.id}/modules/2")
    # The same page but for the CSRF tokens (signed with the time).
    token = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')
    assert token.sub(r"\1", again.text) == token.sub(r"\1", first.text)
    assert db.session.execute(select(ModuleProgress.module_id, ModuleProgress.first_viewed_at,
                                     ModuleProgress.completed_at)
                              .where(ModuleProgress.enrollment_id == enrollment.id)
                              .order_by(ModuleProgress.module_id)).all() == rows
    back = client.get(f"/learn/{enrollment.id}/modules/1")
    assert back.status_code == 200
    assert client.get(f"/learn/{enrollment.id}/modules/3").status_code == 302  # still in order

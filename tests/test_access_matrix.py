"""Who may reach which endpoint, generated from the app's route table.

Every endpoint must be listed in ACCESS; a new route without an entry fails here, so no page
ships unchecked. Each is requested as anonymous, as another employee (someone else's objects),
as the owner, as the owner's direct and indirect managers, as the manager of someone else, as an
instructor, a trainer, HR and an admin, and the answer is checked against its level.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from certificates.models import Certificate
from courses.models import ClassSession, Course
from lms.api.services import create_token
from lms.compliance.models import Requirement
from lms.db import db
from lms.people.import_store import save_upload
from lms.people.models import Employee, Leave
from lms.reports.models import ExportJob
from tests import helpers
from tests.conftest import PASSWORD

# public: anyone; signed_in: any signed-in person; owner: the learner's own records (anyone
# else gets 404, as for a missing id); trainer: trainers and admins; hr: HR and admins;
# admin: admins only; manager: anyone with an active direct report (roles give no access);
# token: the API, bearer tokens only: every session (anonymous or signed in) gets 401.
# instructor: the class's instructors, trainers and admins (anyone else gets 403).
# team: about one person (the id in the URL or the form), for the managers above that person
# only, direct or not; everyone else, the manager of someone else included, gets 403 or 404.
ACCESS = {
    "auth.login": "public", "certificates.verify": "public", "certificates.verify_form": "public",
    "healthz": "public", "org.speak_up": "public", "static": "public",
    "auth.sso_start": "public", "auth.sso_callback": "public",
    "i18n.switch": "public",  # the language switcher: profile if signed in, else a cookie
    **dict.fromkeys((
        "scim.service_provider_config", "scim.resource_types", "scim.resource_type",
        "scim.schema_list", "scim.schema_one", "scim.list_users", "scim.search_users",
        "scim.create_user", "scim.get_user", "scim.replace_user", "scim.patch_user",
        "scim.delete_user"), "scim"),
    "auth.logout": "signed_in", "auth.change_password": "signed_in",
    "certificates.mine": "signed_in",
    "training.my_training": "signed_in", "training.my_training_page": "signed_in",
    "media.media_file": "signed_in",
    "certificates.download": "owner", "courses.attestation": "owner", "courses.complete": "owner",
    "courses.module": "owner", "quizzes.attempt": "owner", "quizzes.result": "owner",
    "quizzes.start": "owner", "quizzes.submit": "owner", "quizzes.extend": "owner",
    "training.course_home": "owner", "training.start": "owner",
    **dict.fromkeys((
        "content.add_file", "content.course", "content.delete_file", "content.diff",
        "content.discard", "content.download_draft", "content.download_version", "content.edit",
        "content.import_questions", "content.import_zip", "content.index", "content.media",
        "content.new_course", "content.open_draft", "content.preview", "content.publish",
        "content.rollback", "content.save", "content.upload_media",
    ), "trainer"),
    "scheduler.jobs": "admin", "audit.index": "admin", "audit.export": "admin",
    "hr.overdue_page": "hr", "hr.follow_up": "hr", "hr.explain_page": "hr",
    "hr.requirements_page": "hr", "hr.requirement_form": "hr", "hr.waive_assignment": "hr",
    "hr.leave_page": "hr", "hr.end_leave_page": "hr",
    "people.import_page": "hr", "people.import_report": "hr",
    "people.import_report_csv": "hr", "people.import_apply": "hr",
    "manager.team": "manager", "manager.export_csv": "manager", "manager.remind": "team",
    "manager.remind_overdue": "manager",
    "evidence.person_pack": "hr", "evidence.jobs_page": "hr", "evidence.create_job": "hr",
    "evidence.download": "hr",
    "reports.roster": "hr", "reports.roster_csv": "hr", "reports.roster_xlsx": "hr",
    "classroom.my_classes": "signed_in", "classroom.class_page": "signed_in",
    "classroom.book_place": "signed_in", "classroom.unbook_place": "signed_in",
    "classroom.book_report": "team", "classroom.unbook_report": "team",
    "classroom.attendance": "instructor", "classroom.complete": "instructor",
    "classroom.manage": "trainer", "classroom.new_class": "trainer",
    "classroom.edit_class": "trainer", "classroom.cancel_class_view": "trainer",
    "classroom.hr_classes": "hr", "classroom.sheet_csv": "hr", "classroom.sheet_xlsx": "hr",
    "classroom.sheet_pdf": "hr",
    "dashboard.index": "hr", "dashboard.esg": "hr", "dashboard.esg_csv": "hr",
    "dashboard.esg_pdf": "hr", "dashboard.groups": "hr",
    "api.assignments": "token", "api.completions": "token", "api.certificates": "token",
    "api.roster": "token", "api.openapi": "public",
    "api_admin.tokens": "admin", "api_admin.revoke_token": "admin",
    "org.settings_page": "admin",
}


@pytest.fixture
def world(app, make_employee, make_assignment, catalog, login):
    """An owner with a certificate, an open attempt and an assignment, a course draft, and
    other people by role."""
    # The owner's line: a manager two levels up, a direct manager, then the owner.
    boss = make_employee("Boss Person", email="boss@example.com")
    direct = make_employee("Direct Person", email="direct@example.com", manager=boss)
    owner = make_employee("Owner Person", email="owner@example.com", manager=direct)
    make_employee("Other Person", email="other@example.com")
    make_employee("Trainer Person", email="trainer@example.com", roles=("trainer",))
    make_employee("Admin Person", email="admin@example.com", roles=("admin",))
    make_employee("Hr Person", email="hr@example.com", roles=("hr",))
    # The manager of someone else: a team of their own, the owner not in it.
    manager = make_employee("Manager Person", email="manager@example.com")
    make_employee("Report Person", email="report@example.com", manager=manager)
    client = app.test_client()
    login(client, "owner@example.com")
    done = make_assignment(owner, catalog["self-defense-basics"])
    helpers.complete_course(client, done, "Owner Person", PASSWORD)
    todo = make_assignment(owner, catalog["code-of-conduct"])
    enrollment = helpers.start(client, todo)
    helpers.read_all_modules(client, enrollment)
    helpers.sign(client, enrollment, "Owner Person", PASSWORD)
    attempt = helpers.open_attempt(client, enrollment)
    certificate = db.session.scalar(select(Certificate))
    requirement = Requirement(course_id=catalog["code-of-conduct"].id, name="Everyone",
                              audience={"everyone": True}, recurrence="once",
                              starts_on=date(2026, 1, 1))
    db.session.add(requirement)
    leave = Leave(employee_id=owner.id, starts_on=date(2020, 1, 1), ends_on=date(2020, 2, 1))
    db.session.add(leave)
    job = ExportJob(kind="evidence", requested_by_id=owner.id, filters={})
    db.session.add(job)
    api_token, _ = create_token("Matrix", ["roster:read"], None)
    db.session.commit()
    trainer = app.test_client()
    login(trainer, "trainer@example.com")
    assert trainer.post("/content/courses/code-of-conduct/draft").status_code == 302
    # An HR import stored for the HR person and the admin (only uploaders may open one).
    for uploader_id in db.session.scalars(select(Employee.id).where(
            Employee.email.in_(("hr@example.com", "admin@example.com")))).all():
        digest = save_upload(b"employee_number,full_name,email\nM1,Matrix,m1@example.com\n",
                             "matrix.csv", None, uploader_id)
    # A coming class, taught by a plain employee (the "instructor" level).
    instructor = make_employee("Instructor Person", email="instructor@example.com")
    starts = datetime.now(UTC) + timedelta(days=20)
    session = ClassSession(
        course_id=catalog["self-defense-basics"].id, starts_at=starts,
        ends_at=starts + timedelta(hours=3), timezone="Europe/Dublin", venue="Room 1",
        capacity=10, signup_deadline=starts - timedelta(days=2), instructors=[instructor])
    db.session.add(session)
    db.session.commit()
    return {
        "enrollment_id": enrollment.id, "position": 1, "attempt_id": attempt.id,
        "assignment_id": todo.id, "code": certificate.code, "slug": "code-of-conduct",
        "user_id": owner.id, "schema_id": "urn:x",
        "name": "quiz.md", "number": 1, "sha256": "0" * 64, "ext": "png",
        "filename": "app.css", "requirement_id": requirement.id, "employee_id": owner.id,
        "leave_id": leave.id, "job_id": job.id, "token_id": api_token.id,
        "digest": digest,
        "class_id": session.id, "dimension": "departments",
    }


# Public endpoints that answer 404 here: no such image; single sign-on not configured.
MAY_BE_ABSENT = {"media.media_file", "auth.sso_start", "auth.sso_callback"}


def _url(app, endpoint: str, values: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


def _methods(app, endpoint: str) -> list[str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _client(app, email: str | None):
    client = app.test_client()
    if email:
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set(), "add these endpoints to ACCESS"
    assert set(ACCESS) - endpoints == set(), "remove endpoints that no longer exist"


# Form fields naming the person a request is about: {endpoint: {field: world key}}.
FORMS = {"classroom.book_report": {"employee_id": "user_id"},
         "classroom.unbook_report": {"employee_id": "user_id"}}

ROLES = {"anonymous": None, "other": "other@example.com", "owner": "owner@example.com",
         "trainer": "trainer@example.com", "hr": "hr@example.com",
         "admin": "admin@example.com", "manager_of_other": "manager@example.com",
         "direct_manager": "direct@example.com", "indirect_manager": "boss@example.com",
         "instructor": "instructor@example.com"}
MANAGERS = {"manager_of_other", "direct_manager", "indirect_manager"}
MANAGERS_OF_OWNER = {"direct_manager", "indirect_manager"}


def _allowed(level: str, role: str) -> bool:
    return {"public": True, "signed_in": role != "anonymous",
            "owner": role == "owner", "trainer": role in ("trainer", "admin"),
            "hr": role in ("hr", "admin"), "admin": role == "admin",
            "manager": role in MANAGERS, "team": role in MANAGERS_OF_OWNER,
            "token": False, "scim": False,
            "instructor": role in ("instructor", "trainer", "admin")}[level]


def test_the_matrix_holds(app, world):
    clients = {role: _client(app, email) for role, email in ROLES.items()}
    failures = []
    for endpoint, level in sorted(ACCESS.items()):
        url = _url(app, endpoint, world)
        form = {name: str(world[key]) for name, key in FORMS.get(endpoint, {}).items()}
        for method in _methods(app, endpoint):
            for role, client in clients.items():
                if endpoint == "auth.logout" and role != "anonymous":
                    continue  # signing out would end the session the rest of the test needs
                allowed = _allowed(level, role)
                if allowed and method != "GET" and level != "team":
                    continue  # allowed state changes are tested where they belong
                data = form if method == "POST" else None
                status = client.open(url, method=method, data=data).status_code
                location = ""
                if status == 302:
                    location = client.open(url, method=method, data=data).location or ""
                if allowed:
                    ok = status not in (401, 403) and "/login" not in location and (
                        status != 404 or endpoint in MAY_BE_ABSENT)
                elif level == "token":
                    ok = status == 401
                elif level == "scim":  # bearer token only, and off unless configured
                    ok = status == 404
                elif role == "anonymous":
                    ok = status == 302 and "/login" in location
                elif level == "owner":
                    ok = status == 404
                elif level == "team":  # 403 for non-managers, 404 outside one's own team
                    ok = status in (403, 404)
                else:
                    ok = status == 403
                if not ok:
                    failures.append(f"{method} {url} as {role}: {status} {location}")
    assert failures == []


def test_team_pages_show_only_the_managers_own_people(app, world):
    """The manager of someone else never sees the owner by name on the team page, in its CSV,
    or among the people they may book into a class; both managers above the owner do."""
    # A class of the course the owner still has to do: the owner may be booked into it.
    course_id = db.session.scalar(select(Course.id).where(Course.slug == world["slug"]))
    starts = datetime.now(UTC) + timedelta(days=20)
    session = ClassSession(
        course_id=course_id, starts_at=starts, ends_at=starts + timedelta(hours=2),
        timezone="Europe/Dublin", venue="Room 2", capacity=10,
        signup_deadline=starts - timedelta(days=2))
    db.session.add(session)
    db.session.commit()
    # direct=0: the whole subtree (the page defaults to direct reports only).
    pages = ("/team?direct=0", "/team/export.csv?direct=0", f"/classes/{session.id}")
    for role in ("manager_of_other", *sorted(MANAGERS_OF_OWNER)):
        client = _client(app, ROLES[role])
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (role, page)
            assert ("Owner Person" in response.text) == (role in MANAGERS_OF_OWNER), (role, page)

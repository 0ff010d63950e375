"""Who may use /team, and that a manager reaches only their own subtree by every URL and
parameter: never another branch's people, names or assignments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.notifications.models import OutboxMessage
from tests.conftest import PASSWORD, make_test_app

PAGES = ("/team", "/team?direct=0", "/team/export.csv", "/team/export.csv?direct=0")


def _posts(org) -> list[str]:
    return [f"/team/assignments/{org['a']['lead_late']}/remind", "/team/remind-overdue"]


def test_anonymous_is_sent_to_sign_in(app, org):
    client = app.test_client()
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
    for url in _posts(org):
        response = client.post(url)
        assert response.status_code == 302 and "/login" in response.location, url


@pytest.mark.parametrize("email", ["dev@example.com", "ops@example.com"])
def test_someone_without_reports_gets_403(org, as_user, email):
    client = as_user(email)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in _posts(org):
        assert client.post(url).status_code == 403, url
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("role", ["hr", "admin", "trainer"])
def test_hr_admin_and_trainers_without_reports_get_403(org, make_employee, as_user, role):
    make_employee("Role Holder", email="role@example.com", roles=(role,))
    client = as_user("role@example.com")
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in _posts(org):
        assert client.post(url).status_code == 403, url


def test_hr_with_reports_sees_only_their_own_team(org, make_employee, make_assignment,
                                                 catalog, as_user):
    hr = make_employee("Hr Boss", email="hrboss@example.com", roles=("hr", "admin"))
    mine = make_employee("Hr Report", email="hrreport@example.com", manager=hr)
    make_assignment(mine, catalog["code-of-conduct"])
    page = as_user("hrboss@example.com").get("/team?direct=0").text
    assert "Hr Report" in page
    for name in ("Lead Li", "Dev Deng", "Ops Ou", "Out Sider"):
        assert name not in page


def test_someone_whose_reports_all_left_is_no_longer_a_manager(org, as_user):
    org["outsider"].active = False
    db.session.commit()
    assert as_user("rival@example.com").get("/team").status_code == 403


OTHER_BRANCH = (
    "department={legal}", "location={dublin}", "department={legal}&direct=0",
    "location={dublin}&direct=0&status=overdue", "course={coc}&direct=0&status=overdue",
    "direct=0&page=2", "direct=0&status=closed", "direct=0&direct=0", "direct=",
    "department=1%27%20OR%201=1--&direct=0", "manager={rival_id}&direct=0",
    "manager_id={rival_id}", "employee_id={outsider_id}&direct=0",
)


@pytest.mark.parametrize("query", OTHER_BRANCH)
def test_no_parameter_reaches_another_branch(org, as_user, query):
    query = query.format(legal=org["legal"], dublin=org["dublin"], coc=org["courses"]["coc"],
                         rival_id=org["rival"].id, outsider_id=org["outsider"].id)
    client = as_user("boss@example.com")
    page = client.get(f"/team?{query}")
    assert page.status_code == 200
    export = client.get(f"/team/export.csv?{query}")
    assert export.status_code == 200
    for text in (page.text, export.text):
        assert "Out Sider" not in text and "outsider@example.com" not in text
        assert "Legal Secret Dept" not in text and "Dublin Hidden Office" not in text
        assert "Rival Ren" not in text


def test_another_branch_department_yields_no_rows(org, as_user):
    page = as_user("boss@example.com").get(f"/team?department={org['legal']}&direct=0").text
    assert "Nobody in your team matches these filters." in page
    assert "Lead Li" not in page and "Dev Deng" not in page


def test_the_rival_manager_sees_only_their_branch(org, as_user):
    page = as_user("rival@example.com").get("/team?direct=0").text
    assert "Out Sider" in page and "Legal Secret Dept" in page
    for name in ("Lead Li", "Dev Deng", "Ops Ou", "Zhang Wei"):
        assert name not in page


def test_a_middle_manager_sees_below_not_above_or_beside(org, as_user):
    page = as_user("lead@example.com").get("/team?direct=0").text
    assert "Dev Deng" in page
    assert "Ops Ou" not in page and "Lead Li</th>" not in page


def test_forged_assignment_ids_are_404(org, as_user):
    client = as_user("boss@example.com")
    for assignment_id in (org["a"]["outsider_late"], 999999):
        response = client.post(f"/team/assignments/{assignment_id}/remind")
        assert response.status_code == 404
    # the lead manages dev, not the lead's own manager's other report
    lead = as_user("lead@example.com")
    assert lead.post(f"/team/assignments/{org['a']['ops_open']}/remind").status_code == 404
    assert lead.post(f"/team/assignments/{org['a']['lead_late']}/remind").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_remind_all_never_leaves_the_subtree(org, as_user):
    client = as_user("boss@example.com")
    for data in ({"direct": "0"}, {"direct": "0", "department": str(org["legal"])},
                 {"direct": "0", "location": str(org["dublin"])},
                 {"direct": "0", "manager_id": str(org["rival"].id)}):
        assert client.post("/team/remind-overdue", data=data).status_code == 302
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == {"lead@example.com", "dev@example.com"}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_reminder_forms_need_their_csrf_token(migrated, tmp_path, org):
    app = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = _token(client.get("/login").text)
    assert client.post("/login", data={"email": "boss@example.com", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    url = f"/team/assignments/{org['a']['lead_late']}/remind"
    assert client.post(url).status_code == 400
    assert client.post("/team/remind-overdue", data={"direct": "0"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    token = _token(client.get("/team").text)
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    with app.app_context():
        db.engine.dispose()


def test_the_navigation_helper_knows_who_manages(app, org):
    from flask import g, render_template_string

    from lms.people.models import Employee

    for email, expected in (("boss@example.com", "True"), ("lead@example.com", "True"),
                            ("dev@example.com", "False"), (None, "False")):
        with app.test_request_context():
            if email:
                g._login_user = db.session.scalar(select(Employee).where(
                    Employee.email == email))
            assert render_template_string("{{ manages_team() }}") == expected, email


def test_the_navigation_follows_reports_and_roles_on_every_request(org, make_employee, as_user):
    """Whether someone manages anyone and their roles come with the session's own query: the
    "My team" link and the HR menu show as they are now, request after request."""
    client = as_user("rival@example.com")
    assert 'href="/team"' in client.get("/training").text
    org["outsider"].active = False
    db.session.commit()
    page = client.get("/training").text
    assert 'href="/team"' not in page and 'href="/hr/dashboard"' not in page
    make_employee("New Report", email="new-report@example.com", manager=org["rival"])
    db.session.commit()
    assert 'href="/team"' in client.get("/training").text
    hr = make_employee("Hr Person", email="hr-person@example.com", roles=("hr",))
    hr_client = as_user("hr-person@example.com")
    page = hr_client.get("/training").text
    assert 'href="/hr/dashboard"' in page and 'href="/team"' not in page
    db.session.delete(hr.role_grants[0])
    db.session.commit()
    assert 'href="/hr/dashboard"' not in hr_client.get("/training").text

"""Pages in the reader's language: a zh-Hans employee's learner journey and HR's overdue list are
in Chinese with no English interface string left; visitors get their browser's language; the
switcher in the header changes the language and remembers it."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from certificates.models import Certificate
from lms.clock import today
from lms.db import db
from lms.i18n import CATALOG, TRANSLATIONS_DIR
from lms.people.models import Employee
from tests import helpers
from tests.conftest import PASSWORD, make_test_app

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


class _Texts(HTMLParser):
    """The text a reader gets: text nodes and the attributes people read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        for name in ("alt", "title", "placeholder", "aria-label"):
            if attributes.get(name):
                self.texts.append(attributes[name])
        if tag == "input" and attributes.get("type") == "submit" and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_data(self, data):
        self.texts.append(data)


def _read(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def english_ui() -> set[str]:
    """Interface strings whose Chinese differs from the English: finding one of these as a whole
    text on a Chinese page means something was not translated."""
    with (TRANSLATIONS_DIR / "zh_Hans" / CATALOG).open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    strings = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        for msgid in ids:
            if msgid and "%" not in msgid and text and text != msgid:
                strings.add(msgid.strip())
    return strings


def assert_chinese(html: str, english_ui: set[str], *expected: str) -> None:
    page = _read(html)
    assert page.lang == "zh-Hans"
    texts = [" ".join(t.split()) for t in page.texts]
    left = sorted({t for t in texts if t in english_ui})
    assert not left, f"English interface text on a Chinese page: {left}"
    assert sum(len(CHINESE.findall(t)) for t in texts) > 20
    for text in expected:
        assert text in html, text


@pytest.fixture
def chinese_learner(app, make_employee, make_assignment, catalog, login):
    person = make_employee("王芳", email="wang.fang@example.com", locale="zh-Hans")
    assignment = make_assignment(person, catalog["code-of-conduct"])
    client = app.test_client()
    login(client, "wang.fang@example.com")
    return person, assignment, client


def test_the_learner_journey_is_in_chinese(chinese_learner, english_ui):
    person, assignment, client = chinese_learner
    assert_chinese(client.get("/training").text, english_ui, "我的培训", "王芳，您好",
                   "2026年12月31日", "截止日期")
    enrollment = helpers.start(client, assignment)
    assert_chinese(client.get(f"/learn/{enrollment.id}").text, english_ui, "步骤")
    assert_chinese(client.get(f"/learn/{enrollment.id}/modules/1").text, english_ui, "第 1 单元")
    helpers.read_all_modules(client, enrollment)
    if enrollment.version.attestation_text:
        assert_chinese(client.get(f"/learn/{enrollment.id}/attestation").text, english_ui,
                       "签署确认声明")
        assert helpers.sign(client, enrollment, "王芳", PASSWORD).status_code == 302
    attempt = helpers.open_attempt(client, enrollment)
    assert_chinese(client.get(f"/quiz/attempts/{attempt.id}").text, english_ui, "提交答案",
                   "第 1 题")
    client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, right=True))
    assert_chinese(client.get(f"/quiz/attempts/{attempt.id}/result").text, english_ui,
                   "测验结果")
    page = client.get("/certificates").text
    assert_chinese(page, english_ui, "您的证书", "验证码")
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.employee_id == person.id))
    assert certificate.code in page


def test_hr_overdue_list_in_chinese(app, make_employee, make_assignment, catalog, login,
                                    english_ui):
    make_employee("李静", email="li.jing@example.com", roles=("hr",), locale="zh-Hans")
    late = make_employee("欧阳娜娜", email="ouyang@example.com")
    make_assignment(late, catalog["code-of-conduct"], due_on=today() - timedelta(days=12))
    client = app.test_client()
    login(client, "li.jing@example.com")
    page = client.get("/hr/overdue").text
    assert_chinese(page, english_ui, "逾期培训任务", "1 项培训任务已逾期。", "欧阳娜娜")


@pytest.mark.parametrize("locale, message", [
    ("zh-Hans", "请填写备注，或将此人标记为已联系。"),
    ("en", "Write a note or mark the person as contacted."),
])
def test_a_services_refusal_is_flashed_in_the_readers_language(
        app, make_employee, make_assignment, catalog, login, locale, message):
    """The service raises one error; each reader gets its message in their own language."""
    make_employee("李静", email="li.jing@example.com", roles=("hr",), locale=locale)
    late = make_employee("欧阳娜娜", email="ouyang@example.com")
    assignment = make_assignment(late, catalog["code-of-conduct"],
                                 due_on=today() - timedelta(days=12))
    client = app.test_client()
    login(client, "li.jing@example.com")
    page = client.post(f"/hr/overdue/{assignment.id}/follow-up", data={"note": "  "},
                       follow_redirects=True)
    assert message in page.text


@pytest.mark.parametrize("path", ["/login", "/verify", "/verify/AAAAA-BBBBB-CCCCC-DDDDD",
                                  "/no-such-page"])
def test_anonymous_visitors_get_their_browsers_language(client, path, english_ui):
    page = client.get(path, headers=ZH)
    assert_chinese(page.text, english_ui)
    assert _read(client.get(path, headers=EN).text).lang == "en"
    assert _read(client.get(path).text).lang == "en"  # no preference: English


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-CN", "zh-Hans"), ("zh", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"), ("zh-SG", "zh-Hans"),
    ("zh-TW", "en"), ("zh-HK", "en"), ("fr-FR, zh;q=0.5", "zh-Hans"),
    ("en-GB, zh-CN;q=0.8", "en"), ("zh-CN;q=0.2, en;q=0.9", "en"), ("*", "en"),
    ("de, fr", "en"), ("zh-CN;q=0", "en"),
])
def test_accept_language_picks_the_best_offered_language(client, header, lang):
    assert _read(client.get("/login", headers={"Accept-Language": header}).text).lang == lang


def test_the_profile_language_wins_over_the_browser(app, make_employee, login):
    for number, (locale, lang) in enumerate([("zh-Hans", "zh-Hans"), ("zh-CN", "zh-Hans"),
                                             ("zh", "zh-Hans"), ("en", "en"), ("en-GB", "en")]):
        make_employee(f"Person {number}", email=f"p{number}@example.com", locale=locale)
        client = app.test_client()
        login(client, f"p{number}@example.com")
        header = EN if lang == "zh-Hans" else ZH
        assert _read(client.get("/training", headers=header).text).lang == lang, locale
    # A profile language that is not offered leaves the choice to the browser.
    make_employee("Pierre", email="pierre@example.com", locale="fr")
    client = app.test_client()
    login(client, "pierre@example.com")
    assert _read(client.get("/training", headers=ZH).text).lang == "zh-Hans"


def _switcher_buttons(html: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="/language".*?</form>', html, re.S).group(0)
    return dict(re.findall(r'<button[^>]*value="([^"]+)" lang="[^"]+">([^<]+)</button>', form))


@pytest.mark.parametrize("path", ["/login", "/verify", "/speak-up", "/no-such-page"])
def test_every_page_has_the_switcher(client, path):
    html = client.get(path).text
    assert _switcher_buttons(html) == {"zh-Hans": "中文 (简体)"}
    assert 'aria-current="true">English</span>' in html
    assert 'name="csrf_token"' in html and f'name="next" value="{path}"' in html


def test_the_switcher_is_on_signed_in_pages(app, make_employee, login):
    make_employee("Li Na", email="li.na@example.com")
    client = app.test_client()
    login(client, "li.na@example.com")
    assert _switcher_buttons(client.get("/training").text) == {"zh-Hans": "中文 (简体)"}
    assert _switcher_buttons(client.get("/certificates").text) == {"zh-Hans": "中文 (简体)"}


def test_a_visitors_choice_is_kept_in_a_cookie(client, english_ui):
    response = client.post("/language", data={"locale": "zh-Hans", "next": "/verify?code=x"})
    assert response.status_code == 302 and response.location == "/verify?code=x"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh-Hans;") and "SameSite=Lax" in cookie
    assert_chinese(client.get("/login", headers=EN).text, english_ui)  # beats the browser
    html = client.get("/login").text
    assert _switcher_buttons(html) == {"en": "English"}
    client.post("/language", data={"locale": "en", "next": "/login"})
    assert _read(client.get("/login", headers=ZH).text).lang == "en"


def test_a_signed_in_choice_is_saved_on_the_profile(app, make_employee, login, english_ui):
    person = make_employee("Li Na", email="li.na@example.com", locale="en")
    client = app.test_client()
    login(client, "li.na@example.com")
    response = client.post("/language", data={"locale": "zh-Hans", "next": "/certificates"})
    assert response.status_code == 302 and response.location == "/certificates"
    db.session.expire_all()
    assert db.session.get(Employee, person.id).locale == "zh-Hans"
    assert_chinese(client.get("/certificates").text, english_ui)
    # Another browser, after signing in: the profile says Chinese.
    other = app.test_client()
    login(other, "li.na@example.com")
    assert_chinese(other.get("/training", headers=EN).text, english_ui)
    other.post("/language", data={"locale": "en", "next": "/training"})
    db.session.expire_all()
    assert db.session.get(Employee, person.id).locale == "en"
    assert _read(client.get("/training").text).lang == "en"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\t/evil.example",
                                    "\\\\evil.example", "javascript:alert(1)", "", "/a b"])
def test_the_switcher_only_goes_back_to_this_site(client, target):
    response = client.post("/language", data={"locale": "zh-Hans", "next": target})
    assert response.status_code == 302
    assert response.location.startswith("/") and not response.location.startswith("//")
    assert "evil" not in response.location


@pytest.mark.parametrize("locale", ["fr", "zh-TW", "", "x" * 200, "../../etc"])
def test_a_language_not_offered_is_refused(client, locale):
    assert client.post("/language", data={"locale": locale, "next": "/login"}).status_code == 400


def test_the_switcher_needs_the_csrf_token(migrated, tmp_path):
    client = make_test_app(migrated, tmp_path, WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/language", data={"locale": "zh-Hans"}).status_code == 400
    html = client.get("/login").text
    token = re.search(r'<form method="post" action="/language".*?name="csrf_token" value="([^"]+)"',
                      html, re.S).group(1)
    response = client.post("/language", data={"locale": "zh-Hans", "next": "/login",
                                              "csrf_token": token})
    assert response.status_code == 302


def test_form_errors_are_in_the_readers_language(client, make_employee):
    """Messages from the forms library and from our views both follow the language."""
    make_employee("Li Na", email="li.na@example.com")
    empty = client.post("/login", data={"email": "", "password": ""}, headers=ZH).text
    assert "该字段是必填字段。" in empty and "This field is required." not in empty
    wrong = client.post("/login", data={"email": "li.na@example.com", "password": "nope"},
                        headers=ZH).text
    assert "电子邮件或密码不正确。" in wrong

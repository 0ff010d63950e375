"""The content area through the web layer: who may use it (from the route table), the editor,
the live preview, publishing, roll-back, diffs, zips, GIFT import and media."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask

from courses.models import CourseVersion
from courses.services import published_version
from lms.catalog import authoring
from lms.catalog.archive import export_zip
from lms.catalog.models import CourseDraft, MediaFile
from lms.db import db
from tests.lms.test_authoring import NEW_PROMPT, PROMPT, SLUG, second_x, versions
from tests.lms.test_authoring_files import PNG

XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![pixel](https://tracker.example/p.png)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "svg", "iframe", "img", "object", "embed", "style", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]+", "", value or "").lower()
            if name.startswith("on") or name == "style" or value.startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag}[{name}={value}]")


def assert_inert(html: str) -> None:
    """No element or attribute in the HTML that could run script or load anything."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.found == [], html


@pytest.fixture
def trainer(make_employee):
    return make_employee("Chen Jie", email="trainer@example.com", roles=("trainer",))


@pytest.fixture
def as_trainer(client, catalog, trainer, login):
    login(client, "trainer@example.com")
    return client


def open_draft(client) -> CourseDraft:
    assert client.post(f"/content/courses/{SLUG}/draft").status_code == 302
    db.session.expire_all()
    return authoring.draft_for(SLUG)


# -- access, from the route table -----------------------------------------------------------

def content_routes(app: Flask) -> list[tuple[str, str]]:
    values = {"slug": SLUG, "name": "quiz.md", "number": 1,
              "sha256": "0" * 64, "ext": "png"}
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("content", "media"):
            continue
        path = rule.rule
        for key, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{key}>", str(value), path)
        assert "<" not in path, f"no test value for {rule.rule}"
        routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_every_content_route_is_for_trainers_and_admins_only(app, client, catalog,
                                                             make_employee, login):
    routes = content_routes(app)
    assert len(routes) >= 20
    make_employee(email="employee@example.com")
    make_employee(email="trainer@example.com", roles=("trainer",))
    make_employee(email="admin@example.com", roles=("admin",))
    make_employee(email="hr@example.com", roles=("hr",))
    for method, path in routes:
        response = client.open(path, method=method)
        assert response.status_code == 302 and "/login" in response.location, (method, path)
    for email, allowed in (("employee@example.com", False), ("hr@example.com", False),
                           ("trainer@example.com", True), ("admin@example.com", True)):
        login(client, email)
        if allowed:
            client.post(f"/content/courses/{SLUG}/draft")
        for method, path in routes:
            status = client.open(path, method=method).status_code
            if path.startswith("/media/"):
                assert status == 404, (email, method, path)  # signed in: any role
            elif allowed:
                assert status not in (401, 403) and status < 500, (email, method, path, status)
            else:
                assert status == 403, (email, method, path, status)
        client.post("/logout")


def test_the_content_link_is_shown_to_trainers_only(client, catalog, make_employee, login):
    make_employee(email="employee@example.com")
    login(client, "employee@example.com")
    assert 'href="/content/"' not in client.get("/training").text
    client.post("/logout")
    make_employee(email="trainer@example.com", roles=("trainer",))
    login(client, "trainer@example.com")
    assert 'href="/content/"' in client.get("/training").text


# -- the course list and page -----------------------------------------------------------------

def test_the_course_list_shows_every_course_with_its_versions(as_trainer):
    page = as_trainer.get("/content/").text
    for slug in ("code-of-conduct", "harassment-prevention", "manager-track"):
        assert f'href="/content/courses/{slug}"' in page
    assert "Business Code of Conduct: annual certification" in page
    assert page.count("badge-version-published") == 6


def test_a_new_course_starts_as_a_draft(as_trainer):
    response = as_trainer.post("/content/", data={"slug": "data-protection"})
    assert response.status_code == 302 and response.location.endswith(
        "/content/courses/data-protection")
    page = as_trainer.get("/content/courses/data-protection").text
    assert "01-introduction.md" in page and "No problems" in page
    assert as_trainer.post("/content/", data={"slug": "Bad Name"}).status_code == 400


# -- editing ----------------------------------------------------------------------------------

def test_the_editor_shows_the_file_its_problems_at_their_line_and_a_preview(as_trainer):
    draft = open_draft(as_trainer)
    broken, line = second_x(draft.files["quiz.md"])
    authoring.save_file(draft, "quiz.md", broken, draft.revision)
    db.session.commit()
    page = as_trainer.get(f"/content/courses/{SLUG}/draft/quiz.md").text
    assert 'id="editor-text"' in page and "A cousin among the bidders" in page
    assert f'data-line="{line}"' in page and f"Line {line}</button>" in page
    assert "exactly one [x]" in page
    assert 'class="prose preview"' in page and "<h3>A cousin among the bidders" in page
    assert '<script src="/static/editor.js" defer></script>' in page
    assert "style=" not in page and "<script>" not in page  # the CSP allows neither
    course_page = as_trainer.get(f"/content/courses/{SLUG}").text
    assert f'href="/content/courses/{SLUG}/draft/quiz.md?line={line}"' in course_page
    assert as_trainer.get(f"/content/courses/{SLUG}/draft/nope.md").status_code == 404


def test_saving_without_javascript_shows_the_problems_and_the_preview(as_trainer):
    draft = open_draft(as_trainer)
    broken, line = second_x(draft.files["quiz.md"])
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/quiz.md",
                               data={"text": broken.replace("\n", "\r\n"), "revision": "1"},
                               follow_redirects=True)
    assert response.status_code == 200
    assert "Saved quiz.md in the draft." in response.text
    assert f'data-line="{line}"' in response.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG).files["quiz.md"] == broken
    assert authoring.draft_for(SLUG).revision == 2


def test_a_stale_save_is_refused_and_keeps_the_typed_text(as_trainer):
    open_draft(as_trainer)
    url = f"/content/courses/{SLUG}/draft/01-our-code.md"
    assert as_trainer.post(url, data={"text": "# First\n", "revision": "1"}).status_code == 303
    response = as_trainer.post(url, data={"text": "# Second tab\n", "revision": "1"})
    assert response.status_code == 409
    assert "Someone saved this draft" in response.text and "# Second tab" in response.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG).files["01-our-code.md"] == "# First\n"


def test_the_live_preview_returns_html_and_problems_for_unsaved_text(as_trainer):
    draft = open_draft(as_trainer)
    broken, line = second_x(draft.files["quiz.md"])
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/preview",
                               data={"name": "quiz.md", "text": broken})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["problems"] == [{"line": line, "column": 1, "severity": "error", "message": (
        "question 'coi-cousin-tender': a single-choice question needs exactly one [x] option, "
        "found 2")}]
    assert data["others"] == 0
    assert "A cousin among the bidders" in data["html"]
    db.session.expire_all()
    assert authoring.draft_for(SLUG).revision == 1  # nothing saved
    module = as_trainer.post(f"/content/courses/{SLUG}/draft/preview", data={
        "name": "01-our-code.md", "text": "# Title\n\nCall {{ org.hotline }}. {{ org.nope }}"})
    assert "<h1>Title</h1>" in module.get_json()["html"]
    assert "400-820-1234" in module.get_json()["html"]
    assert module.get_json()["problems"][0]["message"].startswith("unknown setting")
    assert as_trainer.post(f"/content/courses/{SLUG}/draft/preview",
                           data={"name": "other.md", "text": "x"}).status_code == 400


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize("name", ["01-our-code.md", "quiz.md", "course.md"])
def test_script_in_the_preview_is_inert(as_trainer, payload, name):
    open_draft(as_trainer)
    text = {
        "01-our-code.md": f"# {payload}\n\n{payload}\n",
        "quiz.md": f"## {payload} {{#q1}}\n\n{payload}\n\n- [x] {payload}\n  > {payload}\n"
                   f"- [ ] b\n\n> [!EXPLANATION]\n> {payload}\n",
        "course.md": f'---\ntitle: "{payload}"\n---\n{payload}\n',
    }[name]
    html = as_trainer.post(f"/content/courses/{SLUG}/draft/preview",
                           data={"name": name, "text": text}).get_json()["html"]
    assert_inert(html)
    # The server-rendered editor page is as safe, after a save.
    as_trainer.post(f"/content/courses/{SLUG}/draft/{name}",
                    data={"text": text, "revision": str(authoring.draft_for(SLUG).revision)})
    page = as_trainer.get(f"/content/courses/{SLUG}/draft/{name}").text
    assert_inert(page.split('id="preview"', 1)[1].split("</section>", 1)[0])


def test_files_are_added_and_deleted(as_trainer):
    draft = open_draft(as_trainer)
    base = f"/content/courses/{SLUG}/draft"
    response = as_trainer.post(f"{base}/files", data={"name": "07-new-rules.md", "revision": "1"})
    assert response.location.endswith(f"{base}/07-new-rules.md")
    refused = as_trainer.post(f"{base}/files", data={"name": "../x.md", "revision": "2"},
                              follow_redirects=True)
    assert "is not a course file name" in refused.text
    assert as_trainer.post(f"{base}/07-new-rules.md/delete",
                           data={"revision": "2"}).status_code == 302
    db.session.expire_all()
    draft = authoring.draft_for(SLUG)
    assert "07-new-rules.md" not in draft.files and draft.revision == 3


# -- publishing, roll-back, diff ---------------------------------------------------------------

def test_publishing_with_errors_is_refused_with_file_and_line(as_trainer):
    draft = open_draft(as_trainer)
    broken, line = second_x(draft.files["quiz.md"])
    authoring.save_file(draft, "quiz.md", broken, draft.revision)
    db.session.commit()
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/publish", data={"revision": "2"})
    assert response.status_code == 422
    assert "Not published: the draft has 1 error(s)" in response.text
    assert f"quiz.md:{line}:1</a>" in response.text
    assert versions() == [(1, "published")]


def test_publishing_and_rolling_back_through_the_pages(as_trainer, catalog):
    draft = open_draft(as_trainer)
    text = draft.files["quiz.md"].replace(PROMPT, NEW_PROMPT, 1)
    as_trainer.post(f"/content/courses/{SLUG}/draft/quiz.md", data={"text": text,
                                                                   "revision": "1"})
    stale = as_trainer.post(f"/content/courses/{SLUG}/draft/publish", data={"revision": "1"},
                            follow_redirects=True)
    assert "The draft changed after you loaded this page" in stale.text
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/publish", data={"revision": "2"},
                               follow_redirects=True)
    assert "Published v2." in response.text
    assert versions() == [(1, "retired"), (2, "published")]
    assert "Start editing" in response.text  # the draft is gone

    diff = as_trainer.get(f"/content/courses/{SLUG}/diff?old=1&new=2").text
    assert "<del>-" in diff and PROMPT in diff and "<ins>+" in diff and NEW_PROMPT in diff
    assert "Unchanged: 01-our-code.md" in diff
    assert as_trainer.get(f"/content/courses/{SLUG}/diff?old=1&new=9").status_code == 404

    response = as_trainer.post(f"/content/courses/{SLUG}/versions/1/rollback",
                               follow_redirects=True)
    assert "v1 is published again" in response.text
    assert versions() == [(1, "published"), (2, "retired")]
    again = as_trainer.post(f"/content/courses/{SLUG}/versions/1/rollback",
                            follow_redirects=True)
    assert "already the published version" in again.text


def test_the_diff_of_the_draft_against_the_published_version(as_trainer):
    draft = open_draft(as_trainer)
    authoring.add_file(draft, "07-extra.md", draft.revision)
    db.session.commit()
    page = as_trainer.get(f"/content/courses/{SLUG}/diff").text
    assert "07-extra.md" in page and "added" in page and "+++ draft/07-extra.md" in page


# -- zips and GIFT ----------------------------------------------------------------------------

def test_versions_and_drafts_download_as_zips(as_trainer, catalog):
    v1 = published_version(catalog[SLUG].id)
    response = as_trainer.get(f"/content/courses/{SLUG}/versions/1.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename="{SLUG}-v1.zip"' in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert {n: zf.read(n) for n in zf.namelist()} == {
            f"{SLUG}/{f.path}": f.content for f in v1.files}
    open_draft(as_trainer)
    assert as_trainer.get(f"/content/courses/{SLUG}/draft.zip").status_code == 200
    assert as_trainer.get(f"/content/courses/{SLUG}/versions/7.zip").status_code == 404


def test_uploading_a_zip_replaces_the_draft_or_reports_each_refused_file(as_trainer, catalog):
    draft = open_draft(as_trainer)
    files = {name: text.encode() for name, text in draft.files.items()}
    files["01-our-code.md"] = b"# Our code\n\nFrom Git.\n"
    url = f"/content/courses/{SLUG}/draft/import"
    response = as_trainer.post(url, data={"revision": "1", "archive": (
        io.BytesIO(export_zip(SLUG, files)), "course.zip")}, follow_redirects=True)
    assert f"The draft now holds the {len(files)} files from the zip." in response.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG).files["01-our-code.md"] == "# Our code\n\nFrom Git.\n"

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../escape.md", "x")
        zf.writestr("run.sh", "rm -rf /")
    response = as_trainer.post(url, data={"revision": "2", "archive": (
        io.BytesIO(buffer.getvalue()), "bad.zip")})
    assert response.status_code == 400
    assert "The zip was not imported" in response.text and "../escape.md" in response.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG).revision == 2


def test_gift_questions_replace_the_quiz_file(as_trainer):
    open_draft(as_trainer)
    gift = ("::Gifts:: A supplier offers you a gift during a tender. What do you do? "
            "{=Decline and record it ~Accept it}\n")
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/quiz.md/questions", data={
        "revision": "1", "format": "gift", "source": (io.BytesIO(gift.encode()), "q.gift")})
    assert response.status_code == 200
    assert "Imported 1 question(s)" in response.text
    db.session.expire_all()
    quiz = authoring.draft_for(SLUG).files["quiz.md"]
    assert "- [x] Decline and record it" in quiz and "- [ ] Accept it" in quiz
    aiken = "Pick one\nA. this\nB. that\nANSWER: C\n"
    response = as_trainer.post(f"/content/courses/{SLUG}/draft/quiz.md/questions", data={
        "revision": "2", "format": "aiken", "source": (io.BytesIO(aiken.encode()), "q.txt")})
    assert response.status_code == 400 and "No question could be converted" in response.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG).files["quiz.md"] == quiz


# -- media ------------------------------------------------------------------------------------

def test_images_are_uploaded_and_served_to_signed_in_users(as_trainer, client, make_employee,
                                                           login):
    response = as_trainer.post("/content/media", data={"image": (io.BytesIO(PNG), "chart.png")},
                               follow_redirects=True)
    assert response.status_code == 200
    media = db.session.scalar(sa.select(MediaFile))
    url = f"/media/{media.sha256}.png"
    assert f"![description]({url})" in response.text and f'<img src="{url}"' in response.text
    refused = as_trainer.post("/content/media", data={
        "image": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")})
    assert refused.status_code == 400 and "Only PNG, JPEG, GIF and WebP" in refused.text

    make_employee(email="learner@example.com")
    as_trainer.post("/logout")
    assert as_trainer.get(url).status_code == 302  # signed out
    login(as_trainer, "learner@example.com")
    served = as_trainer.get(url)
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert as_trainer.get(f"/media/{media.sha256}.gif").status_code == 404
    assert as_trainer.get(f"/media/{'f' * 64}.png").status_code == 404
    assert as_trainer.get(f"/media/{media.sha256.upper()}.png").status_code == 404


def test_modules_show_media_images_and_nothing_from_other_sites(as_trainer):
    media_page = as_trainer.post("/content/media", data={
        "image": (io.BytesIO(PNG), "chart.png")}, follow_redirects=True)
    url = re.search(r"/media/[0-9a-f]{64}\.png", media_page.text).group(0)
    open_draft(as_trainer)
    html = as_trainer.post(f"/content/courses/{SLUG}/draft/preview", data={
        "name": "01-our-code.md",
        "text": f"# T\n\n![Chart]({url})\n\n![Tracker](https://evil.example/p.png)\n",
    }).get_json()["html"]
    assert f'<img src="{url}" alt="Chart">' in html
    assert "evil.example" not in html and html.count("<img") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseVersion)) == 6


def test_a_draft_is_discarded_only_at_the_revision_seen(as_trainer):
    open_draft(as_trainer)
    url = f"/content/courses/{SLUG}/draft/discard"
    as_trainer.post(f"/content/courses/{SLUG}/draft/01-our-code.md",
                    data={"text": "# Changed\n", "revision": "1"})
    stale = as_trainer.post(url, data={"revision": "1"}, follow_redirects=True)
    assert "The draft changed after you loaded the page" in stale.text
    assert authoring.draft_for(SLUG) is not None
    done = as_trainer.post(url, data={"revision": "2"}, follow_redirects=True)
    assert "The draft was discarded." in done.text
    db.session.expire_all()
    assert authoring.draft_for(SLUG) is None
    assert versions() == [(1, "published")]

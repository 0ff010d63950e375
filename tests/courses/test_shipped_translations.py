"""The shipped catalog in Simplified Chinese: every file of every course has a current
translation, and a Chinese-reading employee goes through a whole course in Chinese, signs the
Chinese statement and gets a certificate titled in Chinese."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from certificates.models import Certificate
from courses.models import Attestation
from courses.services import published_version
from lms.catalog.check import check_paths
from tests import helpers
from tests.conftest import PASSWORD

SHIPPED = Path(__file__).resolve().parents[2] / "courses" / "content"
LOCALE = "zh-Hans"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_shipped_file_has_a_current_chinese_translation():
    missing = [str(path.relative_to(SHIPPED)) for path in sorted(SHIPPED.glob("*/*.md"))
               if path.suffixes[-2:-1] != [f".{LOCALE}"]
               and not path.with_suffix(f".{LOCALE}.md").is_file()]
    assert missing == []
    problems = check_paths([SHIPPED])
    # A stale translation (its source changed since) is a warning: none may be shipped.
    assert [str(p) for p in problems] == []


def test_a_chinese_reader_takes_a_shipped_course_in_chinese(app, catalog, make_employee,
                                                            make_assignment, login):
    person = make_employee("王芳", email="wang@example.com", locale=LOCALE)
    course = catalog["code-of-conduct"]
    version = published_version(course.id)
    source_titles = [m.title for m in version.modules]
    chinese = version.translations[LOCALE]
    client = app.test_client()
    login(client, person.email)
    assignment = make_assignment(person, course)
    assert chinese["title"] in client.get("/training").text
    enrollment = helpers.start(client, assignment)
    for module in enrollment.version.modules:
        page = client.get(f"/learn/{enrollment.id}/modules/{module.position}").text
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
        assert CJK.search(heading) and heading.strip() not in source_titles, heading
        client.post(f"/learn/{enrollment.id}/modules/{module.position}")

    form = client.get(f"/learn/{enrollment.id}/attestation").text
    statement = chinese["attestation_text"]
    assert CJK.search(statement) and statement.split("{{")[0].strip()[:20] in form
    assert helpers.sign(client, enrollment, "王芳", PASSWORD).status_code == 302
    signed = app.extensions["sqlalchemy"].session.scalar(
        select(Attestation).where(Attestation.enrollment_id == enrollment.id))
    # The record holds the statement as the signer read it: in Chinese, settings filled in.
    assert CJK.search(signed.statement) and "{{" not in signed.statement

    attempt = helpers.open_attempt(client, enrollment)
    quiz = client.get(f"/quiz/attempts/{attempt.id}").text
    legends = re.findall(r"<legend>(.*?)</legend>", quiz, re.S)
    assert legends and all(CJK.search(legend) for legend in legends)
    client.post(f"/quiz/attempts/{attempt.id}", data=helpers.answers(attempt, right=True))

    certificate = app.extensions["sqlalchemy"].session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment.id))
    assert certificate.course_title == version.title  # the record keeps the source title
    assert chinese["title"] in client.get("/certificates").text
    assert chinese["title"] in client.get(f"/verify/{certificate.code}").text
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "".join(chinese["title"].split()) in "".join(text.split())

"""Every text field that reaches a PDF (certificate holder and course title, ESG department
names, the evidence summary's person and course) carries file://, loopback http://, CSS url(),
<img>, <link rel=attachment>, <object>/<iframe> and SVG references: the renderer fetches
nothing (a real listener on 127.0.0.1 counts hits), embeds nothing, and prints the text as
text. Rendering is bounded: an oversized document is refused at once."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date

import pytest
from pypdf import PdfReader

from certificates.pdf import MAX_HTML_CHARS, PdfTooLarge, render_pdf
from lms.db import db
from lms.people.models import Department
from tests.certificates.test_pdf import _certify
from tests.security.conftest import hostile_references


def _inspect(pdf: bytes) -> tuple[str, int, list]:
    """(text, image count, annotations) of every page; fails on an embedded file."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object(), "embedded file"
    assert b"/EmbeddedFile" not in pdf and b"/Launch" not in pdf and b"/JavaScript" not in pdf
    text, images, annotations = "", 0, []
    for page in reader.pages:
        text += page.extract_text() or ""
        images += len(page.images)
        annotations += list(page.get("/Annots") or [])
    return text, images, annotations


def _squash(text: str) -> str:
    return "".join(text.split())


def test_certificate_fields_fetch_and_embed_nothing(client, make_employee, make_assignment,
                                                    catalog, login, listener):
    refs = hostile_references(listener.url)
    name = " ".join(refs[:5])[:300]
    title = " ".join([refs[9], *refs[5:9], refs[10]])[:300]  # the column's width
    certificate = _certify(client, make_employee, make_assignment, catalog, login, name,
                           "hostile.pdf@example.com", title)
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200
    text, images, annotations = _inspect(response.data)
    assert listener.hits == []
    assert images == 0 and annotations == []
    squashed = _squash(text)
    assert "file:///etc/passwd" in text and "root:" not in text
    assert _squash('<img src="file:///etc/passwd">') in squashed
    assert _squash("<svg><image href=") in squashed


def test_esg_department_names_fetch_and_embed_nothing(client, make_employee, make_assignment,
                                                      catalog, login, listener):
    refs = hostile_references(listener.url)
    hr = make_employee("Esg Reader", email="esg@example.com", roles=("hr",))
    course = catalog["code-of-conduct"]
    # Groups under five people are suppressed in the report: five per hostile department.
    names = [" ".join(refs[0:4])[:200], " ".join(refs[4:8])[:200], " ".join(refs[8:])[:200]]
    for name in names:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
        for _ in range(5):
            person = make_employee("Esg Person")
            person.department_id = department.id
            db.session.commit()
            make_assignment(person, course, cycle="2026", due_on=date(2026, 6, 30))
    assert hr.department.name == "Sales"
    login(client, "esg@example.com")
    response = client.get("/hr/esg.pdf?year=2026")
    assert response.status_code == 200, response.text[:300]
    text, images, annotations = _inspect(response.data)
    assert listener.hits == []
    assert images == 0 and annotations == []
    assert "root:" not in text
    squashed = _squash(text)
    assert _squash("file:///etc/passwd") in squashed
    assert _squash("<svg><image href=") in squashed or _squash("<object data=") in squashed


def test_evidence_summary_fetches_and_embeds_nothing(client, make_employee, make_assignment,
                                                     catalog, login, listener):
    refs = hostile_references(listener.url)
    make_employee("Pack Reader", email="pack@example.com", roles=("hr",))
    person = make_employee(" ".join(refs[1:4])[:300], email="subject@example.com",
                           job_title=refs[4][:200])
    make_assignment(person, catalog["code-of-conduct"], cycle=refs[3][:32])
    login(client, "pack@example.com")
    response = client.get(f"/hr/people/{person.id}/evidence.zip")
    assert response.status_code == 200, response.text[:300]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
        assert pdfs
        for name in pdfs:
            data = archive.read(name)
            if not data.startswith(b"%PDF"):
                continue
            text, _, _annotations = _inspect(data)
            assert "root:" not in text
    assert listener.hits == []


def test_rendering_is_bounded():
    """A document over the size limit is refused before the layout engine sees it; one just
    under the limit of the worst kind a field can produce (one unbreakable word) renders in
    reasonable time."""
    started = time.monotonic()
    with pytest.raises(PdfTooLarge):
        render_pdf("<p>" + "x" * (MAX_HTML_CHARS + 1) + "</p>")
    assert time.monotonic() - started < 1
    started = time.monotonic()
    result = render_pdf("<h1>" + "W" * 20_000 + "</h1>" + "<table>" +
                        "<tr><td>a</td></tr>" * 500 + "</table>")
    assert result.pdf.startswith(b"%PDF")
    assert time.monotonic() - started < 30

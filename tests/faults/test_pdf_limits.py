"""PDF rendering is bounded in size and in wall-clock time (``LMS_PDF_TIMEOUT``), on every page
that makes a PDF: the certificate, the evidence pack's summary, the ESG report and the class
sign-in sheet. A document over either limit gets a page that says so (422 too large; 503 with
Retry-After too slow) and a log line, never a 500, and nothing is cached or served half-made.

The slow documents are real: a render that cannot finish inside the limit, run by the real
renderer process, which is killed and replaced."""

from __future__ import annotations

import io
import logging
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import certificates.pdf
from certificates.pdf import PdfTimeout, render_pdf
from courses.models import ClassSession
from lms.db import db
from lms.people.models import RoleGrant
from tests.certificates.test_pdf import certified  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow  # renders PDFs with WeasyPrint

# Thousands of table rows: seconds of layout, a small fraction of the size cap.
SLOW_DOCUMENT = "<table>" + "<tr><td>row</td><td>of a long list</td></tr>" * 6000 + "</table>"


@pytest.fixture
def pdf_pages(app, certified):  # noqa: F811
    """The signed-in certificate holder, made HR, and every URL that answers with a PDF."""
    db.session.add(RoleGrant(employee_id=certified.employee_id, role="hr"))
    starts = datetime.now(UTC) + timedelta(days=10)
    session = ClassSession(
        course_id=certified.course_id, starts_at=starts, ends_at=starts + timedelta(hours=2),
        timezone="Asia/Shanghai", venue="Room 2", capacity=5,
        signup_deadline=starts - timedelta(days=1))
    db.session.add(session)
    db.session.commit()
    return {
        "certificate": f"/certificates/{certified.code}.pdf",
        "evidence pack": f"/hr/people/{certified.employee_id}/evidence.zip",
        "esg": f"/hr/esg.pdf?year={starts.year}",
        "sign-in sheet": f"/hr/classes/{session.id}/sign-in.pdf",
    }


def _cached(app) -> list[str]:
    folder = Path(app.config["LMS_CACHE_DIR"]) / "certificates"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_render_over_the_time_limit_is_stopped_and_the_renderer_replaced():
    renderer = certificates.pdf._take()
    certificates.pdf._give_back(renderer)  # the next render uses this very process
    started = time.monotonic()
    with pytest.raises(PdfTimeout):
        render_pdf(SLOW_DOCUMENT, timeout=0.5)
    # Stopped at the limit (plus the time to kill a process), not when the layout would end.
    assert time.monotonic() - started < 5
    assert renderer.process.poll() is not None, "the renderer still runs"
    assert renderer not in certificates.pdf._idle
    assert render_pdf("<p>after</p>").pdf.startswith(b"%PDF-")


def test_every_pdf_page_answers_503_when_rendering_is_too_slow(app, client, pdf_pages, caplog):
    # No real render of ours finishes in a millisecond: every one of them runs over.
    app.config["LMS_PDF_TIMEOUT"] = 0.001
    for name, url in pdf_pages.items():
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="certificates.views"):
            response = client.get(url)
        assert response.status_code == 503, (name, response.status_code)
        assert response.headers["Retry-After"] == "60"
        assert response.mimetype == "text/html"
        assert "The PDF is taking too long" in response.text
        assert any("PDF timed out" in r.getMessage() and url.split("?")[0] in r.getMessage()
                   for r in caplog.records), name
    assert _cached(app) == []  # nothing cached, not even part of a file
    app.config["LMS_PDF_TIMEOUT"] = 20
    for name, url in pdf_pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
    assert [n for n in _cached(app) if not n.endswith(".pdf")] == []


def test_every_pdf_page_answers_422_when_the_document_is_too_large(app, client, pdf_pages,
                                                                   monkeypatch, caplog):
    # Our real documents are far under the cap; lowered, each of them is over it.
    monkeypatch.setattr(certificates.pdf, "MAX_HTML_CHARS", 500)
    for name, url in pdf_pages.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="certificates.views"):
            response = client.get(url)
        assert response.status_code == 422, (name, response.status_code)
        assert "Retry-After" not in response.headers  # the same document will not shrink
        assert "This document is too large for a PDF" in response.text
        assert any("PDF refused" in r.getMessage() for r in caplog.records), name
    assert _cached(app) == []


def test_the_evidence_pack_is_whole_once_rendering_works_again(app, client, pdf_pages):
    app.config["LMS_PDF_TIMEOUT"] = 0.001
    assert client.get(pdf_pages["evidence pack"]).status_code == 503
    app.config["LMS_PDF_TIMEOUT"] = 20
    response = client.get(pdf_pages["evidence pack"])
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
        assert "summary.pdf" in pdfs and len(pdfs) == 2
        assert all(archive.read(n).startswith(b"%PDF-") for n in pdfs)


def test_a_renderer_killed_mid_render_gives_503_and_is_replaced(app, client, pdf_pages,
                                                                 monkeypatch, caplog):
    """The renderer process dies (out of memory, killed by the OS) while laying out a page:
    the reader gets a page saying to try again, and the next render gets a fresh process."""
    import threading

    original = certificates.pdf._Renderer.render

    def killed_while_rendering(self, html, timeout):
        threading.Timer(0.3, self.process.kill).start()
        return original(self, SLOW_DOCUMENT, timeout)

    monkeypatch.setattr(certificates.pdf._Renderer, "render", killed_while_rendering)
    with caplog.at_level(logging.ERROR, logger="certificates.views"):
        response = client.get(pdf_pages["certificate"])
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "The PDF could not be made just now" in response.text
    assert any("PDF renderer failed" in r.getMessage() for r in caplog.records)
    assert _cached(app) == []
    monkeypatch.undo()
    assert client.get(pdf_pages["certificate"]).status_code == 200

"""The ESG report and the evidence summary in the reader's language: a Chinese-reading HR
officer gets Chinese headings, set in the Chinese face that is embedded in the file."""

from __future__ import annotations

import io
import subprocess
import zipfile

from flask_babel import force_locale, gettext
from pypdf import PdfReader

from tests.conftest import PASSWORD
from tests.dashboard.test_esg import YEAR, company  # noqa: F401  (the fixture)

CJK_FACE = "Noto-Sans-CJK-SC"


def _chinese_hr(app, make_employee):
    make_employee("李静", email="li.hr@example.com", roles=("hr",), locale="zh-Hans")
    client = app.test_client()
    response = client.post("/login", data={"email": "li.hr@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return client


def _chinese(app, message: str, **values) -> str:
    with app.test_request_context(), force_locale("zh_Hans"):
        translated = gettext(message, **values)
    assert translated != message % values
    return translated


def _fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def _text(data: bytes) -> str:
    return "".join("".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(data)).pages)


def test_the_esg_report_in_chinese(app, make_employee, company, tmp_path):  # noqa: F811
    client = _chinese_hr(app, make_employee)
    response = client.get(f"/hr/esg.pdf?year={YEAR}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    for message in ("By department", "By location"):
        assert "".join(_chinese(app, message).split()) in text, message
    title = _chinese(app, "ESG training summary, %(year)s", year=YEAR)
    assert "".join(title.split()) in text
    assert CJK_FACE in _fonts(response.data, tmp_path)


def test_the_evidence_summary_in_chinese(app, make_employee, make_assignment, catalog,
                                         tmp_path):
    learner = make_employee("王芳", email="wang@example.com")
    make_assignment(learner, catalog["code-of-conduct"])
    client = _chinese_hr(app, make_employee)
    response = client.get(f"/hr/people/{learner.id}/evidence.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as pack:
        name = next(n for n in pack.namelist() if n.endswith(".pdf") and "summary" in n)
        summary = pack.read(name)
    text = _text(summary)
    assert "王芳" in text
    fonts = _fonts(summary, tmp_path)
    assert CJK_FACE in fonts
    # Its labels are in the reader's language.
    for message in ("Training evidence", "Employee number", "Department / location"):
        assert "".join(_chinese(app, message).split()) in text, message
        assert "".join(message.split()) not in text

"""A Chinese holder's certificate: labels and dates in Chinese, the name in a Chinese serif face
with real glyphs (checked on the rendered page against the font itself, not only by extracting
text), Latin text in the Latin face, and everything above the footer."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from certificates.models import Certificate
from courses.services import published_version
from lms.db import db
from lms.people.models import Employee
from tests import helpers
from tests.conftest import PASSWORD

NAME = "欧阳娜娜"
TITLE = "Personal safety 个人安全 basics"
DPI = 200
SCALE = DPI / 72  # pixels per PDF point
MM = 72 / 25.4  # points per millimetre


def _tool(args: list[str], pdf: Path) -> str:
    return subprocess.run([*args, str(pdf), *(["-"] if args[0] == "pdftotext" else [])],
                          check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def chinese_certificate(app, make_employee, make_assignment, catalog, login, tmp_path):
    """欧阳娜娜 (profile in Simplified Chinese) passed a course with a Latin and Chinese title;
    returns the signed-in client, the certificate, and the downloaded PDF's path."""
    course = catalog["self-defense-basics"]
    version = published_version(course.id)
    # The holder reads the course's own Chinese title where it has one: give it a mixed one.
    version.title = TITLE
    version.translations = {tag: {**entry, "title": TITLE}
                            for tag, entry in version.translations.items()}
    db.session.commit()
    person = make_employee(NAME, email="ouyang@example.com", locale="zh-Hans")
    assignment = make_assignment(person, course)
    client = app.test_client()
    login(client, "ouyang@example.com")
    helpers.complete_course(client, assignment, NAME, PASSWORD)
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.employee_id == person.id))
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.data)
    return client, certificate, path


def _runs(pdf: Path) -> list[tuple[str, str]]:
    """(text, font) for every piece of text drawn, in drawing order."""
    runs = []

    def visit(text, _cm, _tm, font, _size):
        if text.strip():
            runs.append((text.strip(), str((font or {}).get("/BaseFont", ""))))

    PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text(visitor_text=visit)
    return runs


def test_labels_and_dates_are_in_the_holders_language(chinese_certificate):
    _client, certificate, pdf = chinese_certificate
    text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    for label in ("结业证书", "兹证明", "已顺利完成", "完成日期", "有效期至", "得分", "工号",
                  "课程版本", "验证网址"):
        assert label in text, label
    day = certificate.completed_on
    assert f"{day.year}年{day.month}月{day.day}日" in text
    assert NAME in text.split("\n")  # the exact name, on a line of its own
    assert "Certificate of Completion" not in text and "Completed on" not in text


def test_each_script_is_set_in_its_own_face(chinese_certificate):
    _client, certificate, pdf = chinese_certificate
    fonts = _tool(["pdffonts"], pdf)
    embedded = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]
                if line.split()[-5] == "yes"}  # the "emb" column
    assert {"Noto-Serif-CJK-SC-Bold", "Noto-Serif-CJK-SC", "DejaVu-Serif",
            "DejaVu-Serif-Bold"} <= embedded, fonts
    runs = _runs(pdf)

    def font_of(piece: str) -> str:
        return next(font for text, font in runs if text == piece)

    assert font_of(NAME).endswith("+Noto-Serif-CJK-SC-Bold")
    assert font_of("个人安全").endswith("+Noto-Serif-CJK-SC-Bold")
    assert font_of("Personal safety").endswith("+DejaVu-Serif-Bold")
    assert font_of("工号").endswith("+Noto-Serif-CJK-SC")
    assert font_of(certificate.employee_number).endswith("+DejaVu-Serif")
    # No Latin letter is drawn with the CJK face, and no Chinese with the Latin one.
    for text, font in runs:
        if "CJK" in font:
            assert not re.search(r"[A-Za-z]", text), (text, font)
        else:
            assert not re.search(r"[\u4e00-\u9fff]", text), (text, font)


def _words(pdf: Path) -> dict[str, tuple[float, float, float, float]]:
    html = _tool(["pdftotext", "-bbox"], pdf)
    return {text: (float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, text in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                       r'yMax="([\d.]+)">([^<]*)</word>', html)}


def test_the_details_fit_above_the_footer(chinese_certificate):
    """CJK lines are taller than Latin ones: the last detail row must still sit above the QR
    code, not be cut off by it."""
    _client, certificate, pdf = chinese_certificate
    words = _words(pdf)
    qr_top = words["验证网址"][1] - 30 * MM  # the 30 mm QR code sits just above "验证网址"
    assert words[certificate.employee_number][3] < qr_top
    assert words[certificate.employee_number][3] < words["课程版本"][1]


def _ink(image: Image.Image) -> Image.Image:
    """The glyphs alone: dark pixels, cropped to their bounding box, on a fixed-size canvas."""
    gray = image.convert("L").point(lambda v: 255 if v < 140 else 0)
    box = gray.getbbox()
    assert box, "no ink"
    return gray.crop(box).resize((240, 60), Image.Resampling.BILINEAR)


def _similarity(a: Image.Image, b: Image.Image) -> float:
    """Pearson correlation of two same-sized grey images (1: the same shapes)."""
    xs, ys = list(a.tobytes()), list(b.tobytes())
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs) ** 0.5
    vy = sum((y - my) ** 2 for y in ys) ** 0.5
    return cov / (vx * vy)


def _reference(text: str, pattern: str, size: int) -> Image.Image:
    """``text`` drawn by Pillow with the font fontconfig gives for ``pattern``."""
    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", pattern], check=True,
                           capture_output=True, text=True, timeout=30).stdout
    file, index = found.rsplit(":", 1)
    font = ImageFont.truetype(file, size, index=int(index))
    canvas = Image.new("L", (size * (len(text) + 2), size * 2), 255)
    ImageDraw.Draw(canvas).text((size // 2, size // 2), text, font=font, fill=0)
    return canvas


def test_the_name_is_drawn_with_real_chinese_glyphs(chinese_certificate, tmp_path):
    """Rendered to PNG, the name looks like the same four characters drawn straight from Noto
    Serif CJK SC Bold, and unlike the empty boxes ("tofu") a font without them draws."""
    _client, _certificate, pdf = chinese_certificate
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    x0, y0, x1, y1 = _words(pdf)[NAME]
    with Image.open(tmp_path / "page.png") as page:
        region = page.crop((int(x0 * SCALE) - 4, int(y0 * SCALE) - 4,
                            int(x1 * SCALE) + 4, int(y1 * SCALE) + 4))
        region.load()
    height = int((y1 - y0) * SCALE)
    gray = region.convert("L")
    dark = sum(1 for v in gray.tobytes() if v < 140) / (gray.width * gray.height)
    assert 0.08 < dark < 0.6, f"ink covers {dark:.0%} of the name's box"

    drawn = _ink(region)
    real = _ink(_reference(NAME, "Noto Serif CJK SC:bold", height))
    tofu = _ink(_reference(NAME, "DejaVu Serif:bold", height))
    like_real, like_tofu = _similarity(drawn, real), _similarity(drawn, tofu)
    assert like_real > 0.8, like_real
    assert like_real > like_tofu + 0.3, (like_real, like_tofu)
    # Each character on its own, too (a single missing glyph would hide in the average).
    quarter = drawn.width // 4
    for i in range(4):
        cell = (i * quarter, 0, (i + 1) * quarter, drawn.height)
        assert _similarity(drawn.crop(cell), real.crop(cell)) > 0.6, NAME[i]


def test_the_certificate_follows_the_holders_language_whoever_downloads_it(
        app, chinese_certificate, make_employee, login):
    client, certificate, _pdf = chinese_certificate
    person = db.session.get(Employee, certificate.employee_id)
    person.locale = "en"
    db.session.commit()
    english = client.get(f"/certificates/{certificate.code}.pdf").data
    text = PdfReader(io.BytesIO(english)).pages[0].extract_text()
    assert "Certificate of Completion" in text and NAME in text and "结业证书" not in text
    cache = Path(app.config["LMS_CACHE_DIR"]) / "certificates"
    assert (cache / f"{certificate.code}.pdf").is_file()  # English keeps its old name
    assert (cache / f"{certificate.code}.zh_Hans.pdf").is_file()
    # HR, reading in English, gets the holder's Chinese certificate in the evidence pack.
    person.locale = "zh-Hans"
    db.session.commit()
    make_employee("Hr Person", email="hr@example.com", roles=("hr",), locale="en")
    hr = app.test_client()
    login(hr, "hr@example.com")
    pack = hr.get(f"/hr/people/{person.id}/evidence.zip", headers={"Accept-Language": "en"})
    assert pack.status_code == 200
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(f"{certificate.code}.pdf")]
        inside = archive.read(name)
    assert "结业证书" in PdfReader(io.BytesIO(inside)).pages[0].extract_text()

"""Certificate PDFs: real glyphs for Chinese names, one landscape page, caching that never serves
a broken file, and a renderer that fetches nothing but its own assets."""

from __future__ import annotations

import io
import logging
import re
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

import certificates.views
from certificates.models import Certificate
from certificates.pdf import AssetOnlyFetcher, cached_pdf, qr_svg, render_pdf
from courses.services import published_version
from lms.db import db
from lms.people.models import Employee
from tests import helpers
from tests.conftest import PASSWORD

CHINESE_NAME = "王小明"
MIXED_TITLE = "Personal safety 个人安全 and self-defense basics 自我防护基础"
A4_LANDSCAPE_PT = (841.89, 595.28)


def _run(tool: list[str], pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    return subprocess.run([*tool, str(path), *(["-"] if tool[0] == "pdftotext" else [])],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def _text(pdf: bytes, tmp_path: Path) -> str:
    return _run(["pdftotext", "-layout"], pdf, tmp_path)


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    return _run(["pdffonts"], pdf, tmp_path)


MM = 72 / 25.4  # points per millimetre


def _words(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """Every word on the page with its box (text, x0, y0, x1, y1 in points, y downwards)."""
    html = _run(["pdftotext", "-bbox"], pdf, tmp_path)
    return [(text, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, text in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                       r'yMax="([\d.]+)">([^<]*)</word>', html)]


def assert_laid_out_inside_the_frame(pdf: bytes, tmp_path: Path, employee_number: str,
                                     qr_mm: float = 30) -> None:
    """All text inside the frame, and the details table above the QR code (no overlap)."""
    words = _words(pdf, tmp_path)
    width, height = A4_LANDSCAPE_PT
    margin = 14 * MM  # the sheet's padding, outside the frame
    for text, x0, y0, x1, y1 in words:
        assert margin < x0 and x1 < width - margin, text
        assert margin < y0 and y1 < height - margin, text
    by_text = {text: (x0, y0, x1, y1) for text, x0, y0, x1, y1 in words}
    qr_top = by_text["Verify"][1] - qr_mm * MM  # the QR code sits just above "Verify at"
    assert by_text[employee_number][3] < qr_top
    assert by_text[employee_number][3] < by_text["Course"][1]  # "Course version" footer


def _has_ink(pdf: bytes, tmp_path: Path, box: tuple[float, float, float, float]) -> bool:
    """Whether anything dark is drawn inside ``box`` (points, as _words gives it) of page 1.
    pdftotext finds text a clip hides; the rendered page does not show it."""
    dpi = 100
    (tmp_path / "ink.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp_path / "ink.pdf"),
                    str(tmp_path / "ink")], check=True, timeout=60)
    with Image.open(tmp_path / "ink.png") as image:
        crop = image.convert("L").crop(tuple(round(v * dpi / 72) for v in box))
        return crop.getextrema()[0] < 128


def _pages(pdf: bytes) -> list:
    return PdfReader(io.BytesIO(pdf)).pages


def _certify(client, make_employee, make_assignment, catalog, login, name: str, email: str,
             title: str | None = None) -> Certificate:
    """Pass a course through the learner's routes, which issues the certificate; ``title``
    renames the published version first (the certificate snapshots the version's title)."""
    course = catalog["self-defense-basics"]
    if title is not None:
        published_version(course.id).title = title
        db.session.commit()
    person = make_employee(name, email=email)
    assignment = make_assignment(person, course)
    login(client, email)
    helpers.complete_course(client, assignment, name, PASSWORD)
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.employee_id == person.id))
    assert certificate is not None
    return certificate


@pytest.fixture
def certified(client, make_employee, make_assignment, catalog, login) -> Certificate:
    """A Chinese-named employee who passed a course with a Latin and Chinese title, signed in."""
    return _certify(client, make_employee, make_assignment, catalog, login, CHINESE_NAME,
                    "wang.xm@example.com", MIXED_TITLE)


def test_chinese_name_renders_with_an_embedded_cjk_font(client, certified, tmp_path):
    assert certified.holder_name == CHINESE_NAME and certified.course_title == MIXED_TITLE
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="certificate-{certified.code}.pdf"'
    pdf = response.data
    fonts = _fonts(pdf, tmp_path)
    cjk = [line for line in fonts.splitlines() if "Noto-Serif-CJK" in line
           or "NotoSerifCJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
    text = _text(pdf, tmp_path)
    assert CHINESE_NAME in text
    assert certified.code in text
    assert "个人安全" in text and "自我防护基础" in text and "Personal safety" in text


def test_one_a4_landscape_page(client, certified, tmp_path):
    pdf = client.get(f"/certificates/{certified.code}.pdf").data
    pages = _pages(pdf)
    assert len(pages) == 1
    assert_laid_out_inside_the_frame(pdf, tmp_path, certified.employee_number)
    box = pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert abs(float(box.width) - A4_LANDSCAPE_PT[0]) < 1
    assert abs(float(box.height) - A4_LANDSCAPE_PT[1]) < 1


def test_rendered_page_is_landscape_and_not_blank(client, certified, tmp_path):
    (tmp_path / "c.pdf").write_bytes(client.get(f"/certificates/{certified.code}.pdf").data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "c.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")  # one page, so one image
    with Image.open(png) as image:
        width, height = image.size
        gray = image.convert("L")
        histogram = gray.histogram()  # 256 counts of gray levels
        # Where the ink is: the top half holds the title and the name, the bottom right the QR.
        top = gray.crop((0, height // 8, width, height // 2)).getextrema()
        qr = gray.crop((width * 2 // 3, height // 2, width, height)).getextrema()
    assert width > height
    assert abs(width / height - 297 / 210) < 0.02
    assert sum(histogram) == width * height
    # The frame, the text and the QR code are there.
    assert sum(histogram[:128]) > width * height * 0.02
    assert top[0] < 80 and qr[0] < 80


def test_long_name_and_title_stay_on_one_page(client, make_employee, make_assignment, catalog,
                                              login, tmp_path):
    name = "欧阳" + "明" * 40 + " Alexandria Konstantinopoulou-Wellington"
    title = ("Anti-bribery, gifts, hospitality and conflicts of interest for everyone in "
             "procurement, sales and customer service 反贿赂、礼品、招待与利益冲突 ") * 3
    certificate = _certify(client, make_employee, make_assignment, catalog, login, name,
                           "long.name@example.com", title[:300])
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    assert len(_pages(pdf)) == 1
    assert certificate.code in _text(pdf, tmp_path)
    assert_laid_out_inside_the_frame(pdf, tmp_path, certificate.employee_number)


def test_footer_sits_in_the_bottom_corners_with_its_last_lines_level(client, certified,
                                                                    tmp_path):
    """Where the flex row used to put them (the footer is positioned now, for speed): the
    version and hash at the bottom left of the frame's content box, the verify block centred
    in its 64 mm at the bottom right, the hash's last line level with the code's."""
    words = _words(client.get(f"/certificates/{certified.code}.pdf").data, tmp_path)
    by_text = {text: (x0, y0, x1, y1) for text, x0, y0, x1, y1 in words}
    edge = (14 + 2.5 + 3 + 0.6 + 16) * MM  # sheet padding, frame, inner border and padding
    bottom = A4_LANDSCAPE_PT[1] - (14 + 2.5 + 3 + 0.6 + 8) * MM  # the inner's padding is 8 mm
    course, content, code = by_text["Course"], by_text["Content"], by_text[certified.code]
    assert abs(course[0] - edge) < 0.5 and abs(content[0] - edge) < 0.5
    assert abs((code[0] + code[2]) / 2 - (A4_LANDSCAPE_PT[0] - edge - 32 * MM)) < 0.5
    assert abs(code[3] - bottom) < 0.5
    assert abs(content[3] - code[3]) < 0.5


@pytest.mark.parametrize("url", ["http://localhost/verify/7K3QW-M9XTP-2RDVA-H4NBE",
                                 "https://training.example-corporation.co.uk/guardrail/verify/"
                                 "00000-ZZZZZ-00000-ZZZZZ"])
def test_qr_code_is_the_symbol_segno_chooses(url):
    """qr_svg skips segno's Micro QR attempt; a verify URL never fits one, so the symbol (and
    its mask) is the one segno.make would have chosen."""
    expected = segno.make(url, error="m")
    assert not expected.is_micro
    assert str(qr_svg(url)) == expected.svg_inline(scale=3, border=0, dark="#1f2937")


@pytest.mark.parametrize(("base", "lines"), [
    ("http://localhost", 2),  # http://localhost/verify/ and the code's first group, then the rest
    ("https://lms.example.com", 2),
    ("https://training.example-corporation.co.uk/compliance/guardrail", 3),
])
def test_a_long_verify_address_leaves_the_chinese_details_whole(
        app, client, make_employee, make_assignment, catalog, login, tmp_path, base, lines):
    """The address wraps in the verify column; the QR code gives up the room each extra line
    takes, so the Chinese details (whose lines are the tallest) still end above it. It used to
    cut the employee number in half with a production address."""
    app.config["LMS_BASE_URL"] = base
    certificate = _certify(client, make_employee, make_assignment, catalog, login,
                           "欧阳·Alexander 娜娜", "ouyang@example.com", MIXED_TITLE)
    db.session.get(Employee, certificate.employee_id).locale = "zh-Hans"
    db.session.commit()
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    words = _words(pdf, tmp_path)
    by_text = {text: (x0, y0, x1, y1) for text, x0, y0, x1, y1 in words}
    # The address's lines: between "Verify at" and the code, in the verify column.
    below, above = by_text["验证网址"][1] + 1, by_text[certificate.code][1]
    url_rows = {round(y0) for text, x0, y0, _x1, _y1 in words
                if below <= y0 < above and x0 > A4_LANDSCAPE_PT[0] / 2 and text != "验证网址"}
    assert len(url_rows) == lines, [w for w in words if w[2] > below]
    # The last row is drawn, not cut off at the footer: there is ink where its text is.
    assert _has_ink(pdf, tmp_path, by_text[certificate.employee_number])
    assert _has_ink(pdf, tmp_path, by_text["工号"])


def test_second_download_comes_from_the_cache(app, client, certified, monkeypatch):
    first = client.get(f"/certificates/{certified.code}.pdf").data
    cache_dir = app.config["LMS_CACHE_DIR"]
    cached = Path(cache_dir) / "certificates" / f"{certified.code}.pdf"
    assert cached.read_bytes() == first
    assert cached_pdf(cache_dir, certified.code) == first

    def no_rendering(html):
        raise AssertionError("rendered again although the cache holds the PDF")

    monkeypatch.setattr(certificates.views, "render_pdf", no_rendering)
    second = client.get(f"/certificates/{certified.code}.pdf")
    assert second.status_code == 200 and second.data == first
    assert not list(cached.parent.glob(".*.tmp"))  # no temporary files left behind


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "no-eof"])
def test_a_broken_cache_file_is_never_served(app, client, certified, damage):
    first = client.get(f"/certificates/{certified.code}.pdf").data
    cache_dir = app.config["LMS_CACHE_DIR"]
    cached = Path(cache_dir) / "certificates" / f"{certified.code}.pdf"
    broken = {
        "truncated": first[: len(first) // 2],  # half-written, as after a full disk
        "garbage": b"<html>not a pdf</html>",
        "empty": b"",
        "no-eof": first.replace(b"%%EOF", b"%%EOX"),
    }[damage]
    cached.write_bytes(broken)
    assert cached_pdf(cache_dir, certified.code) is None
    again = client.get(f"/certificates/{certified.code}.pdf").data
    assert again != broken
    assert again.startswith(b"%PDF-") and b"%%EOF" in again[-1024:]
    assert len(_pages(again)) == 1
    assert cached.read_bytes() == again  # and the cache is repaired


def test_unwritable_cache_still_serves(app, client, certified, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    app.config["LMS_CACHE_DIR"] = str(blocker)
    with caplog.at_level(logging.WARNING, logger="certificates.views"):
        response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert len(_pages(response.data)) == 1
    assert "serving the rendered PDF uncached" in caplog.text


def test_someone_elses_certificate_is_not_found(app, client, certified, make_employee):
    make_employee("Other Person", email="other@example.com")
    other = app.test_client()
    assert other.post("/login", data={"email": "other@example.com",
                                      "password": PASSWORD}).status_code == 302
    response = other.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 404
    assert not response.data.startswith(b"%PDF")
    assert other.get("/certificates/AAAAA-AAAAA-AAAAA-AAAAA.pdf").status_code == 404
    anonymous = app.test_client()
    response = anonymous.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 302 and "/login" in response.location


class _Listener:
    """A TCP listener on loopback that counts connections (it should see none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = _Listener()
    yield server
    server.close()


def test_renderer_fetches_nothing_but_its_assets(listener, tmp_path):
    url = listener.url
    html = f"""<html><head>
      <style>@import url("file:///etc/hostname"); @import url("{url}import.css");</style>
      <link rel="stylesheet" href="{url}x.css">
      <link rel="attachment" href="file:///etc/passwd">
      <link rel="icon" href="{url}favicon.ico">
      <style>body {{ background: url("{url}bg.png"); }}
             @font-face {{ font-family: X; src: url("file:///etc/passwd"); }}
             p {{ font-family: X; }}</style>
      <link rel="stylesheet" href="asset:certificate.css">
    </head><body>
      <img src="file:///etc/passwd"><img src="{url}img.jpg">
      <img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image
        href='{url}in-data.png'/></svg>">
      <svg xmlns="http://www.w3.org/2000/svg"><image href="{url}svg.png" width="10"
        height="10"/></svg>
      <object data="file:///etc/passwd"></object>
      <iframe src="{url}frame.html"></iframe>
      <a href="file:///etc/passwd" rel="attachment">attached</a>
      <p>hello</p>
    </body></html>"""
    result = render_pdf(html)
    assert listener.connections == 0
    refused = result.refused
    assert "file:///etc/passwd" in refused
    assert "file:///etc/hostname" in refused
    for path in ("x.css", "bg.png", "img.jpg"):
        assert f"{url}{path}" in refused, refused
    assert not any(u.startswith("asset:") for u in refused)
    text = _text(result.pdf, tmp_path)
    assert "hello" in text
    assert "root:" not in text
    assert b"/EmbeddedFile" not in result.pdf  # no attachment was embedded
    assert b"root:x:0:0" not in result.pdf


def test_fetcher_refuses_paths_outside_its_folder():
    fetcher = AssetOnlyFetcher()
    for url in ("asset:../pdf.py", "asset:/etc/passwd", "asset:../../lms/config.py",
                "asset:", "asset:missing.css", "file:///etc/passwd", "data:text/css,p{}",
                "ASSET:certificate.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 8
    assert fetcher.fetch("asset:certificate.css").read().startswith(b"@page")


def test_hostile_name_and_title_are_text_and_fetch_nothing(client, make_employee,
                                                           make_assignment, catalog, login,
                                                           listener, tmp_path, caplog):
    url = listener.url
    name = (f'<img src="file:///etc/passwd"><img src="{url}n.png">'
            '<link rel=attachment href="file:///etc/passwd">')[:300]
    title = (f'<style>body{{background:url("{url}t.png")}}</style>'
             f'<link rel=stylesheet href="{url}t.css"> url(file:///etc/passwd)')
    with caplog.at_level(logging.WARNING, logger="certificates.pdf"):
        certificate = _certify(client, make_employee, make_assignment, catalog, login, name,
                               "hostile@example.com", title)
        assert certificate.holder_name == name and certificate.course_title == title
        pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    assert listener.connections == 0
    # Escaped by Jinja, the markup never reaches the renderer as markup: nothing is even tried.
    assert "refused" not in caplog.text
    text = _text(pdf, tmp_path)
    assert "<img" in text and "file:///etc/passwd" in text  # shown as text, not interpreted
    assert "root:" not in text
    assert b"/EmbeddedFile" not in pdf
    assert len(_pages(pdf)) == 1

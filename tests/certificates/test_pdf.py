"""Certificate PDFs: real glyphs for Chinese names, one landscape page, caching that never serves
a broken file, and a renderer that fetches nothing but its own assets."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.pdf import AssetOnlyFetcher, cached_pdf, render_pdf
from lms.db import db
from tests import helpers
from tests.conftest import PASSWORD


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def certified(client, make_employee, make_assignment, catalog, login):
    """A Chinese-named employee who passed a course, signed in."""
    person = make_employee("王小明", email="wang.xm@example.com")
    assignment = make_assignment(person, catalog["self-defense-basics"])
    login(client, "wang.xm@example.com")
    helpers.complete_course(client, assignment, "王小明", PASSWORD)
    return db.session.scalar(db.select(Certificate))


def test_chinese_name_renders_with_a_cjk_font(client, certified, tmp_path):
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    fonts = _fonts(pdf, tmp_path)
    assert "NotoSerifCJK" in fonts.replace("-", "").replace(" ", "")
    text = _text(pdf, tmp_path)
    assert "王小明" in text and certified.code in text
    assert "Personal safety and self-defense basics" in text
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    assert abs(float(box.width) - 841.89) < 1 and abs(float(box.height) - 595.28) < 1


def test_rendered_page_is_not_blank(client, certified, tmp_path):
    pdf = client.get(f"/certificates/{certified.code}.pdf").data
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(tmp_path / "c.pdf"),
                    str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.pgm")
    data = image.read_bytes()
    # A binary PGM: header of three lines, then one byte per pixel.
    header_end = data.index(b"\n", data.index(b"\n", data.index(b"\n") + 1) + 1) + 1
    width, height = map(int, data[3:header_end].split()[0:2])
    pixels = data[header_end:]
    assert width > height
    dark = sum(1 for value in pixels if value < 128)
    assert dark > len(pixels) * 0.02  # the frame, the text and the QR code are there


def test_pdf_is_cached_and_a_broken_cache_file_is_never_served(app, client, certified,
                                                               tmp_path):
    first = client.get(f"/certificates/{certified.code}.pdf").data
    cache_dir = app.config["LMS_CACHE_DIR"]
    cached = Path(cache_dir) / "certificates" / f"{certified.code}.pdf"
    assert cached.read_bytes() == first
    assert cached_pdf(cache_dir, certified.code) == first
    cached.write_bytes(first[: len(first) // 2])  # a half-written file, as after a full disk
    assert cached_pdf(cache_dir, certified.code) is None
    again = client.get(f"/certificates/{certified.code}.pdf").data
    assert again.startswith(b"%PDF-") and b"%%EOF" in again[-1024:]
    assert cached.read_bytes() == again


def test_unwritable_cache_still_serves(app, client, certified, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    app.config["LMS_CACHE_DIR"] = str(blocker)
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_someone_elses_certificate_is_not_found(app, client, certified, make_employee):
    make_employee("Other Person", email="other@example.com")
    other = app.test_client()
    other.post("/login", data={"email": "other@example.com", "password": PASSWORD})
    assert other.get(f"/certificates/{certified.code}.pdf").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/certificates/{certified.code}.pdf").status_code == 302


class _Listener:
    """A TCP listener on loopback that counts connections (it should see none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
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


def test_renderer_fetches_nothing_but_its_assets(tmp_path):
    listener = _Listener()
    url = f"http://127.0.0.1:{listener.port}/x"
    html = f"""<html><head>
      <link rel="stylesheet" href="{url}.css">
      <link rel="attachment" href="file:///etc/passwd">
      <style>body {{ background: url("{url}.png"); }}
             @import url("file:///etc/hostname");</style>
      <link rel="stylesheet" href="asset:certificate.css">
    </head><body>
      <img src="file:///etc/passwd"><img src="{url}.jpg">
      <img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image
        href='{url}'/></svg>">
      <svg xmlns="http://www.w3.org/2000/svg"><image href="{url}.svg" width="10" height="10"/></svg>
      <object data="file:///etc/passwd"></object>
      <p>hello</p>
    </body></html>"""
    try:
        result = render_pdf(html)
    finally:
        listener.close()
    assert listener.connections == 0
    assert any(u.startswith("file:///etc/passwd") for u in result.refused)
    assert any(u.startswith(f"http://127.0.0.1:{listener.port}") for u in result.refused)
    assert not any(u.startswith("asset:") for u in result.refused)
    text = _text(result.pdf, tmp_path)
    assert "root:" not in text and "hello" in text
    assert b"/EmbeddedFile" not in result.pdf  # no attachment was embedded


def test_fetcher_refuses_paths_outside_its_folder():
    fetcher = AssetOnlyFetcher()
    for url in ("asset:../pdf.py", "asset:/etc/passwd", "asset:../../lms/config.py"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("asset:certificate.css").read().startswith(b"@page")


def test_hostile_names_are_escaped_in_the_pdf(client, make_employee, make_assignment, catalog,
                                              login, tmp_path):
    name = '<img src="file:///etc/passwd"><link rel=attachment href="file:///etc/passwd">'
    person = make_employee(name, email="hostile@example.com")
    assignment = make_assignment(person, catalog["self-defense-basics"])
    login(client, "hostile@example.com")
    helpers.complete_course(client, assignment, name, PASSWORD)
    certificate = db.session.scalar(db.select(Certificate))
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    text = _text(pdf, tmp_path)
    assert "<img" in text  # shown as text, not interpreted
    assert "root:" not in text and b"/EmbeddedFile" not in pdf

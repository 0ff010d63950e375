"""Certificate PDFs: rendered with WeasyPrint from a plain-data snapshot, cached on disk.

The renderer's URL fetcher refuses every URL except the package's own assets (``asset:NAME``):
no ``file://``, no network, no ``data:`` URLs, whatever a name or course title contains. Fonts
come from the system's fontconfig (Noto Serif CJK for Chinese, DejaVu Serif for Latin).

Rendering is bounded twice: by size (``MAX_HTML_CHARS``, refused before layout starts) and by
wall-clock time (``LMS_PDF_TIMEOUT``). The layout runs in a long-lived renderer process, not in
the web worker's thread: a thread cannot be interrupted (signals reach the main thread only,
and gunicorn serves from several), while a process can be killed. A render that runs out of
time kills its renderer; the next render starts a fresh one.
"""

from __future__ import annotations

import atexit
import logging
import mimetypes
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import segno
from flask import current_app, has_app_context
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = Path(__file__).parent / "assets"
MAX_HTML_CHARS = 2_000_000
DEFAULT_TIMEOUT = 20.0  # seconds; below gunicorn's 30 s, so the page is ours, not a killed worker
START_TIMEOUT = 120.0  # a new renderer imports WeasyPrint and loads fonts; never counted above
MAX_IDLE = 2  # renderers kept waiting per web process (each holds WeasyPrint, ~100 MB)
MAX_RENDERS = 500  # then a fresh renderer: whatever a long-lived one accumulates is let go
log = logging.getLogger(__name__)


class AssetOnlyFetcher(URLFetcher):
    """Serves ``asset:NAME`` from the certificates package and refuses everything else."""

    def __init__(self):
        super().__init__(fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("asset:"):
            name = url.removeprefix("asset:")
            path = (ASSETS / name).resolve()
            if path.parent == ASSETS.resolve() and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        self.refused.append(url)
        log.warning("PDF renderer refused to fetch %r", url[:200])
        raise ValueError(f"fetching {url[:80]!r} is not allowed while rendering a PDF")


@dataclass
class RenderResult:
    pdf: bytes
    refused: list[str] = field(default_factory=list)


_fonts = FontConfiguration()


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no image fetch needed)."""
    # make_qr, not make: a verify URL is always too long for a Micro QR code, and asking segno
    # to try one first costs a fifth of the code's time (the same symbol comes out).
    svg = segno.make_qr(url, error="m").svg_inline(scale=3, border=0, dark="#1f2937")
    return Markup(svg)  # noqa: S704  (segno writes the SVG; the URL is encoded as modules)


def _render_here(html: str) -> RenderResult:
    fetcher = AssetOnlyFetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url="asset:")
    pdf = document.write_pdf(font_config=_fonts)
    return RenderResult(pdf, fetcher.refused)


def _serve(fd: int) -> None:
    """The renderer process: one document at a time until the web process goes away."""
    # Refusals are logged by the web process (it knows the request); nothing on stderr here.
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL)
    conn = Connection(fd)
    conn.send(("ready", None))
    while True:
        try:
            html = conn.recv()
        except (EOFError, OSError):
            return  # the web process closed the pipe or died
        try:
            result = _render_here(html)
            conn.send(("ok", (result.pdf, result.refused)))
        except Exception as exc:  # reported to the caller, who raises it
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Renderer:
    """A renderer process and the socket to it."""

    def __init__(self):
        # A fresh interpreter (fork and exec), not multiprocessing: forking a multi-threaded web
        # worker without exec copies locks other threads hold, and spawn re-runs the parent's
        # main script (gunicorn's, flask's, pytest's).
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parent.parent)
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        with theirs:
            self.process = subprocess.Popen(  # noqa: S603  (our interpreter, a fixed command)
                [sys.executable, "-c",
                 f"from certificates.pdf import _serve; _serve({theirs.fileno()})"],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path})
        self.conn = Connection(ours.detach())
        self.renders = 0
        if not self.conn.poll(START_TIMEOUT):
            self.kill()
            raise PdfRenderError("the PDF renderer did not start")
        try:
            self.conn.recv()
        except EOFError:
            self.kill()
            raise PdfRenderError("the PDF renderer stopped while starting") from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def render(self, html: str, timeout: float) -> RenderResult:
        self.renders += 1
        try:
            self.conn.send(html)
        except OSError:  # it died while it waited (out of memory, killed)
            raise PdfRenderError("the PDF renderer had stopped") from None
        if not self.conn.poll(timeout):
            raise PdfTimeout(f"rendering a {len(html)}-character document took over "
                             f"{timeout:g} s")
        try:
            status, payload = self.conn.recv()
        except EOFError:  # the renderer died (out of memory, killed)
            raise PdfRenderError("the PDF renderer stopped while rendering") from None
        if status != "ok":
            raise PdfRenderError(payload)
        return RenderResult(*payload)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.conn.close()


_idle: list[_Renderer] = []
_idle_lock = threading.Lock()


def _take() -> _Renderer:
    with _idle_lock:
        while _idle:
            renderer = _idle.pop()
            if renderer.alive():
                return renderer
            renderer.kill()
    return _Renderer()


def _give_back(renderer: _Renderer) -> None:
    with _idle_lock:
        if len(_idle) < MAX_IDLE and renderer.renders < MAX_RENDERS:
            _idle.append(renderer)
            return
    renderer.kill()


@atexit.register
def _stop_idle() -> None:
    with _idle_lock:
        while _idle:
            _idle.pop().kill()


def _configured_timeout() -> float:
    if has_app_context():
        return float(current_app.config.get("LMS_PDF_TIMEOUT", DEFAULT_TIMEOUT))
    return DEFAULT_TIMEOUT


def render_pdf(html: str, timeout: float | None = None) -> RenderResult:
    """The PDF of ``html``, rendered in a renderer process within ``timeout`` seconds (the app's
    ``LMS_PDF_TIMEOUT`` by default). Raises PdfTooLarge, PdfTimeout or PdfRenderError."""
    # Layout time grows with the document; a cap on its size refuses the hopeless ones at once
    # (our largest real document, a full sign-in sheet, is far below it).
    if len(html) > MAX_HTML_CHARS:
        raise PdfTooLarge(f"a {len(html)}-character document is over the PDF limit")
    limit = _configured_timeout() if timeout is None else timeout
    renderer = _take()
    started = time.monotonic()
    try:
        result = renderer.render(html, limit)
    except BaseException:
        # Killed, never reused: it may be half-way through a layout, or its pipe out of step.
        renderer.kill()
        raise
    _give_back(renderer)
    for url in result.refused:
        log.warning("PDF renderer refused to fetch %r", url[:200])
    log.debug("rendered a PDF in %.3f s", time.monotonic() - started)
    return result


class PdfError(RuntimeError):
    """A PDF could not be rendered; the subclasses say why."""


class PdfTooLarge(PdfError, ValueError):
    """The document is bigger than any page of ours can be: refused before layout starts."""


class PdfTimeout(PdfError):
    """Rendering ran over ``LMS_PDF_TIMEOUT``; the renderer was stopped. Worth a retry later
    (the machine may have been busy)."""


class PdfRenderError(PdfError):
    """The renderer failed or stopped (a WeasyPrint error, the process killed)."""


class PdfCacheError(RuntimeError):
    """The cache could not be written (full disk, permissions); the caller may still serve."""


def cached_pdf(cache_dir: str, name: str) -> bytes | None:
    path = Path(cache_dir) / "certificates" / f"{name}.pdf"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    # A file that is not a whole PDF is never served: it is rendered again.
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        return None
    return data


def store_pdf(cache_dir: str, name: str, data: bytes) -> None:
    """Write atomically (temporary file, then rename), so a reader never sees half a file."""
    folder = Path(cache_dir) / "certificates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, folder / f"{name}.pdf")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PdfCacheError(f"could not cache certificate PDF {name}: {exc}") from exc

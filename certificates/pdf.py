"""Certificate PDFs: rendered with WeasyPrint from a plain-data snapshot, cached on disk.

The renderer's URL fetcher refuses every URL except the package's own assets (``asset:NAME``):
no ``file://``, no network, no ``data:`` URLs, whatever a name or course title contains. Fonts
come from the system's fontconfig (Noto Serif CJK for Chinese, DejaVu Serif for Latin).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import segno
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = Path(__file__).parent / "assets"
MAX_HTML_CHARS = 2_000_000
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
    svg = segno.make(url, error="m").svg_inline(scale=3, border=0, dark="#1f2937")
    return Markup(svg)  # noqa: S704  (segno writes the SVG; the URL is encoded as modules)


def render_pdf(html: str) -> RenderResult:
    # Layout time grows with the document; a cap on its size bounds the time a request can hold
    # a worker (our largest real document, a full sign-in sheet, is far below it).
    if len(html) > MAX_HTML_CHARS:
        raise PdfTooLarge(f"a {len(html)}-character document is over the PDF limit")
    fetcher = AssetOnlyFetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url="asset:")
    pdf = document.write_pdf(font_config=_fonts)
    return RenderResult(pdf, fetcher.refused)


class PdfTooLarge(ValueError):
    """The document is bigger than any page of ours can be: refused before layout starts."""


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

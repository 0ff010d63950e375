"""A full disk or an unwritable cache while a certificate PDF is rendered: the person still gets
the PDF (rendered, not cached), the cache is never left holding part of a file, a file a crash
left half-written is never served, and once the disk is back the next download caches it.

Root ignores file permissions, so "read-only" is made real where it can be (chmod, as a normal
user) and simulated where it cannot (the write failing with ENOSPC or EROFS)."""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import pytest

import certificates.pdf
import certificates.views
from certificates.pdf import cached_pdf
from tests.certificates.test_pdf import certified  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow  # renders certificates with WeasyPrint


def _cache(app) -> Path:
    return Path(app.config["LMS_CACHE_DIR"]) / "certificates"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def _is_whole_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def _disk_full_after(limit: int, monkeypatch) -> None:
    """Writes to the cache fail with ENOSPC once ``limit`` bytes are written: half a file on
    disk, as a full disk leaves it."""
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            room = max(0, limit - self.written)
            self.handle.write(data[:room])
            self.handle.flush()
            self.written += min(room, len(data))
            if len(data) > room:
                raise OSError(errno.ENOSPC, "No space left on device")
            return len(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(certificates.pdf.os, "fdopen",
                        lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))


@pytest.mark.parametrize("limit", [0, 1000])
def test_a_full_disk_serves_the_pdf_uncached_and_leaves_no_partial_file(
        app, client, certified, monkeypatch, caplog, limit):  # noqa: F811
    _disk_full_after(limit, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="certificates.views"):
        response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and _is_whole_pdf(response.data)
    assert "No space left on device" in caplog.text
    assert _leftovers(_cache(app)) == []  # the half-written temporary file was removed
    monkeypatch.undo()  # space again: the next download is cached, whole
    again = client.get(f"/certificates/{certified.code}.pdf")
    assert again.status_code == 200
    assert (_cache(app) / f"{certified.code}.pdf").read_bytes() == again.data
    assert _is_whole_pdf(again.data)


def test_a_failing_rename_leaves_the_old_state(app, client, certified, monkeypatch):  # noqa: F811
    def read_only(*_args):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(certificates.pdf.os, "replace", read_only)
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200 and _is_whole_pdf(response.data)
    assert _leftovers(_cache(app)) == []


def test_a_read_only_cache_folder(app, client, certified, monkeypatch):  # noqa: F811
    folder = _cache(app)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"x")
        except PermissionError:
            pass  # a normal user: chmod is enough
        else:  # root writes anyway: make the file system say what a read-only one would
            probe.unlink()
            real_mkstemp = certificates.pdf.tempfile.mkstemp

            def refused(*args, dir=None, **kwargs):
                if Path(dir) == folder:
                    raise PermissionError(errno.EACCES, "Permission denied", str(dir))
                return real_mkstemp(*args, dir=dir, **kwargs)

            monkeypatch.setattr(certificates.pdf.tempfile, "mkstemp", refused)
        response = client.get(f"/certificates/{certified.code}.pdf")
        assert response.status_code == 200 and _is_whole_pdf(response.data)
        assert _leftovers(folder) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_crash_mid_write_is_never_served(app, client, certified):  # noqa: F811
    """A process killed while writing leaves its temporary file (never under the final name,
    which only a complete rename creates); and a file cut short under the final name (a disk
    that lied about a sync) fails the completeness check and is rendered again."""
    whole = client.get(f"/certificates/{certified.code}.pdf").data
    folder = _cache(app)
    final = folder / f"{certified.code}.pdf"
    final.unlink()
    (folder / f".{certified.code}.abc123.tmp").write_bytes(whole[: len(whole) // 2])
    again = client.get(f"/certificates/{certified.code}.pdf").data
    assert _is_whole_pdf(again) and final.read_bytes() == again

    for cut in (len(whole) - 3, len(whole) // 3, 10):
        final.write_bytes(whole[:cut])
        assert cached_pdf(str(folder.parent), certified.code) is None
        served = client.get(f"/certificates/{certified.code}.pdf").data
        assert _is_whole_pdf(served)
        assert final.read_bytes() == served  # repaired


def test_rendering_that_fails_gives_an_error_page_and_caches_nothing(
        app, client, certified, monkeypatch):  # noqa: F811
    def no_space(_html):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(certificates.views, "render_pdf", no_space)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not a raise
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 500
    assert response.mimetype == "text/html" and "Traceback" not in response.text
    assert "No space left" not in response.text  # no internals shown
    assert _leftovers(_cache(app)) == []
    monkeypatch.undo()
    retry = client.get(f"/certificates/{certified.code}.pdf")  # a retry later works
    assert retry.status_code == 200 and _is_whole_pdf(retry.data)

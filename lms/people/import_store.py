"""Uploaded HR files between the dry run and the apply.

The file is kept on the server, under the instance folder, named by its SHA-256, so the apply
reads exactly the bytes that were checked and never a copy sent back by the browser. A side
file lists who uploaded it: only they can see its report or apply it (another HR person who
has the same file uploads it themselves). Files are deleted once applied, and any left behind
after ``KEEP`` (they hold personal data).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lms.db import utcnow

FOLDER = "hr-imports"
KEEP_SECONDS = 2 * 24 * 3600
_DIGEST = re.compile(r"[0-9a-f]{64}\Z")


@dataclass
class StoredUpload:
    digest: str
    name: str
    fmt: str | None
    data: bytes


def _folder() -> Path:
    folder = Path(current_app.instance_path) / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write(path: Path, data: bytes) -> None:
    """Atomically: a reader sees the old file or the whole new one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _uploads(folder: Path, digest: str) -> dict:
    try:
        return json.loads((folder / f"{digest}.json").read_text("utf-8")).get("uploads", {})
    except (OSError, ValueError):
        return {}


def save_upload(data: bytes, name: str, fmt: str | None, uploader_id: int) -> str:
    """Keep the file for ``uploader_id``; returns its SHA-256 (hex)."""
    folder = _folder()
    prune(folder)
    digest = hashlib.sha256(data).hexdigest()
    path = folder / digest
    if path.exists():
        os.utime(path)  # uploaded again: keep it for another KEEP_SECONDS
    else:
        _write(path, data)
    uploads = _uploads(folder, digest)
    uploads[str(uploader_id)] = {"name": Path(name).name[:200] or "upload", "format": fmt,
                                 "at": utcnow().isoformat(timespec="seconds")}
    _write(folder / f"{digest}.json", json.dumps({"uploads": uploads}).encode())
    return digest


def load_upload(digest: str, uploader_id: int) -> StoredUpload | None:
    """The stored file, if ``uploader_id`` uploaded it and its bytes still match the hash."""
    if not _DIGEST.match(digest):
        return None
    folder = _folder()
    entry = _uploads(folder, digest).get(str(uploader_id))
    if entry is None:
        return None
    try:
        data = (folder / digest).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        return None
    return StoredUpload(digest, entry.get("name") or "upload", entry.get("format"), data)


def discard_upload(digest: str) -> None:
    """Delete the file (it has been applied)."""
    if _DIGEST.match(digest):
        folder = _folder()
        for path in (folder / digest, folder / f"{digest}.json"):
            path.unlink(missing_ok=True)


def prune(folder: Path) -> None:
    """Delete uploads older than KEEP_SECONDS."""
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue

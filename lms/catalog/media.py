"""Images for course content: uploaded into the database, addressed by their SHA-256.

The type is read from the file's first bytes, never from its name or the browser's word, and
only raster formats browsers show without running anything are accepted (no SVG: it can hold
script). Markdown refers to an image as ``/media/<sha256>.<ext>``; ``lms.markdown`` renders no
other image address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.catalog.models import MediaFile
from lms.db import db, utcnow
from lms.errors import UserError
from lms.errors import lazy_gettext as _l

MAX_MEDIA_BYTES = 2 * 1024 * 1024
# content type -> (extension, test on the first bytes)
IMAGE_TYPES = {
    "image/png": ("png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/jpeg": ("jpg", lambda d: d.startswith(b"\xff\xd8\xff")),
    "image/gif": ("gif", lambda d: d.startswith((b"GIF87a", b"GIF89a"))),
    "image/webp": ("webp", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
}
EXTENSIONS = {ext: content_type for content_type, (ext, _) in IMAGE_TYPES.items()}


class MediaError(UserError):
    """An upload that is refused; the message says why."""


def sniff(data: bytes) -> str | None:
    """The image's content type from its magic bytes, or None if it is not an accepted image."""
    return next((t for t, (_, test) in IMAGE_TYPES.items() if test(data)), None)


def media_url(media: MediaFile) -> str:
    return f"/media/{media.sha256}.{IMAGE_TYPES[media.content_type][0]}"


def store_media(filename: str, data: bytes, uploader_id: int | None) -> MediaFile:
    """Store an image (or return the same image stored before)."""
    if not data:
        raise MediaError(_l("The file is empty."))
    if len(data) > MAX_MEDIA_BYTES:
        raise MediaError(_l("The image is %(size)s KB; images may be at most %(limit)s MB.",
                            size=len(data) // 1024, limit=MAX_MEDIA_BYTES // (1024 * 1024)))
    content_type = sniff(data)
    if content_type is None:
        raise MediaError(_l("Only PNG, JPEG, GIF and WebP images can be uploaded (the file's "
                            "contents are checked, not its name)."))
    digest = hashlib.sha256(data).hexdigest()
    existing = find_media(digest)
    if existing is not None:
        return existing
    name = (filename or "image").replace("\\", "/").rsplit("/", 1)[-1][:200] or "image"
    media = MediaFile(sha256=digest, filename=name, content_type=content_type, size=len(data),
                      data=data, uploaded_by_id=uploader_id, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(media)
    except IntegrityError:  # the same image uploaded at the same moment
        return find_media(digest)
    return media


def find_media(sha256: str, extension: str | None = None) -> MediaFile | None:
    """The stored image with this digest (and, if given, this extension's type)."""
    media = db.session.scalar(select(MediaFile).where(MediaFile.sha256 == sha256))
    if media is None or (extension is not None and EXTENSIONS.get(extension)
                         != media.content_type):
        return None
    return media


@dataclass(frozen=True)
class MediaRow:
    filename: str
    size: int
    url: str


def recent_media(limit: int = 50) -> list[MediaRow]:
    """The latest uploads, newest first, without loading their bytes."""
    rows = db.session.execute(
        select(MediaFile.filename, MediaFile.sha256, MediaFile.size, MediaFile.content_type)
        .order_by(MediaFile.created_at.desc(), MediaFile.id.desc()).limit(limit)).all()
    return [MediaRow(name, size, f"/media/{digest}.{IMAGE_TYPES[content_type][0]}")
            for name, digest, size, content_type in rows]

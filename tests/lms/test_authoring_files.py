"""Course zips (download, upload and the attacks an upload may carry) and the media store."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from lms.catalog import archive, authoring
from lms.catalog.media import MAX_MEDIA_BYTES, MediaError, find_media, media_url, store_media
from lms.db import db
from tests.lms.test_catalog_sync import SHIPPED

SLUG = "code-of-conduct"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
WEBP = b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def shipped_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((SHIPPED / SLUG).iterdir())}


def make_zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# -- zips -------------------------------------------------------------------------------------

def test_a_downloaded_zip_is_a_course_folder_and_uploads_back_unchanged():
    files = shipped_files()
    data = archive.export_zip(SLUG, files)
    assert archive.export_zip(SLUG, files) == data  # the same files, the same bytes
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == sorted(f"{SLUG}/{name}" for name in files)
    imported, problems = archive.import_zip(data)
    assert problems == []
    assert imported == {name: content.decode() for name, content in files.items()}


def test_a_zip_without_a_folder_and_with_git_and_finder_files_is_read():
    data = make_zip({"course.md": b"---\r\ntitle: x\r\n---\r\n", "quiz.md": b"q",
                     ".git/config": b"[core]", "__MACOSX/._quiz.md": b"\x00\x01",
                     ".DS_Store": b"\x00"})
    files, problems = archive.import_zip(data)
    assert problems == []
    assert files == {"course.md": "---\ntitle: x\n---\n", "quiz.md": "q"}


def names(problems) -> list[str]:
    return [p.path for p in problems]


@pytest.mark.parametrize("entries, bad", [
    ({"/etc/passwd": b"x", "course.md": b"x"}, "/etc/passwd"),
    ({"../../course.md": b"x"}, "../../course.md"),
    ({"c/../../quiz.md": b"x", "c/course.md": b"x"}, "c/../../quiz.md"),
    ({"C:/Windows/quiz.md": b"x"}, "C:/Windows/quiz.md"),
])
def test_paths_that_leave_the_folder_are_refused(entries, bad):
    files, problems = archive.import_zip(make_zip(entries))
    assert files is None
    assert bad in names(problems) and "unsafe path" in problems[0].message


def test_files_that_are_not_course_markdown_are_refused_each_by_name():
    files, problems = archive.import_zip(make_zip({
        "course.md": b"ok", "evil.exe": b"MZ", "image.png": b"\x89PNG", "notes.txt": b"x",
        "sub/01-a.md": b"# A", "01-bad\xe2.md".encode().decode("latin-1"): b"x",
        "quiz.md": b"\xff\xfe not utf-8"}))
    assert files is None
    assert set(names(problems)) >= {"evil.exe", "image.png", "notes.txt", "sub/01-a.md",
                                    "quiz.md"}
    assert any("not UTF-8" in p.message for p in problems if p.path == "quiz.md")
    assert any("subfolder" in p.message for p in problems if p.path == "sub/01-a.md")


def test_too_many_files_are_refused():
    entries = {f"{i:03d}-m.md": b"# M" for i in range(archive.MAX_FILES + 1)}
    files, problems = archive.import_zip(make_zip(entries, zipfile.ZIP_STORED))
    assert files is None and "at most 200" in problems[0].message


def test_too_much_text_unzipped_is_refused_before_reading():
    data = make_zip({"course.md": b"a" * (authoring.MAX_BYTES + 1)})
    assert len(data) < 100_000  # small on the wire, big unzipped
    files, problems = archive.import_zip(data)
    assert files is None and "unzipped" in problems[0].message


def _lie_about_size(data: bytes, size: int) -> bytes:
    """Set the declared uncompressed size in the local and central headers (a zip bomb's
    trick: declare little, inflate a lot)."""
    buffer = bytearray(data)
    local = buffer.index(b"PK\x03\x04")
    struct.pack_into("<I", buffer, local + 22, size)
    central = buffer.index(b"PK\x01\x02")
    struct.pack_into("<I", buffer, central + 24, size)
    return bytes(buffer)


def test_a_zip_bomb_that_lies_about_its_size_is_refused():
    data = _lie_about_size(make_zip({"course.md": b"\0" * (20 * 1024 * 1024)}), 100)
    files, problems = archive.import_zip(data)
    assert files is None
    assert names(problems) == ["course.md"]


def test_garbage_duplicates_and_empty_zips_are_refused():
    assert archive.import_zip(b"not a zip at all")[1][0].message == "this is not a zip file"
    assert archive.import_zip(b"x" * (archive.MAX_UPLOAD + 1))[0] is None
    assert "no course files" in archive.import_zip(make_zip({"folder/": b""}))[1][0].message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("quiz.md", b"one")
        zf.writestr("quiz.md", b"two")
    files, problems = archive.import_zip(buffer.getvalue())
    assert files is None and "twice" in problems[0].message


def test_an_imported_zip_replaces_the_draft_and_is_checked_like_a_sync(catalog, make_employee):
    trainer = make_employee(roles=("trainer",))
    draft = authoring.open_draft(SLUG, trainer.id)
    files = {name: content.decode() for name, content in shipped_files().items()}
    del files["06-speaking-up.md"], files["06-speaking-up.zh-Hans.md"]
    files["quiz.md"] = files["quiz.md"].replace("- [ ]", "- [x]", 1)
    data = archive.export_zip(SLUG, {k: v.encode() for k, v in files.items()})
    imported, problems = archive.import_zip(data)
    assert problems == []
    authoring.replace_files(draft, imported, draft.revision, trainer.id)
    assert set(draft.files) == set(files)
    # The broken quiz is an error; its Chinese translation, made from the old quiz, is stale.
    assert [(p.path, p.severity) for p in authoring.check_draft(draft)] == [
        (f"{SLUG}/quiz.zh-Hans.md", "warning"), (f"{SLUG}/quiz.md", "error")]


# -- media ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, content_type, ext", [
    (PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (GIF, "image/gif", "gif"),
    (WEBP, "image/webp", "webp")])
def test_images_are_typed_by_their_bytes_and_stored_by_digest(app, data, content_type, ext):
    media = store_media("whatever.name", data, None)
    assert media.content_type == content_type
    assert media_url(media) == f"/media/{media.sha256}.{ext}"
    assert store_media("again.png", data, None).id == media.id
    assert find_media(media.sha256, ext).id == media.id
    assert find_media(media.sha256, "png" if ext != "png" else "gif") is None


@pytest.mark.parametrize("name, data", [
    ("page.png", b"<html><script>alert(1)</script></html>"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("image.png", b"GIF88a not quite"),
    ("riff.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    ("empty.png", b""),
])
def test_files_that_are_not_accepted_images_are_refused(app, name, data):
    with pytest.raises(MediaError):
        store_media(name, data, None)
    db.session.rollback()


def test_images_over_2_mb_are_refused(app):
    with pytest.raises(MediaError, match="2 MB"):
        store_media("big.png", PNG + b"\0" * MAX_MEDIA_BYTES, None)
    assert store_media("fits.png", PNG + b"\0" * (MAX_MEDIA_BYTES - len(PNG)), None).size == \
        MAX_MEDIA_BYTES


def test_an_uploaded_file_name_is_kept_without_its_folders(app):
    assert store_media("C:\\Users\\me\\chart.png", PNG, None).filename == "chart.png"

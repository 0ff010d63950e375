"""A course as a zip of its Markdown files, so that content can also live in Git.

Export writes ``<slug>/<file>`` entries (unzipped, it is a course folder the sync loads).
Import reads an uploaded zip defensively: it never trusts the sizes a zip declares, never writes
to disk, and reports every refused entry by name. Either every file is accepted or none is.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from lms.catalog.authoring import MAX_BYTES, MAX_FILES, name_problem
from lms.content import Problem
from lms.errors import lazy_gettext as _l
from lms.frontmatter import normalise_newlines

MAX_ENTRIES = 1000  # folders and ignored files included: the central directory stays small
MAX_UPLOAD = MAX_BYTES  # compressed Markdown is smaller than this
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same files give the same zip
IGNORED = ("__MACOSX/", ".")  # what macOS Finder and Git add


def export_zip(slug: str, files: dict[str, bytes]) -> bytes:
    """The files as a zip of one folder named after the course."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{slug}/{name}", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def _common_folder(names: list[str]) -> str:
    """The one top-level folder every entry is in (``code-of-conduct/``), or ``""``."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return f"{tops.pop()}/"
    return ""


def _ignored(name: str) -> bool:
    return name.startswith(IGNORED[0]) or any(
        part.startswith(IGNORED[1]) for part in name.split("/"))


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | None:
    """The entry's bytes, or None if it inflates to more than it declared or than the budget
    (a zip bomb's declared sizes are lies; the read stops at the limit either way)."""
    limit = min(info.file_size, budget)
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    return data if len(data) <= limit else None


def import_zip(data: bytes) -> tuple[dict[str, str] | None, list[Problem]]:
    """Read an uploaded zip into course files (name -> text). Returns (files, problems); files
    is None if anything was refused (problems then say what, entry by entry)."""
    if len(data) > MAX_UPLOAD:
        return None, [Problem("upload", 1, 1, _l("the zip is larger than %(num)s MB",
                                                 num=MAX_UPLOAD // (1024 * 1024)))]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return None, [Problem("upload", 1, 1, _l("this is not a zip file"))]
    with archive:
        return _import_entries(archive, infos)


def _import_entries(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]
                    ) -> tuple[dict[str, str] | None, list[Problem]]:
    problems: list[Problem] = []
    if len(infos) > MAX_ENTRIES:
        return None, [Problem("upload", 1, 1, _l(
            "the zip has %(entries)s entries; a course has at most %(num)s files",
            entries=len(infos), num=MAX_FILES))]
    entries = []
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/"):
            problems.append(Problem(info.filename, 1, 1, _l("unsafe path (absolute or with ..)")))
        elif not info.is_dir() and not _ignored(name):
            entries.append((name, info))
    if problems:
        return None, problems
    prefix = _common_folder([name for name, _ in entries])
    if len(entries) > MAX_FILES:
        return None, [Problem("upload", 1, 1, _l(
            "the zip has %(files)s files; a course has at most %(num)s",
            files=len(entries), num=MAX_FILES))]
    declared = sum(info.file_size for _, info in entries)
    if declared > MAX_BYTES:
        return None, [Problem("upload", 1, 1, _l(
            "the files add up to %(size)s KB unzipped; keep a course under %(limit)s MB",
            size=declared // 1024, limit=MAX_BYTES // (1024 * 1024)))]
    files: dict[str, str] = {}
    budget = MAX_BYTES
    for name, info in entries:
        shown = info.filename
        relative = posixpath.normpath(name[len(prefix):])
        problem = (_l("the file is in a subfolder; a course is one folder of Markdown files")
                   if "/" in relative else name_problem(relative))
        if problem is None and info.flag_bits & 0x1:
            problem = _l("the file is encrypted")
        if problem is None and relative in files:
            problem = _l("the file appears twice in the zip")
        if problem:
            problems.append(Problem(shown, 1, 1, problem))
            continue
        try:
            content = _read_entry(archive, info, budget)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            problems.append(Problem(shown, 1, 1, _l("the file cannot be read (damaged, or an "
                                                    "unsupported compression)")))
            continue
        if content is None:
            return None, [Problem(shown, 1, 1, _l(
                "the file unzips to more than the zip says, or past the %(num)s MB limit",
                num=MAX_BYTES // (1024 * 1024)))]
        budget -= len(content)
        try:
            files[relative] = normalise_newlines(content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = content.count(b"\n", 0, exc.start) + 1
            problems.append(Problem(shown, line, 1, _l(
                "the file is not UTF-8 text; save it as UTF-8")))
    if not files and not problems:
        problems.append(Problem("upload", 1, 1, _l("the zip holds no course files")))
    return (None if problems else files), problems

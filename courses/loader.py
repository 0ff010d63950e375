"""Read a course folder (course.md, numbered modules, quiz files) into plain data.

Nothing here touches the database: the loader reports every problem with its file and line, and
the caller decides whether to publish. Quiz files are returned as text; the quizzes package
parses them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from lms.content import Problem
from lms.errors import lazy_gettext as _l
from lms.frontmatter import FrontMatter, normalise_newlines, split_front_matter
from lms.markdown import unknown_placeholders

MODULE_FILE = re.compile(r"^(\d{2,})-([a-z0-9][a-z0-9-]*)\.md$")
LOOKS_LIKE_MODULE = re.compile(r"^\d")
QUIZ_FILE = re.compile(r"^quiz(-[a-z0-9-]+)?\.md$")
TRANSLATION_FILE = re.compile(
    r"^(?P<base>[^.]+)\.(?P<locale>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.md$")
TRANSLATION_KEYS = {"title", "attestation", "audience", "source_version", "language"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
RECURRENCE = re.compile(r"^(once|annual|every (\d{1,3}) months)$")
PASS_MARK = re.compile(r"^\s*(\d{1,3})\s*%\s*$")
KINDS = ("certification", "training")

# key: (type, required)
COURSE_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "title": (str, True),
    "kind": (str, True),
    "audience": (str, False),
    "pass_mark": (str, True),
    "max_attempts": (int, False),
    "time_limit": (int, False),
    "time_extensions": (int, False),
    "estimated_minutes": (int, False),
    "recurrence": (str, True),
    "validity_months": (int, False),
    "attestation": (str, False),
    "language": (str, False),
    "in_person": (bool, False),
}
# The largest value each key may have, and the longest text, as the database stores them.
# WCAG 2.2.1 asks for at least ten extensions where time can be extended at all.
INT_MAX = {"max_attempts": 100, "time_limit": 24 * 60, "time_extensions": 10,
           "estimated_minutes": 100 * 60, "validity_months": 1200}
TEXT_MAX = {"title": 300, "kind": 32, "audience": 300, "language": 32}
MODULE_TITLE_MAX = 300
MODULE_SLUG_MAX = 200


@dataclass
class ModuleSpec:
    position: int
    slug: str
    title: str
    body: str
    path: str


@dataclass
class CourseSpec:
    slug: str
    path: str
    content_hash: str = ""
    title: str = ""
    kind: str = "training"
    audience: str | None = None
    pass_mark_percent: int = 80
    max_attempts: int = 3
    time_limit_minutes: int = 0
    time_extensions: int = 0
    estimated_minutes: int = 0
    recurrence: str = "once"
    validity_months: int = 0
    in_person: bool = False
    attestation: str | None = None
    intro: str = ""
    modules: list[ModuleSpec] = field(default_factory=list)
    quizzes: dict[str, str] = field(default_factory=dict)  # relative path -> text
    files: dict[str, bytes] = field(default_factory=dict)  # every source file, as hashed
    # locale -> {"title", "intro_md", "attestation_text", "modules": {position: {...}}}
    translations: dict[str, dict] = field(default_factory=dict)
    # locale -> (path, text) of quiz.LOCALE.md, parsed and compared by the catalog
    quiz_translations: dict[str, tuple[str, str]] = field(default_factory=dict)


def content_hash(files: dict[str, bytes]) -> str:
    """SHA-256 over every source file's name and bytes, in name order: the version's identity."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _check_placeholders(path: str, text: str, first_line: int, problems: list[Problem]) -> None:
    for line, column, found in unknown_placeholders(text):
        problems.append(Problem(path, first_line + line - 1, column,
                                _l("unknown setting %(name)s: use one of the org.* names listed "
                                   "in docs/authoring.md", name=found)))


def _decode(data: bytes, shown: str, problems: list[Problem]) -> str | None:
    """The file as text (UTF-8, newlines as ``\\n``, no byte-order mark), or None with a problem
    that points at the first byte that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem(shown, line, column, _l(
            "file is not UTF-8 text (byte %(byte)s); save it as UTF-8 and try again",
            byte=f"0x{data[exc.start]:02x}")))
        return None
    return normalise_newlines(text)


def _read_meta(spec: CourseSpec, shown: str, meta: FrontMatter, problems: list[Problem],
               readable: bool = True):
    """Check and copy the front matter. When it could not all be read (``readable`` is False),
    keys it lacks are not reported as missing: the YAML problem is the one to fix."""

    def fail(key: str, message: str) -> None:
        problems.append(Problem(shown, meta.line(key), 1, message))

    for key in meta:
        if key not in COURSE_SCHEMA:
            fail(key, _l("unknown front matter key %(key)s (known: %(known)s)", key=repr(key),
                         known=", ".join(COURSE_SCHEMA)))
    for key, (expected, required) in COURSE_SCHEMA.items():
        if key not in meta:
            if required and readable:
                problems.append(Problem(shown, 1, 1, _l("front matter is missing %(key)s",
                                                        key=repr(key))))
            continue
        value = meta[key]
        if value is None:
            if required:
                fail(key, _l("%(key)s has no value", key=key))
            continue
        if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
            message = {
                str: _l("%(key)s must be text, but YAML read %(value)s (%(type)s); put text in "
                        "double quotes", key=key, value=repr(value), type=type(value).__name__),
                bool: _l("%(key)s must be true or false, but YAML read %(value)s (%(type)s); "
                         "write true or false, without quotes", key=key, value=repr(value),
                         type=type(value).__name__),
            }.get(expected) or _l("%(key)s must be a whole number, but YAML read %(value)s "
                                  "(%(type)s); write digits only, without quotes", key=key,
                                  value=repr(value), type=type(value).__name__)
            fail(key, message)
            continue
        if expected is int and value < 0:
            fail(key, _l("%(key)s must not be negative", key=key))
            continue
        if expected is int and value > INT_MAX[key]:
            fail(key, _l("%(key)s must be at most %(max)s, got %(value)s", key=key,
                         max=INT_MAX[key], value=value))
            continue
        if expected is str and not value.strip():
            fail(key, _l("%(key)s is empty", key=key))
            continue
        if expected is str and len(value.strip()) > TEXT_MAX.get(key, len(value)):
            fail(key, _l("%(key)s is %(length)s characters long; keep it under %(max)s",
                         key=key, length=len(value.strip()), max=TEXT_MAX[key]))
            continue
        if key == "kind" and value not in KINDS:
            fail(key, _l("kind must be one of %(known)s, got %(value)s", known=", ".join(KINDS),
                         value=repr(value)))
        elif key == "pass_mark":
            match = PASS_MARK.match(value)
            if not match or int(match.group(1)) > 100:
                fail(key, _l('pass_mark must be a percentage like "80%%", got %(value)s',
                             value=repr(value)))
            else:
                spec.pass_mark_percent = int(match.group(1))
        elif key == "recurrence":
            match = RECURRENCE.match(value.strip())
            if not match or (match.group(2) is not None and int(match.group(2)) < 1):
                fail(key, _l('recurrence must be "once", "annual" or "every N months", got '
                             '%(value)s', value=repr(value)))
            else:
                spec.recurrence = value.strip()
                months = 12 if value.strip() == "annual" else int(match.group(2) or 0)
                spec.validity_months = meta.get("validity_months", months) or 0
        elif key == "max_attempts" and value < 1:
            fail(key, _l("max_attempts must be at least 1"))
        elif key in ("title", "kind", "audience", "attestation"):
            setattr(spec, key, value.strip())
        elif key == "max_attempts":
            spec.max_attempts = value
        elif key == "time_limit":
            spec.time_limit_minutes = value
        elif key == "time_extensions":
            spec.time_extensions = value
        elif key in ("estimated_minutes", "validity_months", "in_person"):
            setattr(spec, key, value)


def _source_files(folder: Path) -> dict[str, bytes]:
    """Every file in the folder (and below), by relative path; hidden files and folders (an
    editor's swap files, .git) are not part of the course."""
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = path.read_bytes()
    return files


def load_course(folder: Path) -> tuple[CourseSpec, list[Problem]]:
    """Load one course folder. Problems carry paths relative to the folder's parent.

    Every file is read once: the content hash is over exactly the bytes that were loaded."""
    return load_course_files(folder.name, _source_files(folder), str(folder))


def load_course_files(slug: str, files: dict[str, bytes], path: str = ""
                      ) -> tuple[CourseSpec, list[Problem]]:
    """Load a course from its files (relative path -> bytes): a folder on disk, a draft in the
    editor or an uploaded zip all come through here, so they are checked the same way."""
    problems: list[Problem] = []
    spec = CourseSpec(slug=slug, path=path, files=dict(files))
    if not SLUG.match(slug):
        problems.append(Problem(slug, 1, 1, _l("a course folder's name must be lower-case "
                                               "letters, digits and hyphens")))
    spec.content_hash = content_hash(files)

    shown = f"{slug}/course.md"
    if "course.md" not in files:
        problems.append(Problem(shown, 1, 1, _l("course.md is missing")))
        return spec, problems
    text = _decode(files["course.md"], shown, problems)
    if text is None:
        return spec, problems
    meta, intro, _body_line, fm_problems = split_front_matter(shown, text)
    problems.extend(fm_problems)
    _read_meta(spec, shown, meta, problems, readable=not fm_problems)
    spec.intro = intro.strip()
    _check_placeholders(shown, text, 1, problems)

    for name in sorted(files):
        shown = f"{slug}/{name}"
        if "/" in name or name == "course.md" or not name.endswith(".md"):
            continue
        if name.count(".") > 1:
            continue  # translations (name.zh-Hans.md) are read after their sources
        module = MODULE_FILE.match(name)
        if module:
            _load_module(spec, files[name], shown, int(module.group(1)), module.group(2),
                         problems)
        elif QUIZ_FILE.match(name):
            quiz_text = _decode(files[name], shown, problems)
            if quiz_text is not None:
                spec.quizzes[shown] = quiz_text
                _check_placeholders(shown, quiz_text, 1, problems)
        elif LOOKS_LIKE_MODULE.match(name):
            problems.append(Problem(shown, 1, 1, _l(
                "a module file is named NN-name.md (two or more digits, then lower-case "
                "letters, digits and hyphens); rename it so that it is loaded")))
        else:
            problems.append(Problem(shown, 1, 1, _l("not a module (NN-name.md), course.md or "
                                                    "quiz.md; rename or remove it"), "warning"))
    if not spec.modules:
        problems.append(Problem(f"{slug}/course.md", 1, 1, _l(
            "the course has no modules (01-name.md, 02-name.md, ...)")))
    positions = [m.position for m in spec.modules]
    if len(positions) != len(set(positions)):
        problems.append(Problem(f"{slug}/course.md", 1, 1, _l("two module files share a number")))
    if not any(QUIZ_FILE.match(name) for name in files):
        problems.append(Problem(f"{slug}/course.md", 1, 1, _l(
            "the course has no quiz.md; without a quiz nobody can complete it")))
    if len(spec.quizzes) > 1:
        problems.append(Problem(f"{slug}/course.md", 1, 1, _l(
            "only one quiz file per course is supported for now (quiz.md)")))
    for name in sorted(files):
        if "/" not in name and name.count(".") > 1 and name.endswith(".md"):
            _load_translation(spec, name, files, problems)
    return spec, problems


def source_version(data: bytes) -> str:
    """What a translation's ``source_version`` names: the start of its source file's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


def _check_source_version(shown: str, meta, source: bytes, problems: list[Problem]) -> None:
    stated = meta.get("source_version")
    current = source_version(source)
    if stated is None:
        return
    if str(stated) != current:
        problems.append(Problem(shown, meta.lines.get("source_version", 1), 1,
                                _l("source_version %(stated)s is stale: the source file has "
                                   "changed since (now %(current)s); check the translation and "
                                   "update it", stated=stated, current=current),
                                "warning"))


def _load_translation(spec: CourseSpec, name: str, files: dict[str, bytes], problems) -> None:
    """A sibling translation (``01-intro.zh-Hans.md``): same structure as its source; the
    answer key always comes from the source."""
    shown = f"{spec.slug}/{name}"
    match = TRANSLATION_FILE.match(name)
    if not match:
        problems.append(Problem(shown, 1, 1, _l("a translation is named like its source plus a "
                                                "language tag: 01-intro.zh-Hans.md")))
        return
    base, locale = match.group("base"), match.group("locale")
    source_name = f"{base}.md"
    if source_name not in files:
        problems.append(Problem(shown, 1, 1, _l("translation of %(source)s, which does not "
                                                "exist", source=source_name)))
        return
    text = _decode(files[name], shown, problems)
    if text is None:
        return
    _check_placeholders(shown, text, 1, problems)
    meta, body, body_line, fm_problems = split_front_matter(shown, text)
    problems.extend(fm_problems)
    for key in meta:
        if key not in TRANSLATION_KEYS:
            problems.append(Problem(shown, meta.lines.get(key, 1), 1,
                                    _l("unknown front matter key %(key)s in a translation",
                                       key=repr(key))))
    _check_source_version(shown, meta, files[source_name], problems)
    entry = spec.translations.setdefault(locale, {"modules": {}})
    if base == "course":
        for key, field_name in (("title", "title"), ("attestation", "attestation_text")):
            value = meta.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(Problem(shown, meta.lines.get(key, 1), 1,
                                        _l("%(key)s must be text; put it in double quotes",
                                           key=key)))
            elif value:
                entry[field_name] = value.strip()
        if spec.attestation and "attestation_text" not in entry:
            problems.append(Problem(shown, 1, 1, _l(
                "the source course has an attestation; translate it too (attestation: ...), or "
                "learners sign it in the source language"), "warning"))
        entry["intro_md"] = body.strip()
    elif QUIZ_FILE.match(source_name):
        spec.quiz_translations[locale] = (shown, text)
    elif MODULE_FILE.match(source_name):
        first, _, rest = body.lstrip("\n").partition("\n")
        title = first[2:].strip()
        if not first.startswith("# ") or not title:
            problems.append(Problem(shown, body_line, 1, _l(
                "a module translation starts with its title as '# Title', like its source")))
            return
        position = int(MODULE_FILE.match(source_name).group(1))
        entry["modules"][position] = {"title": title, "body_md": rest.strip()}
    else:
        problems.append(Problem(shown, 1, 1, _l("%(source)s cannot be translated",
                                                source=source_name)))


def _load_module(spec, data: bytes, shown: str, position: int, slug: str, problems) -> None:
    text = _decode(data, shown, problems)
    if text is None:
        return
    first, _, body = text.partition("\n")
    title = first[2:].strip()
    if not first.startswith("# ") or not title:
        problems.append(Problem(shown, 1, 1, _l("a module must start with its title as "
                                                "'# Title' on the first line")))
        return
    if len(title) > MODULE_TITLE_MAX:
        problems.append(Problem(shown, 1, 1, _l(
            "the module title is %(length)s characters long; keep it under %(max)s",
            length=len(title), max=MODULE_TITLE_MAX)))
    if len(slug) > MODULE_SLUG_MAX:
        problems.append(Problem(shown, 1, 1, _l(
            "the file name is too long; keep the part after the number under %(max)s "
            "characters", max=MODULE_SLUG_MAX)))
    _check_placeholders(shown, text, 1, problems)
    spec.modules.append(ModuleSpec(position, slug, title, body.strip(), shown))

"""Loading course folders from disk: what a valid course gives, and every problem with its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from courses.loader import content_hash, load_course

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "courses" / "content"

COURSE_MD = """\
---
title: "Speaking up at work"
kind: "certification"
audience: "All employees"
pass_mark: "75%"
max_attempts: 2
time_limit: 30
estimated_minutes: 40
recurrence: "annual"
validity_months: 12
attestation: "I confirm that I have read the policy of {{ org.name }}."
---

Why this matters, at {{ org.name }}.

What you will do.
"""

QUIZ_MD = """\
## A question {#q1}

Call {{ org.hotline }}?

- [x] Yes
  > Right.
- [ ] No
  > Wrong.

> [!EXPLANATION]
> Because.
"""


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def make_course(tmp_path: Path, changes: dict[str, str | bytes | None] | None = None,
                slug: str = "speak-up") -> Path:
    """A valid course folder, with some files replaced, added or (with None) removed."""
    files: dict[str, str | bytes | None] = {
        "course.md": COURSE_MD,
        "01-intro.md": "# Introduction\n\nCall {{ org.hotline }} ({{ org.hotline_hours }}).\n",
        "02-how-to-report.md": "# How to report\n\n| Channel | When |\n|---|---|\n| Web | Any |\n",
        "10-after.md": "# After you report\n\nNo retaliation.\n",
        "quiz.md": QUIZ_MD,
    }
    files.update(changes or {})
    return write(tmp_path / slug, {k: v for k, v in files.items() if v is not None})


def front_matter(**changes: str | None) -> str:
    """COURSE_MD with some ``key: value`` lines replaced (None removes the line)."""
    lines = COURSE_MD.split("\n")
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in changes:
            if changes[key] is not None:
                out.append(f"{key}: {changes[key]}")
            continue
        out.append(line)
    extra = [f"{k}: {v}" for k, v in changes.items()
             if v is not None and not any(line.startswith(f"{k}:") for line in lines)]
    return "\n".join(out[:1] + extra + out[1:])


def problems_of(folder: Path, severity: str | None = "error") -> list[str]:
    _, problems = load_course(folder)
    return [str(p) for p in problems if severity is None or p.severity == severity]


# -- a valid course --------------------------------------------------------------------------

def test_valid_course(tmp_path):
    spec, problems = load_course(make_course(tmp_path))
    assert problems == []
    assert spec.slug == "speak-up"
    assert spec.path == str(tmp_path / "speak-up")
    assert spec.title == "Speaking up at work"
    assert spec.kind == "certification"
    assert spec.audience == "All employees"
    assert spec.pass_mark_percent == 75
    assert spec.max_attempts == 2
    assert spec.time_limit_minutes == 30
    assert spec.estimated_minutes == 40
    assert spec.recurrence == "annual"
    assert spec.validity_months == 12
    assert spec.attestation == "I confirm that I have read the policy of {{ org.name }}."
    assert spec.intro == "Why this matters, at {{ org.name }}.\n\nWhat you will do."
    assert [(m.position, m.slug, m.title, m.path) for m in spec.modules] == [
        (1, "intro", "Introduction", "speak-up/01-intro.md"),
        (2, "how-to-report", "How to report", "speak-up/02-how-to-report.md"),
        (10, "after", "After you report", "speak-up/10-after.md"),
    ]
    assert spec.modules[0].body == "Call {{ org.hotline }} ({{ org.hotline_hours }})."
    assert spec.quizzes == {"speak-up/quiz.md": QUIZ_MD}
    assert len(spec.content_hash) == 64


def test_optional_keys_have_defaults(tmp_path):
    course = front_matter(audience=None, max_attempts=None, time_limit=None,
                          estimated_minutes=None, validity_months=None, attestation=None,
                          recurrence='"once"')
    spec, problems = load_course(make_course(tmp_path, {"course.md": course}))
    assert problems == []
    assert (spec.audience, spec.max_attempts, spec.time_limit_minutes, spec.estimated_minutes,
            spec.validity_months, spec.attestation) == (None, 3, 0, 0, 0, None)


@pytest.mark.parametrize(("recurrence", "validity", "expected"), [
    ('"annual"', None, 12), ('"every 24 months"', None, 24), ('"once"', None, 0),
    ('"annual"', "0", 0), ('"every 36 months"', "18", 18),
])
def test_validity_follows_recurrence_unless_given(tmp_path, recurrence, validity, expected):
    course = front_matter(recurrence=recurrence, validity_months=validity)
    spec, problems = load_course(make_course(tmp_path, {"course.md": course}))
    assert problems == []
    assert spec.recurrence == recurrence.strip('"')
    assert spec.validity_months == expected


def test_windows_line_endings_and_byte_order_mark(tmp_path):
    folder = make_course(tmp_path, {
        "course.md": b"\xef\xbb\xbf" + COURSE_MD.replace("\n", "\r\n").encode(),
        "01-intro.md": b"\xef\xbb\xbf# Introduction\r\n\r\nBody.\r\n",
    })
    spec, problems = load_course(folder)
    assert problems == []
    assert spec.title == "Speaking up at work"
    assert "\r" not in spec.intro
    assert spec.modules[0].title == "Introduction"
    assert spec.modules[0].body == "Body."


def test_translation_files_are_checked_and_loaded(tmp_path):
    folder = make_course(tmp_path, {
        "01-intro.zh-Hans.md": "# 介绍\n\n拨打 {{ org.hotline }}。\n",
        "course.zh-Hans.md": "---\ntitle: \"举报渠道\"\nattestation: \"我确认。\"\n---\n简介。\n",
    })
    spec, problems = load_course(folder)
    assert problems == []
    assert spec.translations["zh-Hans"]["title"] == "举报渠道"
    assert spec.translations["zh-Hans"]["intro_md"] == "简介。"
    assert spec.translations["zh-Hans"]["modules"][1] == {"title": "介绍",
                                                         "body_md": "拨打 {{ org.hotline }}。"}
    assert [m.path for m in spec.modules] == [
        "speak-up/01-intro.md", "speak-up/02-how-to-report.md", "speak-up/10-after.md"]


def test_translation_problems_are_reported(tmp_path):
    folder = make_course(tmp_path, {
        "01-intro.zh-Hans.md": "# 介绍\n\n{{ org.nope }}\n",
        "05-missing.zh-Hans.md": "# 无\n",
        "course.zh-Hans.md": "---\ntitle: no\n---\n",
        "02-how-to-report.zh-Hans.md": "没有标题\n",
    })
    _, problems = load_course(folder)
    text = "\n".join(str(p) for p in problems)
    assert "speak-up/01-intro.zh-Hans.md:3:1: error: unknown setting {{ org.nope }}" in text
    assert "speak-up/05-missing.zh-Hans.md:1:1: error: translation of 05-missing.md" in text
    assert "speak-up/course.zh-Hans.md:2:1: error: title must be text" in text
    assert "speak-up/02-how-to-report.zh-Hans.md:1:1: error: a module translation starts" in text


def test_stale_source_version_is_a_warning(tmp_path):
    from courses.loader import source_version

    folder = make_course(tmp_path, {})
    current = source_version((folder / "01-intro.md").read_bytes())
    write(folder, {"01-intro.zh-Hans.md": f"---\nsource_version: \"{current}\"\n---\n# 介绍\n"})
    assert load_course(folder)[1] == []
    write(folder, {"01-intro.zh-Hans.md": "---\nsource_version: \"0123456789ab\"\n---\n# 介绍\n"})
    (problem,) = load_course(folder)[1]
    assert problem.severity == "warning" and "stale" in problem.message
    assert current in problem.message and problem.line == 2


def test_other_files_are_ignored_or_warned_about(tmp_path):
    folder = make_course(tmp_path, {"notes.md": "Notes for the author.",
                                    "diagram.png": b"\x89PNG"})
    write(folder, {"drafts/03-draft.md": "no title", ".hidden.md": "x"})
    spec, problems = load_course(folder)
    assert [(str(p)) for p in problems] == [
        "speak-up/notes.md:1:1: warning: not a module (NN-name.md), course.md or quiz.md; rename "
        "or remove it"]
    assert len(spec.modules) == 3


@pytest.mark.parametrize("name", ["1-intro.md", "03_intro.md", "03-Intro.md", "03-.md"])
def test_a_misnamed_module_is_an_error_not_silently_dropped(tmp_path, name):
    folder = make_course(tmp_path, {name: "# Title\n\nBody.\n"})
    assert problems_of(folder) == [
        f"speak-up/{name}:1:1: error: a module file is named NN-name.md (two or more digits, then "
        "lower-case letters, digits and hyphens); rename it so that it is loaded"]


# -- front matter problems --------------------------------------------------------------------

def test_title_no_is_a_bool(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(title="no")})
    assert problems_of(folder) == [
        "speak-up/course.md:2:1: error: title must be text, but YAML read False (bool); put text "
        "in double quotes"]


def test_kind_2025_10_is_a_float(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(kind="2025.10")})
    assert problems_of(folder) == [
        "speak-up/course.md:3:1: error: kind must be text, but YAML read 2025.1 (float); put "
        "text in double quotes"]


def test_numbers_in_quotes(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(max_attempts='"3"')})
    assert problems_of(folder) == [
        "speak-up/course.md:6:1: error: max_attempts must be a whole number, but YAML read '3' "
        "(str); write digits only, without quotes"]


@pytest.mark.parametrize("key", ["title", "kind", "pass_mark", "recurrence"])
def test_missing_required_keys(tmp_path, key):
    folder = make_course(tmp_path, {"course.md": front_matter(**{key: None})})
    assert problems_of(folder) == [f"speak-up/course.md:1:1: error: front matter is missing "
                                   f"{key!r}"]


def test_required_key_without_value(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(title="")})
    assert problems_of(folder) == ["speak-up/course.md:2:1: error: title has no value"]


def test_empty_text_value(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(audience='"  "')})
    assert problems_of(folder) == ["speak-up/course.md:4:1: error: audience is empty"]


def test_no_front_matter_at_all(tmp_path):
    folder = make_course(tmp_path, {"course.md": "Just an introduction.\n"})
    assert problems_of(folder) == [
        f"speak-up/course.md:1:1: error: front matter is missing {key!r}"
        for key in ("title", "kind", "pass_mark", "recurrence")]


def test_unknown_keys(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(passmark='"80%"')})
    found = problems_of(folder)
    assert found == [
        "speak-up/course.md:2:1: error: unknown front matter key 'passmark' (known: title, kind, "
        "audience, pass_mark, max_attempts, time_limit, time_extensions, estimated_minutes, "
        "recurrence, "
        "validity_months, attestation, language, in_person)"]


def test_time_extensions_are_read_and_bounded(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(time_limit="20",
                                                              time_extensions="3")})
    spec, found = load_course(folder)
    assert found == [] and (spec.time_limit_minutes, spec.time_extensions) == (20, 3)
    folder = make_course(tmp_path / "b", {"course.md": front_matter(time_extensions="11")})
    assert problems_of(folder) == [
        "speak-up/course.md:2:1: error: time_extensions must be at most 10, got 11"]


def test_duplicate_keys(tmp_path):
    folder = make_course(tmp_path, {"course.md": COURSE_MD.replace(
        'kind: "certification"', 'kind: "certification"\ntitle: "Another title"')})
    assert problems_of(folder) == [
        "speak-up/course.md:4:1: error: front matter key 'title' is given twice (first on "
        "line 2)"]


@pytest.mark.parametrize(("value", "message"), [
    ('"yearly"', "recurrence must be \"once\", \"annual\" or \"every N months\", got 'yearly'"),
    ('"every 0 months"',
     "recurrence must be \"once\", \"annual\" or \"every N months\", got 'every 0 months'"),
    ('"every two months"',
     "recurrence must be \"once\", \"annual\" or \"every N months\", got 'every two months'"),
    ('"Annual"', "recurrence must be \"once\", \"annual\" or \"every N months\", got 'Annual'"),
])
def test_bad_recurrence(tmp_path, value, message):
    folder = make_course(tmp_path, {"course.md": front_matter(recurrence=value)})
    assert problems_of(folder) == [f"speak-up/course.md:9:1: error: {message}"]


@pytest.mark.parametrize(("value", "message"), [
    ('"101%"', "pass_mark must be a percentage like \"80%\", got '101%'"),
    ('"80"', "pass_mark must be a percentage like \"80%\", got '80'"),
    ('"eighty percent"', "pass_mark must be a percentage like \"80%\", got 'eighty percent'"),
    ('"80.5%"', "pass_mark must be a percentage like \"80%\", got '80.5%'"),
    ("80%", "pass_mark must be a percentage like \"80%\", got '80%'"),  # YAML reads text here
    ("80", "pass_mark must be text, but YAML read 80 (int); put text in double quotes"),
])
def test_bad_pass_mark(tmp_path, value, message):
    folder = make_course(tmp_path, {"course.md": front_matter(pass_mark=value)})
    found = problems_of(folder)
    if value == "80%":  # unquoted 80% is valid YAML text and a valid pass mark
        assert found == []
    else:
        assert found == [f"speak-up/course.md:5:1: error: {message}"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("kind", '"course"', "kind must be one of certification, training, got 'course'"),
    ("max_attempts", "0", "max_attempts must be at least 1"),
    ("max_attempts", "-1", "max_attempts must not be negative"),
    ("max_attempts", "99999999999", "max_attempts must be at most 100, got 99999999999"),
    ("time_limit", "-5", "time_limit must not be negative"),
    ("time_limit", "2000", "time_limit must be at most 1440, got 2000"),
    ("validity_months", "1.5",
     "validity_months must be a whole number, but YAML read 1.5 (float); write digits only, "
     "without quotes"),
    ("estimated_minutes", "yes",
     "estimated_minutes must be a whole number, but YAML read True (bool); write digits only, "
     "without quotes"),
    ("title", '"' + "x" * 301 + '"', "title is 301 characters long; keep it under 300"),
])
def test_bad_values(tmp_path, key, value, message):
    folder = make_course(tmp_path, {"course.md": front_matter(**{key: value})})
    line = next(i for i, text in enumerate(front_matter(**{key: value}).split("\n"), 1)
                if text.startswith(f"{key}:"))
    assert problems_of(folder) == [f"speak-up/course.md:{line}:1: error: {message}"]


def test_yaml_syntax_error_has_its_line_and_no_noise(tmp_path):
    # Only the syntax error: not "missing title" and so on for keys YAML could not read.
    folder = make_course(tmp_path, {"course.md": front_matter(audience="All: employees")})
    assert problems_of(folder) == [
        "speak-up/course.md:4:14: error: front matter is not valid YAML: mapping values are not "
        "allowed here"]
    folder = make_course(tmp_path / "2", {"course.md": front_matter(audience='"All employees')})
    assert problems_of(folder) == [
        "speak-up/course.md:5:13: error: front matter is not valid YAML: expected <block end>, "
        "but found '<scalar>'"]


def test_front_matter_that_never_ends(tmp_path):
    folder = make_course(tmp_path, {"course.md": COURSE_MD.replace("---\n\nWhy", "\nWhy")})
    assert problems_of(folder) == [
        "speak-up/course.md:1:1: error: front matter starts with --- but never ends (add a line "
        "with --- after it)"]


def test_invalid_date_in_front_matter_does_not_crash(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(language="2025-02-30")})
    assert problems_of(folder) == [
        "speak-up/course.md:2:11: error: front matter is not valid YAML: day is out of range "
        "for month"]


# -- modules, placeholders, files -------------------------------------------------------------

@pytest.mark.parametrize("text", ["Introduction\n\nBody.", "## Introduction\n\nBody.",
                                  "#Introduction\n", "\n# Introduction\n", "#   \n\nBody.", ""])
def test_module_without_title(tmp_path, text):
    folder = make_course(tmp_path, {"01-intro.md": text})
    assert problems_of(folder) == [
        "speak-up/01-intro.md:1:1: error: a module must start with its title as '# Title' on "
        "the first line"]


def test_no_modules(tmp_path):
    folder = make_course(tmp_path, {"01-intro.md": None, "02-how-to-report.md": None,
                                    "10-after.md": None})
    assert problems_of(folder) == [
        "speak-up/course.md:1:1: error: the course has no modules (01-name.md, 02-name.md, ...)"]


def test_two_modules_with_one_number(tmp_path):
    folder = make_course(tmp_path, {"001-also-one.md": "# Also one\n"})
    assert problems_of(folder) == ["speak-up/course.md:1:1: error: two module files share a "
                                   "number"]


def test_no_quiz(tmp_path):
    folder = make_course(tmp_path, {"quiz.md": None})
    assert problems_of(folder) == [
        "speak-up/course.md:1:1: error: the course has no quiz.md; without a quiz nobody can "
        "complete it"]


def test_two_quizzes(tmp_path):
    folder = make_course(tmp_path, {"quiz-extra.md": QUIZ_MD})
    assert problems_of(folder) == [
        "speak-up/course.md:1:1: error: only one quiz file per course is supported for now "
        "(quiz.md)"]


def test_bad_folder_name(tmp_path):
    folder = make_course(tmp_path, slug="Speak_Up")
    assert problems_of(folder) == [
        "Speak_Up:1:1: error: a course folder's name must be lower-case letters, digits and "
        "hyphens"]


def test_missing_course_md(tmp_path):
    folder = make_course(tmp_path, {"course.md": None})
    assert problems_of(folder) == ["speak-up/course.md:1:1: error: course.md is missing"]


def test_unknown_placeholders_are_reported_with_file_and_line(tmp_path):
    folder = make_course(tmp_path, {
        "02-how-to-report.md": "# How to report\n\nWrite to {{ org.email }}.\n\n"
                               "Or call   {{org.hotline}} or {{ org.hotline }.\n",
        "quiz.md": QUIZ_MD.replace("{{ org.hotline }}", "{{ org.phone }}"),
        "course.md": COURSE_MD.replace("policy of {{ org.name }}", "policy of {{ company }}"),
    })
    assert problems_of(folder) == [
        "speak-up/course.md:11:56: error: unknown setting {{ company }}: use one of the org.* "
        "names listed in docs/authoring.md",
        "speak-up/02-how-to-report.md:3:10: error: unknown setting {{ org.email }}: use one of "
        "the org.* names listed in docs/authoring.md",
        "speak-up/02-how-to-report.md:5:30: error: unknown setting {{ org.hotline }.: use one of "
        "the org.* names listed in docs/authoring.md",
        "speak-up/quiz.md:3:6: error: unknown setting {{ org.phone }}: use one of the org.* names "
        "listed in docs/authoring.md",
    ]


def test_every_known_placeholder_is_accepted(tmp_path):
    from lms.org.registry import KEYS

    body = "# Settings\n\n" + "\n".join(f"- {{{{ org.{key} }}}}" for key in sorted(KEYS))
    assert problems_of(make_course(tmp_path, {"01-intro.md": body})) == []


@pytest.mark.parametrize(("name", "content", "where"), [
    ("course.md", COURSE_MD.encode("utf-8").replace(b"What you", b"What\xff you"), "16:5"),
    ("01-intro.md", "# Intro\n\nCafé".encode("latin-1"), "3:4"),
    ("quiz.md", "## Überblick {#q1}".encode("utf-16"), "1:1"),
])
def test_non_utf8_files_are_refused_with_a_clear_message(tmp_path, name, content, where):
    folder = make_course(tmp_path, {name: content})
    found = problems_of(folder)
    assert len(found) == 1, found
    assert found[0].startswith(f"speak-up/{name}:{where}: error: file is not UTF-8 text (byte ")
    assert found[0].endswith("); save it as UTF-8 and try again")


# -- content hash -----------------------------------------------------------------------------

def test_content_hash_is_stable(tmp_path):
    first, _ = load_course(make_course(tmp_path / "a"))
    second, _ = load_course(make_course(tmp_path / "b"))
    again, _ = load_course(tmp_path / "a" / "speak-up")
    assert first.content_hash == second.content_hash == again.content_hash


def test_shipped_course_hash_does_not_depend_on_where_it_is(tmp_path):
    source = SHIPPED / "code-of-conduct"
    copy = tmp_path / "code-of-conduct"
    shutil.copytree(source, copy)
    assert load_course(copy)[0].content_hash == load_course(source)[0].content_hash


def test_content_hash_changes_when_any_byte_changes(tmp_path):
    folder = make_course(tmp_path)
    original = load_course(folder)[0].content_hash
    seen = {original}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        for index in (0, len(data) // 2, len(data) - 1):
            changed = bytearray(data)
            changed[index] ^= 0x01
            path.write_bytes(bytes(changed))
            digest = load_course(folder)[0].content_hash
            assert digest not in seen, (path.name, index)
            seen.add(digest)
            path.write_bytes(data)
    assert load_course(folder)[0].content_hash == original


def test_content_hash_covers_names_and_new_files_but_not_hidden_ones(tmp_path):
    folder = make_course(tmp_path)
    original = load_course(folder)[0].content_hash
    (folder / ".swp").write_text("editor junk")
    write(folder, {".git/config": "x"})
    assert load_course(folder)[0].content_hash == original
    (folder / "10-after.md").rename(folder / "11-after.md")
    renamed = load_course(folder)[0].content_hash
    assert renamed != original
    (folder / "11-after.md").rename(folder / "10-after.md")
    (folder / "01-intro.zh-Hans.md").write_text("# 介绍\n")
    assert load_course(folder)[0].content_hash not in (original, renamed)


def test_content_hash_function_separates_names_from_contents():
    assert content_hash({"a": b"bc"}) != content_hash({"ab": b"c"})
    assert content_hash({"a": b"", "b": b"x"}) != content_hash({"a": b"x", "b": b""})
    assert content_hash({"b": b"2", "a": b"1"}) == content_hash({"a": b"1", "b": b"2"})


# -- the shipped catalog ------------------------------------------------------------------------

def test_every_shipped_course_loads_without_problems():
    folders = sorted(p for p in SHIPPED.iterdir() if p.is_dir())
    assert len(folders) == 6
    for folder in folders:
        spec, problems = load_course(folder)
        assert [str(p) for p in problems] == [], folder.name
        # a practical class needs less reading: its substance is the class itself
        assert len(spec.modules) >= (2 if spec.in_person else 3)
        assert list(spec.quizzes) == [f"{folder.name}/quiz.md"]


def test_in_person_is_true_or_false(tmp_path):
    folder = make_course(tmp_path, {"course.md": front_matter(in_person="yes please")})
    assert any("in_person must be true or false" in p for p in problems_of(folder))
    folder = make_course(tmp_path / "ok", {"course.md": front_matter(in_person="true")})
    assert problems_of(folder) == []

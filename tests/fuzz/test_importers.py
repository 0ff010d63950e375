"""Fuzzing every parser that reads a file a person hands us: the quiz Markdown, GIFT and Aiken
imports, a course's front matter and the HR people file. Whatever the input, the answer is the
parsed result plus well-formed problems (a line and column inside the input), or for the HR
file a refusal naming the file; never another exception, never a hang.

Short and deterministic by default; ``LMS_FUZZ_EXAMPLES=20000`` for a long run (see
tests/fuzz/support.py)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.loader import load_course_files
from lms.frontmatter import split_front_matter
from lms.people.importer import KNOWN_COLUMNS, Existing, ImportFileError, plan_import, read_file
from quizzes.aiken import import_aiken, import_aiken_bytes
from quizzes.gift import import_gift, import_gift_bytes
from quizzes.parser import parse_quiz
from tests.fuzz.support import (
    COURSE_FILES,
    FUZZ,
    GIFT_FIXTURES,
    QUIZZES,
    any_text,
    check_problems,
    read,
    time_limit,
)

# A huge generated line makes a huge example to print; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

QUIZ_SEEDS = [read(path) for path in QUIZZES]
QUIZ_FRAGMENTS = ["## Title {#q1}", "## T {#q1 type=multiple scoring=partial points=2}",
                  "# Pool {#p pick=9}", "- [x] Right", "- [ ] Wrong {weight=150%}",
                  "> [!EXPLANATION]", "> [!HINT] x", "```", "pass_mark: \"80%\"",
                  "points_default: 1e999", "shuffle_options: maybe", "{{ org.name }}"]

GIFT_SEEDS = [read(path) for path in GIFT_FIXTURES]
GIFT_FRAGMENTS = ["::Title::", "{", "}", "=right", "~wrong", "~%50%half", "~%-100%minus",
                  "#feedback", "####general", "{T}", "{FALSE#no#yes}", "{#1..5}", "{#=3:1}",
                  "$CATEGORY: top/sub", "[html]<b>x</b>", "[markdown]**x**", "// comment",
                  "\\{", "\\=", "->", "=a -> b", "<img src=x onerror=alert(1)>", "{1:MC:=a~b}"]

AIKEN_SEEDS = [
    "Which gift may you accept?\nA) Tickets\nB) A pen\nC) Nothing\nANSWER: C\n\n"
    "Who decides?\nA. Your manager\nB. The team\nANSWER: B\n",
    "Q1?\nA) x\nANSWER: A\n",
    "同事送你红包，你应该？\nA) 收下\nB) 婉拒并报告\nANSWER: B\n",
]
AIKEN_FRAGMENTS = ["ANSWER: Z", "ANSWER:", "ANSWER: A B", "A)", "A) ", "Z) x", "a) lower",
                   "A. dot", "ANSWER: a"]

COURSE_SEEDS = [read(path) for path in COURSE_FILES]
FRONT_FRAGMENTS = ["---", "title: x", "title:", "key: [1", "a: &x 1", "b: *x", "n: !!int x",
                   "- item", "  nested: 1", "date: 2025-13-45", "title: {a: 1}", "? complex",
                   "x: |", "x: >", "x: 'unterminated", "x: \"\\u0000\"", "<<: *x"]


@FUZZ
@given(any_text(QUIZ_SEEDS, QUIZ_FRAGMENTS))
def test_quiz_markdown(text):
    with time_limit():
        _spec, problems = parse_quiz("fuzz/quiz.md", text)
    check_problems(problems, text, "fuzz/quiz.md")


@FUZZ
@given(any_text(QUIZ_SEEDS, QUIZ_FRAGMENTS))
def test_quiz_markdown_as_a_translation(text):
    with time_limit():
        _spec, problems = parse_quiz("fuzz/quiz.zh-Hans.md", text, translation=True)
    check_problems(problems, text, "fuzz/quiz.zh-Hans.md")


@FUZZ
@given(any_text(GIFT_SEEDS, GIFT_FRAGMENTS))
def test_gift(text):
    with time_limit():
        _spec, problems = import_gift("fuzz.gift", text)
    check_problems(problems, text, "fuzz.gift")


@FUZZ
@given(st.one_of(any_text(GIFT_SEEDS, GIFT_FRAGMENTS).map(lambda s: s.encode("utf-8",
                                                                              "surrogatepass")),
                 st.binary(max_size=500)))
def test_gift_bytes(data):
    with time_limit():
        _spec, problems = import_gift_bytes("fuzz.gift", data)
    check_problems(problems, data.decode("utf-8", "replace"), "fuzz.gift")


@FUZZ
@given(any_text(AIKEN_SEEDS, AIKEN_FRAGMENTS))
def test_aiken(text):
    with time_limit():
        _spec, problems = import_aiken("fuzz.txt", text)
    check_problems(problems, text, "fuzz.txt")


@FUZZ
@given(st.one_of(any_text(AIKEN_SEEDS, AIKEN_FRAGMENTS).map(lambda s: s.encode("utf-8",
                                                                                "surrogatepass")),
                 st.binary(max_size=500)))
def test_aiken_bytes(data):
    with time_limit():
        _spec, problems = import_aiken_bytes("fuzz.txt", data)
    check_problems(problems, data.decode("utf-8", "replace"), "fuzz.txt")


@FUZZ
@given(any_text(COURSE_SEEDS + QUIZ_SEEDS, FRONT_FRAGMENTS))
def test_front_matter(text):
    with time_limit():
        meta, body, offset, problems = split_front_matter("fuzz.md", text)
    check_problems(problems, text, "fuzz.md")
    assert isinstance(meta, dict) and isinstance(body, str)
    assert 1 <= offset <= len(text.removeprefix("\ufeff").split("\n")) + 1


@FUZZ
@given(course=any_text(COURSE_SEEDS, FRONT_FRAGMENTS), quiz=any_text(QUIZ_SEEDS, QUIZ_FRAGMENTS))
def test_course_loader(course, quiz):
    files = {"course.md": course.encode("utf-8", "surrogatepass"),
             "quiz.md": quiz.encode("utf-8", "surrogatepass")}
    with time_limit():
        _spec, problems = load_course_files("fuzz-course", files, "fuzz-course")
    texts = {name: data.decode("utf-8", "replace") for name, data in files.items()}
    for problem in problems:
        name = next((n for n in texts if problem.path.endswith(n)), None)
        if name is None:  # about the course as a whole (its folder), not one file
            assert problem.line == 1 and problem.column == 1, problem
            continue
        check_problems([problem], texts[name], problem.path)


# -- the HR people file ---------------------------------------------------------------------

HR_HEADER = list(KNOWN_COLUMNS)


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


HR_SEEDS = [
    _csv([HR_HEADER,
          ["E001", "Li Wei", "", "", "li.wei@example.com", "Sales", "Hangzhou", "Rep", "E002",
           "2024-01-15", "", "female", "zh-Hans"],
          ["E002", "", "Anna", "Müller", "anna@example.com", "Sales", "Berlin", "Lead", "",
           "2020-03-01", "2026-12-31", "", "de"],
          ["E003", "王芳", "", "", "wang@example.com", "Legal", "Shanghai", "", "E002",
           "2023-07-01", "", "", ""]]),
    _csv([["Employee Number", "Full-Name", "EMAIL", "hire date"],
          ["1", "A \"quoted\" name", "a@example.com", "2024-02-30"],
          ["1", "=cmd|' /C calc'!A0", "not-an-email", "yesterday"]]),
]
HR_FRAGMENTS = [",", ",,,,,,,,,,,,,,", '"', '"unterminated', "\x00", "E001,,,,,,,,E001",
                "E009,x,,,x@example.com,,,,E010", "E010,y,,,y@example.com,,,,E009", "manager",
                "employee_number", "2024-13-01", "9999-12-31", "=1+1", "\ufeff"]


def _check_plan(data: bytes, name: str) -> None:
    with time_limit():
        try:
            raw = read_file(data, name)
            plan = plan_import(raw, Existing(), date(2026, 6, 1))
        except ImportFileError as refused:
            assert name in str(refused)
            return
    # CSV: a line of the file; JSON: a record's position (at most one per comma, plus one).
    records = (data.count(b",") if raw.fmt == "json" else
               data.count(b"\n") + data.count(b"\r")) + 1
    for problem in plan.problems:
        assert problem.row is None or (isinstance(problem.row, int)
                                       and 1 <= problem.row <= records), problem
        assert problem.column is None or problem.column in KNOWN_COLUMNS or isinstance(
            problem.column, str), problem
        assert problem.level in ("error", "warning")
        assert isinstance(problem.message, str) and problem.message.strip(), problem


@FUZZ
@given(any_text(HR_SEEDS, HR_FRAGMENTS))
def test_hr_csv(text):
    _check_plan(text.encode("utf-8", "surrogatepass"), "people.csv")


@FUZZ
@given(st.one_of(st.binary(max_size=400),
                 any_text(HR_SEEDS, HR_FRAGMENTS).map(lambda s: s.encode("gb18030", "replace"))))
def test_hr_csv_bytes(data):
    _check_plan(data, "people.csv")


@FUZZ
@given(st.one_of(
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.sampled_from([*HR_HEADER, "x", ""]), inner, max_size=6),
                 max_leaves=30),
    st.text(max_size=300),
).map(lambda value: value if isinstance(value, str) else __import__("json").dumps(value)))
def test_hr_json(text):
    _check_plan(text.encode("utf-8", "surrogatepass"), "people.json")


# -- regressions found by the fuzzing above -------------------------------------------------

def test_deeply_nested_front_matter_is_refused_at_once():
    """PyYAML's scanner took 4 s to give up on 2,000 levels of ``[`` (quadratic in depth)."""
    text = "---\ntitle: x\nkey: " + "[" * 5000 + "\n---\nbody"
    with time_limit(1):
        _meta, _body, _offset, problems = split_front_matter("deep.md", text)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (3, 56, "front matter is not valid YAML: nested too deeply")]
    # Brackets inside quotes are text, and ordinary flow lists still read.
    meta, _body, _offset, problems = split_front_matter(
        "ok.md", '---\ntitle: "' + "[" * 200 + '"\ntags: [a, [b, {c: d}]]\n---\n')
    assert not problems and meta["tags"] == ["a", ["b", {"c": "d"}]]


class _LinkLabelScans:
    """Counts markdown-it's ``skipToken``: the step repeated for each ``[`` of a possible link
    label (and for every token inside it). Counting work, not time: no flaky bound."""

    def __init__(self, monkeypatch):
        from markdown_it.parser_inline import ParserInline

        self.calls = 0
        real = ParserInline.skipToken

        def counted(parser, state):
            self.calls += 1
            return real(parser, state)

        monkeypatch.setattr(ParserInline, "skipToken", counted)


# Per "[" that markdown-it does scan, and the texts of one question below (prompt, two answers
# and their feedback): the work of a question no longer grows with its brackets past the limits.
SCANS_PER_BRACKET = 32
BRACKET_TEXT = st.text(alphabet="[[[[]!()*_ a\\", min_size=2_000, max_size=30_000)


@FUZZ
@given(BRACKET_TEXT, st.sampled_from(["", "[moodle]", "[plain]", "[html]", "[markdown]"]),
       st.sampled_from(["stem", "answer", "feedback"]))
def test_gift_work_is_bounded_on_a_long_line_of_brackets(text, fmt, where):
    import quizzes.gift as gift

    with pytest.MonkeyPatch.context() as monkeypatch:
        scans = _LinkLabelScans(monkeypatch)
        line = {"stem": f"{fmt}{text} {{=a ~b}}", "answer": f"Q {{={fmt}{text} ~b}}",
                "feedback": f"Q {{=a #{fmt}{text} ~b}}"}[where]
        _spec, problems = import_gift("long.gift", line)
    check_problems(problems, line, "long.gift")
    limit = max(gift.LINK_BRACKETS_CHECKED, gift.MARKDOWN_LINK_BRACKETS)
    assert scans.calls <= SCANS_PER_BRACKET * limit * 4, (scans.calls, text.count("["))


def test_a_line_of_100000_brackets_imports_escaped_or_is_refused_with_its_position(monkeypatch):
    """markdown-it scanned ahead from every "[" (some ninety Python calls each): a question with
    100,000 of them took seconds. A plain one is now escaped without scanning; a [markdown] one
    is refused at the first bracket over the limit."""
    from quizzes.gift import MARKDOWN_LINK_BRACKETS

    scans = _LinkLabelScans(monkeypatch)
    spec, problems = import_gift("plain.gift", "// one line\nQ " + "[" * 100_000 + " {=a ~b}")
    assert scans.calls == 0
    assert [p.severity for p in problems] == ["warning"]  # no general feedback, that is all
    assert spec.questions[0].prompt.startswith("Q \\[\\[")

    line = "[markdown]Why " + "[" * 100_000 + " {=a ~b}"
    spec, problems = import_gift("markdown.gift", "// one line\n" + line)
    assert scans.calls == 0
    assert spec.questions == []
    [problem] = problems
    assert (problem.line, problem.column, problem.severity) == (
        2, len("[markdown]Why ") + MARKDOWN_LINK_BRACKETS + 1, "error")
    assert "at most 300 '['" in problem.message

    # Up to the limit, a [markdown] text keeps its links.
    links = " ".join(f"[l{n}](https://example.com/{n})" for n in range(MARKDOWN_LINK_BRACKETS))
    spec, problems = import_gift("links.gift", f"[markdown]See {links} {{=a ~b}}")
    assert spec.questions and "[l299](https://example.com/299)" in spec.questions[0].prompt

"""Property tests for the quiz parser: it never raises, and a generated valid quiz comes back as
it was written. No example database is kept (``database=None``), so nothing is written into
the repository."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.parser import parse_quiz

FUZZ = settings(max_examples=200, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# -- parse_quiz never raises ----------------------------------------------------------------

# Lines made of the format's own building blocks, so the parser's states are all reached.
FRAGMENTS = [
    "---", "## Title {#q1}", "## Title {#q1 type=multiple scoring=partial points=2}",
    "## T {#q2 type=true-false}", "## No id", "# Pool {#pool pick=2}", "# Pool", "###  Sub",
    "- [x] Right", "- [ ] Wrong", "* [X] Also right", "- [ ] W {weight=25%}", "- [x]",
    "  > feedback", "  continued", "> [!EXPLANATION]", "> [!HINT] inline", "> explanation",
    "> quote", ">", "", "   ", "\t", "Prompt text.", "```", "~~~", "shuffle_options: true",
    "points_default: 2", 'pass_mark: "80%"', "pass_mark: 8", "title: no", "date: 2025-13-45",
    "key: [1", "{{ org.name }}", "{", "}", "\ufeff---", "\r", "- [x] {weight=101%}",
    "## {#dup}", "## Again {#dup points=0}", "n: !!int x", "a: &x 1", "b: *x", "[[[[[[[[[[",
]
LINES = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40).map(lambda s: s.replace(
    "\n", " ")))
DOCUMENTS = st.one_of(
    st.text(max_size=400),
    st.lists(LINES, max_size=40).map("\n".join),
    st.lists(LINES, max_size=40).map("\r\n".join),
)


@FUZZ
@given(DOCUMENTS)
def test_parse_quiz_never_raises_and_points_at_real_lines(text):
    spec, problems = parse_quiz("fuzz/quiz.md", text)
    line_count = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for problem in problems:
        assert 1 <= problem.line <= line_count, (problem, line_count)
        assert problem.column >= 1
        assert problem.severity in ("error", "warning")
        assert str(problem).startswith(f"fuzz/quiz.md:{problem.line}:{problem.column}: ")
    if not any(p.severity == "error" for p in problems):
        assert spec.questions, "a quiz without questions must be an error"


# -- generated valid quizzes parse back to what was written --------------------------------

# Words that cannot be mistaken for Markdown structure (no #, -, *, >, [, {, `, ~ at all).
WORD_CHARS = string.ascii_letters + string.digits + ".,;:!?'\"()%&/+=" + "中文测试éüß"
VOCABULARY = ["the", "supplier", "offers", "tickets", "(CNY", "200)", "you", "report", "it.",
              "Don't", "100%", "a/b", "e-mail", "x=1", "don't!", "red", "envelope", "同事",
              "举报", "Müller", "straße", "3.5", "'quoted'", '"double"', "50%,", "yes;", "no:"]
# Mostly known words (fast to draw), sometimes arbitrary ones.
WORD = st.one_of(st.sampled_from(VOCABULARY),
                 st.text(alphabet=WORD_CHARS, min_size=1, max_size=8))
TEXT_LINE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
PARAGRAPHS = st.lists(TEXT_LINE, min_size=1, max_size=2)


@dataclass
class Opt:
    lines: list[str]
    correct: bool
    weight: Decimal | None = None
    feedback: list[str] = field(default_factory=list)


@dataclass
class Q:
    key: str
    title: str
    type: str
    scoring: str | None
    points: Decimal | None
    prompt: list[str]
    options: list[Opt]
    explanation: list[str]
    hint: list[str] | None


WEIGHTS = st.one_of(st.none(), st.integers(-10000, 10000).map(lambda n: Decimal(n).scaleb(-2)))


@st.composite
def questions(draw, key: str) -> Q:
    qtype = draw(st.sampled_from(["single", "multiple", "true-false"]))
    if qtype == "true-false":
        right = draw(st.integers(0, 1))
        marks = [i == right for i in range(2)]
        texts = [["True"], ["False"]]
    else:
        count = draw(st.integers(1 if qtype == "multiple" else 2, 4))
        if qtype == "single":
            right = draw(st.integers(0, count - 1))
            marks = [i == right for i in range(count)]
        else:
            marks = draw(st.lists(st.booleans(), min_size=count, max_size=count)
                         .filter(any))
        texts = [draw(st.lists(TEXT_LINE, min_size=1, max_size=2)) for _ in range(count)]
    scoring = draw(st.sampled_from([None, "all-or-nothing", "partial"])) if (
        qtype == "multiple") else None
    options = []
    for lines, correct in zip(texts, marks, strict=True):
        # Weights count for wrong single-choice options and partial multiple-choice options.
        weighted = (qtype == "multiple" and scoring == "partial") or (
            qtype != "multiple" and not correct)
        options.append(Opt(lines, correct, draw(WEIGHTS) if weighted else None,
                           draw(st.lists(TEXT_LINE, max_size=2))))
    points = draw(st.one_of(st.none(), st.integers(1, 99999999).map(
        lambda n: Decimal(n).scaleb(-2))))
    return Q(key=key, title=draw(TEXT_LINE), type=qtype, scoring=scoring, points=points,
             prompt=draw(PARAGRAPHS), options=options, explanation=draw(PARAGRAPHS),
             hint=draw(st.one_of(st.none(), PARAGRAPHS)))


@st.composite
def quizzes(draw):
    keys = draw(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
                         min_size=1, max_size=5, unique=True))
    items = [draw(questions(key)) for key in keys]
    # The questions at the end may be split into pools.
    pools = []
    rest = len(items) - draw(st.integers(0, len(items)))
    start = rest
    while start < len(items):
        size = draw(st.integers(1, len(items) - start))
        pools.append((f"pool-{len(pools) + 1}", draw(TEXT_LINE), draw(st.integers(1, size)),
                      items[start:start + size]))
        start += size
    points_default = draw(st.one_of(st.none(), st.integers(1, 5)))
    return items[:rest], pools, points_default


def render_question(q: Q) -> str:
    attributes = [f"#{q.key}"]
    if q.type != "single" or q.key.startswith("t"):  # sometimes say the default out loud
        attributes.append(f"type={q.type}")
    if q.scoring:
        attributes.append(f"scoring={q.scoring}")
    if q.points is not None:
        attributes.append(f"points={q.points}")
    out = [f"## {q.title} {{{' '.join(attributes)}}}", ""]
    for paragraph in q.prompt:
        out += [paragraph, ""]
    for option in q.options:
        weight = "" if option.weight is None else f" {{weight={option.weight}%}}"
        out.append(f"- [{'x' if option.correct else ' '}] {option.lines[0]}"
                   + ("" if len(option.lines) > 1 else weight))
        for index, line in enumerate(option.lines[1:], start=2):
            out.append(f"  {line}" + (weight if index == len(option.lines) else ""))
        out += [f"  > {line}" for line in option.feedback]
    out += ["", "> [!EXPLANATION]", quote(q.explanation)]
    if q.hint is not None:
        out += ["", "> [!HINT]", quote(q.hint)]
    return "\n".join(out) + "\n"


def quote(paragraphs: list[str]) -> str:
    return "\n>\n".join(f"> {paragraph}" for paragraph in paragraphs)


def render(unpooled, pools, points_default) -> str:
    parts = []
    if points_default is not None:
        parts.append(f"---\nshuffle_questions: false\npoints_default: {points_default}\n---\n")
    parts += [render_question(q) for q in unpooled]
    for key, title, pick, members in pools:
        parts.append(f"# {title} {{#{key} pick={pick}}}\n")
        parts += [render_question(q) for q in members]
    return "\n".join(parts)


@FUZZ
@given(quizzes())
def test_generated_quizzes_parse_back_to_what_was_written(generated):
    unpooled, pools, points_default = generated
    text = render(unpooled, pools, points_default)
    spec, problems = parse_quiz("gen/quiz.md", text)
    assert problems == [], text

    written = unpooled + [q for _, _, _, members in pools for q in members]
    pool_of = {q.key: key for key, _, _, members in pools for q in members}
    default = Decimal(points_default or 1)
    assert spec.shuffle_questions is (points_default is None)
    assert [q.key for q in spec.questions] == [q.key for q in written]
    assert [(p.key, p.title, p.pick) for p in spec.pools] == [
        (key, title, pick) for key, title, pick, _ in pools]
    lines = text.split("\n")
    for parsed, q in zip(spec.questions, written, strict=True):
        assert parsed.title == q.title
        assert parsed.type == q.type
        assert parsed.scoring == (q.scoring or "all-or-nothing")
        assert parsed.points == (q.points if q.points is not None else default)
        assert parsed.pool == pool_of.get(q.key)
        assert parsed.prompt == "\n\n".join(q.prompt)
        assert parsed.explanation == "\n\n".join(q.explanation)
        assert parsed.hint == ("\n\n".join(q.hint) if q.hint is not None else "")
        assert lines[parsed.line - 1].startswith(f"## {q.title} {{#{q.key}")
        assert [o.text for o in parsed.options] == ["\n".join(o.lines) for o in q.options]
        assert [o.correct for o in parsed.options] == [o.correct for o in q.options]
        assert [o.weight for o in parsed.options] == [o.weight for o in q.options]
        assert [o.feedback for o in parsed.options] == ["\n".join(o.feedback) for o in q.options]
        for option in parsed.options:
            assert lines[option.line - 1].startswith(("- [x] ", "- [ ] "))

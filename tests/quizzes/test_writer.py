"""The quiz writer: parse -> write -> parse gives the same quiz, for the shipped catalog, for texts
that look like the format's own structure, and for generated quizzes (hypothesis). Also: the
parser and the importers never raise on arbitrary text; they report problems with a position.

No hypothesis example database is kept (``database=None``), so nothing is written into the
repository."""

from __future__ import annotations

import string
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.aiken import import_aiken
from quizzes.gift import import_gift
from quizzes.parser import OptionSpec, PoolSpec, QuestionSpec, QuizSpec, parse_quiz
from quizzes.writer import PLACES, fit_text, write_quiz
from tests.quizzes.support import meaning

CATALOG = Path(__file__).resolve().parents[2] / "courses" / "content"
FAST = settings(max_examples=120, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])




def errors(problems) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def round_trip(spec: QuizSpec) -> tuple[QuizSpec, list]:
    return parse_quiz("written.md", write_quiz(spec))


def question(key="q1", prompt="What do you do?", options=None, **fields) -> QuestionSpec:
    options = options or [OptionSpec("Right", True, 0), OptionSpec("Wrong", False, 0)]
    fields.setdefault("explanation", "Because that is the rule.")
    return QuestionSpec(key=key, title=fields.pop("title", "A question"), line=0, prompt=prompt,
                        options=options, **fields)


# -- examples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(CATALOG.glob("*/quiz.md")), ids=lambda p: p.parent.name)
def test_the_shipped_quizzes_come_back_unchanged(path):
    spec, problems = parse_quiz(str(path), path.read_text(encoding="utf-8"))
    assert not errors(problems)
    again, problems = round_trip(spec)
    assert not errors(problems)
    assert meaning(again) == meaning(spec)


def test_defaults_write_no_front_matter_and_settings_write_only_what_differs():
    spec = QuizSpec(questions=[question()])
    assert not write_quiz(spec).startswith("---")
    spec = QuizSpec(shuffle_options=False, points_default=Decimal("2.5"), pass_mark_percent=80,
                    questions=[question(points=Decimal("2.5")), question("q2", points=Decimal(1))])
    text = write_quiz(spec)
    assert text.startswith(
        '---\nshuffle_options: false\npoints_default: 2.5\npass_mark: "80%"\n---')
    assert "shuffle_questions" not in text
    assert "{#q1}" in text and "{#q2 points=1}" in text
    again, problems = round_trip(spec)
    assert not errors(problems) and meaning(again) == meaning(spec)


def test_every_part_of_a_question_is_written():
    q = question(type="multiple", scoring="partial", points=Decimal(3), hint="Think again.",
                 prompt="Line one\n\nLine two,\nand three.", options=[
                     OptionSpec("Right\non two lines", True, 0, Decimal("50.5"),
                                "Yes.\nTwo lines."),
                     OptionSpec("Wrong", False, 0, Decimal(-25), "No."),
                     OptionSpec("Also right", True, 0)],
                 explanation="First paragraph.\n\nSecond paragraph.")
    spec = QuizSpec(pass_mark_points=Decimal(7), questions=[q])
    text = write_quiz(spec)
    assert "## A question {#q1 type=multiple scoring=partial points=3}" in text
    assert "- [x] Right\n  on two lines {weight=50.5%}\n  > Yes.\n  > Two lines." in text
    assert "> [!EXPLANATION]\n> First paragraph.\n>\n> Second paragraph." in text
    assert "> [!HINT]\n> Think again." in text
    again, problems = round_trip(spec)
    assert not errors(problems) and meaning(again) == meaning(spec)


def test_pools_come_after_the_questions_that_are_always_asked():
    spec = QuizSpec(
        pools=[PoolSpec("first", "First pool", 1, 0), PoolSpec("second", "Second pool", 2, 0)],
        questions=[question("a", pool="first"), question("b"), question("c", pool="second"),
                   question("d", pool="second"), question("e", pool="first")])
    text = write_quiz(spec)
    assert text.index("{#b}") < text.index("# First pool {#first pick=1}") < text.index("{#a}")
    assert text.index("{#e}") < text.index("# Second pool {#second pick=2}")
    again, problems = round_trip(spec)
    assert not errors(problems)
    assert [(q.key, q.pool) for q in again.questions] == [
        ("b", None), ("a", "first"), ("e", "first"), ("c", "second"), ("d", "second")]


def test_a_question_in_a_pool_the_quiz_does_not_have_is_refused():
    with pytest.raises(ValueError, match="pool 'nowhere'"):
        write_quiz(QuizSpec(questions=[question(pool="nowhere")]))


@pytest.mark.parametrize(("where", "text", "fitted"), [
    ("prompt", "Intro\n## Not a question\n# Not a pool",
     "Intro\n### Not a question\n### Not a pool"),
    ("prompt", "Steps:\n- [x] done\n* [ ] to do", "Steps:\n- \\[x] done\n* \\[ ] to do"),
    ("prompt", "Code:\n```\n## kept\n- [x] kept\n```", "Code:\n```\n## kept\n- [x] kept\n```"),
    ("prompt", "Open fence:\n```\nnever closed", "Open fence:\n\\```\nnever closed"),
    ("option", "Costs {weight=5%} or more", "Costs &#123;weight=5%} or more"),
    ("option", "Two\n\n  lines  \n> quoted", "Two\nlines\n\\> quoted"),
    ("feedback", "Text\n[!HINT] not a hint\n  [!explanation] nor this  ",
     "Text\n\\[!HINT] not a hint\n  \\[!explanation] nor this"),
    ("callout", "  \n Lead\n> [!HINT]\n\n", "Lead\n> [!HINT]"),
    ("title", "  A title\non two lines ", "A title on two lines"),
])
def test_text_that_looks_like_structure_is_fitted_and_stays_put(where, text, fitted):
    assert fit_text(text, where) == fitted
    assert fit_text(fitted, where) == fitted
    q = question(title=text if where == "title" else "Title",
                 prompt=text if where == "prompt" else "Prompt",
                 options=[OptionSpec(text if where == "option" else "Right", True, 0,
                                     feedback=text if where == "feedback" else ""),
                          OptionSpec("Wrong", False, 0)],
                 explanation=text if where == "callout" else "Because.")
    again, problems = round_trip(QuizSpec(questions=[q]))
    assert not errors(problems)
    assert len(again.questions) == 1 and len(again.questions[0].options) == 2
    written = {"title": again.questions[0].title, "prompt": again.questions[0].prompt,
               "option": again.questions[0].options[0].text,
               "feedback": again.questions[0].options[0].feedback,
               "callout": again.questions[0].explanation}
    assert written[where] == fitted


# -- properties ---------------------------------------------------------------------------------

# Text made of the characters and lines that the format gives a meaning to.
FRAGMENTS = ["## Heading {#x}", "# Pool {#p pick=1}", "- [x] a", "* [ ] b", "```", "~~~",
             "> [!EXPLANATION]", "> [!HINT] hint", "[!hint]", "> quote", "  indented",
             "{weight=5%}", "\\{weight=1%}", "{{ org.hotline }}", "---", "", " ", "\t", "\r",
             "\\", "&#123;"]
ALPHABET = string.ascii_letters + string.digits + " \t\n#-*>[]{}!`~\\_=:%|&;<é中\u2028\x85"
TEXTS = st.one_of(
    st.text(alphabet=ALPHABET, max_size=40),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=ALPHABET, max_size=12)),
             max_size=6).map("\n".join),
)
IDS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,15}", fullmatch=True)
POINTS = st.integers(1, 99_999_999).map(lambda n: Decimal(n) / 100)
WEIGHTS = st.none() | st.integers(-10_000, 10_000).map(lambda n: Decimal(n) / 100)


def fitted(where: str, required: bool = False):
    texts = TEXTS.map(lambda text: fit_text(text, where))
    return texts.filter(bool) if required else texts


@st.composite
def options(draw, qtype: str, scoring: str) -> list[OptionSpec]:
    count = 2 if qtype == "true-false" else draw(st.integers(1 if qtype == "multiple" else 2, 5))
    if qtype == "multiple":
        right = draw(st.sets(st.integers(0, count - 1), min_size=1))
    else:
        right = {draw(st.integers(0, count - 1))}
    weighted = scoring == "partial" if qtype == "multiple" else None

    def weight(i: int) -> Decimal | None:
        if weighted is None:  # single and true-false: a wrong option may give partial credit
            return None if i in right else draw(WEIGHTS)
        return draw(WEIGHTS) if weighted else None

    return [OptionSpec(draw(fitted("option", required=True)), i in right, 0, weight(i),
                       draw(fitted("feedback")))
            for i in range(count)]


@st.composite
def questions(draw, key: str, pool: str | None, points_default: Decimal) -> QuestionSpec:
    qtype = draw(st.sampled_from(["single", "multiple", "true-false"]))
    scoring = draw(st.sampled_from(["all-or-nothing", "partial"])) if qtype == "multiple" \
        else "all-or-nothing"
    title = draw(fitted("title", required=True).filter(lambda t: len(t) <= 500))
    return QuestionSpec(
        key=key, title=title, line=0, type=qtype, scoring=scoring,
        points=draw(st.just(points_default) | POINTS), prompt=draw(fitted("prompt")),
        options=draw(options(qtype, scoring)),
        explanation=draw(fitted("callout", required=True)), hint=draw(fitted("callout")),
        pool=pool)


@st.composite
def quizzes(draw) -> QuizSpec:
    spec = QuizSpec(shuffle_questions=draw(st.booleans()), shuffle_options=draw(st.booleans()),
                    points_default=draw(st.just(Decimal(1)) | POINTS))
    mark = draw(st.sampled_from(["none", "percent", "points"]))
    if mark == "percent":
        spec.pass_mark_percent = draw(st.integers(0, 100))
    elif mark == "points":
        spec.pass_mark_points = Decimal(draw(st.integers(0, 1000)))
    keys = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    pool_keys = draw(st.lists(IDS, max_size=2, unique=True))
    sizes = draw(st.lists(st.integers(1, 2), min_size=len(pool_keys), max_size=len(pool_keys)))
    free = max(0, len(keys) - sum(sizes))
    keys += [f"extra-{i}" for i in range(max(0, sum(sizes) - len(keys)))]
    members = [None] * free
    for pool_key, size in zip(pool_keys, sizes, strict=True):
        spec.pools.append(PoolSpec(pool_key, draw(fitted("title", required=True)
                                                  .filter(lambda t: len(t) <= 300)),
                                   draw(st.integers(1, size)), 0))
        members += [pool_key] * size
    spec.questions = [draw(questions(key, pool, spec.points_default))
                      for key, pool in zip(keys, members, strict=True)]
    return spec


@FAST
@given(quizzes())
def test_parse_write_parse_is_the_identity_for_generated_quizzes(spec):
    again, problems = round_trip(spec)
    assert not errors(problems), write_quiz(spec)
    assert meaning(again) == meaning(spec)


@FAST
@given(st.sampled_from(PLACES), TEXTS)
def test_fit_text_is_idempotent(where, text):
    once = fit_text(text, where)
    assert fit_text(once, where) == once


GIFT_FRAGMENTS = ["::Title::", "::", "{", "}", "~", "=", "#", "####", "%50%", "%-100%", "%150%",
                  "%--5%", "[html]", "[markdown]", "[plain]", "[moodle]", "<b>", "</p>",
                  "<script>x</script>", "<a href='javascript:x'>", "<img src=a>", "<pre>", "<li>",
                  "\\", "\\n", "\\{", "\\:", "->", "TRUE", "F", "true", "//", "// [id:X 1]",
                  "// [tag:t]", "$CATEGORY: $course$/top/Unit", "\n", "\n\n", " ", "_____",
                  "A)", "B.", "ANSWER: A", "ANSWER: z", "- [x]", "## h", "```", "&amp;",
                  "{weight=5%}", "\U000f003a"]
DOCUMENTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(GIFT_FRAGMENTS), st.text(alphabet=ALPHABET, max_size=10)),
             max_size=40).map("".join),
)
PIECES = st.lists(st.one_of(st.sampled_from(GIFT_FRAGMENTS),
                            st.text(alphabet=ALPHABET, max_size=8)), max_size=5).map("".join)
MARKS = ["~", "=", "~%50%", "~%-33.33333%", "~%12.345%", "=%25%", "~%100%", "~ ", ""]


@st.composite
def gift_questions(draw) -> str:
    """GIFT questions built from the format's parts (likelier to import than random text)."""
    title = draw(st.sampled_from(["", "::Title::", "::A \\: b::"]) | PIECES.map("::{}::".format))
    answers = draw(st.lists(st.tuples(st.sampled_from(MARKS), PIECES, st.none() | PIECES),
                            max_size=5))
    body = draw(st.sampled_from(["", "T", "FALSE", "TRUE#wrong#right", "F#only wrong"]))
    body = body or "".join(f"{mark}{text}" + (f"#{note}" if note is not None else "") + "\n"
                           for mark, text, note in answers)
    general = draw(st.none() | PIECES)
    if general is not None:
        body += f"####{general}"
    comment = draw(st.sampled_from(["", "// [id:Q 1]\n", "// [tag:a] [tag:b]\n"]))
    after = draw(st.sampled_from(["", ".", " in the tomb."]))
    return f"{comment}{title}{draw(PIECES)}{{{body}}}{after}"


GIFT_FILES = st.lists(gift_questions() | st.sampled_from(["$CATEGORY: $course$/top/Unit 1",
                                                          "// only a comment"]),
                      max_size=4).map("\n\n".join)
ALLOWED_AFTER_IMPORT = ("has no [!EXPLANATION] block", "the quiz has no questions")


def check_import(text: str, spec: QuizSpec, problems) -> None:
    lines = text.count("\n") + text.count("\r") + 2
    for problem in problems:
        assert 1 <= problem.line <= lines and problem.column >= 1, problem
        assert problem.severity in ("error", "warning")
    again, written_problems = round_trip(spec)
    assert meaning(again) == meaning(spec)
    unexpected = [p for p in written_problems if p.severity == "error"
                  and not any(allowed in p.message for allowed in ALLOWED_AFTER_IMPORT)]
    assert not unexpected, write_quiz(spec)


@FAST
@given(DOCUMENTS | GIFT_FILES)
def test_the_gift_importer_never_raises_and_writes_a_quiz_that_parses(text):
    spec, problems = import_gift("any.gift", text)
    check_import(text, spec, problems)


@FAST
@given(DOCUMENTS)
def test_the_aiken_importer_never_raises_and_writes_a_quiz_that_parses(text):
    spec, problems = import_aiken("any.txt", text)
    check_import(text, spec, problems)


@FAST
@given(DOCUMENTS | TEXTS)
def test_the_parser_never_raises(text):
    _, problems = parse_quiz("any.md", text)
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1

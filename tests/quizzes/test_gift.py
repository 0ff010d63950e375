"""GIFT import and export, against the shared fixtures (files written by others, with the parse
gift-pegjs expects; see their SOURCES.md for where Moodle, which we follow, differs from it)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from lms.markdown import render_markdown
from quizzes.gift import (
    export_gift,
    gift_losses,
    html_markdown,
    import_gift,
    import_gift_bytes,
    literal_markdown,
)
from quizzes.parser import OptionSpec, QuestionSpec, QuizSpec, parse_quiz
from quizzes.writer import write_quiz
from tests.conftest import SHARED
from tests.quizzes.support import meaning

FIXTURES = SHARED / "fixtures" / "gift" / "gift-pegjs"
GIFTS = sorted(FIXTURES.glob("*.gift"))
CATALOG = Path(__file__).resolve().parents[2] / "courses" / "content"
GRADED = {"MC", "TF"}


# -- helpers ------------------------------------------------------------------------------------

class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts)


def squash(text: str) -> str:
    """Text without its white space: what a learner reads, whatever the line breaks."""
    return "".join(text.split())


def shown(markdown: str) -> str:
    """What a learner reads from our Markdown (images are left out, with a marker)."""
    text = html_text(str(render_markdown(markdown)))
    return squash(re.sub(r"\(image(?:: [^)]*)?\)", "", text))


def expected_text(value: dict | None) -> str:
    """What a learner reads from a gift-pegjs text ({"format": ..., "text": ...})."""
    if not value:
        return ""
    if value["format"] == "html":
        return squash(html_text(value["text"]))
    if value["format"] == "markdown":
        return shown(value["text"])
    return squash(value["text"])




def effective_weights(q: QuestionSpec) -> list[Fraction]:
    """Each option's weight as the grader uses it (types.py: an equal share by default)."""
    right = sum(o.correct for o in q.options) or 1
    share = Fraction(100, right)
    return [Fraction(o.weight) if o.weight is not None
            else (share if o.correct else -share) if q.type == "multiple"
            else Fraction(100 if o.correct else 0) for o in q.options]


def blocks(path: Path) -> list[int]:
    """The line each question of a GIFT file starts on (an independent, simple reading:
    blank lines separate questions; comment lines and $CATEGORY blocks are not questions)."""
    starts, current = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            current = None
        elif not line.strip().startswith("//") and current is None:
            current = number
            if not line.strip().startswith("$CATEGORY:"):
                starts.append(number)
    return starts


def errors(problems) -> list:
    return [p for p in problems if p.severity == "error"]


def warnings(problems) -> list[str]:
    return [p.message for p in problems if p.severity == "warning"]


def gift(text: str) -> tuple[QuizSpec, list]:
    return import_gift("quiz.gift", text)


# -- the fixtures -------------------------------------------------------------------------------

def test_the_fixtures_are_there():
    assert len(GIFTS) >= 50
    assert all(path.with_suffix(".json").exists() for path in GIFTS)


def check_true_false(entry: dict, q: QuestionSpec) -> None:
    assert q.type == "true-false"
    assert [o.text for o in q.options] == ["True", "False"]
    right = next(o for o in q.options if o.correct)
    wrong = next(o for o in q.options if not o.correct)
    assert right.text == ("True" if entry["isTrue"] else "False")
    # gift-pegjs names the feedbacks by position (first "trueFeedback", second "falseFeedback");
    # Moodle shows the first to a learner who answers wrongly, the second to one who answers
    # rightly.
    assert shown(wrong.feedback) == expected_text(entry["trueFeedback"])
    assert shown(right.feedback) == expected_text(entry["falseFeedback"])


def check_multiple_choice(entry: dict, q: QuestionSpec) -> None:
    choices = entry["choices"]
    assert len(q.options) == len(choices)
    for option, choice in zip(q.options, choices, strict=True):
        assert shown(option.text) == expected_text(choice["text"])
        assert shown(option.feedback) == expected_text(choice["feedback"])
    if any(choice["isCorrect"] for choice in choices):  # "=" answers: one right answer
        assert q.type == "single"
        full = [c["isCorrect"] or c["weight"] == 100 for c in choices]
        assert [o.correct or o.weight == 100 for o in q.options] == full
        assert sum(o.correct for o in q.options) == 1
        assert q.options[full.index(True)].correct
        for option, choice in zip(q.options, choices, strict=True):
            if not choice["isCorrect"] and choice["weight"] is not None:
                assert option.weight == Decimal(str(choice["weight"]))
    else:  # only "~" answers: Moodle adds up the chosen answers' weights
        assert (q.type, q.scoring) == ("multiple", "partial")
        assert [o.correct for o in q.options] == [(c["weight"] or 0) > 0 for c in choices]
        for weight, choice in zip(effective_weights(q), choices, strict=True):
            assert abs(weight - Fraction(str(choice["weight"] or 0))) < Fraction(1, 100)


@pytest.mark.parametrize("path", GIFTS, ids=lambda p: p.stem)
def test_each_fixture_imports_with_the_meaning_of_its_expected_parse(path):
    expected = [e for e in json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
                if e["type"] != "Category"]
    spec, problems = import_gift(path.name, path.read_text(encoding="utf-8"))
    starts = blocks(path)
    assert len(starts) == len(expected)
    graded = [(entry, line) for entry, line in zip(expected, starts, strict=True)
              if entry["type"] in GRADED]
    assert len(spec.questions) == len(graded)
    for (entry, line), q in zip(graded, spec.questions, strict=True):
        assert q.line == line
        if entry["title"]:
            assert q.title == " ".join(entry["title"].split())
        else:
            assert q.title  # the first words of the question
        assert shown(q.prompt) == expected_text(entry["stem"])
        assert shown(q.explanation) == expected_text(entry.get("globalFeedback"))
        if entry["type"] == "TF":
            check_true_false(entry, q)
        else:
            check_multiple_choice(entry, q)
    # Types we do not grade are reported on the line they start on, never dropped silently.
    reported = sorted(p.line for p in errors(problems) if "was not imported" in p.message)
    assert reported == [line for entry, line in zip(expected, starts, strict=True)
                        if entry["type"] not in GRADED]


@pytest.mark.parametrize("path", GIFTS, ids=lambda p: p.stem)
def test_each_fixture_writes_a_quiz_that_reads_back_the_same(path):
    spec, _ = import_gift(path.name, path.read_text(encoding="utf-8"))
    again, problems = parse_quiz("quiz.md", write_quiz(spec))
    assert meaning(again) == meaning(spec)
    for problem in errors(problems):  # only what the author must add
        assert "no [!EXPLANATION] block" in problem.message or "no questions" in problem.message


@pytest.mark.parametrize("path", GIFTS, ids=lambda p: p.stem)
def test_gift_to_ours_to_gift_to_ours_keeps_every_question(path):
    spec, _ = import_gift(path.name, path.read_text(encoding="utf-8"))
    exported = export_gift(spec)
    again, problems = import_gift("exported.gift", exported)
    assert not errors(problems) or not spec.questions
    assert meaning(again) == meaning(spec)
    assert export_gift(again) == exported


def test_the_fixture_categories_are_read_as_categories():
    for name in ("category1.gift", "categorySpecialCharacter.gift"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        spec, problems = gift(text + "\n\nIs it imported?{TRUE}\n")
        assert len(spec.questions) == 1 and not errors(problems)
    assert spec.questions[0].key == "default-for-unit-1-topic--is-it-imported"


# -- the rules ---------------------------------------------------------------------------------

def test_true_false_feedback_follows_moodle():
    spec, _ = gift("Grant is buried in Grant's tomb.{FALSE#Wrong: nobody is.#Right: nobody is.}\n"
                   "\n"
                   "::Sun::The sun rises in the east.{T#Not so.####It does.}")
    grant, sun = spec.questions
    assert [(o.text, o.correct, o.feedback) for o in grant.options] == [
        ("True", False, "Wrong: nobody is."), ("False", True, "Right: nobody is.")]
    assert [(o.text, o.correct, o.feedback) for o in sun.options] == [
        ("True", True, ""), ("False", False, "Not so.")]
    assert (sun.title, sun.explanation) == ("Sun", "It does.")


def test_single_answer_with_partial_credit_and_feedback():
    spec, problems = gift("::Tomb::Who is buried in Grant's tomb?{\n"
                          "  ~Jefferson#No.\n"
                          "  ~%50%Grant#Half right.\n"
                          "  ~%-25%Nobody knows#Guessing costs.\n"
                          "  =Grant and his wife#Yes.\n"
                          "  ####Both are buried there.\n}")
    q = spec.questions[0]
    assert (q.key, q.title, q.type) == ("tomb", "Tomb", "single")
    assert [(o.text, o.correct, o.weight, o.feedback) for o in q.options] == [
        ("Jefferson", False, None, "No."), ("Grant", False, Decimal(50), "Half right."),
        ("Nobody knows", False, Decimal(-25), "Guessing costs."),
        ("Grant and his wife", True, None, "Yes.")]
    assert q.explanation == "Both are buried there."
    assert any("negative weights" in w for w in warnings(problems))


def test_several_fully_right_answers_keep_their_points():
    spec, problems = gift("Name a season.{=spring =summer ~easter ~%100%autumn}")
    q = spec.questions[0]
    assert [(o.correct, o.weight) for o in q.options] == [
        (True, None), (False, Decimal(100)), (False, None), (False, Decimal(100))]
    assert any("several answers are worth 100%" in w for w in warnings(problems))


def test_multiple_answers_keep_moodles_weights():
    spec, problems = gift("Which are continents?{\n~%33.33333%Africa\n~%33.33333%Asia\n"
                          "~%-100%China\n~Atlantis\n~%33.33333%Antarctica\n}\n\n"
                          "Pick two.{~%60%a ~%40%b ~%-12.345%c}")
    continents, two = spec.questions
    assert (continents.type, continents.scoring) == ("multiple", "partial")
    assert [(o.correct, o.weight) for o in continents.options] == [
        (True, None), (True, None), (False, Decimal(-100)), (False, Decimal(0)), (True, None)]
    assert [(o.correct, o.weight) for o in two.options] == [
        (True, Decimal(60)), (True, Decimal(40)), (False, Decimal("-12.35"))]
    assert any("-12.345% was rounded to -12.35%" in w for w in warnings(problems))


def test_weights_moodle_would_refuse_are_reported():
    spec, problems = gift("Too much.{~%150%a ~b}\n\nNothing right.{~a ~%-50%b}\n\nFine.{=a ~b}")
    assert [q.title for q in spec.questions] == ["Fine."]
    assert [(p.line, p.severity) for p in errors(problems)] == [(1, "error"), (3, "error")]


def test_an_equals_answer_is_always_worth_everything():
    spec, problems = gift("Pick.{=%50%half ~other}")
    assert [(o.text, o.correct) for o in spec.questions[0].options] == [
        ("%50%half", True), ("other", False)]
    assert any("always worth 100%" in w for w in warnings(problems))


def test_escapes():
    spec, _ = gift("::A \\: title::Which of \\~ \\= \\# \\{ \\} \\: is escaped?\\nAll of them"
                   " \\\\ no other.{=all#Right\\: \\{ and \\}. ~none}")
    q = spec.questions[0]
    assert q.title == "A : title"
    assert shown(q.prompt) == squash("Which of ~ = # { } : is escaped?\nAll of them \\ no other.")
    assert "\n" in q.prompt
    assert shown(q.options[0].feedback) == squash("Right: { and }.")


def test_plain_text_is_shown_as_written():
    spec, _ = gift("[plain]Is 2 * 3 * 4 <b>24</b> or _x_?{T}\n\n"
                   "[moodle]- [x] # not a list \\{\\{ org.hotline \\}\\}{=a ~b}")
    first, second = spec.questions
    assert shown(first.prompt) == squash("Is 2 * 3 * 4 <b>24</b> or _x_?")
    assert shown(second.prompt) == squash("- [x] # not a list {{ org.hotline }}")
    assert "{{" not in second.prompt  # not a company-fact placeholder


def test_markdown_text_is_kept():
    spec, problems = gift("[markdown]Who is buried in **Grant's tomb**?\n- one\n    - two{T}")
    assert spec.questions[0].prompt == "Who is buried in **Grant's tomb**?\n- one\n    - two"
    assert not warnings(problems)[1:]  # only the missing explanation


def test_html_is_converted_and_never_passed_through():
    spec, problems = gift(
        '[html]<p onclick="steal()">Hi <b>there</b>,<script>alert(1)</script> see '
        '<a href="javascript:alert(2)">this</a> and <a href="https://example.com/a b">that</a>.'
        '</p><p><img src="x.png" alt="A cat"><style>p\\{\\}</style><em>Done</em></p>{\n'
        '=<i>yes</i>#<b>Good</b>\n~no\n####<ul><li>one</li><li>two</li></ul>}')
    q = spec.questions[0]
    written = write_quiz(spec)
    for unsafe in ("<", "onclick", "steal", "alert", "javascript", "p{}"):
        assert unsafe not in written
    assert q.prompt == ("Hi **there**, see this and [that](https://example.com/a%20b).\n\n"
                        "(image: A cat)*Done*")
    assert (q.options[0].text, q.options[0].feedback) == ("*yes*", "**Good**")
    assert q.explanation == "- one\n- two"
    notes = warnings(problems)
    assert any("<script>" in n for n in notes) and any("image" in n for n in notes)
    assert any("javascript" in n for n in notes)
    assert "<script" not in str(render_markdown(q.prompt))


FAST = settings(max_examples=150, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
MARKUP = "abc xyz 123 \n#*_-+=>[]()!`~\\{}|&;<:/.%"
HTML_PIECES = ["<b>", "</b>", "<i>", "</i>", "<p>", "</p>", "<br>", "<ul>", "<li>", "</ul>",
               "<ol>", "</ol>", "<code>", "</code>", "<pre>", "</pre>", "<a href='https://x.y'>",
               "<a href=javascript:x>", "</a>", "<img src=a.png alt='b'>", "<script>", "</script>",
               "<!-- c -->", "<div onclick=x>", "</div>", "&amp;", "&lt;b&gt;", "<h1>", "</h1>",
               "<table><tr><td>", "</td></tr></table>", "<![if x]>", "<!DOCTYPE html>"]
RAW_HTML = MarkdownIt("commonmark", {"html": True})


@FAST
@given(st.text(alphabet=MARKUP, max_size=60))
def test_plain_text_always_shows_as_written(text):
    assert squash(html_text(str(render_markdown(literal_markdown(text))))) == squash(text)


@FAST
@given(st.lists(st.sampled_from(HTML_PIECES) | st.text(alphabet=MARKUP, max_size=8),
                max_size=12).map("".join))
def test_html_never_comes_through_as_html(html):
    markdown, _ = html_markdown(html)
    kinds = {token.type for token in RAW_HTML.parse(markdown)}
    kinds |= {child.type for token in RAW_HTML.parse(markdown) for child in token.children or []}
    assert not kinds & {"html_block", "html_inline"}, markdown


def test_moodle_text_with_tags_is_read_as_html():
    spec, _ = gift("Is <b>this</b> &amp; that bold?{T}")
    assert spec.questions[0].prompt == "Is **this** & that bold?"


def test_ids_tags_and_categories():
    spec, problems = gift("// [id:Q-7] [tag:ethics] [tag:gifts]\nOne?{T}\n\n"
                          "// [id:Q-7]\nAgain?{T}\n\n"
                          "$CATEGORY: $course$/top/Gifts and hospitality\n\n"
                          "::Tickets::Two?{T}\n\n"
                          "::Tickets::Three?{T}")
    assert [q.key for q in spec.questions] == [
        "q-7", "q-7-2", "gifts-and-hospitality--tickets", "gifts-and-hospitality--tickets-2"]
    notes = warnings(problems)
    assert any("tags ethics, gifts were not kept" in n for n in notes)
    assert any("id 'Q-7' became 'q-7'" in n for n in notes)


def test_unsupported_types_are_reported_with_their_lines_and_the_rest_converts():
    text = ("// comment\n"
            "Essay?{}\n"
            "\n"
            "Number?{#4}\n"
            "\n"
            "Match.{=a -> b =c -> d}\n"
            "\n"
            "Short?{=four =4}\n"
            "\n"
            "A description.\n"
            "\n"
            "Lower case?{true}\n"
            "\n"
            "Graded?{TRUE}\n")
    spec, problems = gift(text)
    assert [q.title for q in spec.questions] == ["Graded?"]
    assert [(p.line, p.message.split(" was")[0]) for p in errors(problems)] == [
        (2, "an essay question ({})"), (4, "a numerical question ({#...})"),
        (6, "a matching question (= ... -> ...)"),
        (8, "a short-answer question (= answers without ~)"),
        (10, "a description (text without an answer block)"),
        (12, "a short-answer question (= answers without ~) (for a true/false question write "
             "TRUE or FALSE in capitals)")]


def test_broken_questions_are_reported_where_they_break():
    spec, problems = gift("Fine?{T}\n\nNo closing brace {=a ~b\n\nOne answer.{~only}")
    assert len(spec.questions) == 1
    assert [(p.line, p.column) for p in errors(problems)] == [(3, 18), (5, 13)]


def test_a_file_that_is_not_utf8_is_refused():
    spec, problems = import_gift_bytes("latin1.gift", "Café?{T}".encode("latin-1"))
    assert not spec.questions
    assert [(p.line, p.column, p.severity) for p in problems] == [(1, 4, "error")]
    assert "not UTF-8" in problems[0].message
    spec, problems = import_gift_bytes("bom.gift", "\ufeffCafé?{T}".encode())
    assert [q.prompt for q in spec.questions] == ["Café?"]


# -- export --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(CATALOG.glob("*/quiz.md")), ids=lambda p: p.parent.name)
def test_the_shipped_quizzes_go_to_gift_and_back(path):
    spec, problems = parse_quiz(str(path), path.read_text(encoding="utf-8"))
    assert not errors(problems)
    again, problems = import_gift("exported.gift", export_gift(spec))
    assert not errors(problems)
    assert len(again.questions) == len(spec.questions)
    for before, after in zip(spec.questions, again.questions, strict=True):
        assert (after.key, after.title, after.prompt, after.explanation) == (
            before.key, before.title, before.prompt, before.explanation)
        assert after.type == before.type
        assert [(o.text, o.correct, o.feedback) for o in after.options] == [
            (o.text, o.correct, o.feedback) for o in before.options]
        assert effective_weights(after) == effective_weights(before) or before.type != "multiple"


def test_export_writes_moodles_syntax_and_lists_what_gift_cannot_hold():
    spec = QuizSpec(pass_mark_percent=80, questions=[
        QuestionSpec("tf", "Sun", 3, type="true-false", prompt="The sun rises in the east.",
                     options=[OptionSpec("True", True, 4, feedback="Yes."),
                              OptionSpec("False", False, 5, feedback="It does rise there.")],
                     explanation="Every day."),
        QuestionSpec("multi", "Two: pick", 9, type="multiple", points=Decimal(2), hint="Two.",
                     prompt="Pick {two}", options=[OptionSpec("a=1", True, 10),
                                                   OptionSpec("%b", True, 11),
                                                   OptionSpec("c", False, 12)])])
    exported = export_gift(spec)
    assert exported == (
        "// [id:tf]\n::Sun::[markdown]The sun rises in the east.{TRUE#It does rise there.#Yes."
        "####Every day.}\n\n"
        "// [id:multi]\n::Two\\: pick::[markdown]Pick \\{two\\}{\n"
        "\t~%50%a\\=1\n\t~%50%[markdown]%b\n\t~%-100%c\n}\n")
    assert [line for line, _ in gift_losses(spec)] == [1, 9, 9, 9]
    again, _ = import_gift("exported.gift", exported)
    assert [(o.text, o.correct, o.weight) for o in again.questions[1].options] == [
        ("a=1", True, None), ("%b", True, None), ("c", False, Decimal(-100))]


# -- the command ---------------------------------------------------------------------------------

def test_the_import_command_writes_the_good_questions_and_reports_the_rest(runner, tmp_path):
    source = tmp_path / "mixed.gift"
    source.write_text("::Tomb::Who is buried here?{=Grant ~Nobody####He is.}\n\n"
                      "Essay?{}\n", encoding="utf-8")
    output = tmp_path / "quiz.md"
    result = runner.invoke(args=["content", "import", str(source), "--format", "gift",
                                 "--output", str(output)])
    assert result.exit_code == 1
    assert f"{source}:3:1: error: an essay question" in result.output
    assert "wrote 1 question to" in result.output
    spec, problems = parse_quiz("quiz.md", output.read_text(encoding="utf-8"))
    assert not problems and [q.key for q in spec.questions] == ["tomb"]

    back = tmp_path / "back.gift"
    result = runner.invoke(args=["content", "import", str(output), "--format", "md", "--to",
                                 "gift", "--output", str(back)])
    assert result.exit_code == 0, result.output
    assert back.read_text(encoding="utf-8").startswith("// [id:tomb]\n::Tomb::")


def test_the_import_command_refuses_a_file_that_is_not_utf8(runner, tmp_path):
    source = tmp_path / "latin1.gift"
    source.write_bytes("Café?{T}".encode("latin-1"))
    output = tmp_path / "quiz.md"
    result = runner.invoke(args=["content", "import", str(source), "--format", "gift",
                                 "--output", str(output)])
    assert result.exit_code == 1
    assert f"{source}:1:4: error: the file is not UTF-8 text" in result.output
    assert not output.exists()

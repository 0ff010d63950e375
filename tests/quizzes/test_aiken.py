"""Aiken import: single-answer questions, as Moodle reads them; malformed questions are reported
with their lines and the good ones still convert."""

from __future__ import annotations

import dataclasses
from html import escape

from lms.markdown import render_markdown
from quizzes.aiken import import_aiken, import_aiken_bytes
from quizzes.parser import parse_quiz
from quizzes.writer import write_quiz


def errors(problems) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in problems if p.severity == "error"]


def warnings(problems) -> list[str]:
    return [p.message for p in problems if p.severity == "warning"]


def test_questions_convert_to_single_answer_questions():
    spec, problems = import_aiken("q.txt", (
        "Which gift may you accept from a supplier during a tender?\n"
        "A) Concert tickets\n"
        "B) A branded pen worth less than the limit\n"
        "C) Nothing at all\n"
        "ANSWER: C\n"
        "\n"
        "Who decides whether a report is serious?\n"
        "A. Your manager\n"
        "B. The investigation team\n"
        "ANSWER: B\n"))
    assert not errors(problems)
    first, second = spec.questions
    assert (first.key, first.title, first.type, first.line) == (
        "which-gift-may-you-accept-from-a-supplier-during-a-tender",
        "Which gift may you accept from a supplier during a tender?", "single", 1)
    assert first.prompt == "Which gift may you accept from a supplier during a tender?"
    assert [(o.text, o.correct, o.line) for o in first.options] == [
        ("Concert tickets", False, 2), ("A branded pen worth less than the limit", False, 3),
        ("Nothing at all", True, 4)]
    assert [(o.text, o.correct) for o in second.options] == [
        ("Your manager", False), ("The investigation team", True)]
    # Aiken has no feedback: one warning says every question still needs an explanation.
    assert len(warnings(problems)) == 1 and "2 questions" in warnings(problems)[0]


def test_malformed_questions_are_reported_and_the_good_ones_still_convert():
    spec, problems = import_aiken("q.txt", (
        "Too few options\n"          # 1
        "A) Only one\n"
        "ANSWER: A\n"
        "\n"
        "A) An option before any question\n"  # 5
        "\n"
        "ANSWER: B\n"                 # 7
        "\n"
        "A good question\n"           # 9
        "A) Right\n"
        "B) Wrong\n"
        "ANSWER: A\n"
        "\n"
        "Never answered\n"            # 14
        "A) One\n"
        "B) Two\n"
        "\n"
        "Without spaces\n"            # 18
        "A)Wrong\n"
        "B)Right\n"
        "ANSWER: B\n"
        "\n"
        "Answer names no option\n"    # 23
        "A) One\n"
        "B) Two\n"
        "ANSWER: D\n"                 # 26
        "\n"
        "Left open at the end\n"      # 28
        "A) One\n"))
    assert [q.title for q in spec.questions] == ["A good question", "Without spaces"]
    assert [(o.text, o.correct) for o in spec.questions[1].options] == [
        ("Wrong", False), ("Right", True)]
    assert [line for line, _ in errors(problems)] == [1, 5, 7, 14, 26, 28]
    messages = dict(errors(problems))
    assert "at least two options" in messages[1]
    assert "outside a question" in messages[5] and "outside a question" in messages[7]
    assert "next question starts on line 18" in messages[14]
    assert "ANSWER: D names no option (the options are A, B)" in messages[26]
    assert "no ANSWER: line" in messages[28]


def test_answers_are_matched_by_their_letter():
    spec, problems = import_aiken("q.txt", "Pick one\nA) a\nC) c\nANSWER: c\n\n"
                                           "Twice\nA) a\nA) b\nANSWER: A\n")
    assert [(o.text, o.correct) for o in spec.questions[0].options] == [("a", False), ("c", True)]
    notes = warnings(problems)
    assert any("read as 'C'" in n for n in notes) and any("not A, B, C" in n for n in notes)
    assert [line for line, _ in errors(problems)] == [9]  # "A" names two options


def test_text_is_plain_text():
    spec, _ = import_aiken("q.txt", "Is <b>this</b> *bold* or # a heading?\n"
                                    "A) <script>alert(1)</script>\nB) - [x] no\nANSWER: B\n")
    q = spec.questions[0]
    assert q.prompt == "Is \\<b>this\\</b> \\*bold\\* or # a heading?"
    assert q.options[1].text == "\\- \\[x\\] no"
    # Markdown shows each text exactly as written, markup characters and all.
    for markdown, written in ((q.prompt, "Is <b>this</b> *bold* or # a heading?"),
                              (q.options[0].text, "<script>alert(1)</script>"),
                              (q.options[1].text, "- [x] no")):
        assert str(render_markdown(markdown)) == f"<p>{escape(written)}</p>\n"


def test_the_written_quiz_reads_back_the_same():
    spec, _ = import_aiken("q.txt", "Q one\nA) ## not a heading\nB) {weight=5%}\nANSWER: A\n\n"
                                    "Q one\nA. x\nB. y\nANSWER: B\n")
    again, problems = parse_quiz("quiz.md", write_quiz(spec))
    strip = lambda s: [dataclasses.replace(q, line=0, options=[  # noqa: E731
        dataclasses.replace(o, line=0) for o in q.options]) for q in s.questions]
    assert strip(again) == strip(spec)
    assert [q.key for q in spec.questions] == ["q-one", "q-one-2"]
    assert all("[!EXPLANATION]" in p.message for p in problems)


def test_a_file_that_is_not_utf8_is_refused():
    spec, problems = import_aiken_bytes("q.txt", "Café?\nA) oui\nB) non\nANSWER: A\n"
                                        .encode("cp1252"))
    assert not spec.questions
    assert [(p.line, p.column) for p in problems] == [(1, 4)]
    assert "not UTF-8" in problems[0].message


def test_the_import_command_reads_aiken(runner, tmp_path):
    source = tmp_path / "questions.txt"
    source.write_text("Pick one\nA) a\nB) b\nANSWER: A\n\nBroken\nA) a\n", encoding="utf-8")
    output = tmp_path / "quiz.md"
    result = runner.invoke(args=["content", "import", str(source), "--format", "aiken",
                                 "--output", str(output)])
    assert result.exit_code == 1
    assert f"{source}:6:1: error: question has no ANSWER: line" in result.output
    assert "wrote 1 question to" in result.output
    assert output.read_text(encoding="utf-8").startswith("## Pick one {#pick-one}")

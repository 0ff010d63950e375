"""Moodle Aiken import into our quiz format.

Aiken holds single-answer questions and nothing else, as Moodle reads it
(question/format/aiken/format.php)::

    Which of these is a gift you may accept?
    A) A concert ticket from a bidder
    B. A branded pen
    ANSWER: B

A line that is neither an option (a capital letter, ``)`` or ``.``, then the text) nor the
``ANSWER:`` line starts a question; the ``ANSWER:`` line ends it. Lines shorter than two
characters are skipped. A malformed question (an option before any question, fewer than two
options, an ``ANSWER:`` naming no option, a question left without its ``ANSWER:``) is reported with
its line and left out; the other questions still convert. Texts are plain text (Moodle escapes
any HTML in them), and Aiken has no feedback, so no question has an explanation yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.content import Problem
from lms.frontmatter import normalise_newlines
from quizzes.gift import Ids, decode_utf8, literal_markdown, short_title
from quizzes.parser import QUESTION_TITLE_MAX, OptionSpec, QuestionSpec, QuizSpec
from quizzes.writer import fit_text

OPTION = re.compile(r"^([A-Z])[).][ \t]?")
ANSWER = re.compile(r"^ANSWER:")


@dataclass
class _Open:
    line: int
    text: str
    options: list[tuple[str, int, str]] = field(default_factory=list)  # label, line, text


class _AikenImporter:
    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = normalise_newlines(text).split("\n")
        self.problems: list[Problem] = []
        self.spec = QuizSpec()
        self.ids = Ids()
        self.open: _Open | None = None

    def report(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, line, 1, message, severity))

    def run(self) -> tuple[QuizSpec, list[Problem]]:
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            if len(line) < 2:
                continue
            option = OPTION.match(line)
            if option:
                if self.open is None:
                    self.report(number, "an option outside a question (a question starts with "
                                        "its text on one line, then its options)")
                else:
                    self.open.options.append((option.group(1), number,
                                              line[option.end():].strip()))
            elif ANSWER.match(line):
                self.answer(number, line)
            else:
                if self.open is not None:
                    self.report(self.open.line, "question not finished before the next question "
                                                f"starts on line {number} (Aiken question text is "
                                                "one line, then options, then ANSWER:); not "
                                                "imported")
                self.open = _Open(number, line)
        if self.open is not None:
            self.report(self.open.line, "question has no ANSWER: line; not imported")
        if self.spec.questions:
            self.problems.append(Problem(
                self.path, self.spec.questions[0].line, 1,
                f"Aiken has no feedback: none of the {len(self.spec.questions)} questions has an "
                "explanation yet; write a > [!EXPLANATION] block for each (learners see none until "
                "you do)",
                "warning"))
        elif not any(p.severity == "error" for p in self.problems):
            self.problems.append(Problem(self.path, 1, 1, "the file has no questions to import"))
        self.problems.sort(key=lambda p: (p.line, p.column))
        return self.spec, self.problems

    def answer(self, number: int, line: str) -> None:
        question, self.open = self.open, None
        if question is None:
            self.report(number, "an ANSWER: line outside a question")
            return
        letter = line.split(":", 1)[1].strip()[:1]
        if letter.islower():
            self.report(number, f"the answer letter {letter!r} was read as {letter.upper()!r} "
                                "(write it in capitals)", "warning")
            letter = letter.upper()
        labels = [label for label, _, _ in question.options]
        if len(question.options) < 2:
            self.report(question.line, "a question needs at least two options; not imported")
            return
        if labels.count(letter) != 1:
            found = "names no option" if letter not in labels else "names two options"
            self.report(number, f"ANSWER: {letter or '(nothing)'} {found} (the options are "
                                f"{', '.join(labels)}); question not imported")
            return
        if labels != [chr(ord("A") + i) for i in range(len(labels))]:
            self.report(question.options[0][1], f"the options are labelled {', '.join(labels)}, "
                                                "not A, B, C... in order: the answer was taken by "
                                                "its label (Moodle counts positions)", "warning")
        options = []
        for label, option_line, text in question.options:
            markdown = fit_text(literal_markdown(text), "option")
            if not markdown:
                self.report(option_line, f"option {label} has no text; question not imported")
                return
            options.append(OptionSpec(markdown, label == letter, option_line))
        title = fit_text(short_title(question.text), "title")[:QUESTION_TITLE_MAX]
        number_in_file = len(self.spec.questions) + 1
        self.spec.questions.append(QuestionSpec(
            key=self.ids.make(title, number_in_file), title=title, line=question.line,
            prompt=fit_text(literal_markdown(question.text), "prompt"), options=options))


def import_aiken(path: str, text: str) -> tuple[QuizSpec, list[Problem]]:
    """Convert an Aiken file's text into a quiz: the questions that could be converted, and
    every problem with its line."""
    return _AikenImporter(path, text).run()


def import_aiken_bytes(path: str, data: bytes) -> tuple[QuizSpec, list[Problem]]:
    """Like :func:`import_aiken`, for a file's bytes: a file that is not UTF-8 is refused."""
    text, problems = decode_utf8(path, data)
    if text is None:
        return QuizSpec(), problems
    return import_aiken(path, text)

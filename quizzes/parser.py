"""Parse the quiz Markdown format (see docs/authoring.md) into plain data, with positions.

The format is line-oriented on purpose (one fact per line diffs well), so the parser is too:
every problem is reported with its file, line and column, and parsing goes on after a problem so
that a trainer sees them all at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from lms.content import Problem
from lms.errors import lazy_gettext as _l
from lms.frontmatter import normalise_newlines, split_front_matter
from quizzes.types import QUESTION_TYPES, SCORINGS

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{([^{}]*)\})?\s*$")
OPTION = re.compile(r"^[-*]\s+\[([ xX])\]\s+(.*)$")
WEIGHT = re.compile(r"\s*\{weight=(-?\d+(?:\.\d+)?)%\}\s*$")
LOOSE_WEIGHT = re.compile(r"\{\s*weight\b", re.IGNORECASE)
CALLOUT = re.compile(r"^>\s*\[!(EXPLANATION|HINT)\][ \t]*(.*)$", re.IGNORECASE)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
PASS_MARK = re.compile(r"^\s*(\d{1,3})\s*%\s*$")
# What the database stores (Numeric(8, 2) points, Numeric(6, 2) weights, String(n) titles).
POINTS = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,2})?$")
MAX_POINTS = Decimal("999999.99")
QUESTION_TITLE_MAX = 500
POOL_TITLE_MAX = 300

QUIZ_KEYS = {
    "shuffle_questions": bool,
    "shuffle_options": bool,
    "points_default": (int, float),
    "pass_mark": (str, int),
    "title": str,
    "language": str,
    "source_version": str,
}
TEXT = _l("put text in double quotes")
WANTED = {
    "shuffle_questions": _l("write true or false"),
    "shuffle_options": _l("write true or false"),
    "points_default": _l("write a number such as 1 or 2.5"),
    "pass_mark": _l('write a percentage in quotes such as "80%", or a whole number of points'),
    "title": TEXT,
    "language": TEXT,
    "source_version": TEXT,
}


@dataclass
class OptionSpec:
    text: str
    correct: bool
    line: int
    weight: Decimal | None = None
    feedback: str = ""


@dataclass
class QuestionSpec:
    key: str
    title: str
    line: int
    type: str = "single"
    scoring: str = "all-or-nothing"
    points: Decimal = Decimal(1)
    prompt: str = ""
    options: list[OptionSpec] = field(default_factory=list)
    explanation: str = ""
    hint: str = ""
    pool: str | None = None


@dataclass
class PoolSpec:
    key: str
    title: str
    pick: int
    line: int


@dataclass
class QuizSpec:
    shuffle_questions: bool = True
    shuffle_options: bool = True
    points_default: Decimal = Decimal(1)
    pass_mark_percent: int | None = None
    pass_mark_points: Decimal | None = None
    questions: list[QuestionSpec] = field(default_factory=list)
    pools: list[PoolSpec] = field(default_factory=list)
    # locale -> question id -> translated text (filled from quiz.LOCALE.md by the catalog)
    translations: dict[str, dict[str, dict]] = field(default_factory=dict)


def _attributes(raw: str | None) -> tuple[str | None, dict[str, str], list[str]]:
    """Split ``#id key=value ...`` into the id, the attributes and any malformed tokens (an
    attribute given twice is malformed too: which one would count?)."""
    ident, attrs, bad = None, {}, []
    for token in (raw or "").split():
        if token.startswith("#") and ident is None:
            ident = token[1:]
        elif "=" in token and not token.startswith("="):
            name, _, value = token.partition("=")
            if name in attrs:
                bad.append(token)
            else:
                attrs[name] = value
        else:
            bad.append(token)
    return ident, attrs, bad


def _points(text: str) -> Decimal | None:
    """Points as the database keeps them (more than 0, at most two decimals), or None."""
    if not POINTS.match(text):
        return None
    points = Decimal(text)
    return points if 0 < points <= MAX_POINTS else None


class _QuizParser:
    def __init__(self, path: str, text: str, translation: bool = False):
        self.translation = translation  # the answer key comes from the source: not checked
        self.path = path
        self.text = text
        self.problems: list[Problem] = []
        self.spec = QuizSpec()
        self.question: QuestionSpec | None = None
        self.phase = "none"  # none | prompt | options | callout | after
        self.callout: str | None = None
        self.prompt_lines: list[str] = []
        self.callout_lines: list[str] = []
        self.callouts_seen: set[str] = set()
        self.pool: PoolSpec | None = None

    def error(self, line: int, message: str, column: int = 1, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, line, column, message, severity))

    # -- front matter ----------------------------------------------------------------------
    def read_front_matter(self) -> tuple[str, int]:
        meta, body, offset, problems = split_front_matter(self.path, self.text)
        self.problems.extend(problems)
        for key, value in meta.items():
            line = meta.line(key)
            expected = QUIZ_KEYS.get(key)
            if expected is None:
                self.error(line, _l("unknown front matter key %(key)s (known: %(known)s)",
                                    key=repr(key), known=", ".join(QUIZ_KEYS)))
                continue
            if isinstance(value, bool) is not (expected is bool) or not isinstance(value, expected):
                self.error(line, _l("%(key)s has the wrong type (%(type)s: %(value)s); "
                                    "%(wanted)s", key=key, type=type(value).__name__,
                                    value=repr(value), wanted=WANTED[key]))
                continue
            if key in ("shuffle_questions", "shuffle_options"):
                setattr(self.spec, key, value)
            elif key == "points_default":
                points = _points(str(value)) if math.isfinite(value) else None
                if points is None:
                    self.error(line, _l("points_default must be a number more than 0 (at most "
                                        "%(max)s, two decimals), got %(value)s",
                                        max=MAX_POINTS, value=repr(value)))
                else:
                    self.spec.points_default = points
            elif key == "pass_mark":
                self.read_pass_mark(line, value)
        return body, offset

    def read_pass_mark(self, line: int, value) -> None:
        if isinstance(value, int):
            if value < 0:
                self.error(line, _l("pass_mark in points must not be negative, got %(value)s",
                                    value=value))
            else:
                self.spec.pass_mark_points = Decimal(value)
            return
        match = PASS_MARK.match(value)
        if match and 0 <= int(match.group(1)) <= 100:
            self.spec.pass_mark_percent = int(match.group(1))
        else:
            self.error(line, _l('pass_mark must be a percentage like "80%%" or points, got '
                                '%(value)s', value=repr(value)))

    # -- blocks ----------------------------------------------------------------------------
    def finish_callout(self) -> None:
        if self.question is not None and self.callout is not None:
            text = "\n".join(self.callout_lines).strip()
            if self.callout == "EXPLANATION":
                self.question.explanation = text
            else:
                self.question.hint = text
        self.callout, self.callout_lines = None, []

    def start_callout(self, number: int, kind: str, rest: str) -> None:
        self.finish_callout()
        kind = kind.upper()
        if kind in self.callouts_seen:
            self.error(number, _l("question %(key)s has a second [!%(kind)s] block; write one "
                                  "block (it may have several paragraphs)",
                                  key=repr(self.question.key), kind=kind))
        self.callouts_seen.add(kind)
        self.callout, self.phase = kind, "callout"
        self.callout_lines = [rest] if rest.strip() else []

    def finish_question(self) -> None:
        self.finish_callout()
        question = self.question
        if question is None:
            return
        if not question.prompt:
            question.prompt = "\n".join(self.prompt_lines).strip()
        self.validate(question)
        self.spec.questions.append(question)
        self.question, self.prompt_lines, self.phase = None, [], "none"

    def validate(self, q: QuestionSpec) -> None:
        correct = sum(1 for option in q.options if option.correct)
        if not q.options:
            self.error(q.line, _l("question %(key)s has no options (write them as - [x] / - [ ])",
                                  key=repr(q.key)))
            return
        qtype = QUESTION_TYPES.get(q.type)
        if qtype is not None and not self.translation:
            # Too many [x] on a one-answer question: point at the extra one, where the fix is.
            marked = [o.line for o in q.options if o.correct]
            line = marked[1] if len(marked) > 1 and not qtype.multiple_answers else q.line
            for message in qtype.check(q.options, correct):
                self.error(line if "[x]" in message else q.line, _l(
                    "question %(key)s: %(problem)s", key=repr(q.key), problem=message))
        weighted = [o for o in q.options if o.weight is not None]
        if weighted and q.type == "multiple" and q.scoring != "partial":
            self.error(weighted[0].line, _l("question %(key)s: option weights only count with "
                                            "scoring=partial", key=repr(q.key)),
                       severity="warning")
        if not q.explanation and not self.translation:
            self.error(q.line, _l("question %(key)s has no [!EXPLANATION] block; add one: it "
                                  "teaches the rule after the attempt", key=repr(q.key)),
                       severity="warning")

    def start_pool(self, number: int, title: str, raw: str | None) -> None:
        ident, attrs, bad = _attributes(raw)
        self.check_title(number, title, "pool", POOL_TITLE_MAX)
        if ident is None or "pick" not in attrs:
            self.error(number, _l("a level-1 heading starts a question pool and needs "
                                  "{#pool-id pick=N}"))
            return
        if not ID_PATTERN.match(ident):
            self.error(number, _l("pool id %(id)s must be lower-case letters, digits, - or _",
                                  id=repr(ident)))
        pick = int(attrs["pick"]) if re.fullmatch(r"[0-9]{1,4}", attrs["pick"]) else 0
        if pick < 1:
            self.error(number, _l("pick must be a whole number of at least 1, got %(value)s",
                                  value=repr(attrs["pick"])))
            pick = 1
        for token in bad:
            self.error(number, _l("cannot read attribute %(token)s (write key=value, once each)",
                                  token=repr(token)))
        for name in attrs:
            if name != "pick":
                self.error(number, _l("unknown pool attribute %(name)s", name=repr(name)))
        if any(p.key == ident for p in self.spec.pools):
            self.error(number, _l("duplicate pool id %(id)s", id=repr(ident)))
        self.pool = PoolSpec(ident, title, pick, number)
        self.spec.pools.append(self.pool)

    def start_question(self, number: int, title: str, raw: str | None) -> None:
        ident, attrs, bad = _attributes(raw)
        if ident is None:
            self.error(number, _l("question has no id: add {#some-id} at the end of the "
                                  "heading"))
            ident = f"line-{number}"
        elif not ID_PATTERN.match(ident):
            self.error(number, _l("question id %(id)s must be lower-case letters, digits, - or _",
                                  id=repr(ident)))
        if any(q.key == ident for q in self.spec.questions):
            self.error(number, _l("duplicate question id %(id)s", id=repr(ident)))
        self.check_title(number, title, "question", QUESTION_TITLE_MAX)
        q = QuestionSpec(key=ident, title=title, line=number, points=self.spec.points_default)
        q.pool = self.pool.key if self.pool else None
        for token in bad:
            self.error(number, _l("cannot read attribute %(token)s (write key=value, once each)",
                                  token=repr(token)))
        for name, value in attrs.items():
            if name == "type":
                if value not in QUESTION_TYPES:
                    self.error(number, _l("unknown question type %(value)s (use %(known)s)",
                                          value=repr(value), known=", ".join(QUESTION_TYPES)))
                q.type = value
            elif name == "scoring":
                if value not in SCORINGS:
                    self.error(number, _l("unknown scoring %(value)s (use %(known)s)",
                                          value=repr(value), known=", ".join(SCORINGS)))
                q.scoring = value
            elif name == "points":
                points = _points(value)
                if points is None:
                    self.error(number, _l("points must be a number more than 0 (at most "
                                          "%(max)s, two decimals), got %(value)s",
                                          max=MAX_POINTS, value=repr(value)))
                else:
                    q.points = points
            else:
                self.error(number, _l("unknown question attribute %(name)s", name=repr(name)))
        self.question, self.phase, self.prompt_lines = q, "prompt", []
        self.callouts_seen = set()

    def check_title(self, number: int, title: str, what: str, longest: int) -> None:
        # One whole sentence per kind of heading, so that each translates naturally.
        if not title.strip():
            self.error(number, _l("the question heading has no title") if what == "question"
                       else _l("the pool heading has no title"))
        elif len(title) > longest:
            self.error(number, _l(
                "the question title is %(length)s characters long; keep it under %(max)s",
                length=len(title), max=longest) if what == "question" else _l(
                "the pool title is %(length)s characters long; keep it under %(max)s",
                length=len(title), max=longest))

    def take_weight(self, number: int, text: str) -> tuple[str, Decimal | None]:
        """Split ``text {weight=25%}`` into the text and the weight."""
        weight = None
        match = WEIGHT.search(text)
        if match:
            weight = Decimal(match.group(1))
            text = text[: match.start()]
            if not Decimal(-100) <= weight <= Decimal(100) or weight.as_tuple().exponent < -2:
                self.error(number, _l("an option weight must be between -100% and 100%, with "
                                      "at most two decimals"))
        if LOOSE_WEIGHT.search(text):
            self.error(number, _l("write an option's weight as {weight=25%} at the very end "
                                  "of the option"))
        return text, weight

    def add_option(self, number: int, mark: str, text: str) -> None:
        q = self.question
        text, weight = self.take_weight(number, text)
        if not text.strip():
            self.error(number, _l("option has no text"))
        if self.phase == "prompt":
            q.prompt = "\n".join(self.prompt_lines).strip()
        elif self.phase in ("callout", "after"):
            self.error(number, _l("options must come before the [!EXPLANATION] and [!HINT] "
                                  "blocks"))
        q.options.append(OptionSpec(text.strip(), mark.lower() == "x", number, weight))
        self.phase = "options"

    def line(self, number: int, raw: str) -> None:
        stripped = raw.strip()
        heading = HEADING.match(raw)
        if heading and len(heading.group(1)) <= 2:
            level, title, attrs = len(heading.group(1)), heading.group(2), heading.group(3)
            self.finish_question()
            if level == 1:
                self.start_pool(number, title, attrs)
            else:
                self.start_question(number, title, attrs)
            return
        if self.question is None:
            if stripped:
                self.error(number, _l("text outside a question is not shown to learners; start "
                                      "a question with ## Title {#id}"), severity="warning")
            return
        option = OPTION.match(raw)
        if option and self.phase in ("prompt", "options", "callout", "after"):
            self.finish_callout()
            self.add_option(number, option.group(1), option.group(2))
            return
        callout = CALLOUT.match(stripped)
        if callout and self.phase != "prompt":
            self.start_callout(number, callout.group(1), callout.group(2))
            return
        if self.phase == "prompt":
            self.prompt_lines.append(raw)
        elif self.phase == "options":
            self.option_continuation(number, raw, stripped)
        elif self.phase == "callout":
            if stripped.startswith(">"):
                self.callout_lines.append(stripped[1:].removeprefix(" "))
            elif stripped:
                self.finish_callout()
                self.phase = "after"
                self.error(number, _l("text after the options must be inside a [!EXPLANATION] or "
                                      "[!HINT] block"))
            else:
                self.finish_callout()
                self.phase = "after"
        elif stripped:
            self.error(number, _l("text after the options must be inside a [!EXPLANATION] or "
                                  "[!HINT] block"))

    def option_continuation(self, number: int, raw: str, stripped: str) -> None:
        if not stripped:
            return
        current = self.question.options[-1]
        if raw.startswith(("  ", "\t")):
            if stripped.startswith(">"):
                text = stripped[1:].removeprefix(" ")
                current.feedback = f"{current.feedback}\n{text}" if current.feedback else text
            elif current.feedback:
                # A lazy continuation line: Markdown keeps it in the feedback's blockquote.
                current.feedback = f"{current.feedback}\n{stripped}"
            else:
                # The option's text goes on; its weight may end the last line.
                text, weight = self.take_weight(number, stripped)
                if weight is not None and current.weight is not None:
                    self.error(number, _l("an option has one {weight=N%}, at the end of its "
                                          "text"))
                elif weight is not None:
                    current.weight = weight
                if text.strip():
                    current.text = f"{current.text}\n{text.strip()}"
            return
        if stripped.startswith(">"):
            self.error(number, _l("a blockquote after the options must start with > "
                                  "[!EXPLANATION] or > [!HINT]; indent it by two spaces to make "
                                  "it an option's feedback"))
        else:
            self.error(number, _l("text after the options must be inside a [!EXPLANATION] or "
                                  "[!HINT] block"))
        self.phase = "after"

    def parse(self) -> QuizSpec:
        body, offset = self.read_front_matter()
        in_fence = False
        for index, raw in enumerate(body.split("\n")):
            number = offset + index
            if raw.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence and self.question is not None and self.phase == "prompt":
                self.prompt_lines.append(raw)
                continue
            self.line(number, raw.rstrip("\r"))
        self.finish_question()
        self.check_pools()
        if not self.spec.questions:
            last_line = self.text.count("\n") + 1
            self.error(min(offset, last_line), _l("the quiz has no questions (start one with "
                                                  "## Title {#id})"))
        return self.spec

    def check_pools(self) -> None:
        for pool in self.spec.pools:
            size = sum(1 for q in self.spec.questions if q.pool == pool.key)
            if size == 0:
                self.error(pool.line, _l("pool %(id)s has no questions", id=repr(pool.key)))
            elif pool.pick > size:
                self.error(pool.line, _l("pool %(id)s picks %(pick)s of only %(size)s questions",
                                         id=repr(pool.key), pick=pool.pick, size=size))


def parse_quiz(path: str, text: str, *, translation: bool = False
               ) -> tuple[QuizSpec, list[Problem]]:
    """Parse quiz Markdown. Returns the quiz and every problem (errors and warnings).
    ``translation``: a translated quiz, whose [x] marks are not checked (the source's count)."""
    parser = _QuizParser(path, normalise_newlines(text), translation)
    spec = parser.parse()
    return spec, parser.problems

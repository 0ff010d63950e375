"""Moodle GIFT import into our quiz format, and export back to GIFT.

Import follows Moodle's own importer (question/format/gift/format.php), the format's reference:
questions are separated by blank lines; whole-line ``//`` comments are dropped (their
``[id:...]`` and ``[tag:...]`` are read); ``\\~ \\= \\# \\{ \\} \\: \\n \\\\`` are escapes; the type
comes from the answer block (``{}`` essay, ``{#...}`` numerical, a ``~`` multiple choice, ``=`` with
``->`` matching, ``T``/``TRUE``/``F``/``FALSE`` true/false, else short answer; no block at all is a
description); a ``{...}`` in the middle of the text leaves a ``_____`` blank; the last ``####``
starts the general feedback. docs/authoring.md ("Importing from Moodle") lists how each part maps
to our format and why.

Every problem is a :class:`~lms.content.Problem` with the GIFT file's line and column; a question
we cannot hold is reported and skipped, and the others still convert.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt

from lms.content import Problem
from lms.frontmatter import normalise_newlines
from quizzes.parser import (
    LOOSE_WEIGHT,
    QUESTION_TITLE_MAX,
    OptionSpec,
    QuestionSpec,
    QuizSpec,
)
from quizzes.writer import fit_text, number_text

FORMATS = ("moodle", "html", "plain", "markdown")
TWO_PLACES = Decimal("0.01")
FIVE_PLACES = Decimal("0.00001")
HUNDRED = Decimal(100)

# -- decoding -----------------------------------------------------------------------------------


def decode_utf8(path: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """The file's text, or None and a problem naming the first byte that is not UTF-8 (Moodle
    refuses such files too: it cannot know which encoding was meant)."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(path, line, column, f"the file is not UTF-8 text (byte "
                                                  f"0x{data[exc.start]:02x}); save it as UTF-8 "
                                                  "and import it again")]


# -- Markdown from the other text formats ------------------------------------------------------

# The renderer's settings (lms.markdown), to check that a text shows as itself.
_md = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")

INLINE_SPECIAL = set("\\`*[]<{}|~")
ENTITY = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
WEIGHT_AHEAD = re.compile(r"\s*weight\b", re.IGNORECASE)
BLOCK_START = re.compile(r"^(?:#{1,6}(?:\s|$)|[>+-]|=+\s*$)")  # heading, quote, list, rule
ORDERED_ITEM = re.compile(r"^[0-9]{1,9}(?=[.)](?:\s|$))")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
HTML_LIKE = re.compile(HTML_TAG.pattern + "|" + ENTITY.pattern)
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
# markdown-it reads each "[" as a possible link label and scans ahead from it, trying every
# inline rule at each "[" it meets on the way (down to its nesting limit): some ninety Python
# calls a bracket, so a line of 100,000 brackets takes seconds. The work grows with the number of
# brackets, so that is what is bounded: past LINK_BRACKETS_CHECKED a plain text is escaped
# without asking markdown-it whether it would show as itself (the escaped text shows the same),
# and a [markdown] text with more than MARKDOWN_LINK_BRACKETS is refused (no real question has
# hundreds of links or images).
LINK_BRACKETS_CHECKED = 64
MARKDOWN_LINK_BRACKETS = 300
UNESCAPED_BRACKET = re.compile(r"(?<!\\)\[")


def escape_inline(text: str) -> str:
    """Backslash-escape what Markdown would read as markup inside a line."""
    out = []
    for i, char in enumerate(text):
        if char == "{" and WEIGHT_AHEAD.match(text, i + 1):
            out.append("&#123;")  # "\{weight" would still read as an option weight
        elif char in INLINE_SPECIAL:
            out.append("\\" + char)
        elif char == "_":
            before, after = text[i - 1: i], text[i + 1: i + 2]
            out.append("_" if before.isalnum() and after.isalnum() else "\\_")
        elif char == "&" and ENTITY.match(text, i):
            out.append("\\&")
        else:
            out.append(char)
    return "".join(out)


def escape_line_start(line: str) -> str:
    """Escape what Markdown reads as a block at the start of a line (a heading, a list...)."""
    if BLOCK_START.match(line):
        return "\\" + line
    item = ORDERED_ITEM.match(line)
    if item:
        return f"{line[: item.end()]}\\{line[item.end():]}"
    return line


def _shows_as_itself(text: str) -> bool:
    if "{{" in text or "}}" in text or LOOSE_WEIGHT.search(text):
        return False
    shown = []
    for token in _md.parse(text):
        if token.type in ("paragraph_open", "paragraph_close"):
            continue
        if token.type != "inline":
            return False
        parts = []
        for child in token.children or []:
            if child.type == "text":
                parts.append(child.content)
            elif child.type == "softbreak":
                parts.append("\n")
            else:
                return False
        shown.append("".join(parts))
    return "\n\n".join(shown) == text


def literal_markdown(text: str) -> str:
    """Markdown that shows ``text`` as it is (Moodle's plain text): the text itself when
    Markdown would show it unchanged, else the text with its markup characters escaped."""
    lines = [line.strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if text.count("[") <= LINK_BRACKETS_CHECKED and _shows_as_itself(text):
        return text
    return "\n".join(escape_line_start(escape_inline(line)) for line in text.split("\n"))


def _safe_url(href: str) -> str | None:
    href = href.strip()
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES:
        return None
    return quote(href, safe=":/?#[]@!$&'*+,;=%~-._")


class _HtmlToMarkdown(HTMLParser):
    """HTML to Markdown for the few things a quiz needs (paragraphs, line breaks, bold, italic,
    code, lists, links with safe addresses). Everything else is reduced to its text; scripts,
    styles and embedded objects are dropped, and so is every attribute: no HTML passes through.
    """

    SKIP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object",
            "svg", "math", "select", "textarea", "audio", "video", "canvas", "applet", "frameset",
            "noembed", "noframes", "xmp", "plaintext"}
    BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
             "blockquote", "table", "thead", "tbody", "tfoot", "caption", "dl", "dt", "dd",
             "figure", "figcaption", "address", "hr", "center", "form", "fieldset", "details",
             "summary", "h1", "h2", "h3", "h4", "h5", "h6"}
    MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "s": "~~", "strike": "~~",
             "del": "~~", "h1": "**", "h2": "**", "h3": "**", "h4": "**", "h5": "**",
             "h6": "**"}
    CODE = {"code", "tt", "kbd", "samp"}

    def __init__(self, marks: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.marks = marks  # write bold, italic and strike-through
        self.out: list[str] = []
        self.notes: list[str] = []
        self.skipping: list[str] = []
        self.lists: list[list] = []  # [tag, items so far]
        self.active: list[str] = []  # emphasis markers written and not yet closed
        self.pending: list[str] = []  # markers to write before the next text
        self.link: str | None = None  # the address of the link being written
        self.link_open = False
        self.code: list[str] | None = None
        self.pre: list[str] | None = None
        self.line_start = True
        self.space = False

    # -- output ------------------------------------------------------------------------------
    def _close_marks(self) -> None:
        if self.link_open:
            self.out.append(f"]({self.link})")
            self.link_open = False
        self.link = None
        for mark in reversed(self.active):
            self.out.append(mark)
        self.pending = self.active + self.pending
        self.active = []

    def block(self) -> None:
        if self.lists:
            self.space = True  # paragraphs inside a list item stay in the item
            return
        self._close_marks()
        if self.out and not self.out[-1].endswith("\n\n"):
            if self.out[-1] == "\\\n":
                self.out.pop()
            self.out.append("\n\n")
        self.line_start, self.space = True, False

    def hard_break(self) -> None:
        if self.line_start:
            return
        if self.out and self.out[-1] == "\\\n":
            self.out[-1] = "\n\n"  # two line breaks make a paragraph
            self._close_marks()
        else:
            self.out.append("\\\n")
        self.line_start, self.space = True, False

    def text(self, data: str) -> None:
        data = data.replace("\xa0", " ")
        words = " ".join(data.split())
        if data[:1].isspace():
            self.space = True
        if not words:
            return
        if self.space and not self.line_start:
            self.out.append(" ")
        for mark in self.pending:
            self.out.append(mark)
            self.active.append(mark)
        self.pending = []
        if self.link is not None and not self.link_open:
            self.out.append("[")
            self.link_open = True
        escaped = escape_inline(words)
        self.out.append(escape_line_start(escaped) if self.line_start else escaped)
        self.line_start = False
        self.space = data[-1:].isspace()

    # -- HTMLParser ---------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.append(tag)
            return
        values = {name: value or "" for name, value in attrs}
        if tag in self.SKIP:
            self.skipping.append(tag)
            self.notes.append(f"a <{tag}> element was left out")
        elif self.pre is not None:
            if tag == "br":
                self.pre.append("\n")
        elif self.code is not None:
            if tag == "br":
                self.code.append(" ")
        elif tag == "br":
            self.hard_break()
        elif tag == "pre":
            self.block()
            self.pre = []
        elif tag in self.CODE:
            self.code = []
        elif tag in ("ul", "ol"):
            self.block()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._list_item()
        elif tag == "img":
            alt = " ".join(values.get("alt", "").split())
            self.notes.append(f"an image ({values.get('src', '')[:80] or 'no address'}) was left "
                              "out (a GIFT file does not carry Moodle's image files)")
            self.text(f"(image: {alt})" if alt else "(image)")
        elif tag == "a":
            self._close_link()
            href = values.get("href", "")
            self.link = _safe_url(href)
            if self.link is None and href and not href.startswith("#"):
                self.notes.append(f"a link to {href[:80]!r} was kept as text only")
        elif tag in ("td", "th"):
            self.space = True
        elif tag in self.BLOCK:
            self.block()
        if self.marks and tag in self.MARKS and self.pre is None and self.code is None:
            self.pending.append(self.MARKS[tag])

    def _list_item(self) -> None:
        if not self.lists:
            self.lists.append(["ul", 0])
        self._close_marks()
        self.pending = []
        kind = self.lists[-1]
        kind[1] += 1
        marker = "-" if kind[0] == "ul" else f"{kind[1]}."
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")
        self.out.append("  " * (len(self.lists) - 1) + marker + " ")
        self.line_start, self.space = True, False

    def _close_link(self) -> None:
        if self.link_open:
            self.out.append(f"]({self.link})")
        self.link, self.link_open = None, False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag == "pre" and self.pre is not None:
            self._write_pre()
        elif tag in self.CODE and self.code is not None:
            self._write_code()
        elif self.pre is not None or self.code is not None:
            return
        elif self.marks and tag in self.MARKS:
            mark = self.MARKS[tag]
            if mark in self.pending:
                self.pending.remove(mark)
            elif mark in self.active:
                if self.link_open:
                    self._close_link()
                index = len(self.active) - 1 - self.active[::-1].index(mark)
                for other in reversed(self.active[index:]):
                    self.out.append(other)
                self.pending = self.active[index + 1:] + self.pending
                del self.active[index:]
        if tag == "a":
            self._close_link()
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self.block()
        elif tag == "tr":
            self.hard_break()
        elif tag in self.BLOCK:
            self.block()

    def _write_pre(self) -> None:
        lines = [line.rstrip() for line in "".join(self.pre).strip("\n").split("\n")]
        self.pre = None
        if not any(lines):
            return
        starts = {line.lstrip()[:3] for line in lines}
        fence = next((f for f in ("```", "~~~") if f not in starts), None)
        if fence is None or "{{" in "".join(lines):  # no safe code block: keep it as text
            for line in lines:
                self.text(line)
                self.hard_break()
            return
        self.block()
        self.out.append("\n".join([fence, *lines, fence]))
        self.out.append("\n\n")
        self.line_start, self.space = True, False

    def _write_code(self) -> None:
        code = " ".join("".join(self.code).split())
        self.code = None
        if not code:
            return
        if "{{" in code:  # would read as a company-fact placeholder: keep it as text
            self.text(code)
            return
        fence = "`" * (max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
        padded = f" {code} " if code.startswith("`") or code.endswith("`") else code
        self.text("x")  # writes the pending space and markers, then is replaced by the code
        self.out[-1] = f"{fence}{padded}{fence}"

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre is not None:
            self.pre.append(data)
        elif self.code is not None:
            self.code.append(data)
        else:
            self.text(data)

    def markdown(self) -> str:
        if self.pre is not None:
            self._write_pre()
        if self.code is not None:
            self._write_code()
        self._close_link()
        for mark in reversed(self.active):
            self.out.append(mark)
        text = "".join(self.out)
        text = re.sub(r"\\\n(?=\n|$)", "\n", text)  # a line break before a paragraph's end
        text = re.sub(r"[ \t]+\n", "\n", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip().removesuffix("\\").rstrip()


def markdown_text(markdown: str) -> str:
    """The text Markdown shows, on one line (for titles and comparisons)."""
    parts = []
    for token in _md.parse(markdown):
        if token.type in ("code_block", "fence"):
            parts.append(token.content)
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type == "image":
                parts.extend(t.content for t in child.children or [])
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        parts.append(" ")
    return " ".join("".join(parts).split())


def _visible(markdown: str) -> str:
    return "".join(markdown_text(markdown).split())


def html_markdown(html: str) -> tuple[str, list[str]]:
    """Markdown for an HTML text, and notes on what was left out. Where bold or italic would
    show as stray asterisks (Markdown cannot put them everywhere HTML can), they are left out."""
    results = []
    for marks in (True, False):
        converter = _HtmlToMarkdown(marks)
        try:
            converter.feed(html)
            converter.close()
        except (AssertionError, ValueError, IndexError):  # markup the parser gives up on
            return literal_markdown(re.sub(r"<[^>]*>", " ", html)), [
                "the HTML could not be read; its tags were removed"]
        results.append((converter.markdown(), converter.notes))
    rich, plain = results
    return rich if _visible(rich[0]) == _visible(plain[0]) else plain


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skipping += tag in _HtmlToMarkdown.SKIP

    def handle_endtag(self, tag: str) -> None:
        self.skipping -= tag in _HtmlToMarkdown.SKIP and self.skipping > 0

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment, on one line (for titles)."""
    reader = _HtmlText()
    try:
        reader.feed(html)
        reader.close()
    except (AssertionError, ValueError, IndexError):
        return " ".join(re.sub(r"<[^>]*>", " ", html).split())
    return " ".join(" ".join(reader.parts).split())


# -- names and ids ----------------------------------------------------------------------------


def slug(text: str, limit: int = 50) -> str:
    """Lower-case letters, digits and hyphens, at most ``limit`` long, cut at a hyphen."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(words) > limit:
        words = words[:limit]
        words = words.rsplit("-", 1)[0] if "-" in words[limit // 2:] else words
    return words.strip("-")


def short_title(text: str, limit: int = 60) -> str:
    """The first words of a text, as a question title."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass
class Ids:
    """Question ids that are valid in our format and unique in the quiz."""

    taken: set[str] = field(default_factory=set)

    def make(self, wanted: str, number: int, prefix: str = "") -> str:
        base = slug(wanted, 57 if not prefix else 97 - len(prefix) - 2) or f"question-{number}"
        key = f"{prefix}--{base}" if prefix else base
        candidate, n = key, 1
        while candidate in self.taken:
            n += 1
            suffix = f"-{n}"
            candidate = key[: 100 - len(suffix)].rstrip("-_") + suffix
        self.taken.add(candidate)
        return candidate


# -- positions ---------------------------------------------------------------------------------


class _Span:
    """A piece of the file's text that remembers the file offset of each of its characters
    (``at`` has one more entry than ``text``: the offset just after the end)."""

    __slots__ = ("at", "text")

    def __init__(self, text: str, at: list[int]):
        self.text, self.at = text, at

    def cut(self, start: int, end: int | None = None) -> _Span:
        end = len(self.text) if end is None else end
        return _Span(self.text[start:end], [*self.at[start:end], self.at[end]])

    def strip(self) -> _Span:
        start = len(self.text) - len(self.text.lstrip())
        return self.cut(start, max(start, len(self.text.rstrip())))

    def __add__(self, other: _Span) -> _Span:
        return _Span(self.text + other.text, self.at[:-1] + other.at)

    def split(self, separator: str, most: int) -> list[_Span]:
        parts, start = [], 0
        while len(parts) < most - 1:
            found = self.text.find(separator, start)
            if found < 0:
                break
            parts.append(self.cut(start, found))
            start = found + len(separator)
        return [*parts, self.cut(start)]

    @property
    def offset(self) -> int:
        return self.at[0]


# Escaped control characters become private-use placeholders while the question is split up.
PLACEHOLDER = 0xF0000
ESCAPABLE = ":#={}~n"
RESTORE = {chr(PLACEHOLDER + ord(c)): ("\n" if c == "n" else c) for c in ESCAPABLE}
PLACEHOLDERS = re.compile(f"[{chr(PLACEHOLDER)}-{chr(PLACEHOLDER + 127)}]")


def _unescape_pre(span: _Span) -> _Span:
    """``\\\\`` is a backslash; ``\\:`` ``\\#`` ``\\=`` ``\\{`` ``\\}`` ``\\~`` ``\\n`` are
    placeholders until the question is split; any other backslash is itself."""
    text, chars, at, i = span.text, [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and (text[i + 1] == "\\"
                                                   or text[i + 1] in ESCAPABLE):
            following = text[i + 1]
            chars.append("\\" if following == "\\" else chr(PLACEHOLDER + ord(following)))
            at.append(span.at[i])
            i += 2
        else:
            chars.append(char)
            at.append(span.at[i])
            i += 1
    return _Span("".join(chars), [*at, span.at[len(text)]])


def _restore(text: str) -> str:
    return PLACEHOLDERS.sub(lambda m: RESTORE.get(m.group(0), m.group(0)), text)


# -- import ------------------------------------------------------------------------------------

ANSWER_WEIGHT = re.compile(r"^%(-*)([0-9]{1,2}\.?[0-9]*)%")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
UNSUPPORTED = {
    "description": "a description (text without an answer block)",
    "essay": "an essay question ({})",
    "numerical": "a numerical question ({#...})",
    "match": "a matching question (= ... -> ...)",
    "shortanswer": "a short-answer question (= answers without ~)",
}
CONTEXTS = {"$course$", "$system$", "$cat$", "$module$", "$coursecategory$", "top", ""}


@dataclass
class _Answer:
    span: _Span
    weight: Decimal | None  # Moodle's fraction in percent; None: a plain ~ (0%)
    full: bool  # an = answer


class _GiftImporter:
    def __init__(self, path: str, text: str):
        self.path = path
        self.problems: list[Problem] = []
        self.text = self._clean(normalise_newlines(text))
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self.spec = QuizSpec()
        self.ids = Ids()
        self.category = ""
        self.number = 0

    def _clean(self, text: str) -> str:
        if PLACEHOLDERS.search(text):
            first = PLACEHOLDERS.search(text).start()
            line = text.count("\n", 0, first) + 1
            self.problems.append(Problem(self.path, line, 1, "characters from the private-use "
                                         "area U+F0000-U+F007F were replaced with U+FFFD",
                                         "warning"))
            text = PLACEHOLDERS.sub("\ufffd", text)
        return text

    # -- reporting -------------------------------------------------------------------------
    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def report(self, offset: int, message: str, severity: str = "error") -> None:
        line, column = self.where(offset)
        self.problems.append(Problem(self.path, line, column, message, severity))

    # -- blocks ----------------------------------------------------------------------------
    def run(self) -> tuple[QuizSpec, list[Problem]]:
        block: list[tuple[int, str]] = []  # (offset of the line, line)
        for number, line in enumerate(self.text.split("\n")):
            if line.strip():
                block.append((self.starts[number], line))
            elif block:
                self.block(block)
                block = []
        if block:
            self.block(block)
        if not self.spec.questions and not any(p.severity == "error" for p in self.problems):
            self.problems.append(Problem(self.path, 1, 1, "the file has no questions to import"))
        self.problems.sort(key=lambda p: (p.line, p.column))
        return self.spec, self.problems

    def block(self, lines: list[tuple[int, str]]) -> None:
        comments, text, at = [], [], []
        for offset, line in lines:
            if line.strip().startswith("//"):
                comments.append((offset, line))
                continue
            if text:
                text.append("\n")
                at.append(offset - 1)
            text.append(line)
            at.extend(range(offset, offset + len(line)))
        if not text:
            return
        end = at[-1] + 1
        span = _unescape_pre(_Span("".join(text), [*at, end])).strip()
        if span.text.startswith("$CATEGORY:"):
            self.read_category(span)
            return
        self.number += 1
        try:
            question = self.question(span, comments)
        except _Skip:
            return
        self.spec.questions.append(question)

    def read_category(self, span: _Span) -> None:
        first, *rest = span.split("\n", 2)
        if rest:
            self.report(rest[0].offset, "a $CATEGORY line must be followed by a blank line: the "
                                        "text after it was not imported (Moodle would make it "
                                        "part of the category name)")
        path = _restore(first.text[len("$CATEGORY:"):]).strip()
        names = [name for name in re.split(r"(?<!/)/(?!/)", path)
                 if name.strip().lower() not in CONTEXTS]
        self.category = slug(names[-1].replace("//", "/"), 30) if names else ""

    # -- one question ----------------------------------------------------------------------
    def question(self, span: _Span, comments: list[tuple[int, str]]) -> QuestionSpec:
        start = span.offset
        title = None
        if span.text.startswith("::"):
            rest = span.cut(2)
            end = rest.text.find("::")
            if end < 0:
                self.report(start, "the title is not closed with '::'; the question has no "
                                   "title", "warning")
                span = rest
            else:
                title = " ".join(_restore(rest.text[:end]).split())
                span = rest.cut(end + 2).strip()
        opening, closing = span.text.find("{"), span.text.find("}")
        if opening < 0 and closing < 0:
            return self.unsupported(start, "description", title, span)
        if opening < 0 or closing < 0 or closing < opening:
            where = span.at[opening if closing < 0 else closing]
            self.report(where, "the answers must be between { and } (write \\{ and \\} for "
                               "braces in the text); question not imported")
            raise _Skip
        answers = span.cut(opening + 1, closing).strip()
        after = span.cut(closing + 1)
        if span.text.endswith("}"):
            stem = span.cut(0, opening) + after
        else:
            stem = span.cut(0, opening) + _Span("_____", [span.at[opening]] * 6) + after
        if "{" in after.text:
            self.report(after.at[after.text.find("{")], "a second answer block {...} is kept "
                        "as question text (Moodle reads only the first)", "warning")
        general = None
        separator = answers.text.rfind("####")
        if separator >= 0:
            general = answers.cut(separator + 4)
            answers = answers.cut(0, separator).strip()
        fmt, stem = self.text_format(stem.strip(), "moodle")
        kind = self.kind(answers.text)
        if kind in UNSUPPORTED:
            return self.unsupported(start, kind, title, stem, answers)
        q = QuestionSpec(key="", title="", line=self.where(start)[0])
        q.prompt, plain = self.convert(stem, fmt, "prompt")
        if general is not None:
            q.explanation, _ = self.convert(general, fmt, "callout")
        if kind == "truefalse":
            self.true_false(q, answers, fmt)
        else:
            self.multichoice(q, answers, fmt)
        q.title = self.title(start, title, plain)
        q.key = self.key(start, comments, q.title)
        if not q.explanation:
            self.report(start, f"question {q.key!r} has no general feedback (####) to use as its "
                               "explanation: write a > [!EXPLANATION] block for it (learners "
                               "see none until you do)", "warning")
        return q

    def kind(self, answers: str) -> str:
        if answers == "":
            return "essay"
        if answers.startswith("#"):
            return "numerical"
        if "~" in answers:
            return "multichoice"
        if "=" in answers and "->" in answers:
            return "match"
        check = answers[: answers.find("#")].strip() if answers.find("#") > 0 else answers
        return "truefalse" if check in TRUE_FALSE else "shortanswer"

    def unsupported(self, start: int, kind: str, title: str | None, stem: _Span,
                    answers: _Span | None = None) -> QuestionSpec:
        _, body = self.text_format(stem.strip(), "moodle")
        name = title or short_title(html_text(_restore(body.text)))
        hint = ""
        if kind == "shortanswer" and answers is not None and \
                answers.text.split("#")[0].strip().upper() in TRUE_FALSE:
            hint = " (for a true/false question write TRUE or FALSE in capitals)"
        self.report(start, f"{UNSUPPORTED[kind]}{hint} was not imported: our quizzes grade "
                           f"single-answer, multiple-answer and true/false questions only"
                           + (f" ({name!r})" if name else ""))
        raise _Skip

    # -- texts -----------------------------------------------------------------------------
    def text_format(self, span: _Span, default: str) -> tuple[str, _Span]:
        if span.text.startswith("["):
            end = span.text.find("]")
            if end > 0 and span.text[1:end] in FORMATS:
                return span.text[1:end], span.cut(end + 1)
        return default, span

    def convert(self, span: _Span, fmt: str, where: str) -> tuple[str, str]:
        """Our Markdown for a GIFT text in format ``fmt``, and its plain text (for titles)."""
        raw = span.text
        if fmt != "markdown":
            raw = "\n".join(line.strip() for line in raw.split("\n"))
        text = _restore(raw).strip()
        notes: list[str] = []
        if fmt == "html" or (fmt == "moodle" and HTML_LIKE.search(text)):
            if fmt == "moodle":  # Moodle's auto-format: a blank line is a new paragraph
                text = re.sub(r"\n\s*\n", "<br><br>", text)
            markdown, notes = html_markdown(text)
            plain = html_text(text)
        elif fmt == "markdown":
            self.check_link_brackets(span)
            markdown, plain = text, markdown_text(text)
            if HTML_TAG.search(text):
                notes.append("HTML inside [markdown] text is shown as text, not as formatting")
        else:
            markdown, plain = literal_markdown(text), text
        for note in dict.fromkeys(notes):
            self.report(span.offset, note, "warning")
        return fit_text(markdown, where), plain

    def check_link_brackets(self, span: _Span) -> None:
        """Refuse a [markdown] text with more "[" than markdown-it should scan (see
        MARKDOWN_LINK_BRACKETS), pointing at the first one over the limit. An escaped ``\\[``
        costs nothing to read and is not counted."""
        over = next(itertools.islice(UNESCAPED_BRACKET.finditer(span.text),
                                     MARKDOWN_LINK_BRACKETS, None), None)
        if over is None:
            return
        self.report(span.at[over.start()], f"a [markdown] text may hold at most "
                                           f"{MARKDOWN_LINK_BRACKETS} '[' (one for each link or "
                                           "image; write \\[ for a bracket shown as itself); "
                                           "question not imported")
        raise _Skip

    def title(self, start: int, title: str | None, plain: str) -> str:
        if not title:
            title = short_title(plain) or f"Question {self.number}"
        title = fit_text(title, "title")
        if len(title) > QUESTION_TITLE_MAX:
            self.report(start, f"the title was cut to {QUESTION_TITLE_MAX} characters", "warning")
            title = title[: QUESTION_TITLE_MAX - 1].rstrip() + "…"
        return title

    def key(self, start: int, comments: list[tuple[int, str]], title: str) -> str:
        text = "\n".join(line for _, line in comments)
        wanted = title
        ident = re.search(r"\[id:((?:\\]|[^]\x00-\x1f\x7f])+)]", text)
        if ident:
            wanted = ident.group(1).replace("\\]", "]").strip()
        tags = [t.replace("\\]", "]").strip()
                for t in re.findall(r"\[tag:((?:\\]|[^]<>`\x00-\x1f\x7f])*)]", text)]
        key = self.ids.make(wanted, self.number, self.category)
        if ident and key != (f"{self.category}--{wanted}" if self.category else wanted):
            self.report(comments[0][0], f"id {wanted!r} became {key!r} (our ids are lower-case "
                                        "letters, digits, - and _, unique in the quiz)", "warning")
        if tags:
            self.report(comments[0][0], f"tags {', '.join(tags)} were not kept: our quiz format "
                                        "has no tags", "warning")
        return key

    # -- answers ---------------------------------------------------------------------------
    def answer_parts(self, span: _Span, fmt: str) -> tuple[str, str]:
        text, *feedback = span.split("#", 2)
        fmt_text, text = self.text_format(text.strip(), fmt)
        option, _ = self.convert(text, fmt_text, "option")
        note = ""
        if feedback:
            fb_format, fb = self.text_format(feedback[0].strip(), fmt)
            note, _ = self.convert(fb, fb_format, "feedback")
        return option, note

    def true_false(self, q: QuestionSpec, answers: _Span, fmt: str) -> None:
        answer, *feedback = answers.split("#", 3)
        is_true = TRUE_FALSE[answer.text.strip()]
        wrong = right = ""
        if feedback:
            fb_format, text = self.text_format(feedback[0].strip(), fmt)
            wrong, _ = self.convert(text, fb_format, "feedback")
        if len(feedback) > 1:
            fb_format, text = self.text_format(feedback[1].strip(), fmt)
            right, _ = self.convert(text, fb_format, "feedback")
        line = self.where(answers.offset)[0]
        # Moodle: the first # is shown to a learner who answers wrongly, the second to one who
        # answers rightly.
        q.type = "true-false"
        q.options = [
            OptionSpec("True", is_true, line, feedback=right if is_true else wrong),
            OptionSpec("False", not is_true, line, feedback=wrong if is_true else right),
        ]

    def split_answers(self, answers: _Span) -> list[_Answer]:
        marks = [i for i, char in enumerate(answers.text) if char in "~="]
        pieces = []
        if not marks or answers.text[: marks[0]].strip():
            first = answers.cut(0, marks[0] if marks else None).strip()
            self.report(first.offset, "text before the first ~ or = is read as a wrong answer "
                                      "(as Moodle does)", "warning")
            pieces.append(_Answer(first, None, False))
        for n, mark in enumerate(marks):
            end = marks[n + 1] if n + 1 < len(marks) else len(answers.text)
            body = answers.cut(mark + 1, end).strip()
            if answers.text[mark] == "=":
                if ANSWER_WEIGHT.match(body.text):
                    self.report(body.offset, "an = answer is always worth 100%: '%...%' after = "
                                             "is read as part of the answer text (write ~%50% "
                                             "for a partial answer)", "warning")
                pieces.append(_Answer(body, HUNDRED, True))
                continue
            weight = None
            match = ANSWER_WEIGHT.match(body.text)
            if match:
                if len(match.group(1)) > 1:
                    self.report(body.offset, f"cannot read the weight {match.group(0)!r}")
                    raise _Skip
                weight = Decimal(match.group(1) + match.group(2))
                body = body.cut(match.end())
            pieces.append(_Answer(body, weight, False))
        return pieces

    def multichoice(self, q: QuestionSpec, answers: _Span, fmt: str) -> None:
        single = "=" in answers.text
        pieces = []
        for piece in self.split_answers(answers):
            line = self.where(piece.span.offset)[0]
            text, feedback = self.answer_parts(piece.span, fmt)
            if not text:
                self.report(piece.span.offset, "an empty answer was left out", "warning")
                continue
            if piece.weight is not None and not -HUNDRED <= piece.weight <= HUNDRED:
                self.report(piece.span.offset, f"a weight of {number_text(piece.weight)}% is "
                                               "outside -100%..100%; question not imported")
                raise _Skip
            pieces.append((piece, OptionSpec(text, False, line, feedback=feedback)))
        if len(pieces) < 2:
            self.report(answers.offset, "a multiple-choice question needs at least two "
                                        "answers; question not imported")
            raise _Skip
        if single:
            self.single(q, pieces)
        else:
            self.multiple(q, pieces, answers.offset)
        q.options = [option for _, option in pieces]

    def weight(self, piece: _Answer, value: Decimal) -> Decimal:
        rounded = value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        if rounded != value:
            self.report(piece.span.offset, f"the weight {number_text(value)}% was rounded to "
                                           f"{number_text(rounded)}% (weights keep two "
                                           "decimals)", "warning")
        return rounded

    def single(self, q: QuestionSpec, pieces: list[tuple[_Answer, OptionSpec]]) -> None:
        q.type = "single"
        full = [(piece, option) for piece, option in pieces if piece.weight == HUNDRED]
        if not full:
            self.report(pieces[0][0].span.offset, "the answer marked right with = is empty; "
                                                  "question not imported")
            raise _Skip
        first = next((option for piece, option in full if piece.full), full[0][1])
        first.correct = True
        if len(full) > 1:
            self.report(full[1][0].span.offset, "several answers are worth 100%: the first = "
                                                "answer is marked correct and the others get "
                                                "{weight=100%} (full points, as in Moodle)",
                        "warning")
        for piece, option in pieces:
            if option is not first and piece.weight is not None:
                option.weight = self.weight(piece, piece.weight)
        if any(piece.weight is not None and piece.weight < 0 for piece, _ in pieces):
            self.report(pieces[0][0].span.offset, "negative weights in a single-answer question "
                                                  "count as 0% here (a wrong answer takes no "
                                                  "points away)", "warning")

    def multiple(self, q: QuestionSpec, pieces: list[tuple[_Answer, OptionSpec]],
                 offset: int) -> None:
        q.type, q.scoring = "multiple", "partial"
        weights = [piece.weight or Decimal(0) for piece, _ in pieces]
        right = [w for w in weights if w > 0]
        if not right:
            self.report(offset, "no answer has a positive weight (~%50%...), so none is right; "
                                "question not imported")
            raise _Skip
        total = sum(right)
        if abs(total - HUNDRED) > Decimal("0.05"):
            self.report(offset, f"the positive weights add up to {number_text(total)}%, not "
                                "100%: choosing all the right answers gives full points here",
                        "warning")
        share = Fraction(100, len(right))
        for (piece, option), value in zip(pieces, weights, strict=True):
            option.correct = value > 0
            if _near(value, share if value > 0 else -share):
                option.weight = None  # our default: an equal share (minus it for a wrong one)
            else:
                option.weight = self.weight(piece, value)


class _Skip(Exception):
    """The question was reported and is left out."""


def _near(value: Decimal, share: Fraction) -> bool:
    """Moodle writes an equal share with five decimals (33.33333%): read it as exact."""
    if Fraction(value) == share:
        return True
    return value.as_tuple().exponent < -2 and abs(Fraction(value) - share) < Fraction(1, 200)


def import_gift(path: str, text: str) -> tuple[QuizSpec, list[Problem]]:
    """Convert a GIFT file's text into a quiz. Returns the quiz (the questions that could be
    converted) and every problem, each with the GIFT file's line and column."""
    return _GiftImporter(path, text).run()


def import_gift_bytes(path: str, data: bytes) -> tuple[QuizSpec, list[Problem]]:
    """Like :func:`import_gift`, for a file's bytes: a file that is not UTF-8 is refused."""
    text, problems = decode_utf8(path, data)
    if text is None:
        return QuizSpec(), problems
    return import_gift(path, text)


# -- export ------------------------------------------------------------------------------------

GIFT_SPECIAL = {"\\": "\\\\", "#": "\\#", "=": "\\=", "~": "\\~", "{": "\\{", "}": "\\}",
                ":": "\\:", "\n": "\\n", "\r": ""}
FORMAT_TAG = re.compile(r"^\[(?:moodle|html|plain|markdown)\]")


def gift_escape(text: str) -> str:
    """A text on one line with GIFT's control characters escaped (as Moodle's exporter)."""
    return "".join(GIFT_SPECIAL.get(char, char) for char in text)


def _answer_text(text: str) -> str:
    """An answer or feedback text; ``[markdown]`` in front where the text itself would be read
    as a weight (``%50%``) or a format (``[html]``)."""
    escaped = gift_escape(text)
    return f"[markdown]{escaped}" if text.startswith("%") or FORMAT_TAG.match(text) else escaped


def _share(count: int) -> str:
    share = Fraction(100, count)
    value = Decimal(share.numerator) / Decimal(share.denominator)
    return number_text(value.quantize(FIVE_PLACES))


def _is_true_false(q: QuestionSpec) -> bool:
    texts = [option.text.strip().lower() for option in q.options]
    return (q.type == "true-false" and sorted(texts) == ["false", "true"]
            and all(option.weight is None for option in q.options)
            and sum(option.correct for option in q.options) == 1)


def _multiple_weights(q: QuestionSpec) -> list[str]:
    right = sum(option.correct for option in q.options)
    share = _share(max(right, 1))
    weights = []
    for option in q.options:
        if q.scoring != "partial":
            weights.append(share if option.correct else "-100")
        elif option.weight is not None:
            weights.append(number_text(option.weight))
        else:
            weights.append(share if option.correct else f"-{share}")
    return weights


def _gift_question(q: QuestionSpec) -> str:
    head = f"// [id:{q.key}]\n::{gift_escape(q.title)}::[markdown]{gift_escape(q.prompt)}"
    general = f"####{_answer_text(q.explanation)}" if q.explanation else ""
    if _is_true_false(q):
        right = next(o for o in q.options if o.correct)
        wrong = next(o for o in q.options if not o.correct)
        answer = "TRUE" if right.text.strip().lower() == "true" else "FALSE"
        body = answer
        if wrong.feedback:
            body += "#" + _answer_text(wrong.feedback)
        elif right.feedback:
            body += "#"
        if right.feedback:
            body += "#" + _answer_text(right.feedback)
        return f"{head}{{{body}{general}}}"
    lines = []
    if q.type == "multiple":
        for option, weight in zip(q.options, _multiple_weights(q), strict=True):
            mark = "~" if Decimal(weight) == 0 else f"~%{weight}%"
            lines.append((mark, option))
    else:
        for option in q.options:
            if option.correct:
                mark = "="
            elif option.weight is not None:
                mark = f"~%{number_text(option.weight)}%"
            else:
                mark = "~"
            lines.append((mark, option))
    body = [f"\t{mark}{_answer_text(option.text)}"
            + (f"#{_answer_text(option.feedback)}" if option.feedback else "")
            for mark, option in lines]
    if general:
        body.append(f"\t{general}")
    return "\n".join([f"{head}{{", *body, "}"])


def export_gift(spec: QuizSpec) -> str:
    """The quiz's questions as GIFT, with our Markdown as ``[markdown]`` text. What GIFT cannot
    hold (points, pools, hints, quiz settings) is listed by :func:`gift_losses`."""
    return "\n\n".join(_gift_question(q) for q in spec.questions) + "\n"


def gift_losses(spec: QuizSpec) -> list[tuple[int, str]]:
    """(line, message) for each thing :func:`export_gift` cannot carry over to Moodle."""
    losses = []
    if spec.pools:
        losses.append((spec.pools[0].line, "pools (random draws) are not part of GIFT: their "
                                           "questions are exported as ordinary questions"))
    if spec.pass_mark_percent is not None or spec.pass_mark_points is not None \
            or not spec.shuffle_questions or not spec.shuffle_options:
        losses.append((1, "quiz settings (pass mark, shuffling) are not part of GIFT"))
    for q in spec.questions:
        def lose(message: str, q: QuestionSpec = q) -> None:
            losses.append((q.line, f"question {q.key!r}: {message}"))
        if q.points != 1:
            lose(f"points={number_text(q.points)} is not part of GIFT (Moodle sets the mark "
                 "in the quiz)")
        if q.hint:
            lose("the hint is not part of GIFT")
        if q.type == "true-false" and not _is_true_false(q):
            lose("exported as a single-answer question (Moodle's true/false has the answers "
                 "True and False, without weights)")
        if q.type == "multiple" and q.scoring != "partial":
            lose("Moodle gives partial credit in multiple-answer questions: exported with "
                 "equal shares for right answers and -100% for wrong ones")
        if q.type == "multiple" and q.scoring == "partial" and any(
                (o.weight is not None and (o.weight > 0) != o.correct) for o in q.options):
            lose("GIFT marks as right exactly the answers with a positive weight")
        if len(q.options) < 2 and not _is_true_false(q):
            lose("Moodle needs at least two answers in a multiple-choice question")
    return losses

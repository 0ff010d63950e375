"""Every piece of interface text in a template is marked for translation: text between tags and
the attributes people read (alt, title, placeholder, aria-label, a button's value) must come from
``_()``/``ngettext()``/``{% trans %}`` or from data, never be written out in English."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from lms.config import PROJECT_ROOT
from tests.i18n.conftest import pending

TEMPLATES = PROJECT_ROOT / "templates"
# E-mails are written per language (reminder.txt, reminder.zh-Hans.txt): nothing to mark there.
OWN_FILES_PER_LANGUAGE = ("templates/emails/",)
# Words that are the same in every language: the product's name, and UTC in technical times.
ALLOWED_WORDS = {"Guardrail", "UTC"}
# The shape of a verification code, shown as a placeholder (the same in every language).
ALLOWED_PATTERNS = (re.compile(r"X{5}(?:-X{5}){3}"),)
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description",
                   "aria-roledescription", "aria-valuetext", "label"}
# A macro that writes attribute markup (` aria-invalid="true" aria-describedby="f-`) outside a
# tag: attribute names and values there are markup, not text.
ATTRIBUTE_MARKUP = re.compile(r'[\w:-]+="[^"<>]*"?|[^\s"<>]*"')
GAP = " \x01 "  # stands for anything Jinja outputs: splits text, parses as an attribute in tags
# Elements whose text is not language: scripts, styles, and what a person types or a computer
# reads as it is (<code>Authorization: Bearer ...</code>, <kbd>, <samp>), which a translation
# would break.
LITERAL_TAGS = ("script", "style", "code", "kbd", "samp")

_lexer = Environment(extensions=["jinja2.ext.i18n"])


def _flatten(source: str) -> str:
    """The template's literal text, with every Jinja expression, statement and comment (and
    everything inside {% trans %}...{% endtrans %}, which is marked) replaced by GAP. Line breaks
    are kept, so positions point at the template's lines."""
    out: list[str] = []
    lines = 1
    in_block, first_word, trans_depth = False, True, 0
    for lineno, kind, value in _lexer.lex(source):
        if kind == "whitespace":
            continue
        if lineno > lines:
            out.append("\n" * (lineno - lines))
            lines = lineno
        if kind == "block_begin":
            in_block, first_word = True, True
            out.append(GAP)
            continue
        if in_block:
            if kind == "name" and first_word:
                trans_depth += {"trans": 1, "endtrans": -1}.get(value, 0)
            first_word = False
            in_block = kind != "block_end"
            continue
        if kind == "data":
            out.append(GAP if trans_depth else value)
            lines += value.count("\n")
        elif kind in ("variable_begin", "comment_begin"):
            out.append(GAP)
    return "".join(out)


def _has_words(text: str) -> bool:
    for pattern in ALLOWED_PATTERNS:
        text = pattern.sub(" ", text)
    words = [w for w in re.split(r"[^\w]+", text) if w and w not in ALLOWED_WORDS]
    return any(unicodedata.category(ch).startswith("L") for w in words for ch in w)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in LITERAL_TAGS:
            self.hidden += 1
        attributes = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input"
                and attributes.get("type") in ("submit", "button", "reset"))
            if readable and value:
                self._check(value, f"{tag}[{name}]")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in LITERAL_TAGS:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden:
            self._check(ATTRIBUTE_MARKUP.sub(" ", data) if '="' in data or '"' in data else data,
                        "text")

    def _check(self, text: str, where: str) -> None:
        line = self.getpos()[0]
        for piece in text.split("\x01"):
            if _has_words(piece):
                first = piece.lstrip()
                self.found.append((line + (piece[:len(piece) - len(first)]).count("\n"),
                                   f"{where}: {piece.strip()[:80]!r}"))
            line += piece.count("\n")


def unmarked(source: str) -> list[tuple[int, str]]:
    finder = _TextFinder()
    finder.feed(_flatten(source))
    finder.close()
    return finder.found


def _checked_templates() -> list[Path]:
    paths = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        if not relative.startswith(OWN_FILES_PER_LANGUAGE) and not pending(relative):
            paths.append(path)
    return paths


def test_the_scanner_finds_unmarked_text_and_passes_marked_text():
    source = """{% extends "base.html" %}{% block content %}
<h1>{{ _('Overdue') }}</h1>
<p>Due on {{ format_date(day) }}</p>
<input type="submit" value="Save"><img src="x.png" alt="Chart">
<button aria-label="{{ _('Close') }}">×</button>
{% trans %}Hello {{ name }}{% endtrans %} <span>{{ count }} · Guardrail</span>
<input{% if bad %} aria-invalid="true" aria-describedby="f-{{ name }}-error"{% endif %}>
<p>{{ ngettext('%(num)s day', '%(num)s days', n) }}</p>
{# a comment in English is fine #}<a title="Help me">?</a> <code>Authorization: Bearer</code>
{% endblock %}"""
    found = unmarked(source)
    assert [line for line, _ in found] == [3, 4, 4, 9], found
    assert "Due on" in found[0][1] and "Save" in found[1][1] and "Chart" in found[2][1]
    assert "Help me" in found[3][1]


@pytest.mark.parametrize("path", _checked_templates(),
                         ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_template_text_is_marked_for_translation(path):
    found = unmarked(path.read_text(encoding="utf-8"))
    relative = path.relative_to(PROJECT_ROOT).as_posix()
    assert not found, "text not marked for translation (wrap it in _()):\n" + "\n".join(
        f"  {relative}:{line}: {what}" for line, what in found)

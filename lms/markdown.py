"""The one place where Markdown becomes HTML: render with markdown-it-py, then sanitise with nh3.

Raw HTML in the source is never passed through (markdown-it escapes it), and nh3 removes anything
that could still run script (attributes, URL schemes), so trainers' text is safe on every page.
Organisation settings (``{{ org.hotline }}``) are substituted before rendering.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from lms.org.registry import KEYS

PLACEHOLDER = re.compile(r"\{\{\s*org\.([A-Za-z0-9_]+)\s*\}\}")
OPENING = re.compile(r"\{\{")
SHOWN_UP_TO = re.compile(r"\{\{[^\n]*?(?:\}\}|$)", re.MULTILINE)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
# No images: course content has none (docs/authoring.md), and an <img> would make every
# learner's browser, and the PDF renderer, fetch whatever address an author wrote.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"https", "http", "mailto", "tel"}


def _align_attribute(state) -> None:
    """Table column alignment as ``align="center"`` instead of markdown-it's inline style, which
    the sanitiser would drop and the pages' Content-Security-Policy would block."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrGet("style")
            if style and style.startswith("text-align:"):
                del token.attrs["style"]
                token.attrSet("align", style.removeprefix("text-align:"))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.core.ruler.push("table_align", _align_attribute)
    # ``![alt](url)`` then reads as "!" and a link, which the URL checks below still apply to.
    return md.enable("table").enable("strikethrough").disable("image")


_md = _parser()


def unknown_placeholders(text: str) -> list[tuple[int, int, str]]:
    """(line, column, text) of every ``{{`` that does not start a known ``{{ org.key }}``:
    unknown names, typos such as ``{{ org.hotline }`` and stray braces, which would otherwise
    reach learners as literal text."""
    problems = []
    position = 0
    while (match := OPENING.search(text, position)) is not None:
        start = match.start()
        placeholder = PLACEHOLDER.match(text, start)
        if placeholder is not None and placeholder.group(1) in KEYS:
            position = placeholder.end()
            continue
        shown = SHOWN_UP_TO.match(text, start).group(0)
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        problems.append((line, column, shown))
        position = start + len(shown)
    return problems


def substitute(text: str, org: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: org.get(m.group(1), m.group(0)), text)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@lru_cache(maxsize=4096)
def _render(text: str, org_items: tuple[tuple[str, str], ...], inline: bool) -> str:
    source = substitute(text, dict(org_items))
    html = _md.renderInline(source) if inline else _md.render(source)
    return sanitize_html(html)


def render_markdown(text: str | None, org: dict[str, str] | None = None, *, inline=False) -> Markup:
    """Sanitised HTML for a Markdown text, safe to put in any page or PDF."""
    if not text:
        return Markup("")
    items = tuple(sorted((org or {}).items()))
    return Markup(_render(text, items, inline))  # noqa: S704 (sanitised by nh3 in _render)

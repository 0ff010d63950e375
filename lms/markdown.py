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
# CommonMark lets a backslash escape any ASCII punctuation character, also in link addresses.
MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul", "img",
}
# Images only from the app's own media store (uploaded, type-checked, content-addressed): any
# other address would make every learner's browser, and the PDF renderer, fetch whatever an
# author wrote. Another image becomes its alt text; the sanitiser drops any other src too.
MEDIA_SRC = re.compile(r"/media/[0-9a-f]{64}\.(?:png|jpg|gif|webp)")
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
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


def is_media_src(src: str) -> bool:
    """True for the address of an image in the media store: ``/media/<sha256>.<ext>``."""
    return MEDIA_SRC.fullmatch(src) is not None


def _media_images_only(state) -> None:
    """An image whose address is not in the media store is shown as its alt text."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "image" and not is_media_src(child.attrGet("src") or ""):
                alt = "".join(t.content for t in child.children or () if t.type == "text")
                child.type, child.tag, child.attrs, child.children = "text", "", {}, None
                child.content = alt


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.core.ruler.push("table_align", _align_attribute)
    md.core.ruler.push("media_images_only", _media_images_only)
    return md.enable("table").enable("strikethrough")


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src" and not is_media_src(value):
        return None
    return value


_md = _parser()
_scanner = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


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


def foreign_images(text: str) -> list[tuple[int, str]]:
    """(line, address) of every image whose address is not in the media store: learners would
    see only its alt text."""
    lines = text.split("\n")
    found = []
    for token in _scanner.parse(text):
        for child in token.children or ():
            src = str(child.attrGet("src") or "")
            if child.type != "image" or is_media_src(src):
                continue
            first, last = token.map or (0, 1)
            line = next((i for i in range(first, last) if src in lines[i]), first) + 1
            found.append((line, src))
    return found


def _literal(value: str) -> str:
    """A setting's value as Markdown that renders as exactly that text: an organisation's name
    or phone number is not markup (``*``, ``_``, ``[...]`` and ``<`` stay as typed)."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", value)


def substitute(text: str, org: dict[str, str]) -> str:
    return PLACEHOLDER.sub(
        lambda m: _literal(org[m.group(1)]) if m.group(1) in org else m.group(0), text)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
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

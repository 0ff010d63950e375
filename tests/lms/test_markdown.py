"""Markdown rendering: the Markdown we allow, placeholders, and nothing that can run script,
checked against every payload of the shared XSS corpus."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from lms.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown, unknown_placeholders
from lms.org.registry import KEYS
from tests.conftest import SHARED

XSS = SHARED / "corpora" / "xss"
ORG = {"name": "Example Group", "hotline": "400-820-1234", "report_web": "https://speakup.example",
       "hr_contact": "hr@example.com"}

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "meta", "base", "form", "style",
                  "link", "math", "img", "frame", "frameset", "applet", "input", "button",
                  "textarea", "template", "video", "audio", "source", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster",
                  "data", "srcset", "cite", "lowsrc", "dynsrc"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
# What browsers ignore inside a URL's scheme: whitespace and control characters.
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class Inspector(HTMLParser):
    """Collects everything in a piece of HTML that could run script or load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag not in ALLOWED_TAGS:
            self.found.append(f"<{tag}> is not an allowed tag")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name not in allowed:
                self.found.append(f"{tag}[{name}] is not an allowed attribute")
            if name == "style":
                self.found.append(f"{tag}[style]")
            # html.parser has already decoded character references in attribute values.
            if name in URL_ATTRIBUTES and value is not None:
                url = IGNORED_IN_SCHEME.sub("", value).lower()
                if url.startswith(BAD_SCHEMES):
                    self.found.append(f"{tag}[{name}={value!r}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self.found.append(f"<!--{data}-->")

    def handle_pi(self, data):
        self.found.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.found.append(f"<![{data}]>")


def inspect(html: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(str(html))
    inspector.close()
    return inspector


def assert_inert(html: str, source: str) -> None:
    found = inspect(html).found
    assert not found, f"{found} in {html!r} rendered from {source!r}"


def corpus_files():
    files = sorted(p for p in XSS.iterdir() if not p.name.startswith("LICENSE"))
    assert len(files) >= 9
    return files


# -- the Markdown we allow -----------------------------------------------------------------------

def test_returns_markup_and_empty_for_nothing():
    assert render_markdown("**a**") == Markup("<p><strong>a</strong></p>\n")
    assert isinstance(render_markdown("x"), Markup)
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_tables_with_alignment():
    html = render_markdown("| Channel | When | Cost |\n|:--|:-:|--:|\n"
                           "| Hotline | Any time | Free |")
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert '<th align="left">Channel</th>' in html
    assert '<th align="center">When</th>' in html
    assert '<td align="right">Free</td>' in html
    assert "style" not in html


def test_block_elements():
    html = render_markdown("## Key points\n\n- one\n- two\n\n1. first\n\n> quoted\n\n---\n\n"
                           "`code` **bold** *em* ~~gone~~")
    for fragment in ("<h2>Key points</h2>", "<ul>\n<li>one</li>", "<ol>\n<li>first</li>",
                     "<blockquote>\n<p>quoted</p>", "<hr>", "<code>code</code>",
                     "<strong>bold</strong>", "<em>em</em>", "<s>gone</s>"):
        assert fragment in html


def test_links_get_rel_and_safe_schemes_only():
    html = render_markdown("[portal](https://speakup.example/report \"Report\") "
                           "[mail](mailto:hr@example.com) [call](tel:+864008201234) <https://a.example>")
    assert ('<a href="https://speakup.example/report" title="Report" '
            'rel="noopener noreferrer nofollow">portal</a>') in html
    assert '<a href="mailto:hr@example.com" rel="noopener noreferrer nofollow">mail</a>' in html
    assert '<a href="tel:+864008201234" rel="noopener noreferrer nofollow">call</a>' in html
    assert '<a href="https://a.example" rel="noopener noreferrer nofollow">' in html


@pytest.mark.parametrize("link", [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))", "[x](vbscript:msgbox(1))", "[x](data:text/html,<b>x</b>)",
    "<javascript:alert(1)>", "[x](file:///etc/passwd)", "[x]: javascript:alert(1)\n\n[x]",
    "[x](%6A%61vascript:alert(1))",
])
def test_dangerous_links_are_dropped(link):
    html = render_markdown(link)
    assert_inert(html, link)
    # Percent-encoded characters make a relative path, not a scheme; anything else is no link.
    if "%" not in link and "&#x09;" not in link:
        assert "<a " not in html, html


def test_javascript_link_stays_as_plain_text():
    assert render_markdown("[x](javascript:alert(1))") == Markup(
        "<p>[x](javascript:alert(1))</p>\n")


def test_raw_html_is_escaped_not_passed_through():
    html = render_markdown('<script>alert("x")</script>\n\nHello <b onclick="x()">there</b>')
    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b onclick=" in html
    inline = render_markdown("<img src=x onerror=alert(1)>", inline=True)
    assert inline == Markup("&lt;img src=x onerror=alert(1)&gt;")


def test_images_are_not_rendered():
    html = render_markdown("![chart](https://tracker.example/pixel.png)")
    assert "<img" not in html
    assert "chart" in html


def test_inline_rendering_has_no_block_elements():
    assert render_markdown("Pick **this** one", inline=True) == Markup(
        "Pick <strong>this</strong> one")
    assert "<p>" not in render_markdown("# Not a heading\n- not a list", inline=True)


# -- placeholders ----------------------------------------------------------------------------

def test_placeholders_are_substituted():
    html = render_markdown("Call {{ org.hotline }} or write to {{org.hr_contact}}.", ORG)
    assert html == Markup("<p>Call 400-820-1234 or write to hr@example.com.</p>\n")


def test_placeholder_in_a_link():
    html = render_markdown("[Report online]({{ org.report_web }})", ORG)
    assert '<a href="https://speakup.example" rel="noopener noreferrer nofollow">' in html


def test_unknown_and_unset_placeholders_stay_visible():
    html = render_markdown("{{ org.nope }} and {{ org.gift_limit }} and {{ other }}", ORG)
    assert html == Markup("<p>{{ org.nope }} and {{ org.gift_limit }} and {{ other }}</p>\n")


def test_setting_values_are_escaped_too():
    html = render_markdown("Welcome to {{ org.name }}",
                           {"name": "<script>alert(1)</script> [x](javascript:alert(1))"})
    assert "<script" not in html
    assert_inert(html, "org.name")


def test_the_org_settings_are_part_of_the_cache_key():
    assert "One" in render_markdown("{{ org.name }}", {"name": "One"})
    assert "Two" in render_markdown("{{ org.name }}", {"name": "Two"})


@pytest.mark.parametrize(("text", "expected"), [
    ("{{ org.name }} {{org.hotline}} {{  org.hr_contact  }}", []),
    ("{{ org.nope }}", [(1, 1, "{{ org.nope }}")]),
    ("line one\n  call {{ org.Hotline }} now", [(2, 8, "{{ org.Hotline }}")]),
    ("{{ org.hotline } and more", [(1, 1, "{{ org.hotline } and more")]),
    ("{{ name }}", [(1, 1, "{{ name }}")]),
    ("a {{{ org.name }}}", [(1, 3, "{{{ org.name }}")]),
    ("{{", [(1, 1, "{{")]),
    ("{{ org.name }}\n{{ org.x }} {{ org.y }}", [(2, 1, "{{ org.x }}"), (2, 13, "{{ org.y }}")]),
    ("{ org.name } }} {", []),
])
def test_unknown_placeholders(text, expected):
    assert unknown_placeholders(text) == expected


def test_every_registered_setting_is_a_known_placeholder():
    assert unknown_placeholders(" ".join(f"{{{{ org.{key} }}}}" for key in KEYS)) == []


# -- the XSS corpus ------------------------------------------------------------------------------

def test_the_inspector_catches_what_it_should():
    # The checks below are only worth something if the inspector sees these.
    for html in ('<script>x</script>', '<a href=" jav&#x61;script:x">', '<p onmouseover="x">',
                 '<svg><circle/></svg>', '<a href="DATA:text/html,x">', '<iframe src=x>',
                 '<a href="\x01javascript:x">', '<td style="x">', "<!-- x -->", "<meta>"):
        assert inspect(html).found, html
    assert inspect('<p><a href="https://x" rel="nofollow">x</a></p>').found == []


def test_every_xss_payload_line_renders_inert():
    checked = 0
    for path in corpus_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            renders = {
                "module body": render_markdown(line, ORG),
                "option text": render_markdown(line, ORG, inline=True),
                "feedback": render_markdown(f"> {line}", ORG),
                "list item": render_markdown(f"- {line}\n  {line}", ORG),
                "link text and title": render_markdown(f'[{line}](https://x.example "{line}")'),
                "setting value": render_markdown("Call {{ org.hotline }}.", {"hotline": line}),
            }
            for where, html in renders.items():
                assert_inert(html, f"{path.name} as {where}: {line}")
                checked += 1
    assert checked > 5000


def test_every_xss_file_renders_inert_as_a_whole():
    for path in sorted(XSS.iterdir()):
        text = path.read_text(encoding="utf-8")
        assert_inert(render_markdown(text, ORG), path.name)
        assert_inert(render_markdown(text, ORG, inline=True), path.name)


def test_the_svg_payload_renders_inert():
    [svg] = XSS.glob("*.svg")
    text = svg.read_text(encoding="utf-8")
    assert "<script>" in text
    for html in (render_markdown(text), render_markdown(text, inline=True),
                 render_markdown(f"> {text}"), render_markdown(f"```\n{text}\n```")):
        assert_inert(html, svg.name)
        assert "<svg" not in html and "<script" not in html


def test_xss_payloads_through_the_quiz_parser_render_inert():
    """A payload as a quiz's title, prompt, option, feedback and explanation, parsed like a real
    quiz file and rendered the way the quiz pages render each part."""
    from quizzes.parser import parse_quiz

    for path in corpus_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            text = (f"## Title {{#q1}}\n\n{line}\n\n- [x] {line}\n  > {line}\n- [ ] B\n\n"
                    f"> [!EXPLANATION]\n> {line}\n")
            spec, _ = parse_quiz("xss/quiz.md", text)
            for question in spec.questions:
                parts = [render_markdown(question.prompt), render_markdown(question.explanation)]
                for option in question.options:
                    parts += [render_markdown(option.text, inline=True),
                              render_markdown(option.feedback)]
                for html in parts:
                    assert_inert(html, f"{path.name}: {line}")

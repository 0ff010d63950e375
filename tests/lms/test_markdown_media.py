"""Images in Markdown: shown only from the app's media store (``/media/<sha256>.<ext>``); any
other address, however it is written, shows the alt text and loads nothing."""

from __future__ import annotations

import re

import pytest

from lms.markdown import foreign_images, is_media_src, render_markdown, sanitize_html

DIGEST = "0123456789abcdef" * 4


@pytest.mark.parametrize("ext", ["png", "jpg", "gif", "webp"])
def test_media_store_images_are_shown(ext):
    html = render_markdown(f'![A chart](/media/{DIGEST}.{ext} "Sales")')
    assert html == f'<p><img src="/media/{DIGEST}.{ext}" alt="A chart" title="Sales"></p>\n'


@pytest.mark.parametrize("src", [
    "https://tracker.example/pixel.png",
    "http://intranet/logo.png",
    "//evil.example/media/" + DIGEST + ".png",
    "/media/" + DIGEST + ".svg",
    "/media/" + DIGEST + ".png?track=1",
    "/media/" + DIGEST + ".png#x",
    "/media/" + DIGEST.upper() + ".png",
    "/media/" + DIGEST[:-1] + ".png",
    "/media/../static/" + DIGEST + ".png",
    "/static/app.css",
    "media/" + DIGEST + ".png",
    "data:image/png;base64,iVBORw0KGgo=",
    "javascript:alert(1)",
    "<https://evil.example/a.png>",
])
def test_other_image_addresses_show_the_alt_text_only(src):
    html = render_markdown(f"Before ![Alt text]({src}) after")
    assert "<img" not in html
    assert "Alt text" in html
    assert "evil.example" not in html and "tracker" not in html


def test_reference_style_and_linked_images_follow_the_same_rule():
    html = render_markdown(f"![ok][a] ![no][b]\n\n[a]: /media/{DIGEST}.png\n"
                           "[b]: https://evil.example/x.png\n")
    assert html.count("<img") == 1 and "evil.example" not in html
    linked = render_markdown(f"[![Logo](/media/{DIGEST}.gif)](https://example.com)")
    assert f'<a href="https://example.com" rel="noopener noreferrer nofollow"><img src="/media/' \
           f'{DIGEST}.gif" alt="Logo"></a>' in linked


def test_alt_text_cannot_break_out_of_its_attribute():
    html = render_markdown(f'![x" onerror="alert(1)](/media/{DIGEST}.png)')
    assert re.fullmatch(r'<p><img src="[^"]+" alt="x&quot; onerror=&quot;alert\(1\)"></p>\n',
                        str(html))


def test_the_sanitiser_drops_any_other_image_source_too():
    # Markdown never produces these (raw HTML is escaped); the sanitiser is the second line.
    assert sanitize_html('<img src="https://evil.example/x.png" alt="a">') == '<img alt="a">'
    assert sanitize_html(f'<img src="/media/{DIGEST}.png" onerror="x()">') == \
        f'<img src="/media/{DIGEST}.png">'
    assert sanitize_html('<a href="/media/x" title="t">a</a>').startswith('<a href="/media/x"')


def test_is_media_src():
    assert is_media_src(f"/media/{DIGEST}.webp")
    assert not is_media_src(f"/media/{DIGEST}.webp\n")
    assert not is_media_src(f" /media/{DIGEST}.webp")


def test_images_from_elsewhere_are_found_with_their_line():
    text = (f"# T\n\nsome text\nmore ![a](https://x.example/a.png) and\n\n- [x] ![b](b.png)\n\n"
            f"![ok](/media/{DIGEST}.png)\n")
    assert foreign_images(text) == [(4, "https://x.example/a.png"), (6, "b.png")]

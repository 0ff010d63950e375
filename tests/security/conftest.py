"""Hostile input shared by the security tests: the attack corpora, read in place, and a DOM
check that tells markup a payload smuggled in from markup the template wrote."""

from __future__ import annotations

import socket
import threading
from html.parser import HTMLParser

import pytest

from tests.conftest import SHARED

CORPORA = SHARED / "corpora"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "srcset", "lowsrc", "dynsrc", "codebase", "cite"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:image/svg", "livescript:")


def _lines(folder: str) -> list[str]:
    found: list[str] = []
    for path in sorted((CORPORA / folder).glob("*")):
        if path.name.startswith("LICENSE"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("# from") and line not in found:
                found.append(line)
    return found


XSS = _lines("xss")
SQLI = _lines("sqli")


def sample(words: list[str], count: int) -> list[str]:
    """An even spread over the corpus (each source file contributes), deterministic."""
    if len(words) <= count:
        return list(words)
    step = len(words) / count
    return [words[int(i * step)] for i in range(count)]


class Dom(HTMLParser):
    """Every element, attribute name and URL-bearing attribute value of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in URL_ATTRIBUTES:
                self.urls.append(value or "")

    handle_startendtag = handle_starttag


def dom(html: str) -> Dom:
    parser = Dom()
    parser.feed(html)
    parser.close()
    return parser


def _scheme(url: str) -> str:
    # Browsers drop control characters and whitespace inside a scheme ("java\tscript:").
    return "".join(ch for ch in url if ch > " ").lower()


def assert_inert(html: str, where: str, baseline: Dom | None = None) -> None:
    """No script element, no event-handler attribute and no script URL anywhere in the page;
    with a baseline (the same page with harmless text), no element or attribute the template
    does not write itself."""
    found = dom(html)
    assert "script" not in found.tags, where
    handlers = {a for a in found.attributes if a.startswith("on")}
    assert not handlers, (where, handlers)
    bad = [u for u in found.urls if _scheme(u).startswith(BAD_SCHEMES)]
    assert not bad, (where, bad)
    if baseline is not None:
        assert found.tags <= baseline.tags, (where, found.tags - baseline.tags)
        assert found.attributes <= baseline.attributes, \
            (where, found.attributes - baseline.attributes)


class Listener:
    """A TCP listener on loopback that records every connection (it should see none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(2048) or b"(connected)")
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n")
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def hostile_references(url: str) -> list[str]:
    """Markup and CSS that would make a careless renderer fetch ``url`` or a local file."""
    return [
        "file:///etc/passwd",
        url,
        f'<img src="{url}img">',
        '<img src="file:///etc/passwd">',
        f"<style>body{{background:url('{url}css')}}</style>",
        f'<span style="background-image:url({url}inline)">x</span>',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<link rel="stylesheet" href="{url}sheet.css">',
        f'<object data="{url}object"></object><iframe src="{url}frame"></iframe>',
        f'<svg><image href="{url}svg"/><image xlink:href="file:///etc/passwd"/></svg>',
        f"@import url({url}import.css);",
    ]

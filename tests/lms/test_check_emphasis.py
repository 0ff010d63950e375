"""The content checker warns where bold or italic markers would show as text, the classic
trap of Chinese punctuation inside the closing marker."""

from lms.catalog.check import stray_emphasis
from lms.markdown import render_markdown

TRAPPED = "**如果有人骚扰你，绝不是你的错。**责任只在实施者一方。"
FIXED = "**如果有人骚扰你，绝不是你的错**。责任只在实施者一方。"


def test_the_trap_is_real_and_warned_about_with_its_line():
    assert "**" in str(render_markdown(TRAPPED, {}))
    assert "<strong>" in str(render_markdown(FIXED, {}))
    found = stray_emphasis("m.zh-Hans.md", f"# 标题\n\n{TRAPPED}\n", first_line=4)
    assert [(p.line, p.severity) for p in found] == [(6, "warning")]
    assert "(**…**。)" in found[0].message


def test_bold_code_and_fixed_text_are_quiet():
    text = f"# Title\n\n{FIXED}\n\n`**literal**` in code, and **bold** and __also bold__.\n"
    assert stray_emphasis("m.md", text) == []

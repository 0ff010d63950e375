"""The linter: `content check` and `content render`."""

import shutil
from pathlib import Path

from lms.catalog.check import check_paths, raw_html, render_file
from lms.demo.data import ORG_SETTINGS

CONTENT = Path(__file__).resolve().parents[2] / "courses" / "content"


def test_the_shipped_catalog_is_clean():
    problems = check_paths([CONTENT])
    assert [str(p) for p in problems if p.severity == "error"] == []


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "code-of-conduct"
    shutil.copytree(CONTENT / "code-of-conduct", folder)
    return folder


def test_errors_name_file_line_and_column(tmp_path):
    folder = _copy(tmp_path)
    quiz = folder / "quiz.md"
    lines = quiz.read_text().split("\n")
    first_wrong = next(i for i, line in enumerate(lines) if line.startswith("- [ ]"))
    lines[first_wrong] = lines[first_wrong].replace("- [ ]", "- [x]", 1)
    quiz.write_text("\n".join(lines))
    module = folder / "01-our-code.md"
    module.write_text(module.read_text() + "\n\nCall {{ org.hotlne }} now.\n")
    problems = [str(p) for p in check_paths([folder])]
    assert any(p.startswith("code-of-conduct/quiz.md:") and "exactly one [x]" in p
               for p in problems)
    line = module.read_text().split("\n").index("Call {{ org.hotlne }} now.") + 1
    assert f"code-of-conduct/01-our-code.md:{line}:6: error: unknown setting" in "\n".join(
        problems)


def test_a_single_file_is_checked_with_its_course(tmp_path):
    folder = _copy(tmp_path)
    module = folder / "02-conflicts-of-interest.md"
    module.write_text(module.read_text() + "\n<script>alert(1)</script>\n")
    problems = check_paths([module])
    assert problems and all(p.path == "code-of-conduct/02-conflicts-of-interest.md"
                            for p in problems)
    assert any("raw HTML" in p.message and p.severity == "warning" for p in problems)


def test_a_standalone_quiz_file(tmp_path):
    quiz = tmp_path / "imported.md"
    quiz.write_text("## Q {#q}\n\nWhy?\n\n- [x] A\n- [x] B\n")
    messages = [p.message for p in check_paths([quiz])]
    assert any("exactly one [x]" in m for m in messages)


def test_raw_html_positions():
    problems = raw_html("m.md", "# T\n\nText\n\n<div onclick=x>hi</div>\n\nand <b>bold</b>\n")
    assert [p.line for p in problems] == [5, 7]


def test_render_shows_what_learners_see_without_the_key():
    html = render_file(CONTENT / "code-of-conduct" / "quiz.md", ORG_SETTINGS)
    assert "<h2>" in html and "<li>" in html
    assert "[x]" not in html and "<li " not in html  # no marker, no attribute on any option
    module = render_file(CONTENT / "code-of-conduct" / "06-speaking-up.md", ORG_SETTINGS)
    assert ORG_SETTINGS["hotline"] in module and "{{" not in module


def test_check_command_exit_status_and_format(runner, tmp_path):
    clean = runner.invoke(args=["content", "check", str(CONTENT)])
    assert clean.exit_code == 0, clean.output
    folder = _copy(tmp_path)
    (folder / "quiz.md").write_text("## No id\n\n- [x] A\n")
    broken = runner.invoke(args=["content", "check", str(folder)])
    assert broken.exit_code == 1
    assert "code-of-conduct/quiz.md:1:1: error: question has no id" in broken.output


def test_render_command(runner, catalog):
    result = runner.invoke(args=["content", "render",
                                 str(CONTENT / "code-of-conduct" / "06-speaking-up.md")])
    assert result.exit_code == 0
    assert ORG_SETTINGS["report_email"] in result.output and "<script" not in result.output

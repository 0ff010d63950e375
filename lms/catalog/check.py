"""``content check`` and ``content render``: the checks a sync, save or publish runs, on any
files or folders, and the HTML a learner would see."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import escape

from courses.loader import MODULE_FILE, QUIZ_FILE, TRANSLATION_FILE
from lms.catalog.services import check_course
from lms.content import Problem
from lms.errors import lazy_gettext as _l
from lms.frontmatter import normalise_newlines, split_front_matter
from lms.markdown import render_markdown
from quizzes.parser import parse_quiz

_html_finder = MarkdownIt("commonmark", {"html": True})


def raw_html(path: str, text: str, first_line: int = 1) -> list[Problem]:
    """Raw HTML in Markdown is shown to learners as text, never run: warn the author."""
    problems = []
    for token in _html_finder.parse(text):
        found = token.type == "html_block" or any(
            child.type == "html_inline" for child in token.children or [])
        if found and token.map:
            problems.append(Problem(path, first_line + token.map[0], 1,
                                    _l("raw HTML is not allowed and is shown as text; use "
                                       "Markdown"), "warning"))
    return problems


def stray_emphasis(path: str, text: str, first_line: int = 1) -> list[Problem]:
    """``**`` or ``__`` that Markdown did not take as emphasis is shown to learners as is. In
    Chinese text this happens when full-width punctuation sits inside the closing marker and a
    character follows (``**不是你的错。**责任``): CommonMark only closes emphasis there if the
    punctuation is outside (``**不是你的错**。``)."""
    problems = []
    for token in _html_finder.parse(text):
        if token.type != "inline" or not token.map:
            continue
        for child in token.children or []:
            if child.type == "text" and ("**" in child.content or "__" in child.content):
                problems.append(Problem(
                    path, first_line + token.map[0], 1,
                    _l("the ** or __ here would show as text, not as bold; in Chinese text put "
                       "the punctuation outside the markers (**…**。)"), "warning"))
                break
    return problems


def _course_root(path: Path) -> Path | None:
    for folder in (path, *path.parents):
        if (folder / "course.md").is_file():
            return folder
    return None


def _course_problems(folder: Path) -> list[Problem]:
    _, _, problems = check_course(folder)
    for name in sorted(p.name for p in folder.iterdir() if p.suffix == ".md"):
        if name == "course.md" or MODULE_FILE.match(name) or QUIZ_FILE.match(name) \
                or TRANSLATION_FILE.match(name):
            text = normalise_newlines((folder / name).read_bytes().decode("utf-8", "replace"))
            _, body, offset, _ = split_front_matter(name, text)
            problems.extend(raw_html(f"{folder.name}/{name}", body, offset))
            problems.extend(stray_emphasis(f"{folder.name}/{name}", body, offset))
    return problems


def check_paths(paths: list[Path]) -> list[Problem]:
    """Every problem in the given files or folders. A file inside a course folder is checked
    with its course (translations are compared with their sources) and reported alone; a quiz
    file on its own is checked as a quiz."""
    problems: list[Problem] = []
    done: set[Path] = set()
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            folders = [path] if (path / "course.md").is_file() else sorted(
                p for p in path.iterdir() if p.is_dir() and (p / "course.md").is_file())
            if not folders:
                problems.append(Problem(str(path), 1, 1, "no course folders here (a course "
                                                         "folder holds course.md)"))
            for folder in folders:
                if folder not in done:
                    done.add(folder)
                    problems.extend(_course_problems(folder))
            continue
        root = _course_root(path.parent)
        if root is not None:
            shown = f"{root.name}/{path.relative_to(root).as_posix()}"
            problems.extend(p for p in _course_problems(root) if p.path == shown)
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 1, 1, "file is not UTF-8 text"))
            continue
        problems.extend(parse_quiz(str(path), text)[1])
        problems.extend(raw_html(str(path), text))
        problems.extend(stray_emphasis(str(path), text))
    return problems


def render_file(path: Path, org: dict[str, str]) -> str:
    """The sanitised HTML a learner sees for a module, course or quiz file (a quiz without its
    answer key: options as a learner sees them before answering)."""
    text = normalise_newlines(path.read_bytes().decode("utf-8"))
    if QUIZ_FILE.match(path.name) or path.name.startswith("quiz"):
        spec, _ = parse_quiz(str(path), text)
        parts = []
        for question in spec.questions:
            parts.append(f"<h2>{escape(question.title)}</h2>")
            parts.append(str(render_markdown(question.prompt, org)))
            parts.append("<ul>" + "".join(
                f"<li>{render_markdown(option.text, org, inline=True)}</li>"
                for option in question.options) + "</ul>")
        return "\n".join(parts)
    _, body, _, _ = split_front_matter(str(path), text)
    return str(render_markdown(body, org))

"""A draft file rendered for the editor's preview: modules and the course introduction as
learners see them, a quiz with its answer key and feedback (the trainer checks those too).

Every text goes through ``lms.markdown`` (sanitised), so a preview runs nothing an author wrote.
"""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from lms.catalog.authoring import SAFE_NAME
from lms.frontmatter import normalise_newlines, split_front_matter
from quizzes.parser import parse_quiz


def preview_html(name: str, text: str) -> Markup:
    match = SAFE_NAME.fullmatch(name)
    base = match.group("base") if match else ""
    text = normalise_newlines(text)
    if base == "quiz":
        quiz, _ = parse_quiz(name, text)
        return Markup(render_template("content/_preview_quiz.html", quiz=quiz))  # noqa: S704
    meta, body, _, _ = split_front_matter(name, text)
    if base == "course":
        return Markup(render_template(  # noqa: S704 (an autoescaped template)
            "content/_preview_course.html", title=meta.get("title"),
            attestation=meta.get("attestation"), intro=body))
    return Markup(render_template("content/_preview_module.html", body=body))  # noqa: S704

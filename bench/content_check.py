"""Checking N quiz files with the linter, against markdown-it-py merely parsing the same files
(the least any Markdown checker must do)."""

from __future__ import annotations

import random
from pathlib import Path

from markdown_it import MarkdownIt

from bench.harness import Result, compare
from lms.catalog.check import check_paths

CONTENT = Path(__file__).resolve().parent.parent / "courses" / "content"


def make_quiz_files(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """``count`` quiz files made from the shipped quizzes, with ids made unique per file."""
    sources = sorted(CONTENT.glob("*/quiz.md"))
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        text = rng.choice(sources).read_text(encoding="utf-8")
        path = folder / f"quiz-{number:04d}.md"
        path.write_text(text.replace("{#", f"{{#f{number}-"), encoding="utf-8")
        paths.append(path)
    return paths


def run(workdir: Path, count: int = 500, runs: int = 5) -> Result:
    paths = make_quiz_files(workdir / "quizzes", count)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    parser = MarkdownIt("commonmark")

    def ours():
        problems = check_paths(paths)
        errors = [p for p in problems if p.severity == "error"]
        assert not errors, errors[:3]

    def floor():
        for text in texts:
            parser.parse(text)

    return compare(f"content check, {count} quizzes", ours, floor, target_ratio=3.0, runs=runs)

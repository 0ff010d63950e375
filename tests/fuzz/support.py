"""Shared pieces of the fuzz tests: the settings (short and deterministic by default, long on
request), a wall-clock limit per example that also stops a parser stuck in a loop, and the
mutations that turn a real file into a structured-but-broken one.

A longer, randomised run, by hand or in a nightly job::

    LMS_FUZZ_EXAMPLES=20000 .venv/bin/pytest -q tests/fuzz
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from lms.config import PROJECT_ROOT

_LONG = os.environ.get("LMS_FUZZ_EXAMPLES")
# CI: 200 examples per target, the same ones every run (no flaky red); a long run explores.
FUZZ = settings(max_examples=int(_LONG or 200), derandomize=not _LONG, database=None,
                deadline=None, print_blob=True,
                # No shrinking: a hang costs the time limit per attempt, and shrinking one would
                # take many minutes; the failing example is printed (and its blob) as found.
                phases=(Phase.explicit, Phase.reuse, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
# A hang, not a slow example. Long lines of ``[`` once took seconds in markdown-it (GIFT: now
# bounded by bracket counts, see quizzes/gift.py and the work-counting test) and in PyYAML
# before it gives up ("nested too deeply", front matter). Timing-based deadlines would make CI
# flaky on a slow machine, so only this bound.
SECONDS_PER_EXAMPLE = 20

SHARED = PROJECT_ROOT.parent / "shared"
GIFT_FIXTURES = sorted((SHARED / "fixtures" / "gift").rglob("*.gift"))
QUIZZES = sorted((PROJECT_ROOT / "courses" / "content").glob("*/quiz*.md"))
COURSE_FILES = sorted((PROJECT_ROOT / "courses" / "content").glob("*/course.md"))


class Hang(Exception):
    """The code under test ran past its time: a hang, as far as a user is concerned."""


@contextmanager
def time_limit(seconds: float = SECONDS_PER_EXAMPLE) -> Iterator[None]:
    """Interrupts the code under test (SIGALRM) if it runs longer than ``seconds``; hypothesis's
    own deadline only measures an example once it has finished, which a hang never does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum, frame):
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "?"
        raise Hang(f"still running after {seconds} s (at {where})")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# Characters that parsers trip on: line ends of every kind, BOM, NUL and other controls, lone
# surrogates, right-to-left marks, combining marks, CJK and astral-plane characters.
NASTY = ["\r", "\r\n", "\n\n", "\ufeff", "\x00", "\x1b", "\x85", "\u2028", "\u2029", "\ud800",
         "\u202e", "\u0301", "中", "𝔘", "😀", "\t", " ", "\\", "{", "}", "[", "]", "#", "=", "~",
         ":", "---", "%", "&", "<", ">", '"', "'", "`", "|", "*", "-", "$$", "::"]


@st.composite
def mutated(draw, seeds: list[str], fragments: list[str] = ()) -> str:
    """A real file, then a few edits: lines dropped, repeated, swapped or cut short, syntax and
    odd characters put in, a huge line, deep nesting."""
    text = draw(st.sampled_from(seeds))
    lines = text.split("\n")
    pieces = st.one_of(st.sampled_from(NASTY + list(fragments)), st.text(max_size=20))
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines = [""]
        where = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "swap", "cut", "insert", "splice", "huge",
                                     "nest", "truncate"]))
        if kind == "drop":
            del lines[where:where + draw(st.integers(1, 5))]
        elif kind == "repeat":
            lines[where:where] = lines[where:where + draw(st.integers(1, 5))]
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        elif kind == "cut":
            line = lines[where]
            lines[where] = line[:draw(st.integers(0, len(line)))]
        elif kind == "insert":
            lines.insert(where, draw(pieces))
        elif kind == "splice":
            line = lines[where]
            at = draw(st.integers(0, len(line)))
            lines[where] = line[:at] + draw(pieces) + line[at:]
        elif kind == "huge":
            lines.insert(where, draw(st.sampled_from(["x", "{", "[", "#", "=", "é", " "]))
                         * draw(st.sampled_from([5_000, 20_000])))
        elif kind == "nest":
            depth = draw(st.sampled_from([100, 1000, 5000]))
            opener, closer = draw(st.sampled_from([("{", "}"), ("[", "]"), ("> ", ""),
                                                   ("- ", ""), ("<b>", "</b>"), ("(", ")")]))
            lines.insert(where, opener * depth + "x" + closer * draw(st.integers(0, depth)))
        else:  # truncate: the file as a crash or an upload limit might leave it
            lines = lines[:where]
    return "\n".join(lines)


def any_text(seeds: list[str], fragments: list[str] = ()):
    """Mutated real files mostly, and sometimes arbitrary text."""
    return st.one_of(mutated(seeds, fragments), mutated(seeds, fragments),
                     mutated(seeds, fragments), st.text(max_size=2000))


def line_count(text: str) -> int:
    """Lines as the parsers count them: any of \\r\\n, \\r, \\n ends one."""
    return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def check_problems(problems, text: str, path: str) -> None:
    """Every problem is well formed: the file named, a line and column inside the input."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for problem in problems:
        assert problem.path.startswith(path) or problem.path == path, problem
        assert isinstance(problem.line, int) and isinstance(problem.column, int), problem
        assert 1 <= problem.line <= len(lines), (problem, len(lines))
        longest = max(len(line) for line in lines) + 2
        assert 1 <= problem.column <= longest, (problem, longest)
        assert problem.severity in ("error", "warning"), problem
        # A message may be marked for translation (a lazy string): what a reader sees is str().
        assert str(problem.message).strip(), problem

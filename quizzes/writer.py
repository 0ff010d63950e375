"""Write a quiz (``QuizSpec``) as quiz Markdown (docs/authoring.md), the inverse of the parser.

``parse_quiz(path, write_quiz(spec))`` gives ``spec`` back (line numbers aside) for every quiz
the format can hold. What the format can hold is decided by :func:`fit_text`: the parser reads a
prompt, an option, a feedback or a callout line by line, so a text line that looks like the
format's own structure (``## Heading``, ``- [x] option``, ``> [!HINT]``, an unclosed code fence)
would be read as structure. ``fit_text`` changes such a line as little as possible while keeping
what Markdown shows, and leaves every other text alone; the writer applies it to every text, and
importers apply it when they build a quiz, so their quizzes come back from the parser unchanged.

Questions before the first pool are written first, then each pool with its questions: that is
the only order the format has (a pool runs until the next pool).
"""

from __future__ import annotations

import re
from decimal import Decimal

from quizzes.parser import HEADING, OPTION, OptionSpec, PoolSpec, QuestionSpec, QuizSpec

PLACES = ("title", "prompt", "option", "feedback", "callout")
FENCE = ("```", "~~~")
WEIGHT_BRACE = re.compile(r"(\\*)\{(?=\s*weight\b)", re.IGNORECASE)
CALLOUT_TEXT = re.compile(r"^(\s*)(\[!(?:EXPLANATION|HINT)\])", re.IGNORECASE)


def number_text(value: Decimal) -> str:
    """A Decimal as the format writes numbers: plain digits, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_fence(line: str) -> bool:
    return line.lstrip().startswith(FENCE)


def _escape_first(line: str) -> str:
    """Backslash-escape the line's first visible character (a Markdown punctuation mark)."""
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    return f"{indent}\\{stripped}"


def _balance_fences(lines: list[str], first: int = 0) -> list[str]:
    """The parser toggles "inside a code block" at every line that starts with ``` or ~~~; an
    odd number of them would swallow the rest of the file, so the last one is escaped."""
    fences = [i for i, line in enumerate(lines) if i >= first and _is_fence(line)]
    if len(fences) % 2:
        lines = list(lines)
        lines[fences[-1]] = _escape_first(lines[fences[-1]])
    return lines


def _fit_prompt(text: str) -> str:
    lines = _balance_fences(text.strip().split("\n"))
    fitted, in_fence = [], False
    for line in lines:
        if _is_fence(line):
            in_fence = not in_fence
            fitted.append(line)
            continue
        if not in_fence:
            heading = HEADING.match(line)
            if heading and len(heading.group(1)) <= 2:
                # A level-1 or -2 heading would start a pool or a question: keep it a heading.
                line = "###" + line[len(heading.group(1)):]
            elif OPTION.match(line):
                # "- [x] ..." would start the options; "- \[x] ..." shows the same list item.
                line = line.replace("[", "\\[", 1)
        fitted.append(line)
    return "\n".join(fitted)


def _fit_option(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]  # an empty line would end the option's text
    if not lines:
        return ""
    # "{weight=...}" in any line is read as the option's weight: write "{" as an entity
    # (dropping the backslash of an escaped "\{", which the entity replaces).
    lines = [WEIGHT_BRACE.sub(lambda m: m.group(1)[: len(m.group(1)) // 2 * 2] + "&#123;", line)
             for line in lines]
    rest = [_escape_first(line) if line.startswith(">") else line for line in lines[1:]]
    return "\n".join([lines[0], *_balance_fences(rest)])


def _fit_quoted(text: str, strip_all: bool) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if strip_all and lines:
        lines[0] = lines[0].lstrip()
    return "\n".join(CALLOUT_TEXT.sub(r"\1\\\2", line) for line in lines)


def fit_text(text: str, where: str) -> str:
    """``text`` as the quiz format holds it at ``where`` (one of :data:`PLACES`): the parser
    reads back exactly what this returns. A text that already fits comes back unchanged."""
    text = _newlines(text)
    if where == "title":
        return re.sub(r"\s*\n\s*", " ", text).strip()
    if where == "prompt":
        return _fit_prompt(text)
    if where == "option":
        return _fit_option(text)
    if where == "feedback":
        return _fit_quoted(text, strip_all=False)
    if where == "callout":
        return _fit_quoted(text, strip_all=True)
    raise ValueError(f"unknown place {where!r} (use one of {', '.join(PLACES)})")


# -- writing -------------------------------------------------------------------------------------

def _front_matter(spec: QuizSpec) -> list[str]:
    lines = []
    if spec.shuffle_questions is not True:
        lines.append("shuffle_questions: false")
    if spec.shuffle_options is not True:
        lines.append("shuffle_options: false")
    if spec.points_default != 1:
        lines.append(f"points_default: {number_text(spec.points_default)}")
    if spec.pass_mark_percent is not None:
        lines.append(f'pass_mark: "{spec.pass_mark_percent}%"')
    elif spec.pass_mark_points is not None:
        if spec.pass_mark_points != int(spec.pass_mark_points):
            raise ValueError(f"a pass mark in points must be a whole number, got "
                             f"{spec.pass_mark_points}")
        lines.append(f"pass_mark: {int(spec.pass_mark_points)}")
    return ["---", *lines, "---", ""] if lines else []


def _quoted(text: str, indent: str) -> list[str]:
    return [f"{indent}> {line}" if line else f"{indent}>" for line in text.split("\n")]


def _option(option: OptionSpec) -> list[str]:
    text = fit_text(option.text, "option")
    if option.weight is not None:  # at the very end of the option's text
        text += f" {{weight={number_text(option.weight)}%}}"
    first, *rest = text.split("\n")
    mark = "x" if option.correct else " "
    lines = [f"- [{mark}] {first}", *(f"  {line}" for line in rest)]
    feedback = fit_text(option.feedback, "feedback")
    if feedback:
        lines.extend(_quoted(feedback, "  "))
    return lines


def _question(q: QuestionSpec, points_default: Decimal) -> list[str]:
    attrs = [f"#{q.key}"]
    if q.type != "single":
        attrs.append(f"type={q.type}")
    if q.scoring != "all-or-nothing":
        attrs.append(f"scoring={q.scoring}")
    if q.points != points_default:
        attrs.append(f"points={number_text(q.points)}")
    lines = [f"## {fit_text(q.title, 'title')} {{{' '.join(attrs)}}}", ""]
    prompt = fit_text(q.prompt, "prompt")
    if prompt:
        lines.extend([*prompt.split("\n"), ""])
    for option in q.options:
        lines.extend(_option(option))
    for kind, text in (("EXPLANATION", q.explanation), ("HINT", q.hint)):
        text = fit_text(text, "callout")
        if text:
            lines.extend(["", f"> [!{kind}]", *_quoted(text, "")])
    return [*lines, ""]


def _pool(pool: PoolSpec) -> list[str]:
    return [f"# {fit_text(pool.title, 'title')} {{#{pool.key} pick={pool.pick}}}", ""]


def write_quiz(spec: QuizSpec) -> str:
    """The quiz as Markdown; front matter only for settings that differ from the defaults.
    Translations live in their own files (quiz.LOCALE.md) and are not written here."""
    pools = {pool.key for pool in spec.pools}
    for q in spec.questions:
        if q.pool is not None and q.pool not in pools:
            raise ValueError(f"question {q.key!r} is in pool {q.pool!r}, which the quiz does "
                             "not have")
    lines = _front_matter(spec)
    for q in spec.questions:
        if q.pool is None:
            lines.extend(_question(q, spec.points_default))
    for pool in spec.pools:
        lines.extend(_pool(pool))
        for q in spec.questions:
            if q.pool == pool.key:
                lines.extend(_question(q, spec.points_default))
    return "\n".join(lines).rstrip("\n") + "\n"


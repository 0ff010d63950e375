"""YAML front matter at the top of a Markdown file, read strictly.

YAML turns ``no`` into false and ``2025.10`` into 2025.1; callers validate every value's type
against their schema, so such surprises are reported instead of loaded. Every key remembers the
line it is on (``FrontMatter.line``), a key given twice is an error (YAML would silently keep the
last one), and nothing an author can type makes the reader raise: invalid dates, bad tags and
absurd nesting all come back as problems with a line number.
"""

from __future__ import annotations

import yaml

from lms.content import Problem

BOM = "\ufeff"


class FrontMatter(dict):
    """The front matter's keys and values, plus the line each key is on."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[object, int] = {}

    def line(self, key: object, default: int = 1) -> int:
        return self.lines.get(key, default)


def normalise_newlines(text: str) -> str:
    """One newline convention (``\\n``) and no byte-order mark, as editors show the file."""
    return text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")


def _yaml_problem(path: str, first_line: int, exc: BaseException) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = first_line + mark.line if mark else first_line
    column = mark.column + 1 if mark else 1
    message = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
    return Problem(path, line, column, f"front matter is not valid YAML: {message}")


class _Bad(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: str, first_line: int,
               hashable: bool = False) -> object:
    try:
        value = loader.construct_object(node, deep=True)
        if hashable:
            hash(value)
    except yaml.YAMLError as exc:
        raise _Bad(_yaml_problem(path, first_line, exc))
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. ``date: 2025-13-45`` or ``n: !!int x``: YAML's own constructors raise these.
        where = node.start_mark
        raise _Bad(Problem(path, first_line + where.line, where.column + 1,
                           f"front matter is not valid YAML: {exc}"))
    return value


def _load_mapping(path: str, raw: str, first_line: int) -> tuple[FrontMatter, list[Problem]]:
    """Read ``raw`` (the lines between the ``---``) key by key, so that a bad value is reported
    on its own line and the other keys are still read."""
    data, problems = FrontMatter(), []
    loader = yaml.SafeLoader(raw)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            return data, [_yaml_problem(path, first_line, exc)]
        except RecursionError:
            return data, [Problem(path, first_line, 1,
                                  "front matter is not valid YAML: nested too deeply")]
        if node is None:
            return data, []
        if not isinstance(node, yaml.MappingNode):
            return data, [Problem(path, first_line + node.start_mark.line, 1,
                                  "front matter must be a list of `key: value` lines")]
        for key_node, value_node in node.value:
            line = first_line + key_node.start_mark.line
            try:
                key = _construct(loader, key_node, path, first_line, hashable=True)
                value = _construct(loader, value_node, path, first_line)
            except _Bad as bad:
                problems.append(bad.problem)
                continue
            if key in data:
                problems.append(Problem(path, line, 1, f"front matter key {key!r} is given twice "
                                                       f"(first on line {data.line(key)})"))
                continue
            data[key] = value
            data.lines[key] = line
    finally:
        loader.dispose()
    return data, problems


def split_front_matter(path: str, text: str) -> tuple[FrontMatter, str, int, list[Problem]]:
    """Return (front matter, body, line number where the body starts, problems).

    Lines are counted in ``text`` as given, after a leading byte-order mark is dropped."""
    text = text.removeprefix(BOM)
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return FrontMatter(), text, 1, []
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            raw = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            data, problems = _load_mapping(path, raw, first_line=2)
            return data, body, index + 2, problems
    return FrontMatter(), text, 1, [Problem(path, 1, 1, "front matter starts with --- but never "
                                                        "ends (add a line with --- after it)")]


def key_line(text: str, key: str) -> int:
    """The line a front-matter key is on, for error messages (1 if not found). Prefer
    ``FrontMatter.line``, which knows it exactly."""
    lines = text.removeprefix(BOM).split("\n")
    if not lines or lines[0].strip() != "---":
        return 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        name = line.split(":", 1)[0].strip().strip("\"'")
        if ":" in line and name == str(key):
            return number
    return 1

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
from lms.errors import lazy_gettext as _l

BOM = "\ufeff"
# PyYAML's scanner is quadratic in the depth of [ ] and { } nesting (a few hundred levels of
# ``[`` take seconds before it gives up); no front matter needs more than a handful.
MAX_FLOW_DEPTH = 50


def _too_deep(raw: str) -> int | None:
    """Where flow nesting first passes MAX_FLOW_DEPTH, counting brackets outside quotes."""
    depth, quote = 0, None
    for index, char in enumerate(raw):
        if quote:
            if char == quote or char == "\n":
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return index
        elif char in "]}" and depth:
            depth -= 1
    return None


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


class _MappingReader:
    """Reads ``raw`` (the lines between the ``---``) key by key, so that a bad value is reported
    on its own line and the other keys are still read.

    Positions come from character offsets, not from YAML's own line count: YAML also breaks
    lines at U+0085, U+2028 and U+2029, which editors (and this module) do not."""

    def __init__(self, path: str, raw: str, first_line: int):
        self.path, self.raw, self.first_line = path, raw, first_line

    def problem(self, index: int | None, message: str) -> Problem:
        if index is None:
            return Problem(self.path, self.first_line, 1, _l(
                "front matter is not valid YAML: %(reason)s", reason=message))
        index = max(0, min(index, len(self.raw)))
        line = self.first_line + self.raw.count("\n", 0, index)
        column = index - (self.raw.rfind("\n", 0, index) + 1) + 1
        return Problem(self.path, line, column, _l("front matter is not valid YAML: %(reason)s",
                                                   reason=message))

    def yaml_problem(self, exc: yaml.YAMLError) -> Problem:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        return self.problem(mark.index if mark else None, message)

    def construct(self, loader: yaml.SafeLoader, node: yaml.Node,
                  hashable: bool = False) -> tuple[object, Problem | None]:
        try:
            value = loader.construct_object(node, deep=True)
            if hashable:
                hash(value)
        except yaml.YAMLError as exc:
            return None, self.yaml_problem(exc)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # e.g. ``date: 2025-13-45`` or ``n: !!int x``: YAML's constructors raise these.
            return None, self.problem(node.start_mark.index, str(exc))
        return value, None

    def read(self) -> tuple[FrontMatter, list[Problem]]:
        data, problems = FrontMatter(), []
        deep = _too_deep(self.raw)
        if deep is not None:
            return data, [self.problem(deep, _l("nested too deeply"))]
        try:
            loader = yaml.SafeLoader(self.raw)  # refuses control characters straight away
        except yaml.reader.ReaderError as exc:
            return data, [self.problem(exc.position, _l(
                "character %(code)s is not allowed", code=f"#x{exc.character:04x}"))]
        try:
            try:
                node = loader.get_single_node()
            except yaml.YAMLError as exc:
                return data, [self.yaml_problem(exc)]
            except RecursionError:
                return data, [self.problem(None, _l("nested too deeply"))]
            if node is None:
                return data, []
            if not isinstance(node, yaml.MappingNode):
                where = self.problem(node.start_mark.index, "")
                return data, [Problem(self.path, where.line, 1,
                                      _l("front matter must be a list of `key: value` lines"))]
            for key_node, value_node in node.value:
                line = self.problem(key_node.start_mark.index, "").line
                key, problem = self.construct(loader, key_node, hashable=True)
                if problem is None:
                    value, problem = self.construct(loader, value_node)
                if problem is not None:
                    problems.append(problem)
                elif key in data:
                    problems.append(Problem(self.path, line, 1, _l(
                        "front matter key %(key)s is given twice (first on line %(line)s)",
                        key=repr(key), line=data.line(key))))
                else:
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
            data, problems = _MappingReader(path, raw, first_line=2).read()
            return data, body, index + 2, problems
    return FrontMatter(), text, 1, [Problem(path, 1, 1, _l(
        "front matter starts with --- but never ends (add a line with --- after it)"))]


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

"""Messages that Python code shows to people are marked for translation, read from the source
(AST), as test_marked.py does for templates:

- ``flash()`` is given a translated string: ``_()``/``gettext()``/``ngettext()``/``pgettext()``,
  or ``str()`` of a ``UserError`` (``lms/errors.py``) caught by ``except``, or of a parameter
  typed as one or as a ``LazyString``. (Not a lazy string itself: the session would store it
  as Markup, unescaped.)
- A ``UserError`` subclass (a service's refusal shown to the person who asked) is built with a
  message holding no literal text outside ``_l()``/``lazy_gettext()``/``lazy_ngettext()`` (or
  the eager functions): ``str(error)`` then reads in the reader's language.
- Form errors (``errors[field] = ...``, ``field.errors = [...]``, ``errors.append(...)``) hold
  no literal text outside those functions either.
"""

from __future__ import annotations

import ast
import re

import pytest

from lms.config import PROJECT_ROOT
from tests.i18n.conftest import pending

PACKAGES = ("lms", "courses", "quizzes", "certificates")
EAGER = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
LAZY = {"_l", "lazy_gettext", "lazy_ngettext", "lazy_pgettext"}
BASE = "UserError"


def _sources() -> dict[str, ast.Module]:
    trees = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if "/node_modules/" in relative or "/content/" in relative:
                continue
            trees[relative] = ast.parse(path.read_text(encoding="utf-8"), relative)
    return trees


def _name(node: ast.AST) -> str | None:
    """The last part of a dotted name: ``SignInError`` for ``oidc.SignInError``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def user_errors(trees) -> set[str]:
    """Names of the classes deriving, at any depth, from UserError."""
    found = {BASE}
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in found and any(_name(b) in found for b in node.bases):
                found.add(node.name)
                grew = True
    return found


def _literal_text(node: ast.AST) -> str | None:
    """Text written out in ``node`` outside a translation call (dict keys are field names)."""
    if isinstance(node, ast.Call) and _name(node.func) in EAGER | LAZY:
        return None
    if isinstance(node, ast.Compare | ast.Subscript):
        return None  # a test or a look-up, not text shown
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if re.search(r"[^\W\d_]{2}", node.value) else None
    if isinstance(node, ast.Dict):
        children = node.values
    elif isinstance(node, ast.Call):
        # str(x), repr(x), ", ".join(...): only values, not the text of a message
        return None
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        text = _literal_text(child)
        if text:
            return text
    return None


def _bound_errors(function: ast.AST, errors: set[str]) -> set[str]:
    """Names that hold a UserError (or lazy string) in a function: ``except X as name`` with
    every X a UserError, and parameters annotated with one or with LazyString."""
    names = set()
    for node in _own_nodes(function):
        if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if all(_name(t) in errors for t in types):
                names.add(node.name)
    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        for arg in function.args.args + function.args.kwonlyargs:
            annotation = arg.annotation
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                annotation = ast.parse(annotation.value, mode="eval").body
            if annotation is not None and _name(annotation) in errors | {"LazyString"}:
                names.add(arg.arg)
    return names


def _flash_ok(node: ast.AST, bound: set[str]) -> bool:
    if isinstance(node, ast.IfExp):
        return _flash_ok(node.body, bound) and _flash_ok(node.orelse, bound)
    if not isinstance(node, ast.Call):
        return False
    if _name(node.func) in EAGER:
        return True
    return (_name(node.func) == "str" and len(node.args) == 1
            and isinstance(node.args[0], ast.Name) and node.args[0].id in bound)


def _functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _own_nodes(function: ast.AST):
    """The nodes of a function's body, without those of the functions defined inside it."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node)
                     if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                       | ast.Lambda))


def _is_errors_target(target: ast.AST) -> bool:
    """``errors[...]``, ``x.errors[...]`` or ``x.errors``."""
    if isinstance(target, ast.Subscript):
        target = target.value
    return _name(target) == "errors"


def problems(trees: dict[str, ast.Module]) -> list[str]:
    errors = user_errors(trees.values())
    found = []
    for path, tree in trees.items():
        error_classes = {node.name: node for node in ast.walk(tree)
                         if isinstance(node, ast.ClassDef) and node.name in errors}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call | ast.Assign):
                continue
            where = f"{path}:{node.lineno}"
            if isinstance(node, ast.Assign):
                if any(_is_errors_target(t) for t in node.targets):
                    text = _literal_text(node.value)
                    if text:
                        found.append(f"{where}: form error not marked: {text!r}")
                continue
            called = _name(node.func)
            is_super = (isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                        and isinstance(node.func.value, ast.Call)
                        and _name(node.func.value.func) == "super")
            if (called in errors or (is_super and _inside(node, error_classes))) and node.args:
                text = _literal_text(node.args[0])
                if text:
                    found.append(f"{where}: {called} message not marked: {text!r}")
            elif (called == "append" and isinstance(node.func, ast.Attribute)
                  and _is_errors_target(node.func.value) and node.args):
                text = _literal_text(node.args[0])
                if text:
                    found.append(f"{where}: form error not marked: {text!r}")
        for function in _functions(tree):
            bound = _bound_errors(function, errors)
            for node in _own_nodes(function):
                if (isinstance(node, ast.Call) and _name(node.func) == "flash" and node.args
                        and not _flash_ok(node.args[0], bound)):
                    found.append(f"{path}:{node.lineno}: flash() of an unmarked message: "
                                 f"{ast.unparse(node.args[0])[:80]}")
    return sorted(set(found))


def _inside(call: ast.Call, classes: dict[str, ast.ClassDef]) -> bool:
    return any(call in set(ast.walk(node)) for node in classes.values())


def test_the_scanner_finds_unmarked_messages_and_passes_marked_ones():
    source = '''
class UserError(Exception): ...
class BookingError(UserError, ValueError): ...
class Refused(BookingError):
    def __init__(self, n):
        super().__init__(f"{n} problems")
def service(x):
    raise BookingError(_l("No such class."))
    raise BookingError(_l("Cannot book: %(why)s.", why=x))
    raise BookingError("Sign-up has closed.")
    raise BookingError(f"Cannot book: {x}.")
    raise ValueError("not for people")
    errors["day"] = "Enter the date."
    errors["day"] = _l("Enter the date.")
    raise BookingError({"form": "A literal."})
def view(slug, done: LazyString):
    try:
        service(slug)
    except BookingError as exc:
        flash(str(exc), "error")
    except ValueError as other:
        flash(str(other), "error")
    flash(_("Saved %(name)s.", name=slug), "success")
    flash(f"Saved {slug}.", "success")
    flash(str(done), "success")
    flash(_l("Lazy."), "success")
    form.name.errors = ["Enter a name."]
    form.name.errors.append(_("Enter a name."))
'''
    found = problems({"x.py": ast.parse(source)})
    lines = sorted(int(p.split(":")[1]) for p in found)
    assert lines == [6, 10, 11, 13, 15, 22, 24, 26, 27], found


def test_user_facing_python_messages_are_marked_for_translation():
    trees = {path: tree for path, tree in _sources().items() if not pending(path)}
    found = problems(trees)
    assert not found, "messages not marked for translation (docs/translating.md):\n  " + (
        "\n  ".join(found))


@pytest.mark.parametrize("locale, expected", [
    ("en", "Cannot book: booked for another class at the same time."),
    ("zh_Hans", "无法预约：同一时间已预约另一期课堂。"),
])
def test_a_service_error_reads_in_the_readers_language(app, locale, expected):
    """A service raises once; the message is translated when read, in the request's language
    (and in English outside a request, as the CLI shows it)."""
    from flask_babel import force_locale

    from lms.classroom.services import _CLASH_MESSAGES, SAME_TIME, BookingError

    error = BookingError(_CLASH_MESSAGES[SAME_TIME])
    with app.test_request_context(), force_locale(locale):
        assert str(error) == expected
    assert str(error) == "Cannot book: booked for another class at the same time."


def test_the_service_errors_people_see_are_user_errors():
    names = user_errors(_sources().values())
    for expected in ("BookingError", "ClassFormError", "WaiverError", "LeaveError",
                     "CourseRuleError", "AuthoringError", "StaleDraft", "PublishRefused",
                     "SignInError", "TokenError", "ImportFileError", "AssignmentError",
                     "MediaError", "FollowUpError"):
        assert expected in names, expected


def test_content_problems_read_in_the_trainers_language(app):
    """The linter's file:line:column messages: Chinese in a Chinese trainer's editor, English on
    the command line (``flask content check``), from the same Problem."""
    from flask_babel import force_locale

    from quizzes.parser import parse_quiz

    _quiz, problems = parse_quiz("demo/quiz.md", "## Which one? {#q1}\n\n- [x] A\n- [x] B\n")
    [problem] = [p for p in problems if p.severity == "error"]
    assert str(problem) == ("demo/quiz.md:4:1: error: question 'q1': a single-choice question "
                            "needs exactly one [x] option, found 2")
    with app.test_request_context(), force_locale("zh_Hans"):
        assert str(problem.message) == "题目 'q1'：单选题必须恰好有一个 [x] 选项，实际有 2 个"

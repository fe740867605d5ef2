"""Typed tasks: a description plus zero or more assert tests, validated up front.

Each top-level statement of a tests text is one test, so a tests file and repeated
``--test`` flags mean the same thing. The entry point is the first non-builtin
function the tests call, which is what name harmonization renames candidates to.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
from collections.abc import Iterable, Sequence

from lsc_tui.errors import TaskError
from lsc_tui.tasks.model import Task

_BUILTIN_NAMES = frozenset(dir(builtins))
_SNIPPET_CHARS = 60


def _snippet(text: str) -> str:
    """A short one-line excerpt of ``text`` for error messages."""
    line = " ".join(text.split())
    return line if len(line) <= _SNIPPET_CHARS else line[: _SNIPPET_CHARS - 3] + "..."


def parse_tests(text: str) -> tuple[str, ...]:
    """Split ``text`` into its top-level statements, one test each.

    Raises TaskError naming the line when ``text`` is not valid Python.
    """
    if not text.strip():
        return ()
    try:
        module = ast.parse(text)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        bad_line = (exc.text or "").strip() or _snippet(text)
        raise TaskError(
            f"test {_snippet(bad_line)!r} is not valid Python ({exc.msg}, {where}); "
            "fix the test"
        ) from None
    tests: list[str] = []
    for node in module.body:
        segment = ast.get_source_segment(text, node)
        if segment is None:  # pragma: no cover - ast always has positions here
            segment = ast.unparse(node)
        tests.append(segment.strip())
    return tuple(tests)


def _called_names(node: ast.AST) -> Iterable[str]:
    """Names of plain-name calls under ``node``, in source order."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        yield node.func.id
    for child in ast.iter_child_nodes(node):
        yield from _called_names(child)


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the tests themselves define (imports, assignments, defs)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    return bound


def infer_entry_point(tests: Sequence[str], setup_code: str = "") -> str | None:
    """The first function the tests call that is not a builtin or defined by them."""
    trees = [ast.parse(test) for test in tests]
    defined: set[str] = set()
    for tree in trees:
        defined |= _bound_names(tree)
    if setup_code.strip():
        with contextlib.suppress(SyntaxError):
            defined |= _bound_names(ast.parse(setup_code))
    for tree in trees:
        for name in _called_names(tree):
            if name not in _BUILTIN_NAMES and name not in defined:
                return name
    return None


def _task_id(description: str, tests: Sequence[str]) -> str:
    """A stable id from the description and tests, so re-runs group together."""
    digest = hashlib.sha256("\n".join([description, *tests]).encode("utf-8"))
    return f"typed-{digest.hexdigest()[:8]}"


def typed_task(
    description: str, tests: Sequence[str] = (), *, setup_code: str = ""
) -> Task:
    """Build a Task from a description and assert tests typed by a user.

    Each element of ``tests`` may hold several statements (a whole tests file); they
    are split into one test per top-level statement. Invalid Python raises TaskError.
    """
    if isinstance(tests, str):
        tests = (tests,)
    description = description.strip()
    if not description:
        raise TaskError("the task description is empty; describe what the code does")
    split: list[str] = []
    for text in tests:
        split.extend(parse_tests(text))
    if setup_code.strip():
        try:
            ast.parse(setup_code)
        except SyntaxError as exc:
            raise TaskError(
                f"the setup code is not valid Python ({exc.msg}, line {exc.lineno}); "
                "fix it"
            ) from None
    visible = tuple(split)
    return Task(
        task_id=_task_id(description, visible),
        description=description,
        visible_tests=visible,
        entry_point=infer_entry_point(visible, setup_code),
        setup_code=setup_code,
        source="typed",
        hidden=None,
    )

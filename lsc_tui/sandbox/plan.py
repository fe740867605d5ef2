"""Turning test statements into what runs in the sandbox and what the parent judges.

Each assert is parsed in the parent (parsed only, never executed). Every call to
the entry point in it becomes a placeholder; the sandbox only evaluates those
calls (by name with literal arguments sent as data when it can) and returns plain
values, and the parent evaluates the rest of the assert with :mod:`judge`. A test
that does not fit (a statement that is not an assert, a lambda, a call to another
name) runs whole inside the sandbox and is marked ``weak``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lsc_tui.sandbox import judge, wire

PLACEHOLDER = "__lsc_value_{}"


@dataclass(frozen=True, slots=True)
class TestPlan:
    """How one test statement is run and judged."""

    source: str
    ops: tuple[dict[str, Any], ...]
    """What the sandbox runs for this test (each op returns one record)."""
    expression: ast.expr | None
    """The assert's condition with placeholders, judged in the parent; None when
    the whole statement runs in the sandbox."""
    weak: bool


def split_tests(text: str) -> tuple[list[str], list[str]]:
    """Split a tests file into test statements and import lines (raises SyntaxError).

    Imports are not tests: they become a preamble that runs before every test.
    """
    tree = ast.parse(text, "<tests>", "exec")
    tests: list[str] = []
    imports: list[str] = []
    for node in tree.body:
        segment = ast.get_source_segment(text, node) or ast.unparse(node)
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(segment)
        else:
            tests.append(segment)
    return tests, imports


def _called_names(node: ast.AST) -> Iterable[str]:
    """Names called anywhere in ``node``, in source order."""
    calls = [
        n
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        assert isinstance(call.func, ast.Name)
        yield call.func.id


def guess_entry_point(tests: Sequence[str], defined: Sequence[str]) -> str | None:
    """The first name the tests call that the candidate defines, if any."""
    wanted = set(defined)
    for source in tests:
        try:
            tree = ast.parse(source.strip(), "<test>", "exec")
        except SyntaxError:
            continue
        for name in _called_names(tree):
            if name in wanted:
                return name
    return None


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


class _CallExtractor(ast.NodeTransformer):
    """Replaces outermost entry-point calls with placeholder names."""

    def __init__(self, entry_point: str) -> None:
        self.entry_point = entry_point
        self.calls: list[ast.Call] = []

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == self.entry_point:
            self.calls.append(node)
            return ast.copy_location(
                ast.Name(PLACEHOLDER.format(len(self.calls) - 1), ast.Load()), node
            )
        return self.generic_visit(node)


def _call_op(call: ast.Call, entry_point: str) -> tuple[dict[str, Any], bool]:
    """The sandbox op for one entry-point call, and whether its args are literal."""
    if not any(isinstance(a, ast.Starred) for a in call.args) and all(
        k.arg is not None for k in call.keywords
    ):
        literal_args = [_literal(a) for a in call.args]
        literal_kwargs = {k.arg: _literal(k.value) for k in call.keywords if k.arg}
        if all(ok for ok, _ in literal_args) and all(
            ok for ok, _ in literal_kwargs.values()
        ):
            try:
                args = wire.encode([v for _, v in literal_args], strict=True)
                kwargs = wire.encode(
                    {k: v for k, (_, v) in literal_kwargs.items()}, strict=True
                )
            except wire.WireError:
                pass
            else:
                return {
                    "t": "apply",
                    "fn": entry_point,
                    "args": args,
                    "kw": kwargs,
                }, True
    return {"t": "eval", "src": ast.unparse(call)}, False


def plan_test(source: str, entry_point: str | None) -> TestPlan:
    """Decide how ``source`` runs: judged in the parent when it can be, else weak."""
    fallback = TestPlan(source, ({"t": "exec", "src": source.strip()},), None, True)
    if entry_point is None:
        return fallback
    try:
        tree = ast.parse(source.strip(), "<test>", "exec")
    except SyntaxError:
        return fallback
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return fallback
    extractor = _CallExtractor(entry_point)
    condition = extractor.visit(tree.body[0].test)
    if not extractor.calls:
        return fallback
    placeholders = frozenset(PLACEHOLDER.format(i) for i in range(len(extractor.calls)))
    if not judge.is_judgeable(condition, placeholders):
        return fallback
    ops = []
    weak = False
    for call in extractor.calls:
        op, literal = _call_op(call, entry_point)
        ops.append(op)
        weak = weak or not literal
    return TestPlan(source, tuple(ops), condition, weak)


def failure_message(expression: ast.expr, values: dict[str, Any]) -> str:
    """Explain a failed judged assert: expected vs actual for `==`, else the values."""
    if (
        isinstance(expression, ast.Compare)
        and len(expression.ops) == 1
        and isinstance(expression.ops[0], ast.Eq)
    ):
        left, right = expression.left, expression.comparators[0]
        if _mentions_placeholder(right) and not _mentions_placeholder(left):
            left, right = right, left
        try:
            actual = judge.evaluate(left, values)
            expected = judge.evaluate(right, values)
        except Exception:
            pass
        else:
            return f"expected {short_repr(expected)}, got {short_repr(actual)}"
    shown = ", ".join(short_repr(values[k]) for k in sorted(values))
    return f"assertion failed; the call returned {shown}"


def _mentions_placeholder(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id.startswith("__lsc_value_")
        for n in ast.walk(node)
    )


def short_repr(value: Any, limit: int = 200) -> str:
    """A repr cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""The trusted parent's evaluator for the rest of an assert, over a small whitelist.

After the sandbox returns the entry point's values as plain data, the parent
evaluates the assert expression itself: literals, comparisons, boolean logic,
arithmetic with size guards, subscripts, a few built-ins (``set``, ``sorted``,
``len``...), ``math.isclose`` and friends, and a few read-only methods. Anything
else makes :func:`is_judgeable` false and the test runs inside the sandbox instead.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from lsc_tui.sandbox.wire import OpaqueIterator

MAX_SEQUENCE = 10_000_000
"""Largest sequence a `*` in a test may build from candidate data."""

SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        abs,
        all,
        any,
        bool,
        complex,
        dict,
        divmod,
        float,
        frozenset,
        int,
        isinstance,
        len,
        list,
        max,
        min,
        repr,
        round,
        set,
        sorted,
        str,
        sum,
        tuple,
        type,
    )
}
MATH_NAMES: dict[str, Any] = {
    name: getattr(math, name)
    for name in (
        "isclose",
        "fabs",
        "sqrt",
        "floor",
        "ceil",
        "isnan",
        "isinf",
        "isfinite",
        "pi",
        "e",
        "inf",
        "nan",
        "prod",
        "fsum",
        "log",
        "exp",
    )
}
CONSTANTS: dict[str, Any] = {"None": None, "True": True, "False": False}
SAFE_METHODS = frozenset(
    (
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "keys",
        "values",
        "items",
        "count",
        "index",
        "startswith",
        "endswith",
        "get",
        "copy",
        "isdigit",
        "isalpha",
        "isupper",
        "islower",
        "title",
        "casefold",
        "join",
        "real",
        "imag",
        "issubset",
        "issuperset",
        "union",
        "intersection",
        "difference",
    )
)

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
}


class JudgeError(Exception):
    """The expression cannot be evaluated safely in the parent."""


def is_judgeable(node: ast.AST, placeholders: frozenset[str]) -> bool:
    """Whether every part of ``node`` is something :func:`evaluate` supports."""
    return all(_node_ok(n, placeholders) for n in ast.walk(node))


def _node_ok(node: ast.AST, placeholders: frozenset[str]) -> bool:
    if isinstance(node, ast.Name):
        return (
            node.id in placeholders
            or node.id in SAFE_FUNCTIONS
            or node.id in CONSTANTS
            or node.id in MATH_NAMES
            or node.id == "math"
        )
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id == "math":
            return node.attr in MATH_NAMES
        return node.attr in SAFE_METHODS
    if isinstance(node, ast.Call):
        return all(k.arg is not None for k in node.keywords) and not any(
            isinstance(a, ast.Starred) for a in node.args
        )
    if isinstance(node, ast.BinOp):
        return type(node.op) in _BINOPS
    return isinstance(
        node,
        ast.Constant
        | ast.Tuple
        | ast.List
        | ast.Set
        | ast.Dict
        | ast.UnaryOp
        | ast.unaryop
        | ast.BoolOp
        | ast.boolop
        | ast.Compare
        | ast.cmpop
        | ast.operator
        | ast.Subscript
        | ast.Slice
        | ast.IfExp
        | ast.Load
        | ast.keyword
        | ast.expr_context,
    )


def evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    """Evaluate a judgeable expression with placeholder names bound to ``values``."""
    return _eval(node, values)


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        for table in (CONSTANTS, SAFE_FUNCTIONS, MATH_NAMES):
            if node.id in table:
                return table[node.id]
        raise JudgeError(f"name {node.id!r} is not allowed")
    if isinstance(node, ast.Tuple):
        return tuple(_eval(e, env) for e in node.elts)
    if isinstance(node, ast.List):
        return [_eval(e, env) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_eval(e, env) for e in node.elts}
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise JudgeError("dict unpacking is not allowed")
        pairs = zip(node.keys, node.values, strict=True)
        return {_eval(k, env): _eval(v, env) for k, v in pairs}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for value_node in node.values:
            result = _eval(value_node, env)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, env)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Subscript):
        target = _eval(node.value, env)
        return target[_eval(node.slice, env)]
    if isinstance(node, ast.Slice):
        return slice(
            None if node.lower is None else _eval(node.lower, env),
            None if node.upper is None else _eval(node.upper, env),
            None if node.step is None else _eval(node.step, env),
        )
    if isinstance(node, ast.Attribute):
        return _attribute(node, env)
    if isinstance(node, ast.Call):
        func = _eval(node.func, env)
        args = [_eval(a, env) for a in node.args]
        kwargs = {k.arg: _eval(k.value, env) for k in node.keywords if k.arg}
        return func(*args, **kwargs)
    raise JudgeError(f"{type(node).__name__} is not allowed")


def _attribute(node: ast.Attribute, env: Mapping[str, Any]) -> Any:
    if isinstance(node.value, ast.Name) and node.value.id == "math":
        if node.attr not in MATH_NAMES:
            raise JudgeError(f"math.{node.attr} is not allowed")
        return MATH_NAMES[node.attr]
    if node.attr not in SAFE_METHODS:
        raise JudgeError(f".{node.attr} is not allowed")
    target = _eval(node.value, env)
    if isinstance(target, OpaqueIterator):
        raise AttributeError(f"iterator has no attribute {node.attr!r}")
    return getattr(target, node.attr)


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, ast.Mult):
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | bytes | list | tuple)
                and isinstance(count, int)
                and len(seq) * max(count, 0) > MAX_SEQUENCE
            ):
                raise JudgeError("the test would build a huge sequence")
    both_int = isinstance(left, int) and isinstance(right, int)
    if (
        isinstance(op, ast.Pow)
        and both_int
        and right > 0
        and abs(left) > 1
        and left.bit_length() * right > 1_000_000
    ):
        raise JudgeError("the test would build a huge number")
    if (
        isinstance(op, ast.LShift)
        and isinstance(left, int)
        and isinstance(right, int)
        and right > 1_000_000
    ):
        raise JudgeError("the test would build a huge number")
    return _BINOPS[type(op)](left, right)

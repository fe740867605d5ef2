"""Function-name harmonisation: make the candidate define the name the tests call.

Small models often solve the task under a different name (``def solve`` when the
tests call ``remove_Occ``). When exactly one plausible function exists, rename it
and every reference to it, token by token, so strings and comments stay untouched.
"""

from __future__ import annotations

import ast
import io
import tokenize


def _top_level_functions(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _called_inside(tree: ast.Module) -> set[str]:
    """Top-level function names that other code in the module calls (helpers)."""
    called: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id != node.name
            ):
                called.add(inner.func.id)
    return called


def rename_identifier(code: str, old: str, new: str) -> str:
    """Replace each NAME token ``old`` with ``new``; strings and comments stay."""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    renamed = [
        tok._replace(string=new)
        if tok.type == tokenize.NAME and tok.string == old
        else tok
        for tok in tokens
    ]
    return tokenize.untokenize(renamed)


def harmonize(code: str, target: str | None) -> tuple[str, str, str] | None:
    """Rename the single plausible function to ``target``, the name the tests call.

    Returns ``(new_code, old_name, new_name)``, or None when nothing needs to change
    or the choice would be a guess.
    """
    if not target:
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    defined = _top_level_functions(tree)
    if target in defined or not defined:
        return None
    helpers = _called_inside(tree)
    candidates = [name for name in defined if name not in helpers]
    if len(candidates) != 1:
        return None
    old = candidates[0]
    try:
        return rename_identifier(code, old, target), old, target
    except (tokenize.TokenError, IndentationError):
        return None

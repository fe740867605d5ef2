"""Pull runnable Python out of a model reply, however it was formatted.

Handles fenced blocks (with or without a language tag), several blocks, prose
before and after the code, unfenced replies, and replies cut off mid-block. The
result is then sanitised: top-level asserts, ``if __name__ == "__main__":`` blocks
and bare example calls are dropped, because they are the model's own tests, not
the solution.
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+.-]*)[^\n]*$", re.MULTILINE)
_CODE_START = re.compile(r"^(def |async def |class |import |from |@|[A-Za-z_]\w*\s*=)")
_NON_PYTHON_TAGS = {"bash", "sh", "shell", "console", "text", "output", "json", "txt"}


def _fenced_blocks(reply: str) -> list[str]:
    """Contents of fenced blocks in order; an unclosed last fence runs to the end."""
    blocks: list[str] = []
    fences = list(_FENCE.finditer(reply))
    index = 0
    while index < len(fences):
        opening = fences[index]
        tag = opening.group(1).lower()
        closing = fences[index + 1] if index + 1 < len(fences) else None
        end = closing.start() if closing else len(reply)
        body = reply[opening.end() + 1 : end] if opening.end() < len(reply) else ""
        if tag not in _NON_PYTHON_TAGS:
            blocks.append(body.rstrip())
        index += 2
    return [b for b in blocks if b.strip()]


def _defines_code(block: str) -> bool:
    return bool(
        re.search(r"^(def |async def |class |import |from )", block, re.MULTILINE)
    )


def _longest_parsable_prefix(text: str) -> str:
    """Trim trailing lines until the text parses (for cut-off or prose-tailed code)."""
    lines = text.splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        try:
            ast.parse(candidate)
        except SyntaxError:
            continue
        return candidate
    return text


def _unfenced_code(reply: str) -> str:
    """Strip prose before the first code-looking line and after the code ends."""
    lines = reply.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return reply.strip()
    body = "\n".join(lines[start:])
    parsed = _longest_parsable_prefix(body)
    return parsed if parsed.strip() else body


def _is_example_statement(node: ast.stmt) -> bool:
    """True for top-level statements that test or demo the code, not define it."""
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.If):
        test = node.test
        return (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
        )
    if isinstance(node, ast.Expr):
        value = node.value
        if isinstance(value, ast.Constant):
            return False  # docstrings stay
        return isinstance(value, ast.Call)
    return False


def sanitize(code: str) -> str:
    """Drop the model's own asserts, main blocks and example calls; keep definitions."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines()
    drop: set[int] = set()
    for node in tree.body:
        if _is_example_statement(node) and node.end_lineno is not None:
            drop.update(range(node.lineno - 1, node.end_lineno))
    kept = [line for number, line in enumerate(lines) if number not in drop]
    return "\n".join(kept).strip() + "\n"


def extract_code(reply: str, entry_point: str | None = None) -> str:
    """The Python solution inside ``reply`` (empty string when there is none)."""
    blocks = _fenced_blocks(reply)
    if not blocks:
        code = _unfenced_code(reply)
    elif len(blocks) == 1:
        code = blocks[0]
    else:
        wanted = f"def {entry_point}(" if entry_point else None
        defining = [b for b in blocks if _defines_code(b)]
        if wanted and any(wanted in b for b in defining):
            main = next(b for b in defining if wanted in b)
            helpers = [b for b in defining if b is not main and "def " in b]
            code = "\n\n".join([*helpers, main])
        elif defining:
            code = "\n\n".join(defining)
        else:
            code = blocks[0]
    if not code.strip():
        return ""
    return sanitize(code)

"""Extra asserts the generator writes, to vet a sampled candidate's visible pass.

One visible assert is weak evidence for a sampled candidate: on MBPP+ 26 of the 56
samples that passed it failed the hidden tests (docs/results.md). CodeT-style, the
generator model also writes a few asserts from the task text and the visible test
alone, never seeing a candidate, so the asserts cannot be tailored to one. They
only rank candidates that already pass every visible test; they never make a
failing candidate pass, and hidden tests never reach them.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from lsc_tui.engine.base import ChatMessage
from lsc_tui.tasks.model import Task

TESTER_SYSTEM = (
    "You write unit tests for Python functions. Do not write the function. Reply "
    "with assert statements only, in one ```python code block, one per line."
)
TESTER_MAX_TOKENS = 200
"""Five one-line asserts fit; measured replies averaged about 160 tokens."""


def assert_messages(task: Task, count: int) -> list[ChatMessage]:
    """The test-writing prompt: task text and first visible test, never a candidate."""
    visible = task.visible_tests[0] if task.visible_tests else ""
    name = task.entry_point or "the function"
    return [
        ChatMessage("system", TESTER_SYSTEM),
        ChatMessage(
            "user",
            f"{task.description.strip()}\nThe function is used like this:\n{visible}\n"
            f"Write {count} more asserts for {name} on different inputs, "
            "including edge cases.",
        ),
    ]


def parse_asserts(reply: str, visible: Sequence[str], limit: int = 0) -> list[str]:
    """Distinct one-line asserts from ``reply`` that parse and are not visible tests.

    ``limit`` (when above 0) keeps the first that many."""
    asserts: list[str] = []
    for line in reply.splitlines():
        line = line.strip()
        if not line.startswith("assert ") or line in visible or line in asserts:
            continue
        try:
            ast.parse(line)
        except SyntaxError:
            continue
        asserts.append(line)
    return asserts[:limit] if limit > 0 else asserts

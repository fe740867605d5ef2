"""Prompt templates, one per role, adjusted per model family.

The task text always opens the conversation in the same form, so iterations 2 and 3
share their prefix with iteration 1 and the engine can reuse its KV cache. Hidden
tests never appear here: only ``task.visible_tests`` are shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsc_tui.engine.base import ChatMessage
from lsc_tui.loop.edges import Crash
from lsc_tui.sandbox.result import CheckResult, CompileError
from lsc_tui.tasks.model import Task

GENERATOR_SYSTEM = (
    "You are an expert Python programmer. Reply with the complete solution in one "
    "```python code block: the needed imports and the function(s). Do not add "
    "example usage, tests or explanations."
)

PLAN_SYSTEM = (
    "You are an expert Python programmer. First write two or three short lines: "
    "what the function must return for the test's input, and which inputs need "
    "care. Then reply with the complete solution in one ```python code block: the "
    "needed imports and the function(s), with no example usage or tests."
)
"""The second prompt of ``select``'s last candidates (``[plan]``)."""

CONCISE_INSTRUCTION = "Write the code only: no comments and no docstrings."
"""Ends the user turn of ``select``'s samples with ``[sampling] concise``: the
samples' comments and docstrings were 38% of their characters on MBPP+, and
generation is most of a run's time. After the task text, so the samples still
share the greedy candidate's cached prompt up to it."""

SYNTAX_CRITIC_SYSTEM = (
    "You review Python code that fails to compile. In at most three short bullet "
    "points, say exactly what is wrong and how to fix it. Do not rewrite the code."
)

LOGIC_CRITIC_SYSTEM = (
    "You review Python code that fails its tests. In at most three short bullet "
    "points, say why the code gives the wrong result and what to change. Do not "
    "rewrite the code."
)

# Families whose chat templates have no system role: the system text joins the
# first user message instead.
_NO_SYSTEM_ROLE = {"phi-3"}

MAX_OUTPUT_CHARS = 1200

RETRY_INSTRUCTION = (
    "Do not repeat the same code: change the logic so that it does what the task "
    "and the tests expect. Write the corrected complete solution in one ```python "
    "code block."
)
EDGE_INSTRUCTION = (
    "Fix the function so that it also handles inputs like these, and keep every "
    "result it already returns the same. Write the complete solution in one "
    "```python code block."
)


def edge_instruction(concise: bool = False) -> str:
    """What an edge-case repair turn is asked to do, and (``[edges] concise``) to
    write no comments or docstrings; it ends the turn, so the conversation before
    it stays the cached prefix of every turn."""
    return f"{EDGE_INSTRUCTION} {CONCISE_INSTRUCTION}" if concise else EDGE_INSTRUCTION


def _with_system(system: str, user: str, family: str) -> list[ChatMessage]:
    if family in _NO_SYSTEM_ROLE:
        return [ChatMessage("user", f"{system}\n\n{user}")]
    return [ChatMessage("system", system), ChatMessage("user", user)]


def task_text(task: Task, concise: bool = False) -> str:
    """The task as the generator sees it: description plus visible tests, then
    ``CONCISE_INSTRUCTION`` when ``concise``."""
    text = task.description.strip()
    if task.visible_tests:
        tests = "\n".join(task.visible_tests)
        noun = "test" if len(task.visible_tests) == 1 else "tests"
        text = f"{text}\nYour code should pass this {noun}:\n{tests}"
    return f"{text}\n\n{CONCISE_INSTRUCTION}" if concise else text


def generator_messages(
    task: Task,
    family: str,
    previous_reply: str | None = None,
    feedback: str | None = None,
    instruction: str = RETRY_INSTRUCTION,
    concise: bool = False,
) -> list[ChatMessage]:
    """The generator conversation; feedback continues it after the last attempt,
    followed by ``instruction`` (what to do about it). ``concise`` asks for code
    without comments (``task_text``)."""
    messages = _with_system(GENERATOR_SYSTEM, task_text(task, concise), family)
    if previous_reply is not None and feedback:
        messages.append(ChatMessage("assistant", previous_reply))
        messages.append(ChatMessage("user", f"{feedback.strip()}\n\n{instruction}"))
    return messages


def plan_messages(task: Task, family: str, concise: bool = False) -> list[ChatMessage]:
    """The task as ``generator_messages`` shows it, under a system turn asking for
    a short plan before the code (``PLAN_SYSTEM``)."""
    return _with_system(PLAN_SYSTEM, task_text(task, concise), family)


def format_compile_error(error: CompileError) -> str:
    """A compile error as the Python compiler would print it."""
    where = f"line {error.line}" if error.line else "unknown line"
    if error.col:
        where += f", column {error.col}"
    text = f"{error.type}: {error.message} ({where})"
    if error.text.strip():
        text += f"\n    {error.text.rstrip()}"
    return text


def _clip(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "\n... (truncated)"


def format_test_failures(result: CheckResult) -> str:
    """The failing visible tests with their messages, plus clipped program output."""
    lines = [
        f"- {t.source.strip()}\n  {t.status}: {t.message}".rstrip()
        for t in result.tests
        if t.status != "passed"
    ]
    text = "These tests failed:\n" + "\n".join(lines)
    if result.stderr.strip():
        text += f"\nstderr:\n{_clip(result.stderr)}"
    if result.stdout.strip():
        text += f"\nstdout:\n{_clip(result.stdout)}"
    return text


def raw_feedback(error: CompileError | None, result: CheckResult | None) -> str:
    """The `feedback` pipeline's message: the raw error text, nothing else."""
    if error is not None:
        return "Your code does not compile:\n" + format_compile_error(error)
    assert result is not None
    return "Your code fails:\n" + format_test_failures(result)


def edge_feedback(crashes: Sequence[Crash]) -> str:
    """What a passing candidate's edge-case repair turn is told (``loop.edges``)."""
    lines = "\n".join(f"- {crash}" for crash in crashes)
    return f"Your code passes the test, but these calls fail:\n{lines}"


def syntax_critic_messages(
    code: str, error: CompileError, family: str
) -> list[ChatMessage]:
    """Ask the syntax critic about a compile error."""
    user = (
        f"```python\n{code.rstrip()}\n```\n\nCompiler error:\n"
        f"{format_compile_error(error)}"
    )
    return _with_system(SYNTAX_CRITIC_SYSTEM, user, family)


def logic_critic_messages(
    task: Task, code: str, result: CheckResult, family: str
) -> list[ChatMessage]:
    """Ask the logic critic why visible tests fail."""
    user = (
        f"Task: {task.description.strip()}\n\n```python\n{code.rstrip()}\n```\n\n"
        f"{format_test_failures(result)}"
    )
    return _with_system(LOGIC_CRITIC_SYSTEM, user, family)


def critic_feedback(
    reflection: str, error: CompileError | None, result: CheckResult | None
) -> str:
    """What goes back to the generator after a critic: the error plus the reflection."""
    base = raw_feedback(error, result)
    if not reflection.strip():
        return base
    return f"{base}\n\nA reviewer suggests:\n{reflection.strip()}"


def render(messages: list[ChatMessage]) -> str:
    """A conversation as plain text, for the run history."""
    return "\n\n".join(f"[{m.role}]\n{m.content}" for m in messages)

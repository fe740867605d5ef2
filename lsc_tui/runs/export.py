"""Render a saved run as Markdown, plain Python, or JSONL events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lsc_tui.events import LoopEvent, to_json
from lsc_tui.loop.result import result_from_events
from lsc_tui.runs.store import RunSummary


def _markdown(summary: RunSummary, events: Sequence[LoopEvent]) -> str:
    result = result_from_events(events)
    lines = [
        f"# Run {summary.run_id}",
        "",
        f"- task: {summary.task_id}",
        f"- pipeline: {summary.pipeline}",
        f"- started: {summary.started_at}",
        f"- status: {summary.status}",
        f"- visible tests passed: {result['success']}",
        f"- first attempt passed: {result['first_attempt_passed']}",
    ]
    if result["hidden"] is not None:
        hidden = result["hidden"]
        lines.append(
            f"- hidden tests: {hidden['passed_count']}/{hidden['total']}"
            f" ({'passed' if hidden['passed'] else 'failed'})"
        )
    lines += ["", "## Task", "", summary.description.strip(), ""]
    for it in result["iterations"]:
        lines += [
            f"## Iteration {it['iteration']} ({it['status'] or 'unfinished'})",
            "",
        ]
        lines += ["```python", it["code"].rstrip(), "```", ""]
        if it["syntax_error"]:
            err = it["syntax_error"]
            lines.append(
                f"Syntax error: {err['type']}: {err['message']} "
                f"(line {err['line']}, col {err['col']})"
            )
            lines.append("")
        for test in it["tests"]:
            mark = "✓" if test["status"] == "passed" else "✗"
            lines.append(
                f"- {mark} `{test['source'].strip()}` {test['message']}".rstrip()
            )
        if it["tests"]:
            lines.append("")
        if it["critic"]:
            lines += [
                f"Critic ({it['critic']['role']}):",
                "",
                it["critic"]["reflection"],
                "",
            ]
    lines += [
        "## Final code",
        "",
        "```python",
        result["final_code"].rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def export_run(summary: RunSummary, events: Sequence[LoopEvent], fmt: str) -> str:
    """The run in format ``md``, ``py`` or ``jsonl``."""
    if fmt == "jsonl":
        return "".join(json.dumps(to_json(e)) + "\n" for e in events)
    if fmt == "py":
        result = result_from_events(events)
        header = (
            f"# lsc-tui run {summary.run_id}: {summary.task_id} ({summary.pipeline})\n"
        )
        final_code: str = result["final_code"]
        return header + final_code.rstrip() + "\n"
    return _markdown(summary, events)

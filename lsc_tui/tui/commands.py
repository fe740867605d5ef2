"""Command-palette entries: every app action by name, next to Textual's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.screen import Screen

if TYPE_CHECKING:
    from lsc_tui.tui.app import LscApp

# (title, help, action name) in palette order.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New task", "Type a task description and assert tests", "new_task"),
    ("MBPP task by number", "Preview and run one MBPP task", "mbpp_task"),
    ("Re-run", "Run the last task again", "rerun"),
    ("Stop run", "Stop the running task; the partial run is kept", "stop_run"),
    ("Previous iteration", "Show the previous iteration", "screen.previous_iteration"),
    ("Next iteration", "Show the next iteration", "screen.next_iteration"),
    (
        "Toggle diff",
        "Diff the code against the previous iteration",
        "screen.toggle_diff",
    ),
    ("Copy code", "Copy the shown code (also saved to a file)", "copy_code"),
    ("Export run", "Write the run as JSONL events and its final code", "export_run"),
    ("Models", "Pull, import, remove models and assign roles", "show_models"),
    ("History", "Past runs: open, re-run, export", "show_history"),
    ("Help", "Keys and glyphs", "show_help"),
)


def app_commands(app: LscApp, screen: Screen[Any]) -> Iterator[SystemCommand]:
    """Yield a palette command per action that applies on ``screen``."""
    for title, help_text, action in COMMANDS:
        on_dashboard = action.startswith("screen.")
        if on_dashboard and screen is not app.dashboard:
            continue

        async def run(action: str = action, on_dashboard: bool = on_dashboard) -> None:
            if on_dashboard:
                await app.dashboard.run_action(action.removeprefix("screen."))
            else:
                await app.run_action(action)

        yield SystemCommand(title, help_text, run)

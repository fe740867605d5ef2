"""Command-palette entries: every app action by name, next to Textual's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.app import SystemCommand
from textual.screen import Screen

from lsc_tui.tui.screens.dashboard import DashboardScreen
from lsc_tui.tui.screens.models import ModelsScreen

if TYPE_CHECKING:
    from lsc_tui.tui.app import LscApp


class PaletteEntry(NamedTuple):
    """One palette command: an app action, or an action of one kind of screen."""

    title: str
    help: str
    action: str
    """Action string, run on the app, or on the screen when ``screen`` is set."""
    screen: type[Screen[Any]] | None = None
    """Offer the entry only while a screen of this class is active."""


# In palette order.
COMMANDS: tuple[PaletteEntry, ...] = (
    PaletteEntry("New task", "Type a task description and assert tests", "new_task"),
    PaletteEntry("MBPP task by number", "Preview and run one MBPP task", "mbpp_task"),
    PaletteEntry("Re-run", "Run the last task again", "rerun"),
    PaletteEntry(
        "Stop run", "Stop the running task; the partial run is kept", "stop_run"
    ),
    PaletteEntry(
        "Previous iteration",
        "Show the previous iteration",
        "previous_iteration",
        DashboardScreen,
    ),
    PaletteEntry(
        "Next iteration", "Show the next iteration", "next_iteration", DashboardScreen
    ),
    PaletteEntry(
        "Toggle diff",
        "Diff the code against the previous iteration",
        "toggle_diff",
        DashboardScreen,
    ),
    PaletteEntry(
        "Copy code", "Copy the shown code (also saved to a file)", "copy_code"
    ),
    PaletteEntry(
        "Export run", "Write the run as JSONL events and its final code", "export_run"
    ),
    PaletteEntry(
        "Models", "Pull, import, remove models and assign roles", "show_models"
    ),
    PaletteEntry("Pull model", "Download the selected model", "pull", ModelsScreen),
    PaletteEntry(
        "Cancel pull",
        "Stop the download (the partial file is kept for resume)",
        "cancel_pull",
        ModelsScreen,
    ),
    PaletteEntry(
        "Import model", "Import a local GGUF file", "import_model", ModelsScreen
    ),
    PaletteEntry(
        "Remove model",
        "Delete the selected installed model (asks to confirm)",
        "remove_model",
        ModelsScreen,
    ),
    PaletteEntry(
        "Use as generator",
        "Use the selected model as the generator (saved to the config file)",
        "assign('generator')",
        ModelsScreen,
    ),
    PaletteEntry(
        "Use as syntax critic",
        "Use the selected model as the syntax critic (saved to the config file)",
        "assign('syntax_critic')",
        ModelsScreen,
    ),
    PaletteEntry(
        "Use as logic critic",
        "Use the selected model as the logic critic (saved to the config file)",
        "assign('logic_critic')",
        ModelsScreen,
    ),
    PaletteEntry("History", "Past runs: open, re-run, export", "show_history"),
    PaletteEntry("Help", "Keys and glyphs", "show_help"),
)


def app_commands(app: LscApp, screen: Screen[Any]) -> Iterator[SystemCommand]:
    """Yield a palette command per action that applies on ``screen``.

    Screen entries run on the screen the palette was opened from, so an action is
    never offered, or run, on a screen that does not define it.
    """
    for entry in COMMANDS:
        if entry.screen is not None and not isinstance(screen, entry.screen):
            continue
        target: Screen[Any] | LscApp = screen if entry.screen is not None else app

        async def run(
            action: str = entry.action, target: Screen[Any] | LscApp = target
        ) -> None:
            await target.run_action(action)

        yield SystemCommand(entry.title, entry.help, run)

"""The help screen: what each key does and where things are."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = """\
# lsc: keys

| key | what it does |
|---|---|
| `n` | new task: type a description and `assert` tests |
| `t` | MBPP task by number, with a preview |
| `r` | re-run the last task |
| `s` / `escape` | stop the run (the partial run is kept) |
| `[` / `]` | previous / next iteration |
| `d` | toggle a diff against the previous iteration |
| `c` | copy the shown code (also saved to a file) |
| `e` | export the run as JSONL events plus the final code |
| `m` | models: pull, import, remove, assign roles |
| `h` | history of past runs: open, re-run, export |
| `?` | this help |
| `ctrl+p` | command palette: every action by name |
| `q` | quit |

Glyphs in the timeline: `✔` passed, `✘ n/m` tests failed, `⚠` syntax error,
`∅` no code, `…` running.

Keys can be remapped with `keymap` in the config file (`lsc paths` shows where),
using the binding ids, for example `keymap = { stop_run = "ctrl+c" }`.
"""


class HelpScreen(ModalScreen[None]):
    """Key reference."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark",
            "close_help",
            "Close",
            id="close_help",
            tooltip="Close",
        )
    ]

    def compose(self) -> ComposeResult:
        """The help text."""
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Markdown(HELP_TEXT)

    def action_close_help(self) -> None:
        """Close the help."""
        self.dismiss(None)

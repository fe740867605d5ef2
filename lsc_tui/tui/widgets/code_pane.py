"""The code pane: streaming code of the shown iteration, or its diff to the previous."""

from __future__ import annotations

import difflib

from textual.app import ComposeResult
from textual.containers import Vertical

from lsc_tui.tui.run_view import IterationRecord
from lsc_tui.tui.widgets.code_view import CodeView


def code_diff(
    previous: str, current: str, previous_label: str, current_label: str
) -> str:
    """A unified diff between two iterations' code."""
    lines = difflib.unified_diff(
        previous.splitlines(keepends=True),
        current.splitlines(keepends=True),
        fromfile=previous_label,
        tofile=current_label,
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text or "(no changes)\n"


class CodePane(Vertical):
    """Shows one iteration's code, streaming when it is the live one."""

    def compose(self) -> ComposeResult:
        """Just the code view; the title goes in the border."""
        yield CodeView(id="code-view")

    @property
    def view(self) -> CodeView:
        """The inner code view."""
        return self.query_one(CodeView)

    def show(
        self,
        record: IterationRecord | None,
        previous: IterationRecord | None,
        *,
        diff: bool,
    ) -> None:
        """Render ``record``'s code (or its diff to ``previous``)."""
        view = self.view
        if record is None:
            self._title("code")
            view.show("", language="text")
            return
        shown = record.shown
        label = f"iteration {record.number}"
        if shown is not None and len(record.candidates) > 1:
            label += f" · candidate {shown.index}"
        if diff and previous is not None:
            self._title(f"diff #{previous.number} → #{record.number}")
            view.show(
                code_diff(
                    previous.code,
                    record.code,
                    f"iteration {previous.number}",
                    f"iteration {record.number}",
                ),
                language="diff",
            )
            return
        marked: int | None = None
        if (
            shown is not None
            and shown.syntax_error is not None
            and shown.syntax_error.line
        ):
            marked = shown.syntax_error.line - 1
            label += f" · error line {shown.syntax_error.line}"
        if diff:
            label += " · (no previous iteration to diff)"
        self._title(label)
        view.show(record.code, language="python", marked_line=marked)

    def _title(self, title: str) -> None:
        """Set the border title; assigning even the same one repaints the whole pane."""
        if self.border_title != title:
            self.border_title = title

    def append(self, text: str) -> None:
        """Append streamed text to the code view."""
        self.view.append(text)

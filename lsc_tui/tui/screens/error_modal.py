"""A modal for long error text (tracebacks, full compiler output) that can be copied."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea


class ErrorModal(ModalScreen[None]):
    """Shows a title, a one-line cause and selectable details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_modal", "Close", id="close_modal", tooltip="Close"),
        Binding(
            "c",
            "copy_details",
            "Copy",
            id="copy_error",
            tooltip="Copy the error text to the clipboard",
        ),
    ]

    def __init__(self, title: str, message: str, details: str = "") -> None:
        super().__init__(classes="modal")
        self.error_title = title
        self.error_message = message
        self.details = details

    def compose(self) -> ComposeResult:
        """Title, message, details and buttons."""
        with Vertical(id="error-dialog", classes="dialog"):
            yield Label(self.error_title, id="error-title", classes="dialog-title")
            yield Label(self.error_message, id="error-message")
            if self.details:
                yield TextArea(
                    self.details, read_only=True, soft_wrap=True, id="error-details"
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy", id="copy-error")
                yield Button("Close", id="close-error", variant="primary")

    def action_dismiss_modal(self) -> None:
        """Close the modal."""
        self.dismiss(None)

    def action_copy_details(self) -> None:
        """Copy the message and details to the clipboard."""
        text = "\n".join(
            part
            for part in (self.error_title, self.error_message, self.details)
            if part
        )
        self.app.copy_to_clipboard(text)
        self.notify("error text copied to the clipboard", title="Copied")

    @on(Button.Pressed, "#copy-error")
    def on_copy_pressed(self) -> None:
        """Copy button."""
        self.action_copy_details()

    @on(Button.Pressed, "#close-error")
    def on_close_pressed(self) -> None:
        """Close button."""
        self.dismiss(None)

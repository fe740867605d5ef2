"""Messages workers post to the UI: one per loop event, coalesced download progress."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from lsc_tui.events import LoopEvent


class LoopEventPosted(Message, bubble=False):
    """The run worker produced one loop event."""

    def __init__(self, event: LoopEvent, serial: int) -> None:
        super().__init__()
        self.event = event
        self.serial = serial
        """Which run (counted by the app) produced it; stale runs are ignored."""


@dataclass(frozen=True, slots=True)
class PullProgress:
    """A snapshot of one download's progress, independent of the store's own type."""

    ref: str
    downloaded_bytes: int
    total_bytes: int | None
    bytes_per_second: float
    eta_seconds: float | None
    done: bool = False

    @classmethod
    def from_store(cls, ref: str, progress: Any) -> PullProgress:
        """Copy the fields of the store's DownloadProgress (duck-typed)."""
        return cls(
            ref=str(getattr(progress, "recipe_ref", ref) or ref),
            downloaded_bytes=int(getattr(progress, "downloaded_bytes", 0) or 0),
            total_bytes=getattr(progress, "total_bytes", None),
            bytes_per_second=float(getattr(progress, "bytes_per_second", 0.0) or 0.0),
            eta_seconds=getattr(progress, "eta_seconds", None),
            done=bool(getattr(progress, "done", False)),
        )


class DownloadProgressed(Message, bubble=False):
    """A download advanced; newer messages for the same model replace queued ones."""

    def __init__(self, progress: PullProgress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        """Coalesce progress of the same download so the queue never backs up."""
        return (
            isinstance(message, DownloadProgressed)
            and message.progress.ref == self.progress.ref
        )


class DownloadFinished(Message, bubble=False):
    """A download completed and the file is installed."""

    def __init__(self, ref: str, path: Path | None) -> None:
        super().__init__()
        self.ref = ref
        self.path = path

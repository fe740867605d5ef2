"""Keep native (C/C++) stderr output off the terminal while a model loads.

llama.cpp and ggml write straight to file descriptor 2, below Python's ``sys.stderr``,
and such writes corrupt a running Textual screen. ``captured_stderr`` points fd 2 at a
temporary file for the duration of a block and hands back what was written, so error
messages can still quote the native reason.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

_FD_LOCK = threading.Lock()
_MAX_CAPTURE_BYTES = 64 * 1024


@dataclass(slots=True)
class CapturedStderr:
    """What native code wrote to fd 2 inside a ``captured_stderr`` block."""

    text: str = ""

    def last_line(self) -> str:
        """The last non-empty line, which is usually the native error message."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@contextmanager
def captured_stderr() -> Iterator[CapturedStderr]:
    """Redirect fd 2 to a temporary file inside the block, then restore it.

    Blocks in other threads are serialised, because fd 2 is process-wide. When fd 2
    is not open (some daemons), the block runs without redirection.
    """
    captured = CapturedStderr()
    with _FD_LOCK:
        try:
            saved_fd = os.dup(2)
        except OSError:
            yield captured
            return
        with suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield captured
            finally:
                os.dup2(saved_fd, 2)
                os.close(saved_fd)
                sink.seek(0)
                raw = sink.read(_MAX_CAPTURE_BYTES)
                captured.text = raw.decode("utf-8", errors="replace")

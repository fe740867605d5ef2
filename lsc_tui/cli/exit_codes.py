"""The exit codes every `lsc` command uses."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses, documented in the README."""

    OK = 0
    """Success: every visible test passed (solve/mbpp/check), or the command worked."""
    FAILED = 1
    """The command ran but tests failed (or some bench tasks failed)."""
    USAGE = 2
    """Bad arguments, settings, test files or task numbers."""
    MODEL = 3
    """A model or engine error: missing, corrupt, too big, failed to load."""
    INTERRUPTED = 130
    """Stopped by Ctrl+C; partial results were saved."""

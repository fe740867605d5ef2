"""The LscError hierarchy: expected failures that carry a one-line, actionable message.

Front ends show ``str(error)`` as the message and ``error.title`` as a heading; they
never show a traceback for an LscError.
"""

from __future__ import annotations


class LscError(Exception):
    """A failure the user can act on; the message says what to do."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        if title is not None:
            self.title = title


class ConfigError(LscError):
    """Bad settings, flags or arguments."""

    title = "Configuration error"


class RecipeError(LscError):
    """A recipe file is missing or invalid, or a RECIPE[:QUANT] does not resolve."""

    title = "Recipe error"


class ModelError(LscError):
    """A model file is missing, corrupt, or does not fit this machine."""

    title = "Model error"


class DownloadError(LscError):
    """A download failed: hub unreachable, checksum mismatch, disk full."""

    title = "Download error"


class EngineError(LscError):
    """The inference engine failed to load or generate."""

    title = "Engine error"


class SandboxError(LscError):
    """The sandbox could not run at all (no containment tier available)."""

    title = "Sandbox error"


class TaskError(LscError):
    """A task is invalid: bad test syntax, unknown MBPP number, missing data."""

    title = "Task error"


class RunNotFoundError(LscError):
    """A run id is not in the history database."""

    title = "Run not found"

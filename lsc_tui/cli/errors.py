"""Turning expected failures into one-line messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from lsc_tui.cli.exit_codes import ExitCode
from lsc_tui.errors import (
    ConfigError,
    DownloadError,
    EngineError,
    LscError,
    ModelError,
    RecipeError,
    SandboxError,
    TaskError,
)

_CODES: dict[type[LscError], ExitCode] = {
    ConfigError: ExitCode.USAGE,
    RecipeError: ExitCode.USAGE,
    TaskError: ExitCode.USAGE,
    SandboxError: ExitCode.USAGE,
    ModelError: ExitCode.MODEL,
    EngineError: ExitCode.MODEL,
    DownloadError: ExitCode.MODEL,
}


def exit_code_for(error: LscError) -> ExitCode:
    """The exit code an LscError maps to."""
    for cls in type(error).__mro__:
        if cls in _CODES:
            return _CODES[cls]
    return ExitCode.USAGE


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print LscErrors and Ctrl+C as one line on stderr and exit with our codes."""
    try:
        yield
    except LscError as exc:
        click.echo(f"lsc: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        click.echo("lsc: interrupted; partial results were saved", err=True)
        sys.exit(ExitCode.INTERRUPTED)

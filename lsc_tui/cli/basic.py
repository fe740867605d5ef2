"""Small informational commands: `lsc paths` and `lsc version`."""

from __future__ import annotations

import click

from lsc_tui import __version__
from lsc_tui.paths import get_paths


@click.command()
def paths() -> None:
    """Print every location lsc-tui uses (relocate them all with LSC_HOME)."""
    for name, location in get_paths().as_dict().items():
        click.echo(f"{name:<9} {location}")


@click.command()
def version() -> None:
    """Print the version."""
    click.echo(__version__)

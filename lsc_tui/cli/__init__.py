"""The `lsc` command line: a click group whose subcommands load on first use.

Bare ``lsc`` opens the TUI. Subcommand modules are imported only when invoked, so
``lsc --help`` stays instant and headless commands never import Textual.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from lsc_tui import __version__

# name -> "module:attribute" of the click command implementing it.
_COMMANDS: dict[str, str] = {
    "tui": "lsc_tui.cli.tui_cmd:tui",
    "solve": "lsc_tui.cli.run_cmd:solve",
    "mbpp": "lsc_tui.cli.run_cmd:mbpp",
    "check": "lsc_tui.cli.check:check",
    "models": "lsc_tui.cli.models:models",
    "doctor": "lsc_tui.cli.doctor:doctor",
    "data": "lsc_tui.cli.data:data",
    "runs": "lsc_tui.cli.runs:runs",
    "bench": "lsc_tui.cli.bench:bench",
    "paths": "lsc_tui.cli.basic:paths",
    "version": "lsc_tui.cli.basic:version",
}

_HELP: dict[str, str] = {
    "tui": "Open the dashboard (the default).",
    "solve": "Solve a typed task headless.",
    "mbpp": "Run MBPP task N headless.",
    "check": "Run candidate code against assert tests in the sandbox.",
    "models": "List, pull, import, inspect and remove models.",
    "doctor": "Show hardware, GPU offload and sandbox containment facts.",
    "data": "Manage cached benchmark datasets (MBPP, MBPP+).",
    "runs": "List, show and export saved runs.",
    "bench": "Benchmark pipelines on MBPP / MBPP+ with honest scoring.",
    "paths": "Print every location lsc-tui uses.",
    "version": "Print the version.",
}


class LazyGroup(click.Group):
    """A group that imports each subcommand's module only when it is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        if ctx.resilient_parsing or "--help" in sys.argv[1:2]:
            # Listing commands in `lsc --help` must not import their modules.
            return click.Command(cmd_name, help=_HELP[cmd_name])
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = [(name, _HELP[name]) for name in _COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="lsc")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """lsc-tui: small code LLMs in a generate, compile, test, critique loop."""
    if ctx.invoked_subcommand is None:
        tui_command = cli.get_command(ctx, "tui")
        assert tui_command is not None
        ctx.invoke(tui_command)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="lsc")

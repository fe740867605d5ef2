"""`lsc tui` (and bare `lsc`): open the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.options import role_options
from lsc_tui.errors import ConfigError


@click.command()
@role_options
@click.option(
    "--mbpp",
    "mbpp",
    type=int,
    default=None,
    metavar="N",
    help="Open with MBPP task N running.",
)
@click.option(
    "--replay",
    "replay",
    default=None,
    metavar="RUN_ID|FILE.jsonl",
    help="Replay a saved run (an id or unique prefix, or an exported JSONL file).",
)
@click.option(
    "--max-iters", "max_iters", type=int, default=None, help="Maximum iterations."
)
@click.option("--engine", "engine", default=None, hidden=True)
def tui(
    pipeline: str | None,
    generator: str | None,
    syntax_critic: str | None,
    logic_critic: str | None,
    mbpp: int | None,
    replay: str | None,
    max_iters: int | None,
    engine: str | None,
) -> None:
    """Open the dashboard: watch the loop live, solve tasks, manage models."""
    from lsc_tui.settings import load_settings

    roles = {
        "generator": generator,
        "syntax_critic": syntax_critic,
        "logic_critic": logic_critic,
    }
    with friendly_errors():
        settings = load_settings(
            cli={"pipeline": pipeline, "max_iters": max_iters, **roles}
        )
        session = None
        if engine is not None:
            if not engine.startswith("fake:"):
                raise ConfigError("--engine takes fake:<script.json>")
            from lsc_tui.engine.fake import load_script
            from lsc_tui.loop.session import Session

            session = Session(
                settings, provider=load_script(Path(engine.removeprefix("fake:")))
            )
        from lsc_tui.tui.app import make_app

        app = make_app(settings, session=session, mbpp=mbpp, replay=replay, roles=roles)
    try:
        app.run()
    finally:
        if app.session_started:
            app.session.close()
    if app.return_code:
        sys.exit(app.return_code)

"""`lsc solve` and `lsc mbpp`: run one task headless.

stdout gets the final code (or, with ``--json``, exactly one result object);
stderr gets live progress. Exit codes: 0 visible tests passed, 1 not passed,
2 usage/config error, 3 model/engine error, 130 interrupted.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.exit_codes import ExitCode
from lsc_tui.cli.options import role_options
from lsc_tui.cli.sinks import ConsoleProgress
from lsc_tui.engine.base import EngineProvider
from lsc_tui.errors import ConfigError, TaskError
from lsc_tui.events import RunFailed
from lsc_tui.loop.result import result_from_events
from lsc_tui.loop.session import RunRequest, Session
from lsc_tui.settings import Settings, load_settings
from lsc_tui.tasks.model import Task


def fake_provider(engine: str | None) -> EngineProvider | None:
    """Parse the hidden ``--engine fake:<script.json>`` option."""
    if engine is None:
        return None
    if not engine.startswith("fake:"):
        raise ConfigError("--engine takes fake:<script.json>")
    from lsc_tui.engine.fake import load_script

    return load_script(Path(engine.removeprefix("fake:")))


def run_settings(
    *,
    pipeline: str | None,
    max_iters: int | None,
    generator: str | None,
    syntax_critic: str | None,
    logic_critic: str | None,
    mbpp_visible: str | None = None,
) -> Settings:
    """Settings with the run flags the user actually passed on top."""
    return load_settings(
        cli={
            "pipeline": pipeline,
            "max_iters": max_iters,
            "generator": generator,
            "syntax_critic": syntax_critic,
            "logic_critic": logic_critic,
            "mbpp_visible": mbpp_visible,
        }
    )


def engine_option(func: Any) -> Any:
    """The hidden option that swaps llama.cpp for a scripted engine (tests, demos)."""
    return click.option("--engine", default=None, hidden=True)(func)


def run_task(
    task: Task,
    settings: Settings,
    *,
    as_json: bool,
    engine: str | None,
) -> None:
    """Run ``task`` through a Session, print the result, exit with our code.

    The pipeline, role and iteration flags arrive inside ``settings`` (CLI over
    environment over file), so the request itself only names the task.
    """
    session = Session(settings, provider=fake_provider(engine))
    request = RunRequest(task=task)
    cancel = threading.Event()
    progress = ConsoleProgress(sys.stderr, live=not as_json or sys.stderr.isatty())
    collected = []
    try:
        for event in session.run(request, cancel):
            collected.append(event)
            progress.show(event)
    except KeyboardInterrupt:
        cancel.set()
        progress.finish()
        if as_json:
            click.echo(json.dumps(result_from_events(collected)))
        click.echo("lsc: interrupted; the partial run was saved", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    finally:
        session.close()
    progress.finish()
    result = result_from_events(collected)
    failure = next((e for e in collected if isinstance(e, RunFailed)), None)
    if as_json:
        click.echo(json.dumps(result))
    elif result["final_code"]:
        click.echo(result["final_code"].rstrip())
    if failure is not None:
        click.echo(f"lsc: {failure.message}", err=True)
        sys.exit(ExitCode.MODEL)
    sys.exit(ExitCode.OK if result["success"] else ExitCode.FAILED)


@click.command()
@click.argument("text")
@click.option(
    "--test", "tests", multiple=True, help="An assert statement (repeatable)."
)
@click.option(
    "--tests-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of tests; each top-level statement is one test.",
)
@role_options
@click.option("--max-iters", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON result object.")
@engine_option
def solve(
    text: str,
    tests: tuple[str, ...],
    tests_file: Path | None,
    pipeline: str | None,
    generator: str | None,
    syntax_critic: str | None,
    logic_critic: str | None,
    max_iters: int | None,
    as_json: bool,
    engine: str | None,
) -> None:
    """Solve a typed task TEXT headless, checked against the given tests."""
    with friendly_errors():
        from lsc_tui.tasks.typed import parse_tests, typed_task

        all_tests = list(tests)
        if tests_file is not None:
            try:
                source = tests_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise TaskError(f"cannot read tests file {tests_file}: {exc}") from None
            all_tests.extend(parse_tests(source))
        settings = run_settings(
            pipeline=pipeline,
            max_iters=max_iters,
            generator=generator,
            syntax_critic=syntax_critic,
            logic_critic=logic_critic,
        )
        task = typed_task(text, all_tests)
        run_task(task, settings, as_json=as_json, engine=engine)


@click.command()
@click.argument("number", type=int)
@role_options
@click.option("--max-iters", type=click.IntRange(min=1), default=None)
@click.option(
    "--visible",
    type=click.Choice(["first", "all"]),
    default=None,
    help="Asserts models may see: the first (MBPP+ style, default) or all (the seed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON result object.")
@engine_option
def mbpp(
    number: int,
    pipeline: str | None,
    generator: str | None,
    syntax_critic: str | None,
    logic_critic: str | None,
    max_iters: int | None,
    visible: str | None,
    as_json: bool,
    engine: str | None,
) -> None:
    """Run MBPP task NUMBER (1-974) headless, with hidden-test scoring."""
    with friendly_errors():
        from lsc_tui.tasks.mbpp import load_mbpp_task

        settings = run_settings(
            pipeline=pipeline,
            max_iters=max_iters,
            generator=generator,
            syntax_critic=syntax_critic,
            logic_critic=logic_critic,
            mbpp_visible=visible,
        )
        task = load_mbpp_task(number, visible=settings.mbpp_visible)  # type: ignore[arg-type]
        run_task(task, settings, as_json=as_json, engine=engine)

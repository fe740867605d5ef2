"""`lsc runs list | show ID | export ID --format md|py|jsonl`: read saved runs back."""

from __future__ import annotations

import dataclasses
import json

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.events import to_json
from lsc_tui.loop.result import result_from_events
from lsc_tui.runs.export import export_run
from lsc_tui.runs.store import RunStore
from lsc_tui.settings import load_settings


def _store() -> RunStore:
    return RunStore.open_default(load_settings())


@click.group()
def runs() -> None:
    """List, show and export saved runs."""


@runs.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_runs(limit: int, as_json: bool) -> None:
    """The most recent runs."""
    with friendly_errors():
        rows = _store().list_runs(limit)
        if as_json:
            for row in rows:
                click.echo(json.dumps(dataclasses.asdict(row)))
            return
        if not rows:
            click.echo("no runs yet; try `lsc solve` or `lsc mbpp 11`", err=True)
            return
        click.echo(
            f"{'RUN':<12}  {'STARTED':<25}  {'TASK':<14}  {'PIPELINE':<11}  "
            f"{'STATUS':<11}  ITERS  HIDDEN"
        )
        for r in rows:
            hidden = (
                "-"
                if r.hidden_passed is None
                else ("pass" if r.hidden_passed else "fail")
            )
            click.echo(
                f"{r.run_id:<12}  {r.started_at:<25}  {r.task_id[:14]:<14}  "
                f"{r.pipeline:<11}  {r.status:<11}  {r.iterations:>5}  {hidden}"
            )


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the result object.")
@click.option("--events", "as_events", is_flag=True, help="Print every event as JSONL.")
def show(run_id: str, as_json: bool, as_events: bool) -> None:
    """Show one run: its iterations, verdicts and final code."""
    with friendly_errors():
        store = _store()
        events = store.load_events(run_id)
        if as_events:
            for event in events:
                click.echo(json.dumps(to_json(event)))
            return
        if as_json:
            click.echo(json.dumps(result_from_events(events)))
            return
        click.echo(export_run(store.summary(run_id), events, "md"), nl=False)


@runs.command("export")
@click.argument("run_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "py", "jsonl"]),
    default="md",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
def export(run_id: str, fmt: str, output: str | None) -> None:
    """Export a run as Markdown, the final Python code, or JSONL events."""
    with friendly_errors():
        store = _store()
        text = export_run(store.summary(run_id), store.load_events(run_id), fmt)
        if output is None:
            click.echo(text, nl=False)
        else:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            click.echo(f"wrote {output}", err=True)

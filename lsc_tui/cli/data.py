"""`lsc data`: import, download and inspect the cached MBPP / MBPP+ datasets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.exit_codes import ExitCode

PLUS_TASKS = 378


@click.group()
def data() -> None:
    """Manage cached benchmark datasets (MBPP, MBPP+), pinned by sha256."""


@data.command("import")
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR"
)
def import_cmd(directory: Path) -> None:
    """Copy mbpp.jsonl and MbppPlus-v0.2.0.jsonl (and sanitized-mbpp.json) from DIR.

    Every file is checked against its sha256 pin first; on any mismatch nothing is
    copied.
    """
    with friendly_errors():
        from lsc_tui.tasks.datasets import import_datasets

        for path in import_datasets(directory):
            click.echo(f"imported {path.name} (sha256 ok) -> {path}")


@data.command()
@click.option(
    "--mbpp-plus-url",
    default=None,
    hidden=True,
    help="Alternative URL of MbppPlus.jsonl.gz (tests, mirrors).",
)
@click.option(
    "--mbpp-plus-sha256",
    default=None,
    hidden=True,
    help="Pin for the alternative URL's .gz file.",
)
def pull(mbpp_plus_url: str | None, mbpp_plus_sha256: str | None) -> None:
    """Download MBPP (hub parquet; needs pyarrow) and MBPP+ v0.2.0 (EvalPlus)."""
    with friendly_errors():
        from lsc_tui.settings import load_settings
        from lsc_tui.tasks.datasets import (
            MBPP_PLUS_GZ_SHA256,
            MBPP_PLUS_URL,
            pull_datasets,
        )

        settings = load_settings()
        paths = pull_datasets(
            endpoint=settings.hf_endpoint,
            offline=settings.offline,
            mbpp_plus_url=mbpp_plus_url or MBPP_PLUS_URL,
            mbpp_plus_gz_sha256=mbpp_plus_sha256 or MBPP_PLUS_GZ_SHA256,
            progress=lambda message: click.echo(message, err=True),
        )
        for path in paths:
            click.echo(f"downloaded {path.name} (sha256 ok) -> {path}")


@data.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(as_json: bool) -> None:
    """Show what is cached and whether each file matches its sha256 pin.

    Exits 1 when a required file is missing or does not match.
    """
    with friendly_errors():
        from lsc_tui.tasks.datasets import (
            MBPP_PLUS_FILE,
            dataset_status,
            datasets_dir,
        )
        from lsc_tui.tasks.expected import expected_cache_path

        root = datasets_dir()
        statuses = dataset_status()
        ready = all(s.ok for s in statuses if s.required)
        plus = next(s for s in statuses if s.name == MBPP_PLUS_FILE)
        cached = (
            len(list(expected_cache_path(root, plus.sha256, 0).parent.glob("*.json")))
            if plus.ok
            else 0
        )
        if as_json:
            payload = {
                "dir": str(root),
                "ready": ready,
                "files": [s.to_json() for s in statuses],
                "expected_outputs_cached": cached,
            }
            click.echo(json.dumps(payload, indent=2))
        else:
            click.echo(f"dataset cache: {root}")
            for s in statuses:
                if not s.present:
                    state = "missing" + ("" if s.required else " (optional)")
                else:
                    state = "sha256 ok" if s.ok else "sha256 MISMATCH"
                click.echo(f"  {s.name:<24} {state:<20} {s.about}")
            if plus.ok:
                click.echo(
                    f"  MBPP+ expected outputs cached for {cached} of {PLUS_TASKS} "
                    "tasks (`lsc data prepare` computes the rest)"
                )
            if not ready:
                click.echo(
                    "run `lsc data import DIR` or `lsc data pull` to fix this", err=True
                )
        if not ready:
            sys.exit(ExitCode.FAILED)


@data.command()
@click.argument("numbers", type=int, nargs=-1)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Sandbox processes to run at once.",
)
def prepare(numbers: tuple[int, ...], jobs: int) -> None:
    """Compute the MBPP+ expected outputs now (all tasks, or NUMBERS) and cache them.

    `lsc mbpp N` and `lsc bench` compute a task's outputs on first use; doing it in
    bulk up front is much faster.
    """
    with friendly_errors():
        from lsc_tui.sandbox import Sandbox
        from lsc_tui.settings import load_settings
        from lsc_tui.tasks.mbpp import precompute_expected

        sandbox = Sandbox.from_settings(load_settings())

        def progress(done: int, total: int) -> None:
            click.echo(f"\rexpected outputs: {done}/{total}", nl=False, err=True)

        computed = precompute_expected(
            numbers or None, sandbox=sandbox, progress=progress, workers=jobs
        )
        if computed:
            click.echo("", err=True)
        click.echo(f"computed {computed} task(s); the rest were cached")

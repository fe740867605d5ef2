"""`lsc bench mbpp` and `lsc bench report`: benchmark pipelines on MBPP / MBPP+.

Records go to ``--out`` as JSON lines (or to stdout without it), flushed per run;
the progress bar, the per-run lines and the summary table go to stderr. Exit codes:
0 every run finished, 1 some runs ended in an error, 2 usage, 3 a model could not
be used, 130 interrupted (everything finished so far is saved).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from lsc_tui.bench.report import format_table, summarize, write_summary
from lsc_tui.bench.runner import (
    BenchPlan,
    PairEvent,
    PairFinished,
    PairSkipped,
    PairStarted,
    completed_pairs,
    read_records,
    run_bench,
)
from lsc_tui.bench.selection import TaskSelection
from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.exit_codes import ExitCode
from lsc_tui.cli.options import ROLE_FLAGS, model_role_options
from lsc_tui.cli.run_cmd import engine_option, fake_provider
from lsc_tui.errors import ConfigError
from lsc_tui.events import (
    CriticStarted,
    IterationStarted,
    ModelLoading,
    TestsFinished,
    TokensGenerated,
)

if TYPE_CHECKING:
    from lsc_tui.settings import Settings
    from lsc_tui.tasks.model import Task

_BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """Seconds as ``1h02m``, ``3m05s`` or ``42s``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class BenchProgress:
    """A progress bar with ETA on stderr, plus one line per finished run."""

    def __init__(
        self,
        stream: TextIO,
        remaining: Counter[str],
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.clock = clock
        self.remaining = remaining
        """Runs still to do per pipeline (skipped pairs excluded)."""
        self.seconds: dict[str, list[float]] = {}
        self.done = 0
        self.total = sum(remaining.values())
        self.passed = 0
        self.current = ""
        self.stage = ""
        self.started_at = clock()
        self._bar_shown = False

    def eta_seconds(self) -> float | None:
        """Seconds left: remaining runs times each pipeline's mean so far."""
        every = [s for values in self.seconds.values() for s in values]
        if not every:
            return None
        overall = sum(every) / len(every)
        left = 0.0
        for pipeline, count in self.remaining.items():
            own = self.seconds.get(pipeline)
            left += count * (sum(own) / len(own) if own else overall)
        return left

    def bar(self) -> str:
        """The one-line bar: fraction, counts, pass count, elapsed and ETA."""
        fraction = self.done / self.total if self.total else 1.0
        filled = int(fraction * _BAR_WIDTH)
        eta = self.eta_seconds()
        elapsed = self.clock() - self.started_at
        parts = [
            f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {self.done}/{self.total}",
            f"{100 * fraction:.0f}%",
            f"visible pass {self.passed}/{self.done}",
            f"elapsed {format_duration(elapsed)}",
            f"ETA {format_duration(eta) if eta is not None else '?'}",
        ]
        if self.current:
            parts.append(f"{self.current} {self.stage}".rstrip())
        return " · ".join(parts)

    def _clear(self) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[2K")
            self._bar_shown = False

    def _redraw(self) -> None:
        if not self.live:
            return
        self._clear()
        self.stream.write(self.bar())
        self.stream.flush()
        self._bar_shown = True

    def _line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def handle(
        self, event: PairStarted | PairEvent | PairFinished | PairSkipped
    ) -> None:
        """Update the display for one bench event."""
        match event:
            case PairSkipped():
                pass
            case PairStarted():
                self.current = f"{event.pipeline} mbpp/{event.task_id}"
                self.stage = "starting"
                self._redraw()
            case PairEvent():
                stage = _stage(event.event)
                if stage is not None and stage != self.stage:
                    self.stage = stage
                    self._redraw()
            case PairFinished():
                self._finished(event)

    def _finished(self, event: PairFinished) -> None:
        record = event.record
        pipeline = str(record["pipeline"])
        compute = max(0.0, record["seconds"] - record.get("load_seconds", 0.0))
        self.seconds.setdefault(pipeline, []).append(compute)
        self.remaining[pipeline] = max(0, self.remaining[pipeline] - 1)
        self.done += 1
        self.passed += bool(record["visible_passed"])
        hidden = record["hidden_passed"]
        verdict = {True: "PASS", False: "fail"}[bool(record["visible_passed"])]
        if record["status"] == "error":
            verdict = "ERROR"
        hidden_text = "-" if hidden is None else ("pass" if hidden else "fail")
        flag = " SUSPICIOUS" if record["suspicious"] else ""
        self.current = ""
        eta = self.eta_seconds()
        self._line(
            f"[{event.index}/{event.total}] {pipeline} mbpp/{record['task_id']}: "
            f"{verdict} · hidden {hidden_text} · {record['seconds']:.1f}s · "
            f"{record['tokens']} tok{flag} · "
            f"{self.done}/{self.total} done, ETA "
            f"{format_duration(eta) if eta is not None else '?'}"
        )
        if record.get("error"):
            self._line(f"  error: {record['error']}")
        self._redraw()

    def finish(self) -> None:
        """Clear the bar."""
        self._clear()
        self.stream.flush()


def _stage(event: Any) -> str | None:
    """A short word for what the run is doing, or None to keep the last one."""
    match event:
        case ModelLoading():
            return f"loading {event.model_id}"
        case IterationStarted():
            return f"iteration {event.iteration}"
        case TokensGenerated():
            return "generating"
        case TestsFinished():
            return "testing"
        case CriticStarted():
            return event.role.replace("_", " ")
    return None


def _raise_interrupt(signum: int, frame: Any) -> None:
    """Treat SIGTERM like Ctrl+C, so a stopped bench still writes its summary."""
    raise KeyboardInterrupt


def _split_pipelines(values: Sequence[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        for name in value.split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def _command_line(params: dict[str, Any]) -> str:
    """The canonical `lsc bench mbpp ...` command for these parameters."""
    words = ["lsc", "bench", "mbpp"]
    order = (
        "tasks",
        "plus",
        "sample",
        "seed",
        "limit",
        "pipelines",
        "max_iters",
        "generator",
        "syntax_critic",
        "logic_critic",
        "visible",
        "out",
        "resume",
        "summary",
    )
    for name in order:
        value = params.get(name)
        flag = "--" + name.replace("_", "-")
        if name == "pipelines":
            for pipeline in value or ():
                words += ["--pipeline", pipeline]
        elif value is True:
            words.append(flag)
        elif value not in (None, False, ()):
            words += [flag, str(value)]
    return shlex.join(words)


@click.group()
def bench() -> None:
    """Benchmark pipelines on MBPP / MBPP+ with honest scoring."""


@bench.command("mbpp")
@click.option(
    "--tasks", default=None, metavar="SPEC", help="11-510, 11,12,15 or a mix."
)
@click.option("--plus", is_flag=True, help="Only the 378 MBPP+ tasks.")
@click.option("--sample", type=int, default=None, metavar="N", help="Draw N tasks.")
@click.option("--seed", type=int, default=None, metavar="S", help="Seed of --sample.")
@click.option(
    "--limit", type=int, default=None, metavar="N", help="First N tasks only."
)
@click.option(
    "--pipeline",
    "pipelines",
    multiple=True,
    metavar="NAME[,NAME]",
    help="Pipeline(s) to compare; repeat or separate with commas.",
)
@click.option("--max-iters", type=click.IntRange(min=1), default=None)
@model_role_options
@click.option(
    "--visible",
    type=click.Choice(["first", "all"]),
    default=None,
    help="Asserts models may see: the first (default) or all (the seed).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSONL file for one record per task and pipeline (default: stdout).",
)
@click.option("--resume", is_flag=True, help="Skip pairs already finished in --out.")
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the summary: FILE.json and FILE.md, or one by suffix.",
)
@engine_option
def mbpp(
    tasks: str | None,
    plus: bool,
    sample: int | None,
    seed: int | None,
    limit: int | None,
    pipelines: tuple[str, ...],
    max_iters: int | None,
    generator: str | None,
    syntax_critic: str | None,
    logic_critic: str | None,
    visible: str | None,
    out: Path | None,
    resume: bool,
    summary: Path | None,
    engine: str | None,
) -> None:
    """Run MBPP tasks through one or more pipelines and score them.

    Exit status: 0 every run finished, 1 some runs ended in an error, 2 bad
    arguments, 3 a model could not be used, 130 interrupted (finished runs kept).
    """
    with friendly_errors():
        params = dict(click.get_current_context().params)
        params["pipelines"] = _split_pipelines(pipelines)
        _run_mbpp_bench(params, engine)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A validated bench invocation: what to run and what is already done."""

    settings: Settings
    selection: TaskSelection
    plan: BenchPlan
    skip: set[tuple[int, str]]
    remaining: Counter[str]


def _prepare(params: dict[str, Any]) -> _Prepared:
    """Check the flags, resolve tasks and pipelines, and read what --out holds."""
    from lsc_tui.loop.pipelines import get_pipeline
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.mbpp import mbpp_plus_ids

    roles = {role: params[role] for _flag, role in ROLE_FLAGS}
    settings = load_settings(
        cli={
            "max_iters": params["max_iters"],
            "mbpp_visible": params["visible"],
            **roles,
        }
    )
    out: Path | None = params["out"]
    if params["resume"] and out is None:
        raise ConfigError("--resume needs --out FILE to know what already ran")
    if out is not None and out.exists() and out.stat().st_size and not params["resume"]:
        raise ConfigError(
            f"{out} already has results; add --resume or pick a new --out"
        )
    pipelines = params["pipelines"] or [settings.pipeline]
    for name in pipelines:
        get_pipeline(name)
    selection = TaskSelection(
        tasks=params["tasks"],
        plus=params["plus"],
        sample=params["sample"],
        seed=params["seed"],
        limit=params["limit"],
    )
    task_ids = selection.resolve(mbpp_plus_ids)
    plan = BenchPlan(
        task_ids=task_ids,
        pipelines=pipelines,
        max_iters=params["max_iters"],
        roles=roles,
        visible=settings.mbpp_visible,
    )
    skip = completed_pairs(read_records(out)) if out is not None else set()
    remaining: Counter[str] = Counter(
        p for p in pipelines for t in task_ids if (t, p) not in skip
    )
    return _Prepared(settings, selection, plan, skip, remaining)


def _run_mbpp_bench(params: dict[str, Any], engine: str | None) -> None:
    from lsc_tui.loop.session import Session
    from lsc_tui.tasks.mbpp import load_mbpp_task

    prepared = _prepare(params)
    plan = prepared.plan
    to_do = sum(prepared.remaining.values())
    done_before = len(plan.task_ids) * len(plan.pipelines) - to_do
    click.echo(
        f"bench: {len(plan.task_ids)} tasks ({prepared.selection.describe()}) x "
        f"{', '.join(plan.pipelines)}; {to_do} runs to do"
        + (f", {done_before} already done" if done_before else ""),
        err=True,
    )
    started = dt.datetime.now(dt.UTC)
    session = Session(prepared.settings, provider=fake_provider(engine))
    cancel = threading.Event()
    progress = BenchProgress(sys.stderr, prepared.remaining)
    collected: list[dict[str, Any]] = []
    interrupted = False
    out: Path | None = params["out"]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    sink = out.open("a", encoding="utf-8") if out is not None else sys.stdout

    def load_task(number: int) -> Task:
        return load_mbpp_task(number, visible=plan.visible)  # type: ignore[arg-type]

    on_main_thread = threading.current_thread() is threading.main_thread()
    previous_term = (
        signal.signal(signal.SIGTERM, _raise_interrupt) if on_main_thread else None
    )
    try:
        for event in run_bench(
            session, plan, load_task, out=sink, skip=prepared.skip, cancel=cancel
        ):
            progress.handle(event)
            if isinstance(event, PairFinished):
                collected.append(event.record)
    except KeyboardInterrupt:
        cancel.set()
        interrupted = True
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous_term)
        progress.finish()
        session.close()
        if out is not None:
            sink.close()
    records = read_records(out) if out is not None else collected
    result = summarize(records)
    if result["pipelines"]:
        click.echo(format_table(result), err=True)
    if params["summary"] is not None:
        meta = _summary_meta(
            params["summary"],
            command=_command_line(params),
            prepared=prepared,
            invocation={
                "started_at": started.isoformat(timespec="seconds"),
                "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "runs": len(collected),
                "interrupted": interrupted,
            },
            complete=not interrupted and not any(prepared.remaining.values()),
            records=records,
        )
        for path in write_summary(result, params["summary"], meta=meta):
            click.echo(f"summary written to {path}", err=True)
    _exit(interrupted, collected)


def _exit(interrupted: bool, collected: Sequence[dict[str, Any]]) -> None:
    """Exit 130 when interrupted, 1 when some runs errored, else 0."""
    if interrupted:
        click.echo("lsc: interrupted; finished runs were saved", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    errors = sum(1 for r in collected if r.get("status") == "error")
    if errors:
        click.echo(
            f"lsc: {errors} run(s) ended in an error; see 'error' in the records",
            err=True,
        )
        sys.exit(ExitCode.FAILED)
    sys.exit(ExitCode.OK)


def _existing_meta(target: Path) -> dict[str, Any]:
    """The meta of the JSON summary at ``target``, or {} if there is none."""
    import json

    from lsc_tui.bench.report import summary_targets

    json_path = summary_targets(target)[0]
    if json_path is None or not json_path.exists():
        return {}
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8")).get("meta", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return dict(meta) if isinstance(meta, dict) else {}


def _summary_meta(
    target: Path,
    *,
    command: str,
    prepared: _Prepared,
    invocation: dict[str, Any],
    complete: bool,
    records: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """What a summary records about how it was produced, keeping earlier invocations."""

    from lsc_tui.bench.machine import machine_facts

    earlier = _existing_meta(target)
    invocations: list[dict[str, Any]] = []
    if earlier.get("command") == command:
        invocations = list(earlier.get("invocations", []))
    return {
        "command": command,
        "env": {
            key: value
            for key, value in sorted(os.environ.items())
            if key.startswith("LSC_") and key != "LSC_HOME"
        },
        "selection": prepared.selection.describe(),
        "task_ids": list(prepared.plan.task_ids),
        "pipelines": list(prepared.plan.pipelines),
        "visible": prepared.plan.visible,
        "n_threads": prepared.settings.n_threads,
        "invocations": [*invocations, invocation],
        "complete": complete,
        "machine": machine_facts(),
        "models": _models(records),
    }


def _models(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Role -> {model id: sha256} over all records."""
    models: dict[str, dict[str, str]] = {}
    for record in records:
        shas = record.get("model_sha256", {})
        for role, model_id in record.get("models", {}).items():
            models.setdefault(role, {})[model_id] = shas.get(role, "")
    return models


@bench.command("report")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write FILE.json and FILE.md (or one by suffix).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary JSON to stdout."
)
def report(files: tuple[Path, ...], summary: Path | None, as_json: bool) -> None:
    """Summarise bench JSONL FILES (the last record of each task and pipeline wins).

    Rewriting an existing ``--summary`` keeps how it was produced (its meta).
    """
    import json

    with friendly_errors():
        records = [r for path in files for r in read_records(path)]
        if not records:
            raise ConfigError("no bench records in the given files")
        result = summarize(records)
        click.echo(format_table(result), err=True)
        if as_json:
            click.echo(json.dumps(result, indent=2))
        if summary is not None:
            meta = {
                **_existing_meta(summary),
                "sources": [str(p) for p in files],
                "models": _models(records),
            }
            for path in write_summary(result, summary, meta=meta):
                click.echo(f"summary written to {path}", err=True)

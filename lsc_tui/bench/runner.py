"""Run MBPP tasks through pipelines with one shared Session and save one line per run.

Bench runs exactly the code ``lsc mbpp`` and the TUI run (``Session.run``); nothing
in the loop knows it is being benchmarked. Pipelines run one after another, each
over all tasks, so a model set loads once per pipeline. Every finished
(task, pipeline) pair is appended to the JSONL file and flushed at once, so an
interrupted run keeps everything it finished and ``resume`` skips it next time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lsc_tui.bench.suspicious import suspicious_literals
from lsc_tui.errors import EngineError, LscError, ModelError
from lsc_tui.events import (
    AssertsWritten,
    CriticFinished,
    GenerationFinished,
    LoopEvent,
    ModelLoaded,
    RunFailed,
    RunStarted,
    SamplesDiscarded,
)
from lsc_tui.loop.result import result_from_events
from lsc_tui.loop.session import RunRequest, Session
from lsc_tui.tasks.model import Task

DONE_STATUSES = frozenset({"passed", "failed"})
"""Run statuses that count as finished; errored or cancelled pairs are re-run."""
MAX_CONSECUTIVE_ERRORS = 5
"""Stop the bench when this many runs in a row end in an error."""


@dataclass(frozen=True, slots=True)
class BenchPlan:
    """What one bench invocation runs."""

    task_ids: Sequence[int]
    pipelines: Sequence[str]
    max_iters: int | None = None
    roles: dict[str, str | None] = field(default_factory=dict)
    visible: str = "first"


@dataclass(frozen=True, slots=True)
class PairStarted:
    """A (task, pipeline) run began; ``index`` counts from 1 over ``total``."""

    task_id: int
    pipeline: str
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class PairEvent:
    """A loop event of the run in progress (for live progress)."""

    task_id: int
    pipeline: str
    event: LoopEvent


@dataclass(frozen=True, slots=True)
class PairFinished:
    """A run finished and its record was saved."""

    record: dict[str, Any]
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class PairSkipped:
    """A pair was already in the output file (``resume``)."""

    task_id: int
    pipeline: str
    index: int
    total: int


BenchEvent = PairStarted | PairEvent | PairFinished | PairSkipped


def mbpp_number(task_id: str | int) -> int:
    """The MBPP number of ``mbpp/11`` (or of 11)."""
    return int(str(task_id).rsplit("/", 1)[-1])


def role_usage(events: Iterable[LoopEvent]) -> tuple[dict[str, int], dict[str, float]]:
    """Tokens and seconds spent per role, summed over generations, critiques and
    the tester's asserts (written by the generator model, counted as "tester")."""
    tokens: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for event in events:
        if isinstance(event, GenerationFinished):
            role, n, s = "generator", event.tokens, event.seconds
        elif isinstance(event, CriticFinished):
            role, n, s = event.role, event.tokens, event.seconds
        elif isinstance(event, AssertsWritten):
            role, n, s = "tester", event.tokens, event.seconds
        elif isinstance(event, SamplesDiscarded):
            role, n, s = "generator", event.tokens, event.seconds
        else:
            continue
        tokens[role] = tokens.get(role, 0) + n
        seconds[role] = round(seconds.get(role, 0.0) + s, 3)
    return tokens, seconds


def bench_record(
    events: Sequence[LoopEvent], task: Task, pipeline: str
) -> dict[str, Any]:
    """The JSONL line for one run: the ``lsc mbpp --json`` object plus bench fields."""
    record = result_from_events(events)
    hidden = record["hidden"]
    flagged = suspicious_literals(
        record["final_code"], task.visible_tests, task.reference_code
    )
    tokens, seconds = role_usage(events)
    started = next((e for e in events if isinstance(e, RunStarted)), None)
    load_seconds = sum(e.seconds for e in events if isinstance(e, ModelLoaded))
    record.update(
        {
            "task_id": mbpp_number(task.task_id),
            "pipeline": pipeline,
            "pass_at_1": bool(record["first_attempt_passed"]),
            "first_pass_iteration": record["first_pass_iteration"],
            "visible_passed": bool(record["success"]),
            "hidden_passed": None if hidden is None else bool(hidden["passed"]),
            "suspicious": bool(flagged),
            "suspicious_literals": flagged,
            "role_tokens": tokens,
            "role_seconds": seconds,
            "tokens": sum(tokens.values()),
            "load_seconds": round(load_seconds, 3),
            "model_sha256": (
                {m.role: m.sha256 for m in started.models} if started else {}
            ),
        }
    )
    return record


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line of a bench file; a torn last line is ignored."""
    records: list[dict[str, Any]] = []
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return records
    with handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if isinstance(record, dict) and "task_id" in record:
                records.append(record)
    return records


def completed_pairs(records: Iterable[dict[str, Any]]) -> set[tuple[int, str]]:
    """(task, pipeline) pairs that finished (passed or failed) in ``records``."""
    return {
        (mbpp_number(r["task_id"]), str(r["pipeline"]))
        for r in records
        if r.get("status") in DONE_STATUSES
    }


def _failure(events: Sequence[LoopEvent]) -> RunFailed | None:
    return next((e for e in events if isinstance(e, RunFailed)), None)


def run_bench(
    session: Session,
    plan: BenchPlan,
    load_task: Callable[[int], Task],
    *,
    out: TextIO | None = None,
    skip: set[tuple[int, str]] | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[BenchEvent]:
    """Run every (pipeline, task) pair of ``plan``, yielding progress as it goes.

    Each finished record is written to ``out`` as one JSON line and flushed before
    PairFinished is yielded. A task that cannot be loaded is saved as an error
    record and the bench goes on. A model that cannot load raises ModelError, and
    MAX_CONSECUTIVE_ERRORS errors in a row raise EngineError; ``resume`` retries
    errored pairs once the problem is fixed.
    """
    skip = skip or set()
    cancel = cancel or threading.Event()
    total = len(plan.task_ids) * len(plan.pipelines)
    tasks: dict[int, Task] = {}
    index = 0
    errors_in_a_row = 0
    for pipeline in plan.pipelines:
        for number in plan.task_ids:
            index += 1
            if (number, pipeline) in skip:
                yield PairSkipped(number, pipeline, index, total)
                continue
            if cancel.is_set():
                return
            yield PairStarted(number, pipeline, index, total)
            try:
                task = tasks[number] if number in tasks else load_task(number)
            except LscError as exc:
                # One task we cannot load must not end a long bench; count it.
                errors_in_a_row += 1
                _check_error_streak(errors_in_a_row, str(exc))
                record = task_error_record(number, pipeline, str(exc))
                _write(out, record)
                yield PairFinished(record, index, total)
                continue
            tasks[number] = task
            request = RunRequest(
                task=task,
                pipeline=pipeline,
                max_iters=plan.max_iters,
                roles=plan.roles,
            )
            events: list[LoopEvent] = []
            for event in session.run(request, cancel):
                events.append(event)
                yield PairEvent(number, pipeline, event)
            record = bench_record(events, task, pipeline)
            if record["status"] == "cancelled" or cancel.is_set():
                return
            failure = _failure(events)
            if failure is not None and failure.title == ModelError.title:
                raise ModelError(f"{failure.message} (task {number}, {pipeline})")
            errors_in_a_row = errors_in_a_row + 1 if failure is not None else 0
            if failure is not None:
                _check_error_streak(errors_in_a_row, failure.message)
            _write(out, record)
            yield PairFinished(record, index, total)


def _write(out: TextIO | None, record: dict[str, Any]) -> None:
    """Append one record as a JSON line and flush it to disk at once."""
    if out is not None:
        out.write(json.dumps(record) + "\n")
        out.flush()


def _check_error_streak(errors_in_a_row: int, message: str) -> None:
    """Stop the bench once MAX_CONSECUTIVE_ERRORS runs in a row have failed."""
    if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
        raise EngineError(
            f"{errors_in_a_row} runs in a row failed; the last said: {message}. "
            "Check the setup with `lsc doctor`"
        )


def task_error_record(number: int, pipeline: str, message: str) -> dict[str, Any]:
    """The record of a task that could not be loaded or scored: an error, not a fail."""
    return {
        "task_id": number,
        "pipeline": pipeline,
        "status": "error",
        "error": message,
        "success": False,
        "first_attempt_passed": False,
        "first_pass_iteration": None,
        "hidden": None,
        "final_code": "",
        "seconds": 0.0,
        "iterations": [],
        "models": {},
        "pass_at_1": False,
        "visible_passed": False,
        "hidden_passed": None,
        "suspicious": False,
        "suspicious_literals": [],
        "role_tokens": {},
        "role_seconds": {},
        "tokens": 0,
        "load_seconds": 0.0,
        "model_sha256": {},
    }

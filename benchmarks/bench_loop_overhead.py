"""Loop overhead per iteration, excluding model time: sandbox, events, SQLite writes.

A scripted engine with zero pacing stands in for the model, so what remains is the
loop itself. Each run is a ``feedback`` task that fails twice and passes on the third
iteration, run through the same ``Session`` as ``lsc mbpp`` with the real sandbox.
Runs alternate between recording to SQLite and not, and the difference is the cost
of the run history. Model time (the fake engine's own streaming) is subtracted.

Usage: python benchmarks/bench_loop_overhead.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.events import GenerationFinished, IterationStarted
from lsc_tui.loop.session import RunRequest, Session
from lsc_tui.sandbox import Sandbox
from lsc_tui.sandbox.result import CheckResult, CompileError
from lsc_tui.settings import load_settings
from lsc_tui.tasks.typed import typed_task

EXPLANATION = (
    "\n\nThis function walks the list once and keeps a running total, so it runs "
    "in linear time and constant extra space. Edge cases such as an empty list "
    "return zero.\n"
)
WRONG = (
    "```python\ndef running_total(values):\n    total = 0\n    for value in values:\n"
    "        total -= value\n    return total\n```" + EXPLANATION
)
RIGHT = (
    "```python\ndef running_total(values):\n    total = 0\n    for value in values:\n"
    "        total += value\n    return total\n```" + EXPLANATION
)
TESTS = (
    "assert running_total([1, 2, 3]) == 6",
    "assert running_total([]) == 0",
    "assert running_total([-5, 5, 10]) == 10",
)


class TimedSandbox:
    """Wraps the real sandbox and adds up the seconds spent in it."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.syntax_seconds = 0.0

    def check_syntax(self, code: str) -> CompileError | None:
        started = time.perf_counter()
        try:
            return self.inner.check_syntax(code)
        finally:
            spent = time.perf_counter() - started
            self.seconds += spent
            self.syntax_seconds += spent

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult:
        started = time.perf_counter()
        try:
            return self.inner.run_tests(
                code, tests, setup=setup, entry_point=entry_point
            )
        finally:
            self.seconds += time.perf_counter() - started


def one_run(sandbox: TimedSandbox, record: bool) -> dict[str, float]:
    """Run the task once; returns wall, model, sandbox seconds and iterations."""
    settings = load_settings()
    engine = ScriptedEngine([WRONG, WRONG, RIGHT], chunk_chars=4)
    session = Session(
        settings, provider=FakeProvider(engine), sandbox=sandbox, record=record
    )
    task = typed_task("Return the sum of a list of numbers.", list(TESTS))
    request = RunRequest(task=task, pipeline="feedback", max_iters=3)
    sandbox.seconds = 0.0
    sandbox.syntax_seconds = 0.0
    started = time.perf_counter()
    model = 0.0
    iterations = 0
    events = 0
    for event in session.run(request):
        events += 1
        if isinstance(event, GenerationFinished):
            model += event.seconds
        elif isinstance(event, IterationStarted):
            iterations += 1
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "model": model,
        "sandbox": sandbox.seconds,
        "syntax": sandbox.syntax_seconds,
        "iterations": iterations,
        "events": events,
    }


def measure(runs: int) -> dict[str, Any]:
    """Alternate recorded and unrecorded runs; per-iteration medians in ms."""
    sandbox = TimedSandbox(Sandbox.from_settings(load_settings()))
    one_run(sandbox, record=True)  # warm up imports, the tier probe and the database
    recorded: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    for index in range(runs):
        order = (True, False) if index % 2 == 0 else (False, True)
        for record in order:
            (recorded if record else plain).append(one_run(sandbox, record))

    def per_iter_ms(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(1000 * r[key] / r["iterations"] for r in rows)

    def loop_ms(rows: list[dict[str, float]]) -> float:
        return statistics.median(
            1000 * (r["wall"] - r["model"]) / r["iterations"] for r in rows
        )

    with_db = loop_ms(recorded)
    without_db = loop_ms(plain)
    sandbox_ms = per_iter_ms(plain, "sandbox")
    return {
        "runs": runs,
        "iterations_per_run": plain[0]["iterations"],
        "events_per_run": plain[0]["events"],
        "sandbox_tier": sandbox.inner.tier.name,
        "per_iteration_ms": {
            "total_with_sqlite": round(with_db, 1),
            "sandbox": round(sandbox_ms, 1),
            "sandbox_syntax_check": round(per_iter_ms(plain, "syntax"), 1),
            "events_and_loop": round(without_db - sandbox_ms, 1),
            "sqlite_writes": round(with_db - without_db, 1),
        },
        "model_ms_per_iteration_fake": round(per_iter_ms(plain, "model"), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LSC_HOME"] = home
        result = measure(args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ms = result["per_iteration_ms"]
    print(
        f"loop overhead per iteration ({result['runs']} runs x "
        f"{result['iterations_per_run']} iterations, tier {result['sandbox_tier']}):"
    )
    print(f"  sandbox (syntax + visible tests): {ms['sandbox']:8.1f} ms")
    print(f"    of which the syntax check:      {ms['sandbox_syntax_check']:8.1f} ms")
    print(f"  events and loop logic:            {ms['events_and_loop']:8.1f} ms")
    print(f"  SQLite writes:                    {ms['sqlite_writes']:8.1f} ms")
    print(f"  total, excluding model time:      {ms['total_with_sqlite']:8.1f} ms")


if __name__ == "__main__":
    main()

"""How much of `select`'s time does stopping a batch at its kept sample save?

`select` draws samples 4 at a time in one llama.cpp batch and keeps the first, in
order, that passes the visible tests (or, on the edge check's repair turns, the
first repair kept). The samples after it are discarded, so the loop stops the
batch as soon as that sample is known (``_Loop.batch_stop``). This measures what
that saves, paired on one machine at one moment: it runs `select` on MBPP+ tasks
with the stop *observed* instead of applied. Every batch runs to its end, as it
did before the stop existed, and the moment the stop would have ended it is
noted. The samples before that moment are already whole when it comes, so the
seconds after it are exactly what the stop saves.

Greedy decoding differs across CPUs, so this machine's candidates may differ from
the recorded runs'; the measured share is this run's own.

Usage: LSC_HOME=... python benchmarks/bench_batch_stop.py --tasks 20,56,...
[--generator MODEL] [--out JSONL] [--timings JSON]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.bench.runner import BenchPlan, PairFinished, PairStarted, run_bench  # noqa: E402
from lsc_tui.engine.llama import LlamaEngine  # noqa: E402
from lsc_tui.loop import runner  # noqa: E402
from lsc_tui.loop.session import Session  # noqa: E402
from lsc_tui.settings import load_settings  # noqa: E402
from lsc_tui.tasks.mbpp import load_mbpp_task  # noqa: E402

DEFAULT_GENERATOR = "qwen2.5-coder-1.5b-instruct:q4_k_m"
CUT_SECONDS = 0.05
"""A batch whose stop saved at least this (part of one decode step) was cut short."""


@dataclass
class Batch:
    """One batch of one run: its samples, its seconds, and the stop's moment."""

    task: int
    samples: int
    seconds: float = 0.0
    fired: bool = False
    """Whether the kept sample was known before the batch ended (the stop fired);
    when it is the last sample to end, the stop saves nothing."""
    saved: float = 0.0
    """Seconds from the moment the stop would have ended the batch to its end."""


batches: list[Batch] = []
current = {"task": 0, "stop_at": None}


def observed_stop(batch_stop: Any) -> Any:
    """``_Loop.batch_stop`` whose callback notes when it would stop, and never does."""

    @functools.wraps(batch_stop)
    def wrapper(self: Any) -> Any:
        done = batch_stop(self)
        if done is None:
            return None

        def observe(index: int, text: str) -> bool:
            if current["stop_at"] is None and done(index, text):
                current["stop_at"] = time.perf_counter()
            return False

        return observe

    return wrapper


def timed_batches(stream_samples: Any) -> Any:
    """``LlamaEngine.stream_samples`` that times each batch and its saving."""

    @functools.wraps(stream_samples)
    def wrapper(
        self: Any, messages: Any, params: Any, cancel: Any = None, done: Any = None
    ) -> Iterator[tuple[int, str]]:
        batch = Batch(current["task"], len(params))
        current["stop_at"] = None
        begun = time.perf_counter()
        try:
            yield from stream_samples(self, messages, params, cancel, done)
        finally:
            ended = time.perf_counter()
            batch.seconds = ended - begun
            if current["stop_at"] is not None:
                batch.fired = True
                batch.saved = ended - current["stop_at"]
            batches.append(batch)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", required=True, help="comma-separated MBPP ids")
    parser.add_argument("--generator", default=DEFAULT_GENERATOR)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs/bench/history/batch-stop-runs.jsonl"
    )
    parser.add_argument(
        "--timings", type=Path, default=ROOT / "docs/bench/batch_stop.json"
    )
    args = parser.parse_args()
    task_ids = [int(t) for t in args.tasks.split(",")]

    runner._Loop.batch_stop = observed_stop(runner._Loop.batch_stop)  # type: ignore[method-assign]
    LlamaEngine.stream_samples = timed_batches(LlamaEngine.stream_samples)  # type: ignore[method-assign]

    roles: dict[str, str | None] = {"generator": args.generator}
    settings = load_settings(cli={"mbpp_visible": "first", **roles})
    plan = BenchPlan(task_ids, ["select"], roles=roles, visible=settings.mbpp_visible)
    session = Session(settings)
    runs: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as sink:
        for event in run_bench(
            session,
            plan,
            lambda n: load_mbpp_task(n, visible=plan.visible),  # type: ignore[arg-type]
            out=sink,
        ):
            if isinstance(event, PairStarted):
                current["task"] = event.task_id
            elif isinstance(event, PairFinished):
                mine = [b for b in batches if b.task == current["task"]]
                row = {
                    "task": current["task"],
                    "seconds": round(float(event.record["seconds"]), 2),
                    "hidden_seconds": round(
                        float(event.record.get("hidden_seconds") or 0.0), 2
                    ),
                    "batch_seconds": round(sum(b.seconds for b in mine), 2),
                    "saved": round(sum(b.saved for b in mine), 2),
                    "batches": len(mine),
                }
                runs.append(row)
                print(json.dumps(row), flush=True)
                write_timings(args.timings, args.generator, runs)
    session.close()
    print(json.dumps(write_timings(args.timings, args.generator, runs)))


def write_timings(path: Path, generator: str, runs: list[dict[str, Any]]) -> Any:
    """Write the totals, each run's row and each batch (after every run, so an
    interrupted bench keeps what it measured); return the totals."""
    total = sum(r["seconds"] for r in runs)
    saved = sum(r["saved"] for r in runs)
    summary = {
        "generator": generator,
        "tasks": len(runs),
        "seconds": round(total, 1),
        "hidden_seconds": round(sum(r["hidden_seconds"] for r in runs), 1),
        "batch_seconds": round(sum(r["batch_seconds"] for r in runs), 1),
        "saved": round(saved, 1),
        "stopped_over_whole": round((total - saved) / total, 3) if total else None,
        "fired_batches": sum(1 for b in batches if b.fired),
        "cut_batches": sum(1 for b in batches if b.saved >= CUT_SECONDS),
        "batches": len(batches),
    }
    path.write_text(
        json.dumps(
            {"summary": summary, "runs": runs, "batches": [asdict(b) for b in batches]},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return summary


if __name__ == "__main__":
    main()

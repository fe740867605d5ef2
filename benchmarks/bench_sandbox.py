"""Sandbox speed: time per trivial test, and scoring all MBPP+ canonical solutions.

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_sandbox.py [--tier NAME]
[--limit N] [--workers N] [--data PATH]``.

Prints (1) the wall time of ``run_tests`` per trivial passing test, (2) the time to
compute the expected outputs of every MBPP+ v0.2.0 task by running its canonical
solution on all base+plus inputs with one ``call_batch`` per task, and (3) the
time to score the canonical solutions against those outputs (a second batch per
task, compared in the parent). Every canonical solution must pass.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.sandbox import Limits, Sandbox  # noqa: E402
from lsc_tui.sandbox.wire import OpaqueObject  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mbpp" / "MbppPlus-v0.2.0.jsonl"


def load_tasks(path: Path) -> list[dict[str, Any]]:
    """MBPP+ rows with inputs restored to Python types as EvalPlus does."""
    try:
        from lsc_tui.tasks.mbpp import deserialize_inputs
    except ImportError:  # the tasks package is optional for this benchmark

        def deserialize_inputs(number: int, inputs: list[Any]) -> list[Any]:
            return inputs

    tasks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        number = int(row["task_id"].split("/")[-1])
        inputs = list(deserialize_inputs(number, row["base_input"]))
        inputs += list(deserialize_inputs(number, row["plus_input"] or []))
        tasks.append(
            {
                "number": number,
                "code": row["prompt"] + row["canonical_solution"],
                "entry_point": row["entry_point"],
                "inputs": [list(args) for args in inputs],
            }
        )
    return tasks


def same(actual: Any, expected: Any) -> bool:
    """Equality that accepts NaN for NaN, and any non-plain object for one (MBPP+'s
    "is not None" tasks return re.Match objects)."""
    if isinstance(expected, OpaqueObject) or isinstance(actual, OpaqueObject):
        return (actual is None) == (expected is None)
    if isinstance(expected, float) and isinstance(actual, float):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    if isinstance(expected, list | tuple) and type(actual) is type(expected):
        return len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected)


def bench_trivial(sandbox: Sandbox, repeats: int) -> tuple[float, float]:
    """Seconds per run_tests call with one test, and per test with ten tests."""
    code = "def add(a, b):\n    return a + b\n"
    one = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = sandbox.run_tests(code, ["assert add(1, 2) == 3"])
        one.append(time.perf_counter() - started)
        assert result.verdict == "passed", result
    tests = [f"assert add({i}, 1) == {i + 1}" for i in range(10)]
    started = time.perf_counter()
    result = sandbox.run_tests(code, tests)
    per_test = (time.perf_counter() - started) / len(tests)
    assert result.verdict == "passed", result
    return statistics.median(one), per_test


def run_all(
    sandbox: Sandbox, tasks: Sequence[dict[str, Any]], workers: int
) -> tuple[float, list[list[Any]]]:
    """One call_batch per task; wall seconds and the outcomes."""

    def one(task: dict[str, Any]) -> list[Any]:
        return sandbox.call_batch(
            task["code"],
            task["entry_point"],
            task["inputs"],
            per_call_timeout_s=20.0,
            total_timeout_s=240.0,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, tasks))
    return time.perf_counter() - started, outcomes


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default=None)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--memory-mb", type=int, default=4096)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tasks", type=int, nargs="*", default=None)
    args = parser.parse_args()
    sandbox = Sandbox(Limits(memory_mb=args.memory_mb), tier=args.tier)
    print(f"tier: {sandbox.tier.name} ({sandbox.tier.reason})")
    one, per_test = bench_trivial(sandbox, args.repeats)
    print(f"run_tests, 1 trivial test (incl. syntax stage): {one * 1000:.0f} ms")
    print(f"run_tests, 10 trivial tests: {per_test * 1000:.0f} ms per test")
    tasks = load_tasks(args.data)
    if args.tasks:
        tasks = [t for t in tasks if t["number"] in set(args.tasks)]
    if args.limit:
        tasks = tasks[: args.limit]
    total_inputs = sum(len(t["inputs"]) for t in tasks)
    seconds, expected = run_all(sandbox, tasks, args.workers)
    bad = [
        (t["number"], i, o.status, o.message)
        for t, outs in zip(tasks, expected, strict=True)
        for i, o in enumerate(outs)
        if o.status != "ok"
    ]
    print(
        f"expected outputs: {len(tasks)} tasks, {total_inputs} inputs in "
        f"{seconds:.1f} s with {args.workers} worker(s); {len(bad)} inputs not ok"
    )
    for item in bad[:10]:
        print("   not ok:", item)
    seconds, scored = run_all(sandbox, tasks, args.workers)
    failed_tasks = sorted(
        t["number"]
        for t, outs, exp in zip(tasks, scored, expected, strict=True)
        if any(
            o.status != "ok" or e.status != "ok" or not same(o.value, e.value)
            for o, e in zip(outs, exp, strict=True)
        )
    )
    print(
        f"scoring canonical solutions: {len(tasks) - len(failed_tasks)}/{len(tasks)} "
        f"tasks pass, {total_inputs} inputs in {seconds:.1f} s "
        f"({seconds / max(total_inputs, 1) * 1000:.2f} ms per input)"
    )
    if failed_tasks:
        print("   failing tasks:", failed_tasks[:30])
    return 0 if not failed_tasks and not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())

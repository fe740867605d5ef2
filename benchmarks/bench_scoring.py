"""Time hidden-test scoring of all 378 MBPP+ canonical solutions (base + plus inputs).

Usage: ``python benchmarks/bench_scoring.py [--data DIR] [--jobs N]``

It seeds a throw-away dataset cache from DIR (default ``../shared/data/mbpp``), then
measures two phases with the real sandbox: computing the expected outputs in bulk
(the cold cache, once per machine: ``lsc data prepare``) and scoring every canonical
solution against them (what each ``lsc mbpp N`` / bench task pays, one sandbox
process per task). Every canonical solution must pass.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lsc_tui.sandbox import Sandbox  # noqa: E402
from lsc_tui.tasks.datasets import import_datasets  # noqa: E402
from lsc_tui.tasks.mbpp import (  # noqa: E402
    load_mbpp_task,
    mbpp_plus_ids,
    precompute_expected,
)
from lsc_tui.tasks.model import Task  # noqa: E402
from lsc_tui.tasks.scoring import HiddenReport, score_hidden_report  # noqa: E402


def main() -> int:
    """Run both phases and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/mbpp")
    parser.add_argument("--jobs", type=int, default=1, help="parallel sandbox calls")
    parser.add_argument("--limit", type=int, default=0, help="only the first N tasks")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lsc-bench-scoring-") as home:
        os.environ["LSC_HOME"] = home
        data_dir = Path(home) / "datasets"
        import_datasets(args.data, data_dir=data_dir)
        numbers = mbpp_plus_ids(data_dir)
        if args.limit:
            numbers = numbers[: args.limit]
        sandbox = Sandbox()
        print(
            f"sandbox tier: {sandbox.tier.name}; tasks: {len(numbers)}; "
            f"jobs: {args.jobs}"
        )

        def load(number: int) -> Task:
            return load_mbpp_task(number, data_dir=data_dir, sandbox=sandbox)

        def score(task: Task) -> HiddenReport:
            report = score_hidden_report(task, task.reference_code, sandbox)
            assert report is not None
            return report

        started = time.perf_counter()
        precompute_expected(
            numbers, data_dir=data_dir, sandbox=sandbox, workers=args.jobs
        )
        tasks = [load(number) for number in numbers]
        expected_s = time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            reports = list(pool.map(score, tasks))
        scoring_s = time.perf_counter() - started

    inputs = sum(r.base_total + r.plus_total for r in reports)
    failed = [t.task_id for t, r in zip(tasks, reports, strict=True) if not r.plus_ok]
    print(
        f"expected outputs (cold cache, bulk): {expected_s:.1f} s "
        f"({len(tasks) / expected_s:.2f} tasks/s)"
    )
    print(
        f"scoring {len(tasks)} canonical solutions, {inputs} inputs: "
        f"{scoring_s:.1f} s ({len(tasks) / scoring_s:.2f} tasks/s, "
        f"{inputs / scoring_s:.0f} inputs/s)"
    )
    print(f"canonical solutions failing hidden tests: {len(failed)} {failed[:10]}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

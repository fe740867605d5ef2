"""How much of a bench record's ``seconds`` is hidden-test scoring, not the loop.

A run's ``seconds`` ends after its final code was scored on the hidden tests, and
the records made before ``hidden_seconds`` existed cannot tell that part apart. A
user's run never pays it, and it costs about the same per task for every pipeline,
so it pulls every time ratio towards 1. This re-times it in one sitting: for each
MBPP+ task, the loop's own check of one-shot's final code (syntax, then the visible
tests) and the hidden scoring of one-shot's and of `select`'s final codes.
``scripts/make_results.py`` scales these to one-shot's run (its seconds outside
generation over today's check plus scoring) and states `select`'s time ratio
without the scoring.

Usage: LSC_HOME=... python benchmarks/bench_hidden_scoring.py [--bench DIR]
[--out FILE]; the select records are ``DIR/plus378-select*.jsonl`` in name order
(later files replace earlier records), as on the results page.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.bench.report import latest_records  # noqa: E402
from lsc_tui.bench.runner import read_records  # noqa: E402
from lsc_tui.sandbox import Sandbox  # noqa: E402
from lsc_tui.tasks.mbpp import load_mbpp_task  # noqa: E402
from lsc_tui.tasks.model import Task  # noqa: E402
from lsc_tui.tasks.scoring import score_hidden  # noqa: E402

BENCH = ROOT / "docs" / "bench"


def final_codes(paths: list[Path], pipeline: str) -> dict[int, str]:
    records = [r for path in paths for r in read_records(path)]
    return {
        int(r["task_id"]): str(r.get("final_code") or "")
        for r in latest_records(records)
        if r.get("pipeline") == pipeline
    }


def check_seconds(task: Task, code: str, sandboxes: tuple[Sandbox, Sandbox]) -> float:
    """The loop's check of ``code`` as one-shot's run made it: its syntax, then (if
    it compiles) the visible tests. Two sandboxes, because the runs predate the
    sandbox remembering a compile, so its tests compiled the code again."""
    syntax, tests = sandboxes
    started = time.perf_counter()
    if code.strip() and syntax.check_syntax(code) is None:
        tests.run_tests(
            code,
            task.visible_tests,
            setup=task.setup_code,
            entry_point=task.entry_point,
        )
    return time.perf_counter() - started


def scoring_seconds(task: Task, code: str, sandbox: Sandbox) -> float:
    """Scoring ``code`` on the hidden tests, as the bench does after a run."""
    if not code.strip():
        return 0.0
    started = time.perf_counter()
    score_hidden(task, code, sandbox)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--out", type=Path, default=BENCH / "hidden_scoring.json")
    args = parser.parse_args()
    one = final_codes([args.bench / "plus378-one-shot.jsonl"], "one-shot")
    select = final_codes(sorted(args.bench.glob("plus378-select*.jsonl")), "select")
    sandbox = Sandbox()
    checkers = (Sandbox(), Sandbox())
    rows = []
    for number in sorted(set(one) & set(select)):
        task = load_mbpp_task(number)
        rows.append(
            {
                "task": number,
                "one_shot_check_s": round(
                    check_seconds(task, one[number], checkers), 4
                ),
                "one_shot_hidden_s": round(
                    scoring_seconds(task, one[number], sandbox), 4
                ),
                "select_hidden_s": round(
                    scoring_seconds(task, select[number], sandbox), 4
                ),
            }
        )
    totals = {
        key: round(sum(row[key] for row in rows), 2)
        for key in ("one_shot_check_s", "one_shot_hidden_s", "select_hidden_s")
    }
    args.out.write_text(
        json.dumps({"tasks": len(rows), "totals": totals, "rows": rows}, indent=1)
        + "\n",
        encoding="utf-8",
    )
    print(json.dumps({"tasks": len(rows), **totals}))


if __name__ == "__main__":
    main()

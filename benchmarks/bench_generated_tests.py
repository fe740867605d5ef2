"""Can tests the generator writes tell `select`'s false visible passes from true ones?

The next lever for `select` (docs/results.md) is evidence beyond the one visible
assert. CodeT-style, the generator writes extra asserts from the task text and the
visible test, never seeing a candidate; each candidate then runs on them. This
measures whether that evidence separates right from wrong, before any pipeline
spends tokens on it: for the final code of a `select` bench run, it prints the
share of generated asserts the code passes, for codes whose hidden tests pass and
for those whose hidden tests fail (visible passes only).

Hidden tests are read from the bench record only to split the two groups here; no
hidden test reaches the model or the asserts. The canonical solution also runs on
the generated asserts, to report how many of them are right at all.

Usage: LSC_HOME=... python benchmarks/bench_generated_tests.py RECORDS.jsonl \
       MODEL.gguf [--tasks 1,2,...] [--only-samples] [--limit N] [--out rows.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.bench.runner import read_records
from lsc_tui.engine.base import ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.loop.tester import TESTER_MAX_TOKENS, assert_messages, parse_asserts


def share_passed(sandbox: Any, code: str, asserts: list[str], task: Any) -> float:
    result = sandbox.run_tests(
        code, asserts, setup=task.setup_code, entry_point=task.entry_point
    )
    return result.passed / max(1, result.total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("model", type=Path)
    parser.add_argument("--tasks", default="")
    parser.add_argument(
        "--only-samples",
        action="store_true",
        help="only tasks whose first visible pass was a sample, not the greedy code",
    )
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from lsc_tui.sandbox import Sandbox
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.mbpp import load_mbpp_task

    wanted = {int(t) for t in args.tasks.split(",") if t}
    records = [
        r
        for r in read_records(args.records)
        if r.get("visible_passed")
        and r.get("hidden") is not None
        and (not wanted or int(r["task_id"]) in wanted)
        and (not args.only_samples or (r.get("first_pass_iteration") or 1) > 1)
    ]
    if args.limit:
        records = records[: args.limit]
    sandbox = Sandbox.from_settings(load_settings())
    engine = LlamaEngine(ModelSpec(args.model.stem, args.model, n_ctx=2048))
    params = SamplingParams(max_tokens=TESTER_MAX_TOKENS, temperature=0.0)
    rows = []
    began = time.perf_counter()
    try:
        for record in records:
            task = load_mbpp_task(int(record["task_id"]), sandbox=sandbox)
            assert task.entry_point is not None
            reply = "".join(engine.stream(assert_messages(task, 5), params))
            asserts = parse_asserts(reply, task.visible_tests)
            row = {
                "task_id": task.task_id,
                "hidden_passed": bool(record["hidden_passed"]),
                "asserts": len(asserts),
                "tokens": engine.last_stats.completion_tokens
                if engine.last_stats
                else 0,
            }
            if asserts:
                row["candidate"] = share_passed(
                    sandbox, record["final_code"], asserts, task
                )
                row["reference"] = share_passed(
                    sandbox, task.reference_code, asserts, task
                )
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        engine.close()
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    scored = [r for r in rows if r["asserts"]]
    print(
        f"{len(rows)} visible passes, {len(scored)} with parsable asserts, "
        f"{time.perf_counter() - began:.0f} s, "
        f"{statistics.mean(r['tokens'] for r in rows):.0f} tokens per test reply"
    )
    print(
        f"generated asserts the canonical solution passes: "
        f"{statistics.mean(r['reference'] for r in scored):.2f}"
    )
    for label, group in (
        ("hidden pass", [r for r in scored if r["hidden_passed"]]),
        ("hidden FAIL", [r for r in scored if not r["hidden_passed"]]),
    ):
        if not group:
            continue
        shares = [r["candidate"] for r in group]
        all_pass = sum(1 for s in shares if s == 1.0)
        print(
            f"{label}: {len(group)} codes, mean share of asserts passed "
            f"{statistics.mean(shares):.2f}, pass them all {all_pass}/{len(group)}"
        )


if __name__ == "__main__":
    main()

"""Does a bigger sample budget pay where `select` found no visible pass?

`select` draws its candidates in a fixed order (greedy, then samples seeded
seed+2, seed+3, ...), so a run with a bigger ``max_iters`` starts with exactly the
candidates of a committed run. This replays a committed `select` run's candidates
for the tasks where none passed the visible tests, and lets the real model draw
the candidates past them, through the real loop (``run_loop``) with a larger
``max_iters``: the records it writes are those of `select --max-iters N`, at the
cost of the new candidates only. Replayed candidates keep their recorded tokens
and seconds; each is checked to get the recorded visible verdict again. A record's
``seconds`` is the committed run's plus the wall time of the new candidates
(``new_seconds``; replays take none); when the machine runs slower than it did for
the committed run, that overstates the time a single run would take.

Hidden tests score the final code after each run, exactly as the bench does.

Usage: LSC_HOME=... python benchmarks/bench_sample_budget.py RECORDS.jsonl \
       --max-iters 13 [--limit N] --out rows.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.bench.runner import bench_record, read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--max-iters", type=int, default=13)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from lsc_tui.engine.fake import FakeProvider, ReplayThenReal
    from lsc_tui.engine.llama import LlamaEngine
    from lsc_tui.loop.pipelines import get_pipeline
    from lsc_tui.loop.runner import run_loop
    from lsc_tui.recipes.catalog import load_catalog
    from lsc_tui.recipes.store import ModelStore
    from lsc_tui.sandbox import Sandbox
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.mbpp import load_mbpp_task
    from lsc_tui.tasks.scoring import score_hidden

    settings = load_settings()
    sandbox = Sandbox.from_settings(settings)
    pipeline = get_pipeline("select")
    generator = pipeline.roles["generator"]
    spec = ModelStore(settings.paths.models_dir, load_catalog()).resolve(
        generator.model, n_ctx=generator.n_ctx
    )
    engine = LlamaEngine(spec)
    done = (
        {int(r["task_id"]) for r in read_records(args.out)}
        if args.out.exists()
        else set()
    )
    todo = [
        r
        for r in read_records(args.records)
        if r.get("pipeline") == "select"
        and not r.get("visible_passed")
        and len(r["iterations"]) < args.max_iters
        and int(r["task_id"]) not in done
    ]
    if args.limit:
        todo = todo[: args.limit]
    print(f"{len(todo)} no-pass tasks to extend to {args.max_iters}", file=sys.stderr)
    try:
        for record in todo:
            task = load_mbpp_task(int(record["task_id"]), sandbox=sandbox)
            replay = ReplayThenReal(engine, record["iterations"])
            events = list(
                run_loop(
                    task,
                    pipeline,
                    FakeProvider(replay),
                    sandbox,
                    max_iters=args.max_iters,
                    families={"generator": spec.family},
                    score_hidden=lambda t, code: score_hidden(t, code, sandbox),
                )
            )
            row = bench_record(events, task, "select")
            row["replayed"] = len(record["iterations"])
            row["new_seconds"] = row["seconds"]
            row["seconds"] = round(float(record["seconds"]) + row["new_seconds"], 3)
            row["replay_mismatch"] = [
                i + 1
                for i, (old, new) in enumerate(
                    zip(record["iterations"], row["iterations"], strict=False)
                )
                if old["status"] != new["status"]
            ]
            with args.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            print(
                f"mbpp/{row['task_id']}: visible {row['visible_passed']} "
                f"hidden {row['hidden_passed']} at candidate "
                f"{row['first_pass_iteration']}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        engine.close()
    rows = list(read_records(args.out))
    new_tokens = sum(
        it["gen_tokens"] for r in rows for it in r["iterations"][r["replayed"] :]
    )
    print(
        f"{len(rows)} tasks extended to {args.max_iters} candidates: "
        f"{sum(bool(r['visible_passed']) for r in rows)} visible passes, "
        f"{sum(bool(r['hidden_passed']) for r in rows)} hidden passes; "
        f"{new_tokens} new tokens; replay mismatches: "
        f"{sum(bool(r['replay_mismatch']) for r in rows)}"
    )


if __name__ == "__main__":
    main()

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

``--keep K`` replays only a record's first K candidates, where none of them
passed the visible tests, and draws the rest with the recipe as it is now: how a
change to the candidates past K (say, concise samples instead of the plan
prompt's) does on the same first K. Such a record's ``seconds`` keeps the share of
the committed run's time its first K took (``lsc_tui.bench.speed.kept_share``).
Samples are drawn in batches of the recipe's ``[sampling] batch``, the replayed
ones included, so K must end a batch (1, 5, 9, 13... for batches of 4).

``--repairs`` replays a record up to its first visible pass where that pass
crashed on the edge check (``[edges]``), and draws its repair turns with the
recipe as it is now (say, ``[edges] concise``). The samples its batch drew past
that pass are discarded unseen, as in the record; their share of its discarded
seconds stays with the kept candidates (``kept_share``).

``--tasks`` limits either to the given MBPP numbers: an extension must extend
records of one file, so tasks whose latest records lie in several files take one
run per file.

Hidden tests score the final code after each run, exactly as the bench does.

Usage: LSC_HOME=... python benchmarks/bench_sample_budget.py RECORDS.jsonl \
       --max-iters 13 [--keep K | --repairs] [--tasks 1,2] [--limit N] \
       --out rows.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.bench.report import compute_seconds
from lsc_tui.bench.runner import bench_record, read_records
from lsc_tui.bench.speed import drawn_after_pass, kept_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--max-iters", type=int, default=13)
    parser.add_argument("--keep", type=int, default=0, help="replay only K")
    parser.add_argument(
        "--repairs", action="store_true", help="redraw the edge-repair turns"
    )
    parser.add_argument("--tasks", default="", help="only these MBPP numbers")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from lsc_tui.engine.fake import BatchingReplay, FakeProvider, ReplayThenReal
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
    batch = pipeline.sample_batch
    if batch > 1 and args.keep and (args.keep - 1) % batch:
        parser.error(f"--keep {args.keep} ends inside a batch of {batch} samples")
    if args.keep and args.repairs:
        parser.error("--keep and --repairs choose the candidates two ways; use one")
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
    only = {int(t) for t in args.tasks.split(",") if t}

    def cut(record: dict[str, Any]) -> int | None:
        """How many of ``record``'s candidates to replay; None to leave it."""
        iterations, first = record["iterations"], record.get("first_pass_iteration")
        if args.repairs:
            edges = (iterations[first - 1].get("edges") or {}) if first else {}
            crashed = bool(edges.get("crashed")) and first < args.max_iters
            return first if crashed else None
        kept = min(args.keep or len(iterations), len(iterations))
        passed_early = first is not None and first <= kept
        return None if passed_early or kept >= args.max_iters else kept

    todo = [
        r
        for r in read_records(args.records)
        if r.get("pipeline") == "select"
        and cut(r) is not None
        and int(r["task_id"]) not in done
        and (not only or int(r["task_id"]) in only)
    ]
    if args.limit:
        todo = todo[: args.limit]
    print(f"{len(todo)} tasks to run up to {args.max_iters}", file=sys.stderr)
    try:
        for record in todo:
            task = load_mbpp_task(int(record["task_id"]), sandbox=sandbox)
            kept = cut(record) or 0
            replayed = record["iterations"][:kept]
            replay = (
                BatchingReplay(engine, [*replayed, *unused(record, kept, batch, args)])
                if batch > 1
                else ReplayThenReal(engine, replayed)
            )
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
            row["replayed"] = kept
            # What the new work is timed against: the replaced repair turns, or
            # the replayed samples (lsc_tui/bench/speed.py).
            row["calibrate_on"] = (
                [kept, len(record["iterations"])] if args.repairs else [1, kept]
            )
            row["new_seconds"] = row["seconds"]
            earlier = compute_seconds(record) * kept_share(record, kept, batch)
            row["seconds"] = round(earlier + row["new_seconds"], 3)
            row["replay_mismatch"] = [
                i + 1
                for i, (old, new) in enumerate(
                    zip(replayed, row["iterations"], strict=False)
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
    write_meta(args, rows)
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


def unused(
    record: dict[str, Any], kept: int, batch: int, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Stand-ins for the samples a batch drew past a replayed first pass at
    candidate ``kept`` (``drawn_after_pass``): the loop discards them unseen, as
    the record did."""
    count = min(drawn_after_pass(record, kept, batch), args.max_iters - kept)
    return [{"code": "", "gen_tokens": 0, "gen_seconds": 0.0}] * count


def write_meta(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """The ``meta`` the results page reads beside ``--out`` (its command and code)."""
    if args.repairs:
        chosen = (
            "whose first visible pass crashed on the edge check, replayed up to "
            "it; its repair turns drawn"
        )
    else:
        kept = f"their first {args.keep}" if args.keep else "all of theirs"
        chosen = (
            f"with no visible pass in {kept} candidates, replayed; candidates up "
            f"to {args.max_iters} drawn"
        )
    meta = {
        "command": "python benchmarks/bench_sample_budget.py " + " ".join(sys.argv[1:]),
        "env": {k: v for k, v in os.environ.items() if k == "LSC_BENCH_CODE"},
        "selection": f"the select records of {args.records.name} {chosen}",
        "task_ids": sorted(int(r["task_id"]) for r in rows),
        "pipelines": ["select"],
    }
    path = args.out.with_name(args.out.stem + ".summary.json")
    path.write_text(json.dumps({"meta": meta}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Would a differently worded prompt find what `select`'s samples miss?

`select`'s candidates all come from one prompt, and on MBPP+ they tend to be wrong
the same way: where the first visible pass is wrong (or none passes), another
visible-passing candidate is rarely right (docs/results.md). This draws candidates
from a second prompt (``prompts.plan_messages``, since used by `select`'s
``[plan]``), which asks the model to state what the visible test expects and which
inputs need care before it writes the code, on the tasks where a recorded `select`
run found no visible pass (or on ``--tasks``).

Per task: one batch of ``--samples`` candidates side by side (the engine's
``stream_samples``): the first greedy, the rest at T=0.8, top-p 0.95, seeds 1...
Each is checked on the visible test in the sandbox; the first visible pass is
then scored on the hidden tests, for this report only (nothing is selected by it).

Usage: python benchmarks/bench_prompt_variant.py docs/bench/plus378-select.jsonl \
       docs/bench/plus378-select13.jsonl docs/bench/plus378-selectb.jsonl \
       docs/bench/plus378-selecte.jsonl [--model M.gguf] [--tasks 1,2]
       [--samples 4] [--out docs/bench/history/plus378-plan-prompt.jsonl]
Needs LSC_HOME with the MBPP data imported (``lsc data import``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_models import DEFAULT_MODEL

from lsc_tui.bench.report import latest_records
from lsc_tui.bench.runner import mbpp_number, read_records
from lsc_tui.engine.base import ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.loop.extract import extract_code
from lsc_tui.loop.harmonize import harmonize
from lsc_tui.loop.prompts import plan_messages
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from lsc_tui.tasks.scoring import score_hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=Path(DEFAULT_MODEL))
    parser.add_argument("--tasks", help="comma-separated MBPP numbers instead")
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    records = latest_records(r for p in args.records for r in read_records(p))
    select = {
        mbpp_number(r["task_id"]): r for r in records if r["pipeline"] == "select"
    }
    if args.tasks:
        numbers = [int(n) for n in args.tasks.split(",")]
    else:
        numbers = sorted(n for n, r in select.items() if not r.get("visible_passed"))
    engine = LlamaEngine(
        ModelSpec(model_id=args.model.stem, path=args.model, n_ctx=4096)
    )
    sandbox = Sandbox()
    params = [SamplingParams(max_tokens=768, temperature=0.0)] + [
        SamplingParams(max_tokens=768, temperature=0.8, top_p=0.95, seed=seed)
        for seed in range(1, args.samples)
    ]
    out = args.out.open("w", encoding="utf-8") if args.out else None
    visible = hidden = tokens = 0
    seconds = 0.0
    for number in numbers:
        task = load_mbpp_task(number, sandbox=sandbox)
        begun = time.monotonic()
        texts = [""] * len(params)
        for index, piece in engine.stream_samples(
            plan_messages(task, "qwen2.5"), params
        ):
            texts[index] += piece
        spent = time.monotonic() - begun
        row: dict[str, object] = {"task_id": number, "seconds": round(spent, 2)}
        row["tokens"] = sum(s.completion_tokens for s in engine.last_sample_stats)
        passes = []
        for text in texts:
            code = extract_code(text, task.entry_point)
            renamed = harmonize(code, task.entry_point)
            code = renamed[0] if renamed else code
            ok = sandbox.check_syntax(code) is None and (
                sandbox.run_tests(
                    code,
                    task.visible_tests,
                    setup=task.setup_code,
                    entry_point=task.entry_point,
                ).verdict
                == "passed"
            )
            passes.append(ok)
            if ok and "first_pass" not in row:
                score = score_hidden(task, code, sandbox)
                row["first_pass"] = len(passes)
                row["hidden_passed"] = bool(score and score.passed)
                row["code"] = code
        row["visible"] = passes
        before = select.get(number)
        row["select_hidden_passed"] = bool(before and before.get("hidden_passed"))
        visible += "first_pass" in row
        hidden += bool(row.get("hidden_passed"))
        tokens += int(row["tokens"])  # type: ignore[call-overload]
        seconds += spent
        print(json.dumps(row), file=sys.stderr, flush=True)
        if out:
            out.write(json.dumps(row) + "\n")
            out.flush()
    engine.close()
    print(
        f"{len(numbers)} tasks, {len(params)} candidates each from the plan prompt: "
        f"a visible pass on {visible}, the first of which passes the hidden tests on "
        f"{hidden}; {tokens} tokens, {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()

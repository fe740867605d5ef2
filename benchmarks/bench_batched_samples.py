"""What would decoding `select`'s samples side by side save over one after another?

`select` draws its extra candidates one at a time. On a CPU, decoding one token
reads every weight once, and so does decoding a batch of one token for each of K
sequences, so K samples decoded together may cost much less than K times one. This
measures it with the engine's own batcher (``lsc_tui/engine/batch.py``) on the real
model: the prompt (an MBPP task in the generator's prompt, through our chat format)
is decoded once into sequence 0; each sample starts from a copy of that cache and
decodes exactly ``--tokens`` tokens (stops ignored, so both sides do the same work)
at T=0.8, top-p 0.95, one seeded sampler per sample.

- sequential: the K samples one after another, one token per decode call;
- batched: the K samples together, K tokens (one per sequence) per decode call.

After an untimed warm-up at each batch size, the two sides take turns going
first, so drift on a busy machine hits both. It prints
the mean wall time of each side and their ratio.

Usage: python benchmarks/bench_batched_samples.py [MODEL.gguf] [--k 2 4 6]
       [--tokens 96] [--prompts 3] [--json docs/bench/batched_samples.json]
The model defaults to $LSC_BENCH_MODEL, else the fetched qwen2.5-coder-0.5b.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_engine import TASKS
from bench_models import DEFAULT_MODEL

from lsc_tui.engine.base import ModelSpec, SamplingParams
from lsc_tui.engine.batch import SampleBatcher
from lsc_tui.engine.llama import PROMPT_CHUNK, LlamaEngine
from lsc_tui.loop.prompts import generator_messages
from lsc_tui.tasks.model import Task


def timed(
    batcher: SampleBatcher, prompt: list[int], count: int, n_tokens: int
) -> float:
    """Seconds of the token steps of ``count`` samples decoded together, each
    exactly ``n_tokens`` long (no sample stops early)."""
    params = [
        SamplingParams(max_tokens=n_tokens, temperature=0.8, top_p=0.95, seed=s)
        for s in range(count)
    ]
    steps = batcher.steps(prompt, params, n_tokens, lambda _i, _t: False, NEVER)
    for _ in steps:
        pass
    return batcher.timing.gen_seconds


NEVER = threading.Event()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("LSC_BENCH_MODEL", DEFAULT_MODEL)),
    )
    parser.add_argument("--k", type=int, nargs="+", default=[2, 4, 6])
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not args.model.is_file():
        raise SystemExit(
            f"no model at {args.model}; run ../shared/tools/fetch-test-models"
        )

    engine = LlamaEngine(ModelSpec(model_id=args.model.stem, path=args.model))
    import llama_cpp

    runner = SampleBatcher(
        llama_cpp,
        engine.llama.model,
        n_ctx=2048 + max(args.k) * args.tokens,
        n_threads=engine.n_threads,
        max_samples=max(args.k),
        chunk=PROMPT_CHUNK,
    )
    rows = []
    try:
        for text in TASKS[: args.prompts]:
            description, _, test = text.partition(
                "\nYour code should pass this test:\n"
            )
            task = Task(task_id="bench", description=description, visible_tests=(test,))
            prompt = engine.prompt_tokens(generator_messages(task, ""))
            for k in {1, *args.k}:  # untimed: each batch size's first decode
                timed(runner, prompt, k, 2)
            for k in args.k:
                timings: dict[str, float] = {}
                sides = ("sequential", "batched")
                for side in sides if len(rows) % 2 else sides[::-1]:
                    if side == "batched":
                        timings[side] = timed(runner, prompt, k, args.tokens)
                    else:
                        timings[side] = sum(
                            timed(runner, prompt, 1, args.tokens) for _ in range(k)
                        )
                rows.append({"k": k, "prompt_tokens": len(prompt), **timings})
                print(
                    f"k={k} prompt={len(prompt)} tokens: sequential "
                    f"{timings['sequential']:.2f} s, "
                    f"batched {timings['batched']:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        runner.close()
        engine.close()
    print(
        f"model {args.model.name}, {args.tokens} tokens per sample, "
        f"{engine.n_threads} threads"
    )
    print(f"{'k':>3} {'sequential s':>13} {'batched s':>10} {'speed-up':>9}")
    summary = []
    for k in args.k:
        mine = [r for r in rows if r["k"] == k]
        seq = statistics.mean(r["sequential"] for r in mine)
        bat = statistics.mean(r["batched"] for r in mine)
        summary.append(
            {
                "k": k,
                "sequential_s": round(seq, 2),
                "batched_s": round(bat, 2),
                "speedup": round(seq / bat, 2),
                "batch_cost_in_samples": round(bat / (seq / k), 2),
            }
        )
        print(f"{k:>3} {seq:>13.2f} {bat:>10.2f} {seq / bat:>8.2f}x")
    result = {
        "model": args.model.name,
        "tokens_per_sample": args.tokens,
        "prompts": args.prompts,
        "threads": engine.n_threads,
        "rows": summary,
    }
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""How much prompt time KV-cache reuse saves on the loop's second iteration.

Iteration 2 continues iteration 1's conversation (system + task, the model's reply,
then the feedback), so after iteration 1 the engine's KV cache already holds almost
all of it. This measures the prompt time of the same iteration-2 prompt twice: warm
(right after iteration 1 ran) and cold (after the cache was cleared), alternating, on
real MBPP tasks, and prints cold/warm as the speed-up.

Usage: python benchmarks/bench_kv_reuse.py [MODEL.gguf] [--tasks N] [--rounds N]
The model defaults to $LSC_BENCH_MODEL, else the fetched qwen2.5-coder-0.5b test model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_models import DEFAULT_MODEL

from lsc_tui.engine.base import ChatMessage, GenerationStats, ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine

MBPP_FILE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "mbpp" / "mbpp.jsonl"
)
SYSTEM = (
    "You are an expert Python programmer. Reply with the complete solution in one "
    "```python code block: the needed imports and the function(s). Do not add "
    "example usage, tests or explanations."
)
FEEDBACK = (
    "Your code failed this test:\n{test}\nAssertionError\n"
    "Fix the code and reply with the complete solution in one ```python code block."
)


def mbpp_tasks(count: int) -> list[tuple[str, str]]:
    """(task text with its first test, that test) for the first ``count`` test tasks."""
    tasks: list[tuple[str, str]] = []
    with MBPP_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if not 11 <= record["task_id"] <= 510:  # MBPP's test split
                continue
            test = record["test_list"][0]
            text = f"{record['text']}\nYour code should pass this test:\n{test}"
            tasks.append((text, test))
            if len(tasks) == count:
                break
    return tasks


def prompt_only(engine: LlamaEngine, messages: list[ChatMessage]) -> GenerationStats:
    """Process ``messages`` and sample one token; the stats time the prompt."""
    "".join(engine.stream(messages, SamplingParams(max_tokens=1)))
    assert engine.last_stats is not None
    return engine.last_stats


def main(argv: list[str] | None = None) -> int:
    """Measure warm and cold prompt times of iteration 2 and print their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("LSC_BENCH_MODEL") or DEFAULT_MODEL),
    )
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument(
        "--threads", type=int, default=None, help="default: physical cores"
    )
    args = parser.parse_args(argv)

    engine = LlamaEngine(
        ModelSpec(args.model.stem, args.model, n_ctx=args.n_ctx),
        n_threads=args.threads,
    )
    prompt_only(engine, [ChatMessage("user", "warm up")])
    rows: list[dict[str, float]] = []
    for text, test in mbpp_tasks(args.tasks):
        first = [ChatMessage("system", SYSTEM), ChatMessage("user", text)]
        engine.reset_cache()
        reply = "".join(engine.stream(first, SamplingParams(max_tokens=256)))
        second = [
            *first,
            ChatMessage("assistant", reply),
            ChatMessage("user", FEEDBACK.format(test=test)),
        ]
        for round_index in range(args.rounds):
            order = ("warm", "cold") if round_index % 2 == 0 else ("cold", "warm")
            measured: dict[str, GenerationStats] = {}
            for kind in order:
                engine.reset_cache()
                if kind == "warm":
                    "".join(engine.stream(first, SamplingParams(max_tokens=256)))
                measured[kind] = prompt_only(engine, second)
            warm, cold = measured["warm"], measured["cold"]
            rows.append(
                {
                    "prompt_tokens": warm.prompt_tokens,
                    "cached_tokens": warm.cached_tokens,
                    "cold_s": cold.prompt_seconds,
                    "warm_s": warm.prompt_seconds,
                }
            )
            print(
                f"prompt {warm.prompt_tokens:4d} tokens, {warm.cached_tokens:4d} "
                f"reused: cold {cold.prompt_seconds:.3f}s, warm "
                f"{warm.prompt_seconds:.3f}s, speed-up "
                f"{cold.prompt_seconds / warm.prompt_seconds:.1f}x",
                flush=True,
            )
    cold_total = sum(r["cold_s"] for r in rows)
    warm_total = sum(r["warm_s"] for r in rows)
    summary = {
        "model": args.model.name,
        "measurements": len(rows),
        "mean_prompt_tokens": round(statistics.mean(r["prompt_tokens"] for r in rows)),
        "mean_cached_tokens": round(statistics.mean(r["cached_tokens"] for r in rows)),
        "cold_prompt_s": round(cold_total / len(rows), 4),
        "warm_prompt_s": round(warm_total / len(rows), 4),
        "speedup_cold_over_warm": round(cold_total / warm_total, 2),
        "median_speedup": round(
            statistics.median(r["cold_s"] / r["warm_s"] for r in rows), 2
        ),
    }
    print(
        f"iteration-2 prompt: cold {summary['cold_prompt_s']}s vs warm "
        f"{summary['warm_prompt_s']}s; KV reuse speed-up "
        f"{summary['speedup_cold_over_warm']}x"
    )
    print(json.dumps(summary))
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Our engine's speed next to raw llama-cpp-python's, same model, same prompts, one run.

Both sides share one loaded ``llama_cpp.Llama`` (so threads, weights and context are
identical), start every measurement from an empty KV cache, decode greedily, and take
turns (the order flips every round) so that drift on a busy machine hits both equally.
Raw means ``Llama.create_chat_completion(stream=True)`` with the GGUF's own template.

Usage: python benchmarks/bench_engine.py [MODEL.gguf] [--rounds N] [--max-tokens N]
The model defaults to $LSC_BENCH_MODEL, else the fetched qwen2.5-coder-0.5b test model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_models import DEFAULT_MODEL

from lsc_tui.engine.base import ChatMessage, ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine

SYSTEM = (
    "You are an expert Python programmer. Reply with the complete solution in one "
    "```python code block, followed by a short explanation."
)
TASKS = (
    "Write a function to find the shared elements from the given two lists.\n"
    "Your code should pass this test:\n"
    "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
    "Write a python function to identify non-prime numbers.\n"
    "Your code should pass this test:\nassert is_not_prime(2) == False",
    "Write a function to find the n largest integers from a given list of numbers, "
    "returned in descending order.\nYour code should pass this test:\n"
    "assert heap_queue_largest([25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65]",
)


@dataclass(frozen=True, slots=True)
class Timing:
    """One measured generation."""

    ttft_s: float
    decode_tokens_per_s: float
    tokens: int
    text: str
    cpu_ttft_s: float
    cpu_decode_tokens_per_s: float
    """The same two figures in process CPU time, which a busy machine disturbs less."""


def _decode_rate(tokens: int, first_at: float, ended_at: float) -> float:
    """Tokens per second after the first token (which belongs to the prompt phase)."""
    span = ended_at - first_at
    return (tokens - 1) / span if tokens > 1 and span > 0 else 0.0


def run_ours(
    engine: LlamaEngine, messages: list[ChatMessage], max_tokens: int
) -> Timing:
    """Stream through LlamaEngine from a cold cache."""
    engine.reset_cache()
    pieces: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    first_at = cpu_first_at = 0.0
    for piece in engine.stream(messages, SamplingParams(max_tokens=max_tokens)):
        if not pieces:
            first_at, cpu_first_at = time.perf_counter(), time.process_time()
        pieces.append(piece)
    ended, cpu_ended = time.perf_counter(), time.process_time()
    stats = engine.last_stats
    assert stats is not None
    tokens = stats.completion_tokens
    return Timing(
        ttft_s=first_at - started,
        decode_tokens_per_s=_decode_rate(tokens, first_at, ended),
        tokens=tokens,
        text="".join(pieces),
        cpu_ttft_s=cpu_first_at - cpu_started,
        cpu_decode_tokens_per_s=_decode_rate(tokens, cpu_first_at, cpu_ended),
    )


def run_raw(llama: Any, messages: list[ChatMessage], max_tokens: int) -> Timing:
    """Stream through llama-cpp-python's create_chat_completion from a cold cache."""
    llama.reset()
    params = SamplingParams(max_tokens=max_tokens)
    pieces: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    first_at = cpu_first_at = 0.0
    for chunk in llama.create_chat_completion(
        messages=[{"role": m.role, "content": m.content} for m in messages],
        stream=True,
        max_tokens=max_tokens,
        temperature=params.temperature,
        top_p=params.top_p,
        top_k=params.top_k,
        min_p=params.min_p,
        repeat_penalty=params.repeat_penalty,
        seed=params.seed,
    ):
        content = chunk["choices"][0]["delta"].get("content")
        if content:
            if not pieces:
                first_at, cpu_first_at = time.perf_counter(), time.process_time()
            pieces.append(content)
    ended, cpu_ended = time.perf_counter(), time.process_time()
    text = "".join(pieces)
    tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
    return Timing(
        ttft_s=first_at - started,
        decode_tokens_per_s=_decode_rate(tokens, first_at, ended),
        tokens=tokens,
        text=text,
        cpu_ttft_s=cpu_first_at - cpu_started,
        cpu_decode_tokens_per_s=_decode_rate(tokens, cpu_first_at, cpu_ended),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the alternating comparison and print the figures and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("LSC_BENCH_MODEL") or DEFAULT_MODEL),
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument(
        "--threads", type=int, default=None, help="default: physical cores"
    )
    args = parser.parse_args(argv)

    engine = LlamaEngine(
        ModelSpec(args.model.stem, args.model, n_ctx=args.n_ctx),
        n_threads=args.threads,
    )
    llama = engine.llama
    conversations = [
        [ChatMessage("system", SYSTEM), ChatMessage("user", task)] for task in TASKS
    ]
    run_ours(engine, conversations[0], 8)  # warm-up for both: same Llama object
    run_raw(llama, conversations[0], 8)

    ours: list[Timing] = []
    raw: list[Timing] = []
    same_text = 0
    for round_index in range(args.rounds):
        for messages in conversations:
            if round_index % 2 == 0:
                ours.append(run_ours(engine, messages, args.max_tokens))
                raw.append(run_raw(llama, messages, args.max_tokens))
            else:
                raw.append(run_raw(llama, messages, args.max_tokens))
                ours.append(run_ours(engine, messages, args.max_tokens))
            same_text += ours[-1].text == raw[-1].text
            print(
                f"round {round_index}: ours {ours[-1].decode_tokens_per_s:.2f} tok/s "
                f"TTFT {ours[-1].ttft_s:.3f}s | raw {raw[-1].decode_tokens_per_s:.2f} "
                f"tok/s TTFT {raw[-1].ttft_s:.3f}s | {ours[-1].tokens} tokens",
                flush=True,
            )

    def median(values: list[Timing], field: str) -> float:
        return float(statistics.median(getattr(t, field) for t in values))

    def ratio(field: str) -> float:
        return median(ours, field) / median(raw, field)

    summary: dict[str, object] = {
        "model": args.model.name,
        "n_threads": engine.n_threads,
        "runs_per_side": len(ours),
        "identical_outputs": f"{same_text}/{len(ours)}",
        "mean_completion_tokens": round(statistics.mean(t.tokens for t in ours), 1),
    }
    print(f"model {summary['model']}, {engine.n_threads} threads, greedy, medians")
    print(f"{'':6}{'tokens/s':>10}{'TTFT s':>9}{'CPU tokens/s':>14}{'CPU TTFT s':>12}")
    for name, runs in (("ours", ours), ("raw", raw)):
        print(
            f"{name:6}{median(runs, 'decode_tokens_per_s'):10.2f}"
            f"{median(runs, 'ttft_s'):9.3f}"
            f"{median(runs, 'cpu_decode_tokens_per_s'):14.2f}"
            f"{median(runs, 'cpu_ttft_s'):12.3f}"
        )
    for field in (
        "decode_tokens_per_s",
        "ttft_s",
        "cpu_decode_tokens_per_s",
        "cpu_ttft_s",
    ):
        summary[f"ours_{field}"] = round(median(ours, field), 4)
        summary[f"raw_{field}"] = round(median(raw, field), 4)
        summary[f"ratio_{field}"] = round(ratio(field), 4)
    print(
        f"ratio ours/raw: tokens/s {summary['ratio_decode_tokens_per_s']}, "
        f"TTFT {summary['ratio_ttft_s']}; in CPU time: tokens/s "
        f"{summary['ratio_cpu_decode_tokens_per_s']}, TTFT "
        f"{summary['ratio_cpu_ttft_s']} "
        f"(identical outputs {summary['identical_outputs']})"
    )
    print(json.dumps(summary))
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What would decoding `select`'s samples side by side save over one after another?

`select` draws its extra candidates one at a time. On a CPU, decoding one token
reads every weight once, and so does decoding a batch of one token for each of K
sequences, so K samples decoded together may cost much less than K times one. This
measures it with llama.cpp's own batch API on the real model: the prompt (an MBPP
task in the generator's prompt, through our chat format) is decoded once into
sequence 0; each sample starts from a copy of that cache and decodes exactly
``--tokens`` tokens (stops ignored, so both sides do the same work) at T=0.8,
top-p 0.95, one seeded sampler per sample.

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
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_engine import TASKS
from bench_models import DEFAULT_MODEL

from lsc_tui.engine.base import ModelSpec
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.loop.prompts import generator_messages
from lsc_tui.tasks.model import Task


class Batched:
    """A second llama.cpp context over the engine's weights, with room for K+1
    sequences in one unified KV cache."""

    def __init__(self, engine: LlamaEngine, max_k: int, n_ctx: int) -> None:
        import llama_cpp

        self.cpp = llama_cpp
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_seq_max = max_k + 1
        params.kv_unified = True
        params.n_threads = params.n_threads_batch = engine.n_threads
        self.ctx = llama_cpp.llama_init_from_model(engine.llama.model, params)
        if not self.ctx:
            raise SystemExit("could not create a batched llama.cpp context")
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(512, 0, 1)

    def close(self) -> None:
        self.cpp.llama_batch_free(self.batch)
        self.cpp.llama_free(self.ctx)

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """Decode (token, position, sequence, wants logits) items as one batch."""
        batch = self.batch
        for i, (token, pos, seq, logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        batch.n_tokens = len(items)
        if self.cpp.llama_decode(self.ctx, batch) != 0:
            raise SystemExit("llama_decode failed")

    def prefill(self, tokens: list[int]) -> None:
        """Put all but the last prompt token into sequence 0's cache."""
        self.cpp.llama_memory_clear(self.memory, True)
        body = tokens[:-1]
        for start in range(0, len(body), 512):
            chunk = body[start : start + 512]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])

    def _sampler(self, seed: int) -> Any:
        cpp = self.cpp
        chain = cpp.llama_sampler_chain_init(cpp.llama_sampler_chain_default_params())
        cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_top_p(0.95, 1))
        cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_temp(0.8))
        cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_dist(seed))
        return chain

    def samples(self, last: int, start: int, seqs: list[int], n_tokens: int) -> float:
        """Decode ``n_tokens`` per sequence in ``seqs`` together; return seconds."""
        cpp = self.cpp
        for seq in seqs:
            cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
            cpp.llama_memory_seq_cp(self.memory, 0, seq, -1, -1)
        samplers = [self._sampler(1000 + seq) for seq in seqs]
        current = [last] * len(seqs)
        begun = time.perf_counter()
        for step in range(n_tokens):
            self._decode(
                [(current[i], start + step, seq, True) for i, seq in enumerate(seqs)]
            )
            current = [
                cpp.llama_sampler_sample(sampler, self.ctx, i)
                for i, sampler in enumerate(samplers)
            ]
        seconds = time.perf_counter() - begun
        for sampler in samplers:
            cpp.llama_sampler_free(sampler)
        return seconds


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
    runner = Batched(engine, max(args.k), n_ctx=2048 + max(args.k) * args.tokens)
    rows = []
    try:
        for text in TASKS[: args.prompts]:
            description, _, test = text.partition(
                "\nYour code should pass this test:\n"
            )
            task = Task(task_id="bench", description=description, visible_tests=(test,))
            prompt = engine.prompt_tokens(generator_messages(task, ""))
            runner.prefill(prompt)
            start = len(prompt) - 1
            for k in {1, *args.k}:  # untimed: each batch size's first decode
                runner.samples(prompt[-1], start, list(range(1, k + 1)), 2)
            for k in args.k:
                seqs = list(range(1, k + 1))
                timings: dict[str, float] = {}
                sides = ("sequential", "batched")
                for side in sides if len(rows) % 2 else sides[::-1]:
                    if side == "batched":
                        timings[side] = runner.samples(
                            prompt[-1], start, seqs, args.tokens
                        )
                    else:
                        timings[side] = sum(
                            runner.samples(prompt[-1], start, [seq], args.tokens)
                            for seq in seqs
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

"""Would prompt-lookup decoding make `select`'s edge repair turns cheaper?

An edge repair turn (``[edges]``, ``lsc_tui/loop/edges.py``) asks the generator to
rewrite a candidate that crashes on boundary inputs, and its reply mostly copies
that candidate, which sits in the prompt. Prompt-lookup decoding drafts the next
tokens from the prompt's n-grams and verifies them in one batch, so copied code
decodes several tokens per step. This times the greedy repair turn of recorded
MBPP+ runs twice with llama-cpp-python, plainly and with
``LlamaPromptLookupDecoding``, alternating which goes first, and prints the time
ratio and how many replies came out identical (greedy verification keeps the
plain decoding's tokens unless batched numerics break a near tie).

The prompt is rebuilt from the record: the task, the candidate in a fenced block
(the record keeps the code, not the whole reply), the edge feedback and
``EDGE_INSTRUCTION``, so it approximates the loop's prompt.

Usage: python benchmarks/bench_repair_lookup.py [--records FILE] [--tasks N]
[--model GGUF] [--threads N]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.loop import prompts  # noqa: E402
from lsc_tui.tasks.mbpp import load_mbpp_task  # noqa: E402

DEFAULT_RECORDS = ROOT / "docs" / "bench" / "plus378-selecte.jsonl"
DEFAULT_MODEL = (
    Path.home()
    / ".cache"
    / "lsc-test-models"
    / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)


def repair_prompts(records: Path, limit: int) -> list[tuple[int, list[dict[str, str]]]]:
    """(task, chat messages) of the first greedy edge repair turn of each record."""
    found = []
    for line in records.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        steps = row["iterations"]
        first = row.get("first_pass_iteration")
        if not first or first >= len(steps) or not steps[first - 1].get("feedback"):
            continue
        candidate = steps[first - 1]
        task = load_mbpp_task(int(row["task_id"]))
        reply = f"```python\n{candidate['code'].rstrip()}\n```"
        messages = prompts.generator_messages(
            task, "qwen2", reply, candidate["feedback"], prompts.EDGE_INSTRUCTION
        )
        found.append(
            (
                int(row["task_id"]),
                [{"role": m.role, "content": m.content} for m in messages],
            )
        )
        if len(found) == limit:
            break
    return found


def timed(llm: Any, messages: list[dict[str, str]]) -> tuple[float, int, str]:
    """Seconds, completion tokens and text of one greedy reply."""
    llm.reset()
    started = time.perf_counter()
    out = llm.create_chat_completion(
        messages=messages, temperature=0.0, max_tokens=768, seed=0
    )
    seconds = time.perf_counter() - started
    return (
        seconds,
        out["usage"]["completion_tokens"],
        out["choices"][0]["message"]["content"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("LSC_N_THREADS", "2"))
    )
    parser.add_argument("--draft-tokens", type=int, default=10)
    args = parser.parse_args()

    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    common = {"n_ctx": 4096, "n_threads": args.threads, "verbose": False}
    plain = Llama(model_path=str(args.model), **common)
    lookup = Llama(
        model_path=str(args.model),
        draft_model=LlamaPromptLookupDecoding(num_pred_tokens=args.draft_tokens),
        **common,
    )
    rows = []
    for index, (task, messages) in enumerate(repair_prompts(args.records, args.tasks)):
        arms = [("plain", plain), ("lookup", lookup)]
        if index % 2:
            arms.reverse()
        result = {name: timed(llm, messages) for name, llm in arms}
        rows.append(
            {
                "task": task,
                "tokens": result["plain"][1],
                "plain_s": round(result["plain"][0], 2),
                "lookup_s": round(result["lookup"][0], 2),
                "identical": result["plain"][2] == result["lookup"][2],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    plain_s = sum(r["plain_s"] for r in rows)
    lookup_s = sum(r["lookup_s"] for r in rows)
    print(
        json.dumps(
            {
                "model": args.model.name,
                "threads": args.threads,
                "turns": len(rows),
                "plain_s": round(plain_s, 1),
                "lookup_s": round(lookup_s, 1),
                "lookup_over_plain": round(lookup_s / plain_s, 3),
                "median_ratio": round(
                    statistics.median(r["lookup_s"] / r["plain_s"] for r in rows), 3
                ),
                "identical": sum(r["identical"] for r in rows),
            }
        )
    )


if __name__ == "__main__":
    main()

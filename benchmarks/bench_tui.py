"""Benchmark the dashboard's cost: tokens/s attached vs headless, and key latency.

Usage: ``python benchmarks/bench_tui.py [--model PATH] [--runs N]``

Both modes run the same greedy one-shot generation of the same task with the same
loaded model (one Session), alternating headless and attached runs so machine noise
hits both alike. "Attached" is the real app built by ``make_app`` running headless
(Textual's test driver: full layout and rendering, no terminal writes), fed by the
run worker exactly as in ``lsc``. While it streams, a key press (the diff toggle,
which redraws the whole code pane) is posted every ``--key-interval`` seconds and
the time until its action runs is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_models import DEFAULT_MODEL  # noqa: E402

TASK = (
    "Write a Python function merge_sorted(a, b) that merges two sorted lists into one "
    "sorted list without calling sort() or sorted()."
)
TESTS = ("assert merge_sorted([1, 3], [2]) == [1, 2, 3]",)


def speeds(events: list[Any]) -> dict[str, float]:
    """Generation speed from the events: end to end, and decode only."""
    from lsc_tui.events import GenerationFinished, TokensGenerated

    finished = [e for e in events if isinstance(e, GenerationFinished)]
    first_token = next(e for e in events if isinstance(e, TokensGenerated))
    tokens = sum(e.tokens for e in finished)
    seconds = sum(e.seconds for e in finished)
    decode_s = finished[-1].at - first_token.at
    return {
        "tokens": tokens,
        "tok_s": tokens / seconds,
        "decode_tok_s": tokens / decode_s if decode_s > 0 else 0.0,
    }


def run_headless(session: Any, request: Any) -> dict[str, float]:
    """Iterate the session's events with no UI, like `lsc solve`.

    It runs on a fresh thread that ends with the run, as the dashboard's worker
    does. llama.cpp's CPU backend uses OpenMP, which keeps one thread team per
    calling thread alive until that thread exits; while two teams exist on a
    2-core machine, libgomp counts more threads than cores and throttles its
    spin-waits, which slows every barrier (about 0.7x here). Generating on the
    main thread and then in the app's worker would measure that artifact, which
    neither `lsc solve` (main thread only) nor `lsc` (worker threads only) has.
    """
    result: dict[str, float] = {}

    def work() -> None:
        result.update(speeds(list(session.run(request))))

    thread = threading.Thread(target=work, name="bench-headless")
    thread.start()
    thread.join()
    if not result:
        raise SystemExit("the headless run failed (see the error above)")
    return result


async def run_attached(
    session: Any,
    settings: Any,
    request: Any,
    *,
    probe_keys: bool = True,
    key_interval: float = 1.0,
) -> dict[str, Any]:
    """Run the same request in the app, optionally probing key latency meanwhile."""
    from textual import events as textual_events

    from lsc_tui.events import TokensGenerated
    from lsc_tui.tui.app import make_app

    app = make_app(settings, session=session, store=None)
    latencies: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        dashboard = app.dashboard
        original = dashboard.action_toggle_diff
        posted: list[float] = []

        def timed_toggle() -> None:
            if posted:
                latencies.append(time.perf_counter() - posted.pop())
            original()

        dashboard.action_toggle_diff = timed_toggle  # type: ignore[method-assign]
        app.start_request(request)
        while not dashboard.view.is_over:
            streaming = any(isinstance(e, TokensGenerated) for e in dashboard.events)
            if (
                probe_keys
                and streaming
                and dashboard.view.current
                and not dashboard.view.current.status
            ):
                posted.append(time.perf_counter())
                app.post_message(textual_events.Key("d", "d"))
            await pilot.pause(key_interval)
        await app.workers.wait_for_complete()
        result = speeds(dashboard.events)
    result["latencies"] = latencies
    return result


def main() -> None:
    """Alternate headless and attached runs and print one JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-keys",
        action="store_true",
        help="Measure tokens/s with the dashboard only watching (no diff toggles).",
    )
    parser.add_argument(
        "--key-interval",
        type=float,
        default=1.0,
        help="Seconds between probing key presses (0.15 is a stress test).",
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="Stream from the scripted engine (UI cost and key latency only).",
    )
    args = parser.parse_args()
    os.environ.setdefault("LSC_HOME", tempfile.mkdtemp(prefix="lsc-bench-tui-"))

    from lsc_tui.loop.session import RunRequest, Session
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.typed import typed_task

    settings = load_settings().replace(pipeline="one-shot")
    provider = None
    if args.fake:
        from lsc_tui.engine.fake import FakeProvider, ScriptedEngine

        reply = (
            "```python\n"
            + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(120))
            + "```"
        )
        provider = FakeProvider(
            ScriptedEngine([reply] * (2 * args.runs + 1), seconds_per_chunk=0.004)
        )
    session = Session(settings, provider=provider, record=False)
    request = RunRequest(
        task=typed_task(TASK, TESTS),
        pipeline="one-shot",
        roles={"generator": str(args.model)},
    )
    run_headless(session, request)  # load the model and warm caches
    headless: list[dict[str, float]] = []
    attached: list[dict[str, Any]] = []
    for number in range(1, args.runs + 1):
        headless.append(run_headless(session, request))
        attached.append(
            asyncio.run(
                run_attached(
                    session,
                    settings,
                    request,
                    probe_keys=not args.no_keys,
                    key_interval=args.key_interval,
                )
            )
        )
        print(
            f"run {number}: headless {headless[-1]['tok_s']:.1f} tok/s, "
            f"attached {attached[-1]['tok_s']:.1f} tok/s",
            file=sys.stderr,
        )
    session.close()
    latencies = sorted(x for run in attached for x in run["latencies"])

    def median(runs: list[Any], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    summary = {
        "model": "scripted fake engine" if args.fake else args.model.name,
        "runs": args.runs,
        "key_interval_s": None if args.no_keys else args.key_interval,
        "tokens_per_run": headless[0]["tokens"],
        "headless_tok_s": [round(r["tok_s"], 2) for r in headless],
        "attached_tok_s": [round(r["tok_s"], 2) for r in attached],
        "headless_median_tok_s": round(median(headless, "tok_s"), 2),
        "attached_median_tok_s": round(median(attached, "tok_s"), 2),
        "headless_median_decode_tok_s": round(median(headless, "decode_tok_s"), 2),
        "attached_median_decode_tok_s": round(median(attached, "decode_tok_s"), 2),
        "key_latency_samples": len(latencies),
        "key_latency_median_ms": round(statistics.median(latencies) * 1000, 1)
        if latencies
        else None,
        "key_latency_p95_ms": round(
            latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1
        )
        if latencies
        else None,
        "key_latency_max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }
    summary["attached_vs_headless"] = round(
        summary["attached_median_tok_s"] / summary["headless_median_tok_s"], 3
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

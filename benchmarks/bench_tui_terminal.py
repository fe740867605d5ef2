"""Benchmark the real dashboard in a real terminal against the headless CLI.

Usage: ``python benchmarks/bench_tui_terminal.py [--model PATH] [--runs N]``

``bench_tui.py`` measures the app under Textual's test driver, which lays out and
renders but never writes a frame. This script measures what a user gets: the real
``lsc`` in a tmux terminal (so frames are encoded, written and parsed by a
terminal that shares the CPU, as on a laptop), against ``lsc solve`` on the same
typed task, model and pipeline. Each side is a fresh process, so each has one
llama.cpp thread team, like the real commands. Runs alternate so machine noise
hits both alike. Speeds come from each run's saved record (generated tokens over
generation seconds of iteration 1), which both front ends write the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from bench_models import DEFAULT_MODEL  # noqa: E402
from bench_tui import TASK, TESTS  # noqa: E402
from tmux_driver import (  # noqa: E402
    PYTHON,
    TmuxSession,
    tmux_available,
    type_task,
)

POLL_S = 3.0
"""How often the screen is captured; each capture is a process that costs CPU
(speeds come from the saved record, so a coarse poll loses no precision)."""


def lsc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``lsc ARGS`` headless under ``home``."""
    env = {**os.environ, "LSC_HOME": str(home)}
    return subprocess.run(
        [str(PYTHON), "-m", "lsc_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def speed(result: dict[str, Any]) -> float:
    """Tokens per second of iteration 1 of a result object."""
    first = result["iterations"][0]
    return float(first["gen_tokens"]) / float(first["gen_seconds"])


def run_headless(home: Path, model: Path) -> float:
    """``lsc solve`` once; its iteration-1 speed."""
    tests = [arg for test in TESTS for arg in ("--test", test)]
    done = lsc(
        home,
        "solve",
        TASK,
        *tests,
        "--pipeline",
        "one-shot",
        "--generator",
        str(model),
        "--json",
    )
    if not done.stdout.strip():
        raise SystemExit(f"lsc solve failed: {done.stderr.strip()[-500:]}")
    return speed(json.loads(done.stdout))


def run_terminal(home: Path, model: Path, size: tuple[int, int]) -> float:
    """The real dashboard in tmux: type the task, start it, wait for the verdict."""
    tmux = TmuxSession(width=size[0], height=size[1])
    env = {"LSC_HOME": str(home), "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    try:
        tmux.start(
            [
                str(PYTHON),
                "-m",
                "lsc_tui",
                "tui",
                "--pipeline",
                "one-shot",
                "--generator",
                str(model),
            ],
            env,
        )
        tmux.wait_for(lambda s: "New task" in s, 60, "the dashboard")
        type_task(tmux, TASK, TESTS)
        tmux.wait_for(
            lambda s: "ED visible tests" in s,  # PASSED or FAILED
            300,
            "the verdict",
            poll_s=POLL_S,
        )
        tmux.send("q")
    finally:
        tmux.kill()
    listed = lsc(home, "runs", "list", "--json")
    run_id = json.loads(listed.stdout.splitlines()[0])["run_id"]
    shown = lsc(home, "runs", "show", run_id, "--json")
    return speed(json.loads(shown.stdout))


def main() -> None:
    """Alternate headless and terminal runs and print one JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--height", type=int, default=48)
    args = parser.parse_args()
    if not tmux_available():
        raise SystemExit("tmux is needed (make system-deps installs it)")
    home = Path(tempfile.mkdtemp(prefix="lsc-bench-terminal-"))
    headless: list[float] = []
    terminal: list[float] = []
    run_headless(home, args.model)  # warm the page cache and the sandbox
    for number in range(1, args.runs + 1):
        headless.append(run_headless(home, args.model))
        terminal.append(run_terminal(home, args.model, (args.width, args.height)))
        print(
            f"run {number}: headless {headless[-1]:.1f} tok/s, "
            f"terminal {terminal[-1]:.1f} tok/s",
            file=sys.stderr,
        )
    summary = {
        "model": args.model.name,
        "terminal_size": f"{args.width}x{args.height}",
        "runs": args.runs,
        "headless_tok_s": [round(x, 2) for x in headless],
        "terminal_tok_s": [round(x, 2) for x in terminal],
        "headless_median_tok_s": round(statistics.median(headless), 2),
        "terminal_median_tok_s": round(statistics.median(terminal), 2),
    }
    summary["terminal_vs_headless"] = round(
        summary["terminal_median_tok_s"] / summary["headless_median_tok_s"], 3
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

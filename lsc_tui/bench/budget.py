"""`select`'s hidden pass rate and cost at each sample budget, cut from its records.

`select` draws its candidates in a fixed order (greedy, then samples seeded
seed+2, seed+3, ...) and stops at the first that passes the visible tests, so a
run with budget B is the run with a bigger budget cut at candidate B: a task whose
first visible pass came at candidate i <= B keeps that candidate and its hidden
verdict, and one whose first pass came later, or never, has no visible pass at B.
Such a task counts as a hidden failure (no `select` record without a visible pass
has passed the hidden tests so far; the table says how many it sees).

A budget is exact only up to the shortest no-pass record: beyond it some task's
candidates were never drawn, and the table says so. Tokens are the candidates'
up to the stop, plus, where the run ended there, the samples its last batch drew
for nothing; time is each task's seconds at one-shot's machine speed
(``lsc_tui/bench/speed.py``) shared out over its candidates by their tokens:
exact at the largest budget, an estimate below it.
Where samples were drawn in batches (``[sampling] batch``), a smaller budget would
also shrink the last batch, and llama.cpp's numerics depend on a batch's size, so
the rows below the largest budget are estimates of the pass rate too.
A first pass that crashed on the edge check (``[edges]``, ``loop.edges``) is
followed by its repair turns, which end the run: their cost counts with that
candidate, and their verdict stands even at a budget that would have left no room
for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lsc_tui.bench.report import compute_seconds, latest_records
from lsc_tui.bench.runner import mbpp_number
from lsc_tui.bench.speed import MatchedTime, matched_times
from lsc_tui.bench.stats import wilson_interval


def at_budget(
    record: Mapping[str, Any], budget: int, seconds: float
) -> tuple[bool, int, float]:
    """(hidden pass, tokens, matched seconds) of one task's run cut at ``budget``."""
    iterations = record.get("iterations") or []
    first = record.get("first_pass_iteration")
    passed = isinstance(first, int) and first <= budget
    stop = first if isinstance(first, int) and passed else min(budget, len(iterations))
    crashed = passed and (iterations[stop - 1].get("edges") or {}).get("crashed")
    if crashed:
        stop = len(iterations)  # that candidate's edge-case repair turns ([edges])
    tokens = [int(it.get("gen_tokens", 0)) for it in iterations]
    share = sum(tokens[:stop]) / sum(tokens) if sum(tokens) else 1.0
    # Tokens beyond the candidates' (samples a batch drew for nothing) count
    # where the run ended, as they were spent there.
    extra = int(record.get("tokens", sum(tokens))) - sum(tokens)
    spent = sum(tokens[:stop]) + (extra if stop >= len(iterations) else 0)
    hidden = passed and bool(record.get("hidden_passed"))
    return hidden, spent, seconds * share


PAGE_BUDGETS = (1, 2, 4, 7, 10, 13, 16, 20)
"""Budgets the results page shows, up to the largest its records reach."""


def budget_table(
    files: Sequence[Sequence[Mapping[str, Any]]],
    budgets: Sequence[int] | None = None,
    matched: Sequence[MatchedTime] | None = None,
) -> list[str]:
    """The table as Markdown lines, after a line on what it covers; none without
    both `one-shot` and a calibrated `select`. ``matched`` is
    ``matched_times(files)`` where the caller has it already."""
    latest = latest_records(r for f in files for r in f)
    base = {mbpp_number(r["task_id"]): r for r in latest if r["pipeline"] == "one-shot"}
    select = {mbpp_number(r["task_id"]): r for r in latest if r["pipeline"] == "select"}
    if matched is None:
        matched = matched_times(files)
    timed = [m for m in matched if m.pipeline == "select"]
    tasks = sorted(set(base) & set(select))
    if not timed or not tasks:
        return []  # no one-shot to compare with, or a run the page cannot time
    base_tokens = sum(int(base[t].get("tokens", 0)) for t in tasks)
    base_seconds = sum(compute_seconds(base[t]) for t in tasks)
    no_pass = [select[t] for t in tasks if not select[t].get("visible_passed")]
    drawn = min((len(r.get("iterations") or []) for r in no_pass), default=0)
    lucky = sum(bool(r.get("hidden_passed")) for r in no_pass)
    if budgets is None:
        budgets = sorted({b for b in PAGE_BUDGETS if b < drawn} | {drawn})
    lines = [
        f"{len(tasks)} tasks; {len(no_pass)} with no visible pass after every "
        f"candidate drawn ({lucky} of them pass the hidden tests anyway); "
        f"budgets are exact up to {drawn} candidates.",
        "",
        "| budget | hidden pass | 95% CI | tokens | time at one-shot's speed |",
        "|---|---|---|---|---|",
    ]
    for budget in budgets:
        rows = [at_budget(select[t], budget, timed[0].task_seconds[t]) for t in tasks]
        passes = sum(row[0] for row in rows)
        low, high = wilson_interval(passes, len(tasks))
        tokens = sum(row[1] for row in rows) / base_tokens
        seconds = sum(row[2] for row in rows) / base_seconds
        exact = "" if budget <= drawn else " (not all drawn)"
        lines.append(
            f"| {budget}{exact} | {passes}/{len(tasks)} "
            f"({100 * passes / len(tasks):.1f}%) | {100 * low:.0f}-{100 * high:.0f}% | "
            f"{tokens:.2f}x | {seconds:.2f}x |"
        )
    return lines

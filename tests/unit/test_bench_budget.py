"""`select`'s records, cut at each sample budget (lsc_tui.bench.budget)."""

from __future__ import annotations

from typing import Any

from lsc_tui.bench.budget import budget_table


def candidate(task: int, index: int) -> dict[str, Any]:
    code = f"c{task}" if index == 0 else f"s{task}-{index}"
    return {"code": code, "gen_tokens": 10, "gen_seconds": 1.0}


def select(
    task: int, first_pass: int | None, drawn: int, hidden: bool
) -> dict[str, Any]:
    return {
        "task_id": task,
        "pipeline": "select",
        "seconds": float(drawn),
        "visible_passed": first_pass is not None,
        "hidden_passed": hidden,
        "first_pass_iteration": first_pass,
        "iterations": [candidate(task, i) for i in range(drawn)],
    }


def test_each_budget_keeps_only_the_passes_it_reaches() -> None:
    tasks = range(1, 13)
    one_shot = [
        {
            "task_id": t,
            "pipeline": "one-shot",
            "seconds": 1.0,
            "tokens": 10,
            "iterations": [candidate(t, 0)],
        }
        for t in tasks
    ]
    # Tasks 1-8 pass at greedy (7 right), 9 at candidate 3 (right), 10 at 5
    # (wrong), 11 and 12 never pass in 5 candidates.
    runs = [select(t, 1, 1, t != 8) for t in range(1, 9)]
    runs += [select(9, 3, 3, True), select(10, 5, 5, False)]
    runs += [select(11, None, 5, False), select(12, None, 5, False)]
    runs[9]["tokens"] = 60  # task 10's batch drew 10 tokens nobody checked
    lines = "\n".join(budget_table([one_shot, runs], [1, 3, 5, 6]))
    assert "12 tasks; 2 with no visible pass" in lines
    assert "budgets are exact up to 5 candidates" in lines
    assert "| 1 | 7/12 (58.3%) |" in lines
    assert "| 3 | 8/12 (66.7%) |" in lines
    # Candidate 5 passes only the visible test: no hidden gain, more tokens
    # (the whole run's, the discarded ones included).
    assert "| 5 | 8/12 (66.7%) | 39-86% | 2.25x | 2.17x |" in lines
    assert "| 6 (not all drawn) |" in lines


def test_without_one_shot_there_is_no_table() -> None:
    assert budget_table([[select(1, 1, 1, True)]], [1]) == []


def test_an_edge_repair_costs_with_the_candidate_it_repairs() -> None:
    from lsc_tui.bench.budget import at_budget

    run = select(1, 1, 2, True)
    run["iterations"][0]["edges"] = {"inputs": 20, "crashed": 1, "shown": []}
    assert at_budget(run, 1, 4.0) == (True, 20, 4.0)
    run["iterations"][0]["edges"]["crashed"] = 0
    assert at_budget(run, 1, 4.0) == (True, 10, 2.0)
    # Several repair turns (``[edges] repair`` above 1) all count with it.
    run = select(1, 1, 4, True)
    run["iterations"][0]["edges"] = {"inputs": 20, "crashed": 1, "shown": []}
    assert at_budget(run, 1, 8.0) == (True, 40, 8.0)

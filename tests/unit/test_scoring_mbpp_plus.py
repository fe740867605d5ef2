"""Hidden scoring with the real sandbox: canonical solutions pass, wrong ones fail."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lsc_tui.events import HiddenScore
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task, mbpp_plus_ids, precompute_expected
from lsc_tui.tasks.model import Task
from lsc_tui.tasks.scoring import HiddenReport, score_hidden, score_hidden_report
from lsc_tui.tasks.typed import typed_task


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_mbpp_plus_canonical_solution_passes_its_hidden_tests(
    mbpp_cache: Path, sandbox: Sandbox
) -> None:
    """All 378 MBPP+ v0.2.0 tasks: base and plus inputs, EvalPlus-style comparison."""
    numbers = mbpp_plus_ids()
    assert len(numbers) == 378
    assert precompute_expected(sandbox=sandbox, workers=2) == 378
    tasks = [load_mbpp_task(number, sandbox=sandbox) for number in numbers]

    def score(task: Task) -> tuple[str, HiddenReport | None]:
        return task.task_id, score_hidden_report(task, task.reference_code, sandbox)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(score, tasks))
    failures = [
        f"{task_id}: {report.first_failure if report else 'no hidden tests'}"
        for task_id, report in reports
        if report is None or not (report.plus_ok and report.score.passed)
    ]
    assert failures == []
    inputs = sum(r.base_total + r.plus_total for _, r in reports if r is not None)
    # 41,015 inputs in all; only inputs beyond the sandbox's limits are dropped.
    assert 40_900 <= inputs <= 41_015


def test_wrong_solutions_fail_hidden_tests(mbpp_cache: Path, sandbox: Sandbox) -> None:
    task = load_mbpp_task(2, sandbox=sandbox)
    assert task.hidden is not None
    assert task.hidden.plus is not None
    total = len(task.hidden.plus.inputs)

    # Passes the visible assert but is wrong on every other input.
    hard_coded = "def similar_elements(a, b):\n    return (4, 5)\n"
    visible = sandbox.run_tests(hard_coded, task.visible_tests, setup=task.setup_code)
    assert visible.verdict == "passed"
    score = score_hidden(task, hard_coded, sandbox)
    assert score is not None
    assert not score.passed
    assert 0 < score.passed_count < total

    # Off by one element: intersection minus its largest member.
    buggy = (
        "def similar_elements(a, b):\n"
        "    common = sorted(set(a) & set(b))\n"
        "    return tuple(common[:-1])\n"
    )
    score = score_hidden(task, buggy, sandbox)
    assert score is not None
    assert not score.passed

    # A different container with the same elements is right: set comparison.
    as_list = "def similar_elements(a, b):\n    return sorted(set(a) & set(b))\n"
    assert score_hidden(task, as_list, sandbox) == HiddenScore(True, total, total)


@pytest.mark.parametrize(
    "body",
    [
        "    raise SystemExit(0)",
        "    import os\n    os._exit(0)",
        "    while True:\n        pass",
    ],
)
def test_exits_and_hangs_are_not_passes(
    mbpp_cache: Path, sandbox: Sandbox, body: str
) -> None:
    task = load_mbpp_task(793, sandbox=sandbox)  # three base inputs, no plus inputs
    code = f"def last(arr, x):\n{body}\n"
    started = time.monotonic()
    report = score_hidden_report(task, code, sandbox)
    assert report is not None
    assert (report.base_passed, report.base_total) == (0, 3)
    assert not report.score.passed
    assert time.monotonic() - started < 15
    right = "def last(arr, x):\n    return len(arr) - 1 - arr[::-1].index(x)\n"
    assert score_hidden(task, right, sandbox) == HiddenScore(True, 3, 3)


def test_plain_mbpp_task_scores_its_other_asserts(
    mbpp_cache: Path, sandbox: Sandbox
) -> None:
    task = load_mbpp_task(1)
    assert score_hidden(task, task.reference_code, sandbox) == HiddenScore(True, 2, 2)
    wrong = "def min_cost(cost, m, n):\n    return 8\n"
    assert score_hidden(task, wrong, sandbox) == HiddenScore(False, 0, 2)


@pytest.mark.parametrize("number", [367, 927])
def test_setup_code_runs_after_the_solution(
    mbpp_cache: Path, sandbox: Sandbox, number: int
) -> None:
    task = load_mbpp_task(number)
    visible = sandbox.run_tests(
        task.reference_code,
        task.visible_tests,
        setup=task.setup_code,
        entry_point=task.entry_point,
    )
    assert visible.verdict == "passed"
    assert score_hidden(task, task.reference_code, sandbox) == HiddenScore(True, 2, 2)


def test_isclose_tasks_get_their_math_import(
    mbpp_cache: Path, sandbox: Sandbox
) -> None:
    task = load_mbpp_task(82, sandbox=sandbox)
    code = "def volume_sphere(r):\n    return 4 / 3 * 3.141592653589793 * r**3\n"
    visible = sandbox.run_tests(code, task.visible_tests, setup=task.setup_code)
    assert visible.verdict == "passed"
    report = score_hidden_report(task, code, sandbox)
    assert report is not None
    assert report.score.passed


def test_typed_tasks_have_no_hidden_score(sandbox: Sandbox) -> None:
    task = typed_task("Add.", ["assert add(1, 2) == 3"])
    assert score_hidden(task, "def add(a, b):\n    return a + b\n", sandbox) is None

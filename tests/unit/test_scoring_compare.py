"""EvalPlus-style output comparison and hidden scoring, with pure values and fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from lsc_tui.events import HiddenScore
from lsc_tui.sandbox.result import CheckResult, TestResult
from lsc_tui.tasks.model import HiddenInputs, HiddenSuite, Task
from lsc_tui.tasks.scoring import (
    allclose,
    compare_outputs,
    is_floats,
    output_matches,
    score_hidden,
    score_hidden_report,
    time_limits,
)


@dataclass(frozen=True)
class Outcome:
    """Stands in for lsc_tui.sandbox.CallOutcome."""

    status: str
    value: Any = None
    message: str = ""


def ok(value: Any) -> Outcome:
    return Outcome("ok", value)


def test_is_floats_matches_evalplus() -> None:
    assert is_floats(1.5)
    assert is_floats([1.0, 2.0])
    assert is_floats((1.0,))
    assert not is_floats([])
    assert not is_floats([1.0, 2])
    assert not is_floats(1)


def test_allclose_on_nested_numbers() -> None:
    assert allclose([1.0, (2.0, 3.0)], [1.0 + 1e-9, (2.0, 3.0)], atol=1e-6)
    assert not allclose([1.0, 2.0], [1.0, 2.1], atol=1e-6)
    assert not allclose([1.0], [1.0, 2.0], atol=1e-6)
    assert not allclose(float("nan"), float("nan"), atol=1.0)
    assert allclose(float("inf"), float("inf"), atol=1e-6)
    assert not allclose(float("inf"), 1e308, atol=1e-6)
    assert not allclose("a", "a", atol=1e-6)
    assert allclose(1 + 1j, 1 + 1.0000001j, atol=1e-6)
    # rtol=1e-7 is relative to the expected value.
    assert allclose(1e9 + 50, 1e9, atol=0.0001)
    assert not allclose(1e9 + 500, 1e9, atol=0.0001)


@pytest.mark.parametrize(
    ("actual", "expected", "atol", "comparison", "args", "verdict"),
    [
        ((4, 5), (4, 5), 0, "exact", (), True),
        ([4, 5], (4, 5), 0, "exact", (), False),
        (3, 3.0, 0, "exact", (), True),
        (0.30000000000000004, 0.3, 0, "exact", (), True),
        (0.3001, 0.3, 0, "exact", (), False),
        # a float expected value needs the same type once not exactly equal
        (1, 1.0000001, 0, "exact", (), False),
        ((5, 4), (4, 5), 0, "set", (), True),
        ([5, 4], (4, 5), 0, "set", (), True),
        ((5, 6), (4, 5), 0, "set", (), False),
        (5, (4, 5), 0, "set", (), False),
        ("match!", True, 0, "not_none", (), True),
        (None, False, 0, "not_none", (), True),
        (None, True, 0, "not_none", (), False),
        (True, True, 0, "not_none", (), True),
        (False, True, 0, "not_none", (), False),
        (12.0001, 12.0, 0.0001, "exact", (), True),
        (12.01, 12.0, 0.0001, "exact", (), False),
        ([1.0, 2.00001], [1.0, 2.0], 0.0001, "exact", (), True),
        ((1.0, 2.00001), [1.0, 2.0], 0.0001, "exact", (), False),
        # Mbpp/558: the zero-padding oracle accepts answers the canonical misses.
        (4, 1, 0, "digit_distance_nums", (123, 4), True),
        (3, 1, 0, "digit_distance_nums", (123, 4), False),
        # Mbpp/581: the perpendicular-height oracle.
        (33, 33, 0, "surface_area", (3, 4), True),
        (35, 33, 0, "surface_area", (3, 4), True),
        (34, 33, 0, "surface_area", (3, 4), False),
    ],
)
def test_output_matches(
    actual: Any,
    expected: Any,
    atol: float,
    comparison: str,
    args: Sequence[Any],
    verdict: bool,
) -> None:
    result = output_matches(
        actual, expected, atol=atol, comparison=comparison, args=args
    )
    assert result is verdict


def test_output_matches_treats_raising_equality_as_failure() -> None:
    class Weird:
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("no")

    assert output_matches(Weird(), 1) is False


def test_float_atol_is_sticky_within_base_and_resets_for_plus() -> None:
    plus = HiddenInputs(
        entry_point="f",
        inputs=((1,), (2,), (3,), (4,)),
        expected=(1.5, [1, 2.5], [1, 2.5], 1.5),
        base_count=2,
    )
    near = [1, 2.5000000001]
    outcomes = [ok(1.5), ok(near), ok(near), ok(1.5)]
    # In base, the float at index 0 switches atol on, so the mixed list passes;
    # plus starts over with atol 0 and the mixed list is not "floats".
    assert compare_outputs(plus, outcomes) == (True, True, False, True)


def test_compare_outputs_fails_errors_timeouts_and_missing() -> None:
    plus = HiddenInputs(
        entry_point="f",
        inputs=((1,), (2,), (3,), (4,)),
        expected=(1, 2, 3, 4),
    )
    outcomes = [ok(1), Outcome("error", None, "ZeroDivisionError"), Outcome("timeout")]
    assert compare_outputs(plus, outcomes) == (True, False, False, False)


@dataclass
class FakeSandbox:
    """Scripted run_tests / call_batch results that records its calls."""

    check: CheckResult | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult:
        self.calls.append(("run_tests", (tuple(tests), setup, entry_point)))
        assert self.check is not None
        return self.check

    def call_batch(
        self,
        code: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        setup: str = "",
        per_call_timeout_s: float | None = None,
        total_timeout_s: float | None = None,
    ) -> list[Outcome]:
        self.calls.append(
            (
                "call_batch",
                (entry_point, len(inputs), per_call_timeout_s, total_timeout_s),
            )
        )
        return self.outcomes


def _task(hidden: HiddenSuite | None) -> Task:
    return Task(
        task_id="mbpp/999",
        description="d",
        visible_tests=("assert f(0) == 0",),
        entry_point="f",
        setup_code="import math",
        source="mbpp",
        hidden=hidden,
    )


def test_score_hidden_is_none_without_hidden_tests() -> None:
    sandbox = FakeSandbox()
    assert score_hidden(_task(None), "def f(x): return x", sandbox) is None
    assert sandbox.calls == []


def test_score_hidden_counts_asserts_and_inputs_with_one_batch() -> None:
    asserts = ("assert f(1) == 1", "assert f(2) == 2")
    hidden = HiddenSuite(
        asserts=asserts,
        plus=HiddenInputs(
            entry_point="f",
            inputs=((1,), (2,), (3,)),
            expected=(1, 2, 3),
            base_count=1,
            reference_seconds=0.5,
            reference_call_seconds=0.5,
        ),
    )
    check = CheckResult(
        verdict="failed",
        compile_error=None,
        tests=(
            TestResult(asserts[0], "passed"),
            TestResult(asserts[1], "failed", "AssertionError"),
        ),
    )
    sandbox = FakeSandbox(check=check, outcomes=[ok(1), ok(2), ok(4)])
    report = score_hidden_report(_task(hidden), "code", sandbox)
    assert report is not None
    assert (report.asserts_passed, report.asserts_total) == (1, 2)
    assert (report.base_passed, report.base_total) == (1, 1)
    assert (report.plus_passed, report.plus_total) == (1, 2)
    assert report.score == HiddenScore(passed=False, passed_count=3, total=5)
    assert not report.base_ok
    assert "assert f(2) == 2" in report.first_failure
    assert sandbox.calls == [
        ("run_tests", (asserts, "import math", "f")),
        ("call_batch", ("f", 3, 2.0, 10.0)),
    ]


def test_score_hidden_passes_when_everything_matches() -> None:
    hidden = HiddenSuite(
        plus=HiddenInputs(
            entry_point="f", inputs=((1,), (2,)), expected=(1, 2), base_count=2
        )
    )
    sandbox = FakeSandbox(outcomes=[ok(1), ok(2)])
    assert score_hidden(_task(hidden), "code", sandbox) == HiddenScore(True, 2, 2)


def test_time_limits_follow_evalplus_floor_and_factor() -> None:
    fast = HiddenInputs(
        entry_point="f",
        inputs=(),
        expected=(),
        reference_seconds=0.01,
        reference_call_seconds=0.001,
    )
    slow = HiddenInputs(
        entry_point="f",
        inputs=(),
        expected=(),
        reference_seconds=3.0,
        reference_call_seconds=0.5,
    )
    assert time_limits(fast) == (1.0, 10.0)
    assert time_limits(slow) == (2.0, 17.0)

"""Hidden-test scoring: run after the loop ends, never shown to any model.

Hidden asserts run through ``Sandbox.run_tests``. Hidden inputs run through ONE
``Sandbox.call_batch`` per task, and the outputs are compared here, in the trusted
process, with the expected values, following EvalPlus 0.3.1 (``evalplus/eval``):
exact equality first; the MBPP special oracles (set equality, "is not None", the
custom oracles of Mbpp/558 and Mbpp/581); then, when the task has a non-zero ``atol``
or the expected value is a float (or a list/tuple of floats, which forces
``atol=1e-6`` from then on), the same type and length and ``numpy.allclose`` with
``rtol=1e-7``, reimplemented without numpy.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lsc_tui.events import HiddenScore
from lsc_tui.tasks.expected import BatchCaller
from lsc_tui.tasks.model import HiddenInputs, Task

if TYPE_CHECKING:
    from lsc_tui.sandbox import CallOutcome
    from lsc_tui.sandbox.result import CheckResult

FLOAT_ATOL = 1e-6
RTOL = 1e-7
MIN_PER_CALL_TIMEOUT_S = 1.0
"""EvalPlus's per-input floor (DEFAULT_MIN_TIME_LIMIT)."""
REFERENCE_TIME_FACTOR = 4.0
"""EvalPlus's ground-truth time factor (DEFAULT_GT_TIME_LIMIT_FACTOR)."""
MIN_TOTAL_TIMEOUT_S = 10.0
NOT_NONE_ENTRY = "lsc_not_none_call"

# Appended to a candidate for EvalPlus's "not None" tasks: their outputs (re.Match...)
# cannot leave the sandbox, and only ``bool`` or ``is not None`` matters anyway.
_NOT_NONE_WRAPPER = """


def {wrapper}(*args):
    output = {entry}(*args)
    return output if isinstance(output, bool) else output is not None
"""


class ScoringSandbox(BatchCaller, Protocol):
    """What scoring needs from ``lsc_tui.sandbox.Sandbox``: batches and asserts."""

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult: ...


def _surface_area_oracle(base_edge: Any, height: Any) -> int:
    """Mbpp/581's EvalPlus oracle: ``height`` is the perpendicular height."""
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    area: float = base_edge**2 + 4 * (base_edge * slant_height) / 2
    return round(area)


def _digit_distance_oracle(num1: Any, num2: Any) -> int:
    """Mbpp/558's EvalPlus oracle: pad both numbers with zeros to one length."""
    left, right = str(num1), str(num2)
    width = max(len(left), len(right))
    return sum(
        abs(int(a) - int(b))
        for a, b in zip(left.zfill(width), right.zfill(width), strict=True)
    )


def is_floats(value: Any) -> bool:
    """A float, or a non-empty list/tuple of floats (evalplus ``is_floats``)."""
    if isinstance(value, float):
        return True
    if isinstance(value, list | tuple) and value:
        return all(isinstance(item, float) for item in value)
    return False


def _is_number(value: Any) -> bool:
    """A value numpy would treat as a number in ``allclose``."""
    return isinstance(value, int | float | complex)


def allclose(actual: Any, expected: Any, *, atol: float, rtol: float = RTOL) -> bool:
    """``numpy.allclose`` for nested lists/tuples of numbers of the same shape."""
    actual_seq = isinstance(actual, list | tuple)
    expected_seq = isinstance(expected, list | tuple)
    if actual_seq or expected_seq:
        if not (actual_seq and expected_seq) or len(actual) != len(expected):
            return False
        return all(
            allclose(a, e, atol=atol, rtol=rtol)
            for a, e in zip(actual, expected, strict=True)
        )
    if not (_is_number(actual) and _is_number(expected)):
        return False
    a, e = complex(actual), complex(expected)
    if cmath.isnan(a) or cmath.isnan(e):
        return False
    if cmath.isinf(a) or cmath.isinf(e):
        return a == e
    return abs(a - e) <= atol + rtol * abs(e)


def _safe_equal(actual: Any, expected: Any) -> bool:
    """``actual == expected`` where any exception means not equal."""
    try:
        return bool(actual == expected)
    except Exception:
        return False


def _check_one(
    actual: Any, expected: Any, atol: float, comparison: str, args: Sequence[Any]
) -> tuple[bool, float]:
    """One EvalPlus comparison step: the verdict and the ``atol`` carried forward.

    Raises whatever the special oracles raise; the caller treats that as a failure
    that, as in EvalPlus, leaves ``atol`` unchanged.
    """
    exact = _safe_equal(actual, expected)
    if comparison == "any":
        exact = True
    elif comparison == "sum_div":
        exact = exact or _safe_equal(actual, 0)
    elif comparison == "surface_area":
        exact = exact or abs(actual - _surface_area_oracle(*args)) <= atol
    elif comparison == "digit_distance_nums":
        exact = exact or _safe_equal(actual, _digit_distance_oracle(*args))
    elif comparison == "set":
        exact = set(actual) == set(expected)
    elif comparison == "not_none":
        if isinstance(actual, bool):
            exact = actual == expected
        else:
            exact = expected == (actual is not None)
    if atol == 0 and is_floats(expected):
        atol = FLOAT_ATOL
    if not exact and atol != 0:
        if type(actual) is not type(expected):
            return False, atol
        if isinstance(expected, list | tuple) and len(actual) != len(expected):
            return False, atol
        return allclose(actual, expected, atol=atol), atol
    return bool(exact), atol


def output_matches(
    actual: Any,
    expected: Any,
    *,
    atol: float = 0.0,
    comparison: str = "exact",
    args: Sequence[Any] = (),
) -> bool:
    """Whether one output passes the EvalPlus comparison for a task's ``atol``."""
    try:
        return _check_one(actual, expected, atol, comparison, args)[0]
    except Exception:
        return False


def compare_outputs(
    plus: HiddenInputs, outcomes: Sequence[CallOutcome]
) -> tuple[bool, ...]:
    """Per input, whether the candidate's outcome matches the expected output.

    As in EvalPlus, a float expected value switches ``atol`` to 1e-6 for the rest of
    the run; base and plus inputs are separate runs, so this resets between them.
    """
    results: list[bool] = []
    base_count = plus.base_count if plus.base_count is not None else len(plus.inputs)
    atol = plus.atol
    for index, (args, expected) in enumerate(
        zip(plus.inputs, plus.expected, strict=True)
    ):
        if index == base_count:
            atol = plus.atol
        outcome = outcomes[index] if index < len(outcomes) else None
        if outcome is None or outcome.status != "ok":
            results.append(False)
            continue
        try:
            ok, atol = _check_one(outcome.value, expected, atol, plus.comparison, args)
        except Exception:
            ok = False
        results.append(ok)
    return tuple(results)


@dataclass(frozen=True, slots=True)
class HiddenReport:
    """Hidden results split by kind, for benchmarks (base = MBPP, plus = MBPP+)."""

    asserts_passed: int
    asserts_total: int
    base_passed: int
    base_total: int
    plus_passed: int
    plus_total: int
    first_failure: str = ""
    """A short description of the first failing hidden check (for humans only)."""

    @property
    def passed_count(self) -> int:
        """Hidden checks that passed."""
        return self.asserts_passed + self.base_passed + self.plus_passed

    @property
    def total(self) -> int:
        """All hidden checks."""
        return self.asserts_total + self.base_total + self.plus_total

    @property
    def base_ok(self) -> bool:
        """EvalPlus "base": every base input passed (and every hidden assert)."""
        return (
            self.asserts_passed == self.asserts_total
            and self.base_passed == self.base_total
        )

    @property
    def plus_ok(self) -> bool:
        """EvalPlus "plus": base and plus inputs (and hidden asserts) all passed."""
        return self.base_ok and self.plus_passed == self.plus_total

    @property
    def score(self) -> HiddenScore:
        """The HiddenScore event value."""
        return HiddenScore(
            passed=self.passed_count == self.total,
            passed_count=self.passed_count,
            total=self.total,
        )


def time_limits(plus: HiddenInputs) -> tuple[float, float]:
    """Per-call and total time limits from the reference solution's time."""
    per_call = max(
        MIN_PER_CALL_TIMEOUT_S, REFERENCE_TIME_FACTOR * plus.reference_call_seconds
    )
    total = max(
        MIN_TOTAL_TIMEOUT_S, REFERENCE_TIME_FACTOR * plus.reference_seconds + 5.0
    )
    return per_call, total


def score_hidden_report(
    task: Task, code: str, sandbox: ScoringSandbox
) -> HiddenReport | None:
    """Score ``code`` on the task's hidden tests, split by kind; None if it has none."""
    hidden = task.hidden
    if hidden is None:
        return None
    first_failure = ""
    asserts_passed = 0
    if hidden.asserts:
        check = sandbox.run_tests(
            code, hidden.asserts, setup=task.setup_code, entry_point=task.entry_point
        )
        asserts_passed = sum(
            1
            for test in check.tests
            if test.status == "passed" and test.source in hidden.asserts
        )
        asserts_passed = min(asserts_passed, len(hidden.asserts))
        if asserts_passed < len(hidden.asserts):
            failing = next((t for t in check.tests if t.status != "passed"), None)
            first_failure = (
                f"assert {failing.status}: {failing.source[:80]}"
                if failing is not None
                else f"asserts did not run ({check.verdict})"
            )
    base_passed = base_total = plus_passed = plus_total = 0
    plus = hidden.plus
    if plus is not None and plus.inputs:
        per_call, total = time_limits(plus)
        call_code, call_entry = code, plus.entry_point
        if plus.comparison == "not_none" and plus.entry_point.isidentifier():
            call_code = code + _NOT_NONE_WRAPPER.format(
                wrapper=NOT_NONE_ENTRY, entry=plus.entry_point
            )
            call_entry = NOT_NONE_ENTRY
        outcomes = sandbox.call_batch(
            call_code,
            call_entry,
            plus.inputs,
            setup=task.setup_code,
            per_call_timeout_s=per_call,
            total_timeout_s=total,
        )
        matches = compare_outputs(plus, outcomes)
        base_count = plus.base_count if plus.base_count is not None else len(matches)
        base_total = base_count
        plus_total = len(matches) - base_count
        base_passed = sum(matches[:base_count])
        plus_passed = sum(matches[base_count:])
        if not first_failure and not all(matches):
            index = matches.index(False)
            outcome = outcomes[index] if index < len(outcomes) else None
            status = outcome.status if outcome is not None else "missing"
            first_failure = f"input {index}: {status}"
            if outcome is not None and outcome.status != "ok":
                first_failure += f" ({outcome.message[:80]})"
    return HiddenReport(
        asserts_passed=asserts_passed,
        asserts_total=len(hidden.asserts),
        base_passed=base_passed,
        base_total=base_total,
        plus_passed=plus_passed,
        plus_total=plus_total,
        first_failure=first_failure,
    )


def score_hidden(task: Task, code: str, sandbox: ScoringSandbox) -> HiddenScore | None:
    """The hidden-test score of ``code``; None when the task has no hidden tests."""
    report = score_hidden_report(task, code, sandbox)
    return None if report is None else report.score

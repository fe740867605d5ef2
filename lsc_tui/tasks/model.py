"""The Task value: what the loop solves, its visible tests and hidden ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

TaskSource = Literal["typed", "mbpp"]


@dataclass(frozen=True, slots=True)
class HiddenInputs:
    """EvalPlus-style hidden inputs: call ``entry_point`` on each, compare outputs."""

    entry_point: str
    inputs: tuple[tuple[Any, ...], ...]
    expected: tuple[Any, ...]
    atol: float = 0.0
    comparison: str = "exact"
    """Output comparison: ``exact``, ``set`` or ``not_none`` (EvalPlus cases)."""
    base_count: int | None = None
    """How many leading ``inputs`` are MBPP+ base inputs (the rest are plus inputs);
    None when the split is unknown."""
    reference_seconds: float = 0.0
    """Estimated seconds the reference needs for all inputs (compute plus transfer);
    sizes the total time limit."""
    reference_call_seconds: float = 0.0
    """The same estimate for its most expensive input; sizes the per-call limit."""


@dataclass(frozen=True, slots=True)
class HiddenSuite:
    """Tests that only score a run; no model and no selection step ever sees them."""

    asserts: tuple[str, ...] = ()
    plus: HiddenInputs | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """A coding task: a description, the tests models may see, and hidden tests."""

    task_id: str
    description: str
    visible_tests: tuple[str, ...] = ()
    entry_point: str | None = None
    setup_code: str = ""
    source: TaskSource = "typed"
    hidden: HiddenSuite | None = None
    reference_code: str = ""
    """A known-good solution (MBPP), used only to compute expected outputs."""

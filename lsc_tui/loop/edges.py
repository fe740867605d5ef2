"""Edge-case check of a candidate that passes the visible tests.

A visible pass is weak evidence. On MBPP+ many of the 1.5B model's false passes
crash on boundary inputs the task allows: an empty list, a list shorter than the
others, zero, a negative number (``rotate_right([], 0)`` dividing by zero). So a
passing candidate also runs on boundary variants of the visible test's arguments
and on the consensus probes (``loop.probes``). When it raises or hangs on some,
the generator gets repair turns with those calls (``[edges] repair``: the first
greedy, the others sampled, drawn together in one batch where the engine batches
samples), and a repair replaces the candidate only when it
passes the visible tests, stops crashing on at least one of those calls, and
returns exactly what the candidate returned on every other one; the first such
repair ends the turns. Only the visible tests' arguments feed this; no expected
value is guessed, and hidden tests never reach it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lsc_tui.loop.consensus import outcome_key
from lsc_tui.loop.probes import MAX_PROBES, probe_inputs, visible_arguments
from lsc_tui.tasks.expected import BatchCaller

MAX_EDGES = 12
"""Boundary inputs added to the probes; a handful per argument is plenty."""
MAX_SHOWN = 3
"""Crashing calls quoted to the generator: enough to show the pattern, short."""
MAX_CALL_CHARS = 160
CALL_TIMEOUT_S = 1.0
"""A check, not a verdict: a slow call only counts as a crash to repair."""
TOTAL_TIMEOUT_S = 6.0

FAILS_VISIBLE = "it fails the visible tests"
STILL_CRASHES = "it still crashes"
CHANGES_RESULTS = "it changes results the candidate already returned"
"""Why a repair was dropped, as the selection reason says it (and the results page
counts it)."""


def _boundaries(value: Any) -> Iterator[Any]:
    """Boundary values of one argument's type: empty, one element, zero, negated,
    and a container whose first element is empty."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield 0
        yield -value if value else -1
        yield 1
    elif isinstance(value, float):
        yield 0.0
    elif isinstance(value, str):
        yield ""
        if len(value) > 1:
            yield value[:1]
    elif isinstance(value, list | tuple):
        kind = type(value)
        items = list(value)
        yield kind()
        if len(items) > 1:
            yield kind(items[:1])
        if items and isinstance(items[0], str | list | tuple) and items[0]:
            yield kind([type(items[0])(), *items[1:]])
    elif isinstance(value, dict):
        yield {}


def edge_inputs(
    tests: Sequence[str], entry_point: str | None, limit: int = MAX_EDGES
) -> list[tuple[Any, ...]]:
    """Visible argument tuples with one argument at a time set to a boundary value."""
    if not entry_point:
        return []
    chosen: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for args in visible_arguments(tests, entry_point):
        seen.add(repr(args))
        for position, value in enumerate(args):
            for boundary in _boundaries(value):
                variant = (*args[:position], boundary, *args[position + 1 :])
                key = repr(variant)
                if key not in seen and len(chosen) < limit:
                    seen.add(key)
                    chosen.append(variant)
    return chosen


def check_inputs(
    tests: Sequence[str], entry_point: str | None
) -> list[tuple[Any, ...]]:
    """The probes, then the boundary inputs they lack: what a passing candidate runs."""
    probes = probe_inputs(tests, entry_point, MAX_PROBES)
    known = {repr(args) for args in probes}
    edges = [
        args for args in edge_inputs(tests, entry_point) if repr(args) not in known
    ]
    return probes + edges


@dataclass(frozen=True, slots=True)
class Crash:
    """One check input on which a candidate raised or ran out of time."""

    call: str
    """The call as Python source, clipped: ``rotate_right([], 0)``."""
    error: str
    """What happened: ``ZeroDivisionError: integer modulo by zero``."""

    def __str__(self) -> str:
        return f"{self.call}: {self.error}"


@dataclass(frozen=True, slots=True)
class EdgeCheck:
    """What one candidate did on every check input."""

    behaviour: tuple[Any, ...]
    """One ``consensus.outcome_key`` per input."""
    crashes: tuple[int, ...]
    """Indexes of the inputs it raised on or timed out on."""
    shown: tuple[Crash, ...]
    """The first crashes, as the generator is told them."""


def _call_source(entry_point: str, args: tuple[Any, ...]) -> str:
    text = f"{entry_point}({', '.join(repr(a) for a in args)})"
    return text if len(text) <= MAX_CALL_CHARS else text[: MAX_CALL_CHARS - 4] + " ...)"


def _error_text(status: str, message: str) -> str:
    if status == "timeout":
        return f"did not return within {CALL_TIMEOUT_S:g} s"
    return message.strip().splitlines()[0] if message.strip() else status


def run_check(
    sandbox: BatchCaller,
    code: str,
    entry_point: str,
    inputs: Sequence[tuple[Any, ...]],
    *,
    setup: str = "",
) -> EdgeCheck:
    """Run ``code`` on the check inputs in one sandbox batch."""
    outcomes = sandbox.call_batch(
        code,
        entry_point,
        inputs,
        setup=setup,
        per_call_timeout_s=CALL_TIMEOUT_S,
        total_timeout_s=TOTAL_TIMEOUT_S,
    )
    behaviour = tuple(outcome_key(o.status, o.value, o.message) for o in outcomes)
    crashes = tuple(i for i, o in enumerate(outcomes) if o.status != "ok")
    shown = tuple(
        Crash(
            _call_source(entry_point, inputs[i]),
            _error_text(outcomes[i].status, outcomes[i].message),
        )
        for i in crashes[:MAX_SHOWN]
    )
    return EdgeCheck(behaviour, crashes, shown)


def repair_keeps(before: EdgeCheck, after: EdgeCheck) -> bool:
    """True when ``after`` fixes a crash of ``before`` and changes nothing else.

    Every input ``before`` handled must give the very same outcome, and at least
    one input it crashed on must now return a value.
    """
    if len(after.behaviour) != len(before.behaviour):
        return False
    crashed = set(before.crashes)
    for index, outcome in enumerate(before.behaviour):
        if index not in crashed and after.behaviour[index] != outcome:
            return False
    return any(index not in after.crashes for index in crashed)

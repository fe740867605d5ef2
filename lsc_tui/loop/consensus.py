"""Execution-based consensus among candidates that pass the visible tests.

Passing one visible assert is weak evidence: on MBPP+ about one visible pass in
six still fails the hidden tests. Independent samples that are right tend to
agree with each other on other inputs, while wrong ones tend to be wrong in
different ways (the idea behind CodeT and MBR-exec). So every passing candidate
is run on the same probe inputs (``loop.probes``), candidates with identical
outputs form a group, and the largest group wins; ties go to the group holding
the earliest candidate, so the greedy answer keeps its edge. Only visible tests
and the task text feed this; hidden tests never do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FLOAT_DIGITS = 9
"""Floats are compared to this many significant digits (summation order noise)."""


def _normal(value: Any) -> Any:
    """A hashable, comparison-friendly form of a returned value."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_normal(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(_normal(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_normal(k), _normal(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def outcome_key(status: str, value: Any, message: str) -> Any:
    """What one probe call did: the value it returned, or the kind of failure."""
    if status == "ok":
        return ("ok", _normal(value))
    if status == "error":
        return ("error", message.split(":", 1)[0].strip())
    return (status,)


@dataclass(frozen=True, slots=True)
class Vote:
    """One passing candidate and its behaviour on the probes."""

    candidate: int
    behaviour: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Consensus:
    """The groups of identical behaviour, largest (then earliest) first."""

    groups: tuple[tuple[int, ...], ...]

    @property
    def winner(self) -> int | None:
        """The earliest candidate of the leading group."""
        return self.groups[0][0] if self.groups else None

    @property
    def support(self) -> int:
        """How many candidates behave like the winner."""
        return len(self.groups[0]) if self.groups else 0

    @property
    def margin(self) -> int:
        """Lead of the winning group over the runner-up."""
        if not self.groups:
            return 0
        second = len(self.groups[1]) if len(self.groups) > 1 else 0
        return len(self.groups[0]) - second

    def group_size(self, candidate: int) -> int:
        """How many candidates (itself included) behave like ``candidate``."""
        for group in self.groups:
            if candidate in group:
                return len(group)
        return 0


def group_votes(votes: Sequence[Vote]) -> Consensus:
    """Group candidates by identical behaviour; order by size, then earliest member."""
    by_behaviour: dict[tuple[Any, ...], list[int]] = {}
    for vote in votes:
        by_behaviour.setdefault(vote.behaviour, []).append(vote.candidate)
    groups = sorted(
        (tuple(sorted(members)) for members in by_behaviour.values()),
        key=lambda members: (-len(members), members[0]),
    )
    return Consensus(tuple(groups))


def settled(consensus: Consensus, min_support: int) -> bool:
    """Whether sampling can stop: a group of ``min_support`` that leads outright."""
    return consensus.support >= min_support and consensus.margin >= 1

"""Benchmark statistics: Wilson intervals for pass rates and a paired gain with a CI.

A pass rate over a few dozen tasks is noisy, so every rate carries a 95% Wilson
score interval, and a pipeline's gain over the baseline is a paired difference on
the same tasks with Newcombe's hybrid score interval (method 10, Newcombe 1998),
which stays inside [-1, 1] and behaves well at small n and near 0% or 100%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
"""The two-sided 95% normal quantile."""


@dataclass(frozen=True, slots=True)
class Proportion:
    """A pass count out of ``n`` with its rate and Wilson interval."""

    successes: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        """The observed proportion (0 when there are no trials)."""
        return self.successes / self.n if self.n else 0.0

    def to_json(self) -> dict[str, float | int]:
        """A JSON-ready dict with rounded figures."""
        return {
            "passed": self.successes,
            "n": self.n,
            "rate": round(self.rate, 4),
            "ci_low": round(self.low, 4),
            "ci_high": round(self.high, 4),
        }


@dataclass(frozen=True, slots=True)
class PairedGain:
    """The difference of two paired pass rates (``candidate - baseline``) with a CI."""

    n: int
    both: int
    candidate_only: int
    baseline_only: int
    neither: int
    low: float
    high: float
    p_value: float
    """Exact two-sided McNemar p-value on the discordant pairs."""

    @property
    def diff(self) -> float:
        """Candidate rate minus baseline rate on the paired tasks."""
        return (self.candidate_only - self.baseline_only) / self.n if self.n else 0.0

    def to_json(self) -> dict[str, float | int]:
        """A JSON-ready dict with rounded figures."""
        return {
            "n": self.n,
            "diff": round(self.diff, 4),
            "ci_low": round(self.low, 4),
            "ci_high": round(self.high, 4),
            "wins": self.candidate_only,
            "losses": self.baseline_only,
            "both": self.both,
            "neither": self.neither,
            "p_value": round(self.p_value, 4),
        }


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``n``; (0, 1) when n is 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion(successes: int, n: int) -> Proportion:
    """A Proportion with its 95% Wilson interval."""
    low, high = wilson_interval(successes, n)
    return Proportion(successes, n, low, high)


def mcnemar_exact_p(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of ``wins`` vs ``losses`` discordant pairs."""
    discordant = wins + losses
    if discordant == 0:
        return 1.0
    k = min(wins, losses)
    tail: float = sum(math.comb(discordant, i) for i in range(k + 1)) / 2**discordant
    return min(1.0, 2 * tail)


def paired_gain(
    candidate: Sequence[bool], baseline: Sequence[bool], z: float = Z_95
) -> PairedGain:
    """Paired difference ``candidate - baseline`` with Newcombe's method-10 interval.

    Both sequences hold one outcome per task, in the same task order.
    """
    if len(candidate) != len(baseline):
        raise ValueError("paired outcomes need the same number of tasks")
    n = len(candidate)
    both = sum(1 for c, b in zip(candidate, baseline, strict=True) if c and b)
    c_only = sum(1 for c, b in zip(candidate, baseline, strict=True) if c and not b)
    b_only = sum(1 for c, b in zip(candidate, baseline, strict=True) if b and not c)
    neither = n - both - c_only - b_only
    p_value = mcnemar_exact_p(c_only, b_only)
    if n == 0:
        return PairedGain(0, 0, 0, 0, 0, -1.0, 1.0, p_value)
    p1 = (both + c_only) / n
    p2 = (both + b_only) / n
    l1, u1 = wilson_interval(both + c_only, n, z)
    l2, u2 = wilson_interval(both + b_only, n, z)
    margins = (
        (both + c_only) * (neither + b_only) * (both + b_only) * (neither + c_only)
    )
    phi = (both * neither - c_only * b_only) / math.sqrt(margins) if margins else 0.0
    diff = p1 - p2
    low_sq = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    high_sq = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    low = max(-1.0, diff - math.sqrt(max(low_sq, 0.0)))
    high = min(1.0, diff + math.sqrt(max(high_sq, 0.0)))
    return PairedGain(n, both, c_only, b_only, neither, low, high, p_value)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0 for no values."""
    return sum(values) / len(values) if values else 0.0

"""Benchmark statistics: Wilson intervals for pass rates and a paired gain with a CI.

A pass rate over a few dozen tasks is noisy, so every rate carries a 95% Wilson
score interval, and a pipeline's gain over the baseline is a paired difference on
the same tasks with Tango's score interval (Tango 1998). Unlike Newcombe's hybrid
interval it stays honest when few tasks differ: 13 tasks that all agree give
about +-23 points, not a near-zero width.
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


def _tango_z(diff: float, wins: int, losses: int, n: int) -> float:
    """Tango's score statistic for the paired difference being ``diff``."""
    w = -(wins + losses) + diff * (2 * n - wins + losses)
    root = w * w + 8 * n * losses * diff * (1 - diff)
    p_losses = max(0.0, (-w + math.sqrt(max(root, 0.0))) / (4 * n))
    variance = n * (2 * p_losses + diff * (1 - diff))
    excess = wins - losses - n * diff
    if variance <= 0:
        return math.copysign(math.inf, excess) if excess else 0.0
    return excess / math.sqrt(variance)


def tango_interval(
    wins: int, losses: int, n: int, z: float = Z_95
) -> tuple[float, float]:
    """Tango's score interval for a paired difference (wins - losses) / n."""
    if n == 0:
        return -1.0, 1.0
    estimate = (wins - losses) / n

    def solve(target: float, low: float, high: float) -> float:
        # _tango_z falls as diff rises; bisect for _tango_z(diff) == target.
        for _ in range(80):
            middle = (low + high) / 2
            if _tango_z(middle, wins, losses, n) > target:
                low = middle
            else:
                high = middle
        return (low + high) / 2

    lower = -1.0 if _tango_z(-1.0, wins, losses, n) <= z else solve(z, -1.0, estimate)
    upper = 1.0 if _tango_z(1.0, wins, losses, n) >= -z else solve(-z, estimate, 1.0)
    return lower, upper


def paired_gain(
    candidate: Sequence[bool], baseline: Sequence[bool], z: float = Z_95
) -> PairedGain:
    """Paired difference ``candidate - baseline`` with Tango's score interval.

    Both sequences hold one outcome per task, in the same task order.
    """
    if len(candidate) != len(baseline):
        raise ValueError("paired outcomes need the same number of tasks")
    pairs = list(zip(candidate, baseline, strict=True))
    n = len(pairs)
    both = sum(1 for c, b in pairs if c and b)
    wins = sum(1 for c, b in pairs if c and not b)
    losses = sum(1 for c, b in pairs if b and not c)
    neither = n - both - wins - losses
    low, high = tango_interval(wins, losses, n, z)
    p_value = mcnemar_exact_p(wins, losses)
    return PairedGain(n, both, wins, losses, neither, low, high, p_value)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0 for no values."""
    return sum(values) / len(values) if values else 0.0

"""Wilson intervals, the paired gain and McNemar's p-value against known values."""

from __future__ import annotations

import math

import pytest

from lsc_tui.bench.stats import (
    Z_95,
    mcnemar_exact_p,
    paired_gain,
    proportion,
    tango_interval,
    wilson_interval,
)


def test_wilson_matches_textbook_value() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_edges_are_exact_and_inside_unit_interval() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(10, 10)[0] == pytest.approx(0.7225, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_narrows_with_more_tasks() -> None:
    small = wilson_interval(5, 10)
    large = wilson_interval(50, 100)
    assert large[1] - large[0] < small[1] - small[0]
    assert small[0] < 0.5 < small[1]


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)


def test_proportion_json_rounds_and_reports_rate() -> None:
    block = proportion(21, 25).to_json()
    assert block["passed"] == 21
    assert block["rate"] == 0.84
    assert block["ci_low"] < 0.84 < block["ci_high"]


def test_paired_gain_counts_discordant_pairs() -> None:
    candidate = [True, True, False, True, False]
    baseline = [True, False, False, False, True]
    gain = paired_gain(candidate, baseline)
    assert (gain.both, gain.candidate_only, gain.baseline_only, gain.neither) == (
        1,
        2,
        1,
        1,
    )
    assert gain.diff == pytest.approx(0.2)
    assert gain.low < gain.diff < gain.high
    assert gain.low >= -1.0 and gain.high <= 1.0


def test_paired_gain_agrees_with_wald_for_large_samples() -> None:
    # 400 both, 60 candidate only, 40 baseline only, 500 neither (n = 1000).
    candidate = [True] * 460 + [False] * 540
    baseline = [True] * 400 + [False] * 60 + [True] * 40 + [False] * 500
    gain = paired_gain(candidate, baseline)
    n, b, c = 1000, 60, 40
    se = math.sqrt((b + c) - (b - c) ** 2 / n) / n
    assert gain.diff == pytest.approx(0.02)
    assert gain.low == pytest.approx(0.02 - 1.96 * se, abs=0.003)
    assert gain.high == pytest.approx(0.02 + 1.96 * se, abs=0.003)


def test_no_discordant_tasks_still_leave_honest_uncertainty() -> None:
    # With every task agreeing, Tango's bounds are +-z^2 / (n + z^2).
    outcomes = [True] * 8 + [False] * 5
    gain = paired_gain(outcomes, outcomes)
    assert gain.diff == 0.0
    assert gain.p_value == 1.0
    bound = Z_95**2 / (13 + Z_95**2)
    assert gain.low == pytest.approx(-bound, abs=1e-6)
    assert gain.high == pytest.approx(bound, abs=1e-6)


def test_paired_gain_of_all_wins_matches_the_closed_form() -> None:
    # All n discordant in the candidate's favour: low = (n - z^2) / (n + z^2).
    gain = paired_gain([True] * 20, [False] * 20)
    assert gain.diff == 1.0
    assert gain.high == 1.0
    assert gain.low == pytest.approx((20 - Z_95**2) / (20 + Z_95**2), abs=1e-6)
    mirrored = paired_gain([False] * 20, [True] * 20)
    assert mirrored.low == -1.0
    assert mirrored.high == pytest.approx(-gain.low, abs=1e-6)


def test_tango_interval_of_no_tasks_is_everything() -> None:
    assert tango_interval(0, 0, 0) == (-1.0, 1.0)


def test_paired_gain_needs_equal_lengths() -> None:
    with pytest.raises(ValueError, match="same number"):
        paired_gain([True], [True, False])


def test_mcnemar_exact_p_values() -> None:
    assert mcnemar_exact_p(0, 0) == 1.0
    # 6 wins vs 0 losses: 2 * 0.5**6.
    assert mcnemar_exact_p(6, 0) == pytest.approx(0.03125)
    assert mcnemar_exact_p(3, 3) == 1.0
    assert mcnemar_exact_p(1, 5) == pytest.approx(2 * (1 + 6) / 64)

"""Time ratios at matched machine speed come from identical work in the records."""

from __future__ import annotations

from typing import Any

import pytest

from lsc_tui.bench.speed import (
    MIN_CALIBRATION,
    WINDOW,
    drawn_after_pass,
    kept_share,
    matched_times,
)


def it(code: str, tokens: int, seconds: float) -> dict[str, Any]:
    return {"code": code, "gen_tokens": tokens, "gen_seconds": seconds}


def rec(
    task: int, pipeline: str, seconds: float, iterations: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "task_id": task,
        "pipeline": pipeline,
        "seconds": seconds,
        "load_seconds": 0.0,
        "iterations": iterations,
    }


TASKS = range(1, MIN_CALIBRATION + 1)


def one_shot(seconds: float = 4.0, gen: float = 4.0) -> list[dict[str, Any]]:
    """A one-shot run that took ``gen`` s per greedy candidate."""
    return [rec(t, "one-shot", seconds, [it(f"c{t}", 40, gen)]) for t in TASKS]


def test_a_run_on_a_faster_machine_is_scaled_to_one_shots_speed() -> None:
    # select's run decoded the same greedy code twice as fast; it then sampled.
    select = [
        rec(t, "select", 6.0, [it(f"c{t}", 40, 2.0), it("s", 80, 4.0)]) for t in TASKS
    ]
    [entry] = matched_times([one_shot(), select])
    assert entry.pipeline == "select" and entry.tasks == MIN_CALIBRATION
    assert entry.raw_ratio == pytest.approx(1.5)
    assert entry.speed_factor == pytest.approx(2.0)
    assert entry.matched_ratio == pytest.approx(3.0)
    assert entry.calibration_tasks == MIN_CALIBRATION
    assert entry.extensions == ()
    assert entry.task_seconds == {t: 12.0 for t in TASKS}


def test_different_greedy_code_does_not_calibrate() -> None:
    select = [rec(t, "select", 6.0, [it(f"other{t}", 40, 2.0)]) for t in TASKS]
    assert matched_times([one_shot(), select]) == []
    # One identical candidate too few is no calibration either.
    short = [rec(t, "select", 6.0, [it(f"c{t}", 40, 2.0)]) for t in TASKS][1:]
    assert matched_times([one_shot(), short]) == []


def test_an_extension_is_timed_against_the_samples_it_extends() -> None:
    """New samples decoded at half the earlier samples' speed count at full speed."""
    first = [
        rec(t, "select", 6.0, [it(f"c{t}", 40, 4.0), it("s", 100, 2.0)]) for t in TASKS
    ]
    extension = [
        {
            **rec(t, "select", 6.0 + 8.0, [it(f"c{t}", 40, 0.0), it("s", 100, 0.0)]),
            "replayed": 2,
            "new_seconds": 8.0,
        }
        for t in TASKS[:2]
    ]
    for row in extension:
        row["iterations"].append(it("n", 100, 4.0))  # 25 tokens/s against 50
    [entry] = matched_times([one_shot(), first, extension])
    [extension] = entry.extensions
    assert extension.tasks == 2 and extension.speed == pytest.approx(0.5)
    assert entry.speed_factor == pytest.approx(1.0)
    base = 4.0 * MIN_CALIBRATION
    assert entry.raw_ratio == pytest.approx((6.0 * MIN_CALIBRATION + 16.0) / base)
    assert entry.matched_ratio == pytest.approx((6.0 * MIN_CALIBRATION + 8.0) / base)


def test_an_extension_keeping_fewer_candidates_replaces_the_rest() -> None:
    """``--keep 2`` of a 3-candidate record: the third candidate's share of the
    earlier time goes, the new one's time comes in at the earlier samples' speed."""
    first = [
        rec(t, "select", 8.0, [it(f"c{t}", 40, 4.0), it("s", 100, 2.0)]) for t in TASKS
    ]
    first[0]["iterations"].append(it("plan", 100, 2.0))  # 8 s: 6 kept, 2 not
    assert kept_share(first[0], 2) == pytest.approx(0.75)
    assert kept_share(first[0], 3) == 1.0
    extension = {
        **rec(1, "select", 6.0 + 4.0, [it("c1", 40, 0.0), it("s", 100, 0.0)]),
        "replayed": 2,
        "new_seconds": 4.0,
    }
    extension["iterations"].append(it("n", 100, 4.0))  # 25 tokens/s against 50
    [entry] = matched_times([one_shot(), first, [extension]])
    [ext] = entry.extensions
    assert ext.tasks == 1 and ext.speed == pytest.approx(0.5)
    assert entry.task_seconds[1] == pytest.approx(8.0 * 0.75 + 2.0)
    # Fewer candidates of a record that is itself an extension: the kept part is
    # its seconds less its new ones, of the extension's matched time.
    # Timed against the iteration it replaces (its replayed ones took no time).
    again = {**extension, "replayed": 2, "seconds": 5.0, "new_seconds": 1.0}
    again["calibrate_on"] = [2, 3]
    again["iterations"] = [*extension["iterations"][:2], it("m", 100, 4.0)]
    [entry] = matched_times([one_shot(), first, [extension], [again]])
    assert entry.task_seconds[1] == pytest.approx((8.0 * 0.75 + 2.0) * 4.0 / 10.0 + 0.5)


def test_a_first_pass_in_a_batch_keeps_its_share_of_the_discarded_samples() -> None:
    """Cut at a pass at candidate 3 of the batch 2-5: samples 4 and 5 were drawn
    for it; the repair turn's discarded samples were not."""
    record = {
        "first_pass_iteration": 3,
        # greedy, two samples of batch 2-5 (the second passes), a repair turn
        "iterations": [
            it("g", 40, 4.0),
            it("s", 50, 1.0),
            it("p", 50, 1.0),
            it("r", 50, 2.0),
        ],
        "discarded_samples": {"count": 4, "seconds": 4.0},  # 2 of batch 2-5
    }
    assert drawn_after_pass(record, 3, batch=4) == 2
    assert drawn_after_pass(record, 2, batch=4) == 0  # not the first pass
    assert kept_share(record, 3, batch=4) == pytest.approx((6.0 + 2.0) / 12.0)
    assert kept_share(record, 3) == pytest.approx(6.0 / 12.0)  # drawn one by one
    assert kept_share({**record, "first_pass_iteration": 1}, 3, batch=4) == 0.5


def test_without_one_shot_there_is_nothing_to_match() -> None:
    select = [rec(t, "select", 6.0, [it(f"c{t}", 40, 2.0)]) for t in TASKS]
    assert matched_times([select]) == []


def test_an_extension_of_an_extension_chains_the_calibration() -> None:
    """A second extension is timed against the first one's new samples."""
    first = [
        rec(t, "select", 6.0, [it(f"c{t}", 40, 4.0), it("s", 100, 2.0)]) for t in TASKS
    ]

    def extend(row: dict[str, Any], seconds: float) -> dict[str, Any]:
        iterations = [{**i, "gen_seconds": 0.0} for i in row["iterations"]]
        return {
            **row,
            "seconds": row["seconds"] + seconds,
            "iterations": [*iterations, it("n", 100, seconds)],
            "replayed": len(iterations),
            "new_seconds": seconds,
        }

    once = [extend(first[0], 4.0)]  # 25 tokens/s: half the first run's 50
    twice = [extend(once[0], 8.0)]  # 12.5 tokens/s: half the first extension's
    [entry] = matched_times([one_shot(), first, once, twice])
    assert [e.speed for e in entry.extensions] == pytest.approx([0.5, 0.5])
    # At the first run's speed the two extensions took 2 s and 2 s.
    assert entry.task_seconds[1] == pytest.approx(6.0 + 2.0 + 2.0)
    assert entry.raw_ratio == pytest.approx((6.0 * MIN_CALIBRATION + 12.0) / 40.0)
    # An extension whose earlier record is missing cannot be calibrated.
    assert matched_times([one_shot(), first, twice]) == []
    assert matched_times([one_shot(), twice]) == []


def test_an_extension_a_later_plain_run_replaces_is_not_reported() -> None:
    """A fresh run of the same tasks leaves no extension in the time."""
    first = [
        rec(t, "select", 6.0, [it(f"c{t}", 40, 4.0), it("s", 100, 2.0)]) for t in TASKS
    ]
    extension = [
        {
            **rec(1, "select", 14.0, [it("c1", 40, 0.0), it("s", 100, 0.0)]),
            "replayed": 2,
            "new_seconds": 8.0,
        }
    ]
    extension[0]["iterations"].append(it("n", 100, 4.0))
    again = [rec(t, "select", 5.0, [it(f"c{t}", 40, 4.0)]) for t in TASKS]
    [entry] = matched_times([one_shot(), first, extension, again])
    assert entry.extensions == ()
    assert entry.task_seconds == {t: 5.0 for t in TASKS}


def test_a_speed_change_within_a_run_is_calibrated_window_by_window() -> None:
    """The run's first window decoded at half speed, its second at full speed;
    its first tasks also did 4x one-shot's work, its last tasks 1x."""
    tasks = range(1, 2 * WINDOW + 1)
    base = [rec(t, "one-shot", 4.0, [it(f"c{t}", 40, 4.0)]) for t in tasks]
    slow = [rec(t, "select", 32.0, [it(f"c{t}", 40, 8.0)]) for t in tasks[:WINDOW]]
    fast = [rec(t, "select", 4.0, [it(f"c{t}", 40, 4.0)]) for t in tasks[WINDOW:]]
    [entry] = matched_times([base, slow + fast])
    assert entry.window_factors == pytest.approx((0.5, 1.0))
    assert entry.task_seconds == pytest.approx(
        {t: 16.0 if t <= WINDOW else 4.0 for t in tasks}
    )
    # (20 x 16 + 20 x 4) / 160 = 2.5x; one pooled factor (160 / 240) says 3.0x.
    assert entry.speed_factor == pytest.approx(160 / 240)
    assert entry.matched_ratio == pytest.approx(2.5)
    # A last window short of WINDOW identical candidates joins the one before.
    [short] = matched_times([base, (slow + fast)[: WINDOW + MIN_CALIBRATION]])
    assert len(short.window_factors) == 1

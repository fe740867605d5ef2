"""Task selection: ranges, lists, MBPP+ filtering, seeded samples and limits."""

from __future__ import annotations

import pytest

from lsc_tui.bench.selection import TaskSelection, parse_task_spec
from lsc_tui.errors import ConfigError

PLUS = [11, 12, 14, 17, 20, 600]


def plus_ids() -> list[int]:
    return PLUS


def test_parse_range_list_and_mix() -> None:
    assert parse_task_spec("11-15") == [11, 12, 13, 14, 15]
    assert parse_task_spec("15,11,12") == [11, 12, 15]
    assert parse_task_spec("11-13, 20,12") == [11, 12, 13, 20]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("abc", "not a task number"),
        ("20-11", "backwards"),
        ("0-5", "run from 1 to 974"),
        ("975", "run from 1 to 974"),
        (",", "empty"),
    ],
)
def test_parse_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_task_spec(spec)


def test_default_pool_is_the_test_split() -> None:
    ids = TaskSelection().resolve(plus_ids)
    assert ids[0] == 11
    assert ids[-1] == 510
    assert len(ids) == 500


def test_plus_alone_and_combined_with_tasks() -> None:
    assert TaskSelection(plus=True).resolve(plus_ids) == PLUS
    assert TaskSelection(tasks="11-19", plus=True).resolve(plus_ids) == [11, 12, 14, 17]


def test_sample_is_reproducible_and_seed_dependent() -> None:
    first = TaskSelection(sample=25, seed=7).resolve(plus_ids)
    again = TaskSelection(sample=25, seed=7).resolve(plus_ids)
    other = TaskSelection(sample=25, seed=8).resolve(plus_ids)
    assert first == again
    assert first != other
    assert len(set(first)) == 25
    assert all(11 <= n <= 510 for n in first)
    assert first == sorted(first)


def test_limit_keeps_the_first_tasks_after_sampling() -> None:
    sampled = TaskSelection(sample=10, seed=1).resolve(plus_ids)
    limited = TaskSelection(sample=10, seed=1, limit=3).resolve(plus_ids)
    assert limited == sampled[:3]
    assert TaskSelection(tasks="11-20", limit=2).resolve(plus_ids) == [11, 12]


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (TaskSelection(sample=5), "needs --seed"),
        (TaskSelection(sample=0, seed=1), "at least 1"),
        (TaskSelection(limit=0), "at least 1"),
        (TaskSelection(tasks="11-12", sample=3, seed=1), "more than"),
        (TaskSelection(tasks="13", plus=True), "no tasks"),
    ],
)
def test_invalid_selections_say_what_to_do(
    selection: TaskSelection, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        selection.resolve(plus_ids)


def test_describe_names_the_choices() -> None:
    text = TaskSelection(plus=True, sample=100, seed=3, limit=50).describe()
    assert "MBPP+" in text
    assert "seed 3" in text
    assert "first 50" in text

"""Loading MBPP tasks by number: visible/hidden split, MBPP+ inputs, setup code."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lsc_tui.errors import TaskError
from lsc_tui.tasks.datasets import MBPP_PLUS_FILE, NOT_CACHED_MESSAGE
from lsc_tui.tasks.expected import decode_value, encode_value, expected_cache_path
from lsc_tui.tasks.mbpp import (
    deserialize_inputs,
    load_mbpp_plus_records,
    load_mbpp_task,
    mbpp_plus_ids,
)
from tests.conftest import MBPP_DIR

REMOVED_IN_V020 = {83, 115, 117, 143, 164, 229, 249, 295, 396, 400, 407, 431, 438}
REMOVED_IN_V020 |= {442, 461, 574, 582, 595, 640, 746, 783}


@dataclass(frozen=True)
class Outcome:
    status: str
    value: Any = None
    message: str = ""


class InProcessReference:
    """Runs trusted reference code in-process, standing in for Sandbox.call_batch."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

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
        self.calls.append((entry_point, len(inputs)))
        namespace: dict[str, Any] = {}
        exec(code, namespace)
        function = namespace[entry_point]
        return [Outcome("ok", function(*copy.deepcopy(list(args)))) for args in inputs]


def test_mbpp_plus_ids_are_the_378_v020_tasks(mbpp_cache: Path) -> None:
    ids = mbpp_plus_ids()
    assert len(ids) == 378
    assert ids == sorted(ids)
    assert ids[0] == 2
    assert ids[-1] == 809
    assert not REMOVED_IN_V020 & set(ids)


def test_plain_mbpp_task_first_visible(mbpp_cache: Path) -> None:
    task = load_mbpp_task(1)
    assert task.task_id == "mbpp/1"
    assert task.source == "mbpp"
    assert task.description.startswith("Write a function to find the minimum cost path")
    assert task.visible_tests == (
        "assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8",
    )
    assert task.entry_point == "min_cost"
    assert task.hidden is not None
    assert task.hidden.plus is None
    assert task.hidden.asserts == (
        "assert min_cost([[2, 3, 4], [5, 9, 3], [2, 6, 4]], 2, 2) == 12",
        "assert min_cost([[3, 4, 5], [6, 10, 4], [3, 7, 5]], 2, 2) == 16",
    )
    assert "def min_cost(cost, m, n):" in task.reference_code
    assert "\r" not in task.reference_code


def test_plain_mbpp_task_all_visible_has_no_hidden_tests(mbpp_cache: Path) -> None:
    task = load_mbpp_task(1, visible="all")
    assert len(task.visible_tests) == 3
    assert task.hidden is None


@pytest.mark.parametrize("number", [367, 927])
def test_setup_code_tasks(mbpp_cache: Path, number: int) -> None:
    task = load_mbpp_task(number)
    assert task.setup_code.startswith("root = Node(1)")
    assert "\r" not in task.setup_code
    assert task.entry_point is not None
    assert task.entry_point != "Node"
    assert task.entry_point in task.visible_tests[0]


def test_asserts_are_stripped(mbpp_cache: Path) -> None:
    raw = [json.loads(line) for line in (MBPP_DIR / "mbpp.jsonl").open()]
    padded = [r["task_id"] for r in raw if any(t != t.strip() for t in r["test_list"])]
    plain = [n for n in padded if n not in set(mbpp_plus_ids())]
    assert plain
    task = load_mbpp_task(plain[0], visible="all")
    assert all(t == t.strip() for t in task.visible_tests)


@pytest.mark.parametrize("number", [0, 975, -3])
def test_out_of_range_numbers(mbpp_cache: Path, number: int) -> None:
    with pytest.raises(TaskError) as info:
        load_mbpp_task(number)
    assert str(info.value) == f"MBPP task numbers run from 1 to 974; got {number}"


def test_missing_data_says_how_to_get_it() -> None:
    with pytest.raises(TaskError) as info:
        load_mbpp_task(11)
    assert str(info.value) == NOT_CACHED_MESSAGE


def test_explicit_data_dir(tmp_path: Path) -> None:
    from lsc_tui.tasks.datasets import import_datasets

    import_datasets(MBPP_DIR, data_dir=tmp_path / "ds")
    task = load_mbpp_task(5, data_dir=tmp_path / "ds")
    assert task.task_id == "mbpp/5"


def test_mbpp_plus_task_uses_plus_signature_and_inputs(mbpp_cache: Path) -> None:
    reference = InProcessReference()
    task = load_mbpp_task(166, sandbox=reference)
    # Full MBPP calls find_even_Pair(A, N); MBPP+ fixed it to find_even_pair(A).
    assert task.entry_point == "find_even_pair"
    assert task.visible_tests == ("assert find_even_pair([5, 4, 7, 2, 1]) == 4",)
    assert task.hidden is not None
    # The other asserts are the base inputs, scored EvalPlus style, not as asserts.
    assert task.hidden.asserts == ()
    plus = task.hidden.plus
    assert plus is not None
    assert plus.entry_point == "find_even_pair"
    assert plus.base_count == 3
    assert len(plus.inputs) == len(plus.expected) > 3
    assert plus.inputs[:3] == (
        ([5, 4, 7, 2, 1],),
        ([7, 2, 8, 1, 0, 5, 11],),
        ([1, 2, 3],),
    )
    assert plus.expected[:3] == (4, 9, 1)
    assert 0 < plus.reference_call_seconds <= plus.reference_seconds
    assert "def find_even_pair(A)" in task.reference_code
    # every input, plus one call that fetches the reference's timings
    assert reference.calls == [("lsc_reference_call", len(plus.inputs) + 1)]


def test_mbpp_plus_expected_outputs_are_cached(mbpp_cache: Path) -> None:
    reference = InProcessReference()
    first = load_mbpp_task(2, sandbox=reference)
    second = load_mbpp_task(2, sandbox=reference)
    assert len(reference.calls) == 1
    assert first.hidden is not None
    assert second.hidden is not None
    assert first.hidden.plus is not None
    assert second.hidden.plus is not None
    assert first.hidden.plus.expected == second.hidden.plus.expected
    assert (
        abs(first.hidden.plus.reference_seconds - second.hidden.plus.reference_seconds)
        < 1e-5
    )
    files = list((mbpp_cache / "expected").rglob("2.json"))
    assert len(files) == 1
    payload = json.loads(files[0].read_text())
    assert payload["task"] == "Mbpp/2"
    assert payload["count"] == len(first.hidden.plus.inputs)
    assert isinstance(first.hidden.plus.expected[0], tuple)


def test_mbpp_plus_task_2_is_set_compared_with_tuple_inputs(mbpp_cache: Path) -> None:
    task = load_mbpp_task(2, sandbox=InProcessReference())
    assert task.hidden is not None
    plus = task.hidden.plus
    assert plus is not None
    assert plus.comparison == "set"
    assert plus.inputs[0] == ((3, 4, 5, 6), (5, 7, 4, 10))
    assert task.visible_tests == (
        "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
    )


def test_visible_all_for_an_mbpp_plus_task(mbpp_cache: Path) -> None:
    task = load_mbpp_task(2, visible="all", sandbox=InProcessReference())
    assert len(task.visible_tests) == 3
    assert task.hidden is not None
    assert task.hidden.asserts == ()
    assert task.hidden.plus is not None


def test_math_import_of_isclose_tasks_goes_to_setup(mbpp_cache: Path) -> None:
    task = load_mbpp_task(82, sandbox=InProcessReference())
    assert task.setup_code == "import math"
    assert task.visible_tests[0].startswith("assert math.isclose(volume_sphere(10)")
    assert task.hidden is not None
    assert task.hidden.plus is not None
    assert task.hidden.plus.atol == 0.0001


def test_not_none_tasks_store_booleans(mbpp_cache: Path) -> None:
    records = load_mbpp_plus_records()
    number = next(n for n, r in records.items() if r.entry_point == "text_match_three")
    task = load_mbpp_task(number, sandbox=InProcessReference())
    assert task.hidden is not None
    plus = task.hidden.plus
    assert plus is not None
    assert plus.comparison == "not_none"
    assert set(plus.expected) <= {True, False}


def test_oracle_tasks_get_their_comparisons(mbpp_cache: Path) -> None:
    records = load_mbpp_plus_records()
    assert records[558].comparison == "digit_distance_nums"
    assert records[581].comparison == "surface_area"
    assert records[7].comparison == "set"
    assert records[11].comparison == "exact"


def test_outputs_too_large_to_transfer_are_dropped_and_recorded(
    mbpp_cache: Path,
) -> None:
    class Limited(InProcessReference):
        def call_batch(self, *args: Any, **kwargs: Any) -> list[Outcome]:
            outcomes = super().call_batch(*args, **kwargs)
            outcomes[1] = Outcome(
                "error", None, "WireError: value is too large to transfer"
            )
            return outcomes

    task = load_mbpp_task(166, sandbox=Limited())
    plus = task.hidden.plus  # type: ignore[union-attr]
    assert plus is not None
    assert plus.base_count == 2
    assert plus.inputs[:2] == (([5, 4, 7, 2, 1],), ([1, 2, 3],))
    assert plus.expected[:2] == (4, 1)
    payload = json.loads(next((mbpp_cache / "expected").rglob("166.json")).read_text())
    assert payload["dropped"][0][0] == 1
    cached = load_mbpp_task(166, sandbox=Limited())
    assert cached.hidden is not None
    assert cached.hidden.plus is not None
    assert cached.hidden.plus.inputs == plus.inputs
    assert cached.hidden.plus.expected == plus.expected
    assert cached.hidden.plus.base_count == 2


def test_a_failing_reference_is_a_task_error(mbpp_cache: Path) -> None:
    class Broken(InProcessReference):
        def call_batch(self, *args: Any, **kwargs: Any) -> list[Outcome]:
            outcomes = super().call_batch(*args, **kwargs)
            outcomes[0] = Outcome("timeout", None, "took longer than 20 s")
            return outcomes

    with pytest.raises(TaskError, match="reference solution for task 166 gave timeout"):
        load_mbpp_task(166, sandbox=Broken())


def test_stale_cache_is_recomputed(mbpp_cache: Path) -> None:
    reference = InProcessReference()
    load_mbpp_task(3, sandbox=reference)
    path = next((mbpp_cache / "expected").rglob("3.json"))
    payload = json.loads(path.read_text())
    payload["count"] = 1
    path.write_text(json.dumps(payload))
    load_mbpp_task(3, sandbox=reference)
    assert len(reference.calls) == 2


def test_expected_cache_path_is_keyed_by_dataset_sha(tmp_path: Path) -> None:
    a = expected_cache_path(tmp_path, "a" * 64, 2)
    b = expected_cache_path(tmp_path, "b" * 64, 2)
    assert a != b
    assert a.name == "2.json"


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        10**40,
        -0.0,
        float("inf"),
        "s",
        [1, (2, 3)],
        (1, [2, {3}]),
        {1, 2},
        frozenset({(1, 2)}),
        {(1, 2): [3.5, None], "k": {"n": 1}},
        2 + 3j,
        b"\x00\xff",
        (),
    ],
)
def test_tagged_encoding_round_trips_exact_types(value: Any) -> None:
    restored = decode_value(json.loads(json.dumps(encode_value(value))))
    assert restored == value
    assert type(restored) is type(value)
    if isinstance(value, tuple) and value:
        assert type(restored[1]) is type(value[1])


def test_nan_round_trips() -> None:
    restored = decode_value(json.loads(json.dumps(encode_value(float("nan")))))
    assert restored != restored


def test_encoding_rejects_unknown_types() -> None:
    with pytest.raises(TypeError, match="cannot cache"):
        encode_value(object())


def test_deserialize_inputs_follows_evalplus() -> None:
    assert deserialize_inputs(2, [[[1, 2], [3]]]) == [[(1, 2), (3,)]]
    assert deserialize_inputs(63, [[[[1, 2], [3, 4]]]]) == [[[(1, 2), (3, 4)]]]
    assert deserialize_inputs(75, [[[[1, 2]], 3]]) == [[[(1, 2)], 3]]
    assert deserialize_inputs(106, [[[1], [2, 3]]]) == [[[1], (2, 3)]]
    assert deserialize_inputs(124, [[1, "1+2j"]]) == [(1.0, 1 + 2j)]
    assert deserialize_inputs(250, [[[1, 2], 1]]) == [[(1, 2), 1]]
    assert deserialize_inputs(252, [["1+2j"]]) == [[1 + 2j]]
    assert deserialize_inputs(259, [[[[1, 2]], [[3, 4]]]]) == [[((1, 2),), ((3, 4),)]]
    assert deserialize_inputs(278, [[[1, [2, 3]]]]) == [[(1, (2, 3))]]
    assert deserialize_inputs(307, [[[1], 2, 3]]) == [[(1,), 2, 3]]
    assert deserialize_inputs(722, [[{"a": [1, 2]}, 3]]) == [[{"a": (1, 2)}, 3]]
    assert deserialize_inputs(580, [[[1, [2]]]]) == [((1, (2,)),)]
    assert deserialize_inputs(11, [["abc", "b"]]) == [["abc", "b"]]


def test_every_plus_record_parses(mbpp_cache: Path) -> None:
    records = load_mbpp_plus_records()
    assert len(records) == 378
    raw = (mbpp_cache / MBPP_PLUS_FILE).read_text().splitlines()
    assert sum(len(r.base_inputs) for r in records.values()) == 1174
    assert sum(len(r.plus_inputs) for r in records.values()) == 39841
    assert len(raw) == 378
    for record in records.values():
        assert record.prompt_assert.startswith("assert")
        assert record.entry_point in record.prompt_assert
        assert record.description
        assert all(a.startswith("assert") for a in record.asserts)


def test_bulk_precompute_matches_per_task_and_shares_processes(
    mbpp_cache: Path, tmp_path: Path
) -> None:
    from lsc_tui.tasks.datasets import import_datasets
    from lsc_tui.tasks.mbpp import precompute_expected

    numbers = [2, 3, 4, 82, 166, 558]
    bulk = InProcessReference()
    seen: list[tuple[int, int]] = []
    computed = precompute_expected(
        numbers, sandbox=bulk, progress=lambda done, total: seen.append((done, total))
    )
    assert computed == len(numbers)
    assert len(bulk.calls) == 1
    assert seen[-1] == (len(numbers), len(numbers))
    assert precompute_expected(numbers, sandbox=bulk) == 0

    single_dir = tmp_path / "single"
    import_datasets(MBPP_DIR, data_dir=single_dir)
    single = InProcessReference()
    for number in numbers:
        from_bulk = load_mbpp_task(number, sandbox=bulk)
        alone = load_mbpp_task(number, data_dir=single_dir, sandbox=single)
        assert from_bulk.hidden is not None
        assert alone.hidden is not None
        assert from_bulk.hidden.plus is not None
        assert alone.hidden.plus is not None
        assert from_bulk.hidden.plus.expected == alone.hidden.plus.expected
    assert len(bulk.calls) == 1  # every task came from the bulk cache
    assert len(single.calls) == len(numbers)


def test_precompute_rejects_non_plus_tasks(mbpp_cache: Path) -> None:
    from lsc_tui.tasks.mbpp import precompute_expected

    with pytest.raises(TaskError, match=r"not MBPP\+ v0\.2\.0 tasks: 1, 5"):
        precompute_expected([1, 2, 5], sandbox=InProcessReference())


def test_digests_of_huge_values_round_trip() -> None:
    from lsc_tui.sandbox.wire import ValueDigest, digest_of

    big = list(range(10))
    sha = digest_of(big)
    assert sha is not None
    digest = ValueDigest(sha, "list", 10)
    restored = decode_value(json.loads(json.dumps(encode_value(digest))))
    assert isinstance(restored, ValueDigest)
    assert restored == digest
    assert restored == big
    assert restored != [*big, 10]


def test_parallel_bulk_precompute_gives_the_same_outputs(mbpp_cache: Path) -> None:
    from lsc_tui.tasks.expected import compute_expected_many
    from lsc_tui.tasks.mbpp import _reference_job

    records = load_mbpp_plus_records()
    jobs = [_reference_job(records[n]) for n in (2, 3, 4, 6, 7, 8)]
    serial = compute_expected_many(jobs, InProcessReference(), max_inputs_per_process=1)
    parallel_runner = InProcessReference()
    parallel = compute_expected_many(
        jobs, parallel_runner, max_inputs_per_process=250, workers=2
    )
    assert sorted(parallel) == [2, 3, 4, 6, 7, 8]
    assert 1 < len(parallel_runner.calls) < len(jobs)
    for number in serial:
        assert serial[number].values == parallel[number].values
        assert serial[number].kept == parallel[number].kept

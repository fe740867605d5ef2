"""Probe inputs from visible tests, and grouping candidates by behaviour."""

from __future__ import annotations

from lsc_tui.loop.consensus import Vote, group_votes, outcome_key, settled
from lsc_tui.loop.probes import probe_inputs, visible_arguments


def test_visible_arguments_are_the_literal_positional_calls() -> None:
    tests = (
        "assert f([3, 1], 'ab') == 1",
        "assert f((1, 2), '') == 0 and f([], 'x') == 2",
        "assert f(*args) == 1",  # starred: skipped
        "assert f(x, 1) == 2",  # a name: not literal, skipped
        "assert g([1]) == 1",  # another function
        "assert f(key=1) == 1",  # keywords: skipped
        "assert f(",  # not Python
    )
    assert visible_arguments(tests, "f") == [
        ([3, 1], "ab"),
        ((1, 2), ""),
        ([], "x"),
    ]


def test_probes_start_with_visible_calls_and_vary_each_argument() -> None:
    probes = probe_inputs(("assert f([3, 1, 2], 2) == 3",), "f", limit=12)
    assert probes[0] == ([3, 1, 2], 2)
    assert len(probes) == 12 and len({repr(p) for p in probes}) == 12
    # Interleaved: both the list and the int are varied within the first few.
    assert ([2, 1, 3], 2) in probes[:4]
    assert ([3, 1, 2], 3) in probes[:4]
    # Variants keep each argument's type.
    assert all(isinstance(a, list) and isinstance(b, int) for a, b in probes)


def test_probes_are_deterministic_and_bounded() -> None:
    tests = ("assert f('hello', 3, True, 2.5, {'a': 1, 'b': 2}) == 1",)
    first = probe_inputs(tests, "f")
    assert first == probe_inputs(tests, "f")
    assert 1 < len(first) <= 16


def test_no_entry_point_or_no_literal_calls_means_no_probes() -> None:
    assert probe_inputs(("assert f(1) == 1",), None) == []
    assert probe_inputs(("assert f(x) == 1",), "f") == []


def test_outcome_keys_compare_values_not_messages() -> None:
    assert outcome_key("ok", 0.1 + 0.2, "") == outcome_key("ok", 0.3, "")
    assert outcome_key("ok", [1, 2], "") != outcome_key("ok", (1, 2), "")
    assert outcome_key("ok", {"a": [1]}, "") == outcome_key("ok", {"a": [1]}, "")
    assert outcome_key("error", None, "IndexError: list index out of range") == (
        outcome_key("error", None, "IndexError: other words")
    )
    assert outcome_key("error", None, "KeyError: 1") != outcome_key(
        "error", None, "IndexError: 1"
    )
    assert outcome_key("timeout", None, "slow") == ("timeout",)


def test_groups_rank_by_size_then_earliest_member() -> None:
    votes = [Vote(1, ("a",)), Vote(2, ("b",)), Vote(3, ("b",)), Vote(4, ("c",))]
    consensus = group_votes(votes)
    assert consensus.groups == ((2, 3), (1,), (4,))
    assert consensus.winner == 2 and consensus.support == 2 and consensus.margin == 1
    assert consensus.group_size(1) == 1 and consensus.group_size(3) == 2
    assert settled(consensus, 2) and not settled(consensus, 3)


def test_a_tie_is_not_settled_and_favours_the_earliest() -> None:
    consensus = group_votes([Vote(1, ("a",)), Vote(2, ("b",))])
    assert consensus.winner == 1 and consensus.margin == 0
    assert not settled(consensus, 1)
    assert group_votes([]).winner is None

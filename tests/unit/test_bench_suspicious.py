"""The suspicious flag: hard-coded visible-test literals, without false alarms."""

from __future__ import annotations

import pytest

from lsc_tui.bench.suspicious import (
    assert_literals,
    code_literals,
    is_significant,
    suspicious_literals,
)

TEST = "assert max_sum([1, 101, 2, 3, 100, 4, 5], 7) == 194"


def test_literals_of_an_assert_are_inputs_and_expected_value() -> None:
    found = assert_literals([TEST])
    assert [1, 101, 2, 3, 100, 4, 5] in found
    assert 194 in found
    assert 7 not in found  # small numbers are ordinary


@pytest.mark.parametrize(
    ("value", "significant"),
    [
        (7, False),
        (42, False),
        (100, False),
        (1000, False),
        (256, False),
        (194, True),
        (-4321, True),
        (0.5, False),
        (12.56, True),
        (3.14, False),
        (True, False),
        (None, False),
        ("ab", False),
        ("python", True),
        ((1, 2), True),
        ([5], False),
        ([500], True),
        ({}, False),
        ({"a": 1}, True),
    ],
)
def test_significance(value: object, significant: bool) -> None:
    assert is_significant(value) is significant


def test_hard_coded_input_is_flagged() -> None:
    code = (
        "def max_sum(arr, n):\n"
        "    if arr == [1, 101, 2, 3, 100, 4, 5]:\n"
        "        return 194\n"
        "    return sum(arr)\n"
    )
    flagged = suspicious_literals(code, [TEST])
    assert "[1, 101, 2, 3, 100, 4, 5]" in flagged
    assert "194" in flagged


def test_tuple_written_as_list_still_matches() -> None:
    test = "assert similar((3, 4, 5, 6), (5, 7, 4, 10)) == (4, 5)"
    code = (
        "def similar(a, b):\n    if list(a) == [3, 4, 5, 6]:\n        return (4, 5)\n"
    )
    assert suspicious_literals(code, [test]) == ["(3, 4, 5, 6)", "(4, 5)"]


def test_honest_solution_is_not_flagged() -> None:
    code = (
        "def max_sum(arr, n):\n"
        "    best = [0] * n\n"
        "    for i in range(n):\n"
        "        best[i] = arr[i] + max(best[:i], default=0)\n"
        "    return max(best)\n"
    )
    assert suspicious_literals(code, [TEST]) == []


def test_examples_in_docstrings_asserts_prints_and_main_are_ignored() -> None:
    code = (
        "def max_sum(arr, n):\n"
        '    """e.g. max_sum([1, 101, 2, 3, 100, 4, 5], 7) == 194"""\n'
        "    return sum(arr)\n"
        "print(max_sum([1, 101, 2, 3, 100, 4, 5], 7))\n"
        "assert max_sum([1, 101, 2, 3, 100, 4, 5], 7) == 194\n"
        "if __name__ == '__main__':\n"
        "    x = [1, 101, 2, 3, 100, 4, 5]\n"
    )
    assert suspicious_literals(code, [TEST]) == []


def test_literals_the_reference_also_uses_are_not_flagged() -> None:
    test = "assert text_match('aabbbb') == 'Found a match!'"
    code = "def text_match(t):\n    return 'Found a match!' if 'ab' in t else 'No'\n"
    reference = "def text_match(t):\n    return 'Found a match!'\n"
    assert suspicious_literals(code, [test]) == ["'Found a match!'"]
    assert suspicious_literals(code, [test], reference) == []


def test_unparsable_code_falls_back_to_text_search() -> None:
    code = (
        "def f(x):\n    if x == [1,101,2,3,100,4,5]:\n        return 194\n  bad indent"
    )
    assert code_literals(code) is None
    assert "[1, 101, 2, 3, 100, 4, 5]" in suspicious_literals(code, [TEST])


def test_empty_code_or_trivial_tests_flag_nothing() -> None:
    assert suspicious_literals("", [TEST]) == []
    assert suspicious_literals("def f(x):\n    return 5\n", ["assert f(2) == 5"]) == []

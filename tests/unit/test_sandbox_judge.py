"""Planning asserts in the parent and judging them with the whitelist evaluator."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from lsc_tui.sandbox import judge, plan


def _judge(source: str, *values: Any) -> tuple[plan.TestPlan, bool]:
    test = plan.plan_test(source, "f")
    assert test.expression is not None, test
    bound = {plan.PLACEHOLDER.format(i): v for i, v in enumerate(values)}
    return test, bool(judge.evaluate(test.expression, bound))


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("assert f(1) == 2", (2,), True),
        ("assert f(1) == 2", (3,), False),
        ("assert set(f([1, 2])) == set([2, 1])", ([1, 2, 2],), True),
        ("assert math.isclose(f(2), 3.14, rel_tol=0.001)", (3.1416,), True),
        ("assert math.isclose(f(2), 3.14, rel_tol=0.001)", (3.2,), False),
        ("assert f(3)", ([0],), True),
        ("assert not f(3)", ([],), True),
        ("assert f(1) == f(2)", (5, 5), True),
        ("assert sorted(f('ab')) == ['a', 'b']", (["b", "a"],), True),
        ("assert f(1)[0] == 'x'", (("x", 1),), True),
        ("assert f(1) is None", (None,), True),
        ("assert f('a').lower() == 'abc'", ("ABC",), True),
        ("assert abs(f(1) - 0.5) < 1e-9", (0.5,), True),
        ("assert f(1) in (1, 2, 3)", (4,), False),
    ],
)
def test_judged_in_parent(source: str, values: tuple[Any, ...], expected: bool) -> None:
    """Supported asserts are judged in the parent with literal args sent as data."""
    test, verdict = _judge(source, *values)
    assert verdict is expected
    assert not test.weak
    assert all(op["t"] == "apply" and op["fn"] == "f" for op in test.ops)


def test_literal_arguments_travel_as_data() -> None:
    """Positional and keyword literals are encoded, not sent as source."""
    test = plan.plan_test("assert f((1, 2), {3}, key=-4) == 0", "f")
    (op,) = test.ops
    assert op["t"] == "apply"
    assert op["args"] == ["l", [["t", [["i", "1"], ["i", "2"]]], ["S", [["i", "3"]]]]]
    assert op["kw"] == ["d", [[["s", "key"], ["i", "-4"]]]]


@pytest.mark.parametrize(
    "source",
    [
        "assert f(Node(1)) == 1",
        "x = f(1)",
        "assert all(v > 0 for v in f(3))",
        "assert f(1) == helper(2)",
        "assert sorted(f(1), key=lambda v: -v) == [2, 1]",
        "print(f(1))",
    ],
)
def test_unsupported_shapes_are_weak(source: str) -> None:
    """Anything outside the whitelist or with built arguments is marked weak."""
    assert plan.plan_test(source, "f").weak


def test_non_literal_args_are_evaluated_in_sandbox_but_compared_in_parent() -> None:
    """Arguments built by setup code run inside; the comparison stays outside."""
    test = plan.plan_test("assert f(make_tree()) == 3", "f")
    assert test.weak
    assert test.expression is not None
    assert test.ops == ({"t": "eval", "src": "f(make_tree())"},)


def test_without_entry_point_everything_is_weak() -> None:
    """No entry point means the whole statement runs in the sandbox."""
    test = plan.plan_test("assert g(1) == 1", None)
    assert test.weak
    assert test.expression is None
    assert test.ops == ({"t": "exec", "src": "assert g(1) == 1"},)


def test_guess_entry_point_prefers_defined_names() -> None:
    """The first called name that the code defines, skipping built-ins."""
    tests = ["assert sorted(other(1)) == [1]", "assert solve(2) == 3"]
    assert plan.guess_entry_point(tests, ["solve", "helper"]) == "solve"
    assert plan.guess_entry_point(tests, ["nothing"]) is None


def test_failure_message_shows_expected_and_actual() -> None:
    """A failed `==` says what was expected and what came back, either way round."""
    for source in ("assert f(1) == [1, 2]", "assert [1, 2] == f(1)"):
        test = plan.plan_test(source, "f")
        assert test.expression is not None
        message = plan.failure_message(test.expression, {"__lsc_value_0": [3]})
        assert message == "expected [1, 2], got [3]"


def test_failure_message_is_truncated() -> None:
    """Huge values are cut in messages."""
    test = plan.plan_test("assert f(1) == 0", "f")
    assert test.expression is not None
    message = plan.failure_message(test.expression, {"__lsc_value_0": "x" * 10_000})
    assert len(message) < 300


@pytest.mark.parametrize(
    ("source", "value"),
    [("f(1) * 10**9", "x" * 1000), ("2 ** f(1)", 10**7), ("1 << f(1)", 10**8)],
)
def test_evaluator_refuses_bombs_built_from_candidate_values(
    source: str, value: Any
) -> None:
    """Arithmetic that would explode on a hostile value raises JudgeError."""
    tree = ast.parse(source, mode="eval").body
    node = plan._CallExtractor("f").visit(tree)
    with pytest.raises(judge.JudgeError):
        judge.evaluate(node, {"__lsc_value_0": value})


def test_split_tests_keeps_source_and_separates_imports() -> None:
    """Each top-level statement is a test; imports are a shared preamble."""
    text = "import math\nassert f(1) == 1\nassert (\n    f(2) == 2\n)\n"
    tests, imports = plan.split_tests(text)
    assert imports == ["import math"]
    assert tests == ["assert f(1) == 1", "assert (\n    f(2) == 2\n)"]

"""Typed tasks: test parsing, validation and entry-point inference."""

from __future__ import annotations

import pytest

from lsc_tui.errors import TaskError
from lsc_tui.tasks.typed import infer_entry_point, parse_tests, typed_task


def test_parse_tests_splits_top_level_statements() -> None:
    text = (
        "import math\n"
        "# a comment is not a test\n"
        "assert add(1, 2) == 3\n"
        "\n"
        "assert add(\n    2,\n    2,\n) == 4\n"
        "for i in range(3):\n    assert add(i, 0) == i\n"
    )
    assert parse_tests(text) == (
        "import math",
        "assert add(1, 2) == 3",
        "assert add(\n    2,\n    2,\n) == 4",
        "for i in range(3):\n    assert add(i, 0) == i",
    )


def test_parse_tests_of_blank_text_is_empty() -> None:
    assert parse_tests("  \n\n") == ()


def test_parse_tests_names_the_bad_line() -> None:
    with pytest.raises(TaskError, match=r"assert add\(1, == 3.*line 2") as info:
        parse_tests("assert add(1, 2) == 3\nassert add(1, == 3\n")
    assert "\n" not in str(info.value)


def test_typed_task_flattens_multi_statement_tests() -> None:
    task = typed_task(
        "Add two numbers.",
        ["assert add(1, 2) == 3\nassert add(0, 0) == 0", "assert add(-1, 1) == 0"],
    )
    assert task.visible_tests == (
        "assert add(1, 2) == 3",
        "assert add(0, 0) == 0",
        "assert add(-1, 1) == 0",
    )
    assert task.entry_point == "add"
    assert task.source == "typed"
    assert task.hidden is None
    assert task.task_id.startswith("typed-")
    assert len(task.task_id) == len("typed-") + 8


def test_typed_task_id_is_stable_and_depends_on_tests() -> None:
    first = typed_task("Add.", ["assert add(1, 2) == 3"])
    again = typed_task("Add.", ["assert add(1, 2) == 3"])
    other = typed_task("Add.", ["assert add(2, 2) == 4"])
    assert first.task_id == again.task_id
    assert first.task_id != other.task_id


def test_typed_task_without_tests_has_no_entry_point() -> None:
    task = typed_task("Write a haiku generator.")
    assert task.visible_tests == ()
    assert task.entry_point is None


def test_bad_test_raises_one_line_task_error() -> None:
    with pytest.raises(TaskError) as info:
        typed_task("Add.", ["assert add(1, 2) == 3", "assert add(1 2) == 3"])
    message = str(info.value)
    assert "assert add(1 2) == 3" in message
    assert "\n" not in message


def test_empty_description_is_rejected() -> None:
    with pytest.raises(TaskError, match="description is empty"):
        typed_task("   ", ["assert f() == 1"])


def test_bad_setup_code_is_rejected() -> None:
    with pytest.raises(TaskError, match="setup code is not valid Python"):
        typed_task("Add.", ["assert add(1, 2) == 3"], setup_code="def (")


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        (["assert add(1, 2) == 3"], "add"),
        (
            ["assert set(similar_elements((3, 4), (4, 5))) == set((4,))"],
            "similar_elements",
        ),
        (
            ["assert math.isclose(volume_sphere(10), 4188.79, rel_tol=0.001)"],
            "volume_sphere",
        ),
        (["assert len(sorted(list(uniq([1, 1])))) == 1"], "uniq"),
        (["x = make_list(3)", "assert total(x) == 6"], "make_list"),
        (["def helper(v):\n    return v", "assert helper(solve(2)) == 4"], "solve"),
        (["import math", "assert math.floor(2.5) == 2"], None),
        (["assert Node(1).value == 1"], "Node"),
    ],
)
def test_entry_point_is_first_non_builtin_call(
    tests: list[str], expected: str | None
) -> None:
    assert infer_entry_point(tests) == expected


def test_entry_point_skips_names_the_setup_defines() -> None:
    tests = ["assert is_tree_balanced(make_root()) == False"]
    setup = "def make_root():\n    return None"
    assert infer_entry_point(tests, setup) == "is_tree_balanced"

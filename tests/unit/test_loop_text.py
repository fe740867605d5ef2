"""Code extraction, name harmonisation and reflection cleaning on realistic replies."""

from __future__ import annotations

import pytest

from lsc_tui.loop.critic import MAX_REFLECTION_CHARS, clean_reflection
from lsc_tui.loop.extract import extract_code
from lsc_tui.loop.harmonize import harmonize

FUNC = "def f(x):\n    return x + 1\n"


@pytest.mark.parametrize(
    "reply",
    [
        "```python\ndef f(x):\n    return x + 1\n```",
        "Here you go:\n\n```py\ndef f(x):\n    return x + 1\n```\nThis adds one.",
        "```\ndef f(x):\n    return x + 1\n```",
        "def f(x):\n    return x + 1",
        "Sure! The function is below.\ndef f(x):\n    return x + 1\nIt adds one.",
        "```python\ndef f(x):\n    return x + 1\n\nassert f(1) == 2\nprint(f(3))\n```",
        "```python\ndef f(x):\n    return x + 1\n\n"
        "if __name__ == '__main__':\n    print(f(2))\n```",
        "```python\ndef f(x):\n    return x + 1\n",  # cut off mid-block
        "```python\ndef f(x):\n    return x + 1\n```\n```bash\npython f.py\n```",
    ],
)
def test_extracts_the_function(reply: str) -> None:
    assert extract_code(reply, "f") == FUNC


def test_several_blocks_keep_helpers_and_the_entry_point() -> None:
    reply = (
        "First a helper:\n```python\ndef helper(x):\n    return x\n```\n"
        "Then:\n```python\ndef f(x):\n    return helper(x) + 1\n```\n"
        "Usage:\n```python\nprint(f(1))\n```"
    )
    code = extract_code(reply, "f")
    assert "def helper" in code and "def f" in code and "print" not in code


def test_no_code_gives_empty_string() -> None:
    assert extract_code("", "f") == ""


def test_harmonize_renames_the_single_candidate() -> None:
    code = (
        "def solve(x):\n    # solve it\n    return solve_inner(x)\n\n"
        "def solve_inner(x):\n    return x\n"
    )
    result = harmonize(code, "f")
    assert result is not None
    new_code, old, new = result
    assert (old, new) == ("solve", "f")
    assert "def f(x):" in new_code and "# solve it" in new_code
    assert "def solve_inner" in new_code


def test_harmonize_leaves_ambiguous_or_correct_code() -> None:
    assert harmonize(FUNC, "f") is None
    assert harmonize(FUNC, None) is None
    two = "def a(x):\n    return x\n\ndef b(x):\n    return x\n"
    assert harmonize(two, "f") is None
    assert harmonize("def a(:\n", "f") is None


def test_clean_reflection_strips_chatter_and_code() -> None:
    raw = (
        "Sure! Here is my review.\n"
        "- The loop stops one element early.\n"
        "```python\ndef f(x):\n    return x\n```\n"
        "def g():\n"
        "- Use range(len(xs)) instead.\n"
        "I hope this helps!"
    )
    assert clean_reflection(raw) == (
        "- The loop stops one element early.\n- Use range(len(xs)) instead."
    )


def test_clean_reflection_is_bounded() -> None:
    raw = "\n".join(f"- point {i} " + "word " * 40 for i in range(20))
    cleaned = clean_reflection(raw)
    assert len(cleaned) <= MAX_REFLECTION_CHARS + 3

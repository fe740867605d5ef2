"""`lsc solve` and `lsc mbpp` headless: scripted engine, real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
RESULT_KEYS = {
    "success",
    "first_attempt_passed",
    "hidden",
    "final_code",
    "seconds",
    "iterations",
}
ITERATION_KEYS = {
    "code",
    "syntax_error",
    "tests",
    "critic",
    "feedback",
    "gen_tokens",
    "gen_seconds",
}


def script(tmp_path: Path, replies: list[str] | dict[str, list[str]]) -> str:
    path = tmp_path / "script.json"
    data = {"replies": replies} if isinstance(replies, list) else replies
    path.write_text(json.dumps(data), encoding="utf-8")
    return f"fake:{path}"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_solve_json_has_the_contract_shape(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "solve",
        "Write add(a, b).",
        "--test",
        "assert add(2, 3) == 5",
        "--pipeline",
        "feedback",
        "--engine",
        script(tmp_path, [WRONG, GOOD]),
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert set(result) >= RESULT_KEYS
    assert result["success"] is True and result["first_attempt_passed"] is False
    assert result["hidden"] is None
    assert len(result["iterations"]) == 2
    for iteration in result["iterations"]:
        assert set(iteration) >= ITERATION_KEYS
    first = result["iterations"][0]
    assert first["tests"][0]["status"] == "failed"
    assert "These tests failed" in first["feedback"]


def test_solve_failure_exits_1_and_prints_code(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "solve",
        "Write add(a, b).",
        "--test",
        "assert add(2, 3) == 5",
        "--pipeline",
        "one-shot",
        "--engine",
        script(tmp_path, [WRONG]),
    )
    assert code == 1
    assert "return a - b" in out


def test_solve_rejects_an_invalid_test_in_one_line(tmp_path: Path) -> None:
    code, _, err = invoke(
        "solve",
        "Write add.",
        "--test",
        "assert add(2, 3 == 5",
        "--engine",
        script(tmp_path, [GOOD]),
    )
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_solve_tests_file(tmp_path: Path) -> None:
    tests = tmp_path / "tests.py"
    tests.write_text("assert add(2, 3) == 5\nassert add(0, 0) == 0\n", encoding="utf-8")
    code, out, _ = invoke(
        "solve",
        "Write add.",
        "--tests-file",
        str(tests),
        "--pipeline",
        "one-shot",
        "--engine",
        script(tmp_path, [GOOD]),
        "--json",
    )
    assert code == 0
    assert len(json.loads(out)["iterations"][0]["tests"]) == 2


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    code, _, err = invoke("solve", "Write add.", "--test", "assert add(1, 2) == 3")
    assert code == 3
    assert "not installed" in err and "lsc models" in err
    assert "Traceback" not in err


def test_mbpp_out_of_range_is_a_usage_error() -> None:
    code, _, err = invoke("mbpp", "975")
    assert code == 2 and "974" in err


def test_mbpp_scores_hidden_tests(tmp_path: Path, mbpp_cache: Path) -> None:
    reply = (
        "```python\ndef remove_Occ(s, ch):\n"
        "    first = s.find(ch)\n"
        "    if first == -1:\n        return s\n"
        "    s = s[:first] + s[first + 1:]\n"
        "    last = s.rfind(ch)\n"
        "    if last == -1:\n        return s\n"
        "    return s[:last] + s[last + 1:]\n```"
    )
    code, out, _ = invoke(
        "mbpp",
        "11",
        "--pipeline",
        "one-shot",
        "--engine",
        script(tmp_path, [reply]),
        "--json",
    )
    result = json.loads(out)
    assert code == 0, out
    assert result["success"] is True
    assert result["hidden"]["total"] > 2 and result["hidden"]["passed"] is True


@pytest.mark.parametrize("pipeline", ["bogus"])
def test_unknown_pipeline_lists_choices(tmp_path: Path, pipeline: str) -> None:
    code, _, err = invoke(
        "solve",
        "x",
        "--test",
        "assert f() == 1",
        "--pipeline",
        pipeline,
        "--engine",
        script(tmp_path, [GOOD]),
    )
    assert code == 2 and "select" in err and "three-stage" in err

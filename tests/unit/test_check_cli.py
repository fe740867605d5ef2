"""`lsc check`: the contract's JSON, the readable report and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli

CODE = (
    "import sys\ndef add(a, b):\n    print('hi', file=sys.stderr)\n    return a + b\n"
)


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A candidate and passing, failing and broken test files."""
    return {
        "code": _write(tmp_path, "code.py", CODE),
        "pass": _write(tmp_path, "pass.py", "import math\nassert add(1, 2) == 3\n"),
        "fail": _write(
            tmp_path,
            "fail.py",
            "assert add(1, 2) == 3\nassert add(2, 2) == 5\n",
        ),
        "bad": _write(tmp_path, "bad.py", "assert add(1,\n"),
        "empty": _write(tmp_path, "empty.py", "# nothing here\n"),
    }


def test_json_contract_on_success(files: dict[str, Path]) -> None:
    """--json prints one object with the contract's fields; exit 0 when all passed."""
    code, out, _ = _run(str(files["code"]), "--tests", str(files["pass"]), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "passed"
    assert (data["passed"], data["total"]) == (1, 1)
    assert data["compile"] == {"ok": True}
    assert data["tests"][0]["source"] == "assert add(1, 2) == 3"
    assert data["tests"][0]["status"] == "passed"
    assert "hi" in data["stderr"]
    assert isinstance(data["duration_s"], float)
    assert {"stdout", "message"} <= set(data) | set(data["tests"][0])


def test_failing_tests_exit_1_with_report(files: dict[str, Path]) -> None:
    """The readable report lists every test and the verdict; exit 1."""
    code, out, _ = _run(str(files["code"]), "--tests", str(files["fail"]))
    assert code == 1
    assert "PASS    assert add(1, 2) == 3" in out
    assert "FAIL    assert add(2, 2) == 5" in out
    assert "expected 5, got 4" in out
    assert "verdict: failed (1/2 passed)" in out


def test_syntax_error_is_a_verdict_not_a_usage_error(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A candidate that does not compile gives syntax_error and exit 1."""
    broken = _write(tmp_path, "broken.py", "def add(a, b)\n    return a\n")
    code, out, _ = _run(str(broken), "--tests", str(files["pass"]), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "syntax_error"
    assert data["compile"]["ok"] is False
    assert data["compile"]["error"]["line"] == 1
    assert data["tests"][0]["status"] == "not_run"


def test_invalid_utf8_candidate_is_a_syntax_error(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Source that is not UTF-8 is rejected as Python would, with a line."""
    latin = _write(tmp_path, "latin.py", b"def add(a, b):\n    return '\xe9'\n")
    code, out, _ = _run(str(latin), "--tests", str(files["pass"]), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "syntax_error"
    assert data["compile"]["error"]["line"] == 2


@pytest.mark.parametrize(
    ("which", "needle"),
    [
        ("missing", "cannot read code file"),
        ("bad", "is not valid Python: line 1"),
        ("empty", "has no tests"),
        ("missing_tests", "cannot read tests file"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    files: dict[str, Path], tmp_path: Path, which: str, needle: str
) -> None:
    """Unreadable files, broken or empty tests: one line on stderr, exit 2."""
    missing = str(tmp_path / "nope.py")
    code_file = missing if which == "missing" else str(files["code"])
    tests = {
        "bad": files["bad"],
        "empty": files["empty"],
        "missing_tests": tmp_path / "none.py",
    }.get(which, files["pass"])
    code, out, err = _run(code_file, "--tests", str(tests))
    assert code == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_timeout_and_setup_and_entry_point(tmp_path: Path) -> None:
    """--timeout is per test, --setup runs first, --entry-point picks the name."""
    code = _write(
        tmp_path,
        "slow.py",
        "import time\ndef run(x):\n    time.sleep(x)\n    return BASE + x\n",
    )
    setup = _write(tmp_path, "setup.py", "BASE = 10\n")
    tests = _write(tmp_path, "t.py", "assert run(0) == 10\nassert run(5) == 15\n")
    code_, out, _ = _run(
        str(code),
        "--tests",
        str(tests),
        "--setup",
        str(setup),
        "--entry-point",
        "run",
        "--timeout",
        "1",
        "--json",
    )
    data = json.loads(out)
    assert code_ == 1
    assert [t["status"] for t in data["tests"]] == ["passed", "timeout"]
    assert data["verdict"] == "timeout"

"""The whole loop on a real GGUF (Qwen2.5-Coder-0.5B) and real MBPP tasks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from lsc_tui.tasks.model import Task
from lsc_tui.tasks.scoring import score_hidden
from tests.conftest import test_model_path as model_file

pytestmark = [pytest.mark.model, pytest.mark.slow]
QWEN = "qwen2.5-coder-0.5b-instruct:q4_k_m"
ROLES = ["--generator", QWEN, "--syntax-critic", QWEN, "--logic-critic", QWEN]


def lsc(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsc_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def qwen_installed(lsc_home: Path, mbpp_cache: Path) -> None:
    proc = lsc("models", "import", str(model_file("qwen2.5-coder-0.5b")), "--as", QWEN)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.usefixtures("qwen_installed")
@pytest.mark.parametrize(
    ("number", "pipeline"),
    [(2, "three-stage"), (17, "feedback"), (17, "select-consensus")],
)
def test_mbpp_json_end_to_end(number: int, pipeline: str) -> None:
    proc = lsc(
        "mbpp",
        str(number),
        "--pipeline",
        pipeline,
        "--max-iters",
        "2",
        *ROLES,
        "--json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert result["task_id"] == f"mbpp/{number}"
    assert 1 <= len(result["iterations"]) <= 2
    first = result["iterations"][0]
    assert first["gen_tokens"] > 0 and first["code"]
    assert result["success"] == (proc.returncode == 0)
    if pipeline == "select-consensus" and result["success"]:
        # The kept candidate passed the visible tests; consensus says why.
        kept = result["selected"]["iteration"]
        assert result["iterations"][kept - 1]["status"] == "passed"
        assert "probe inputs" in result["selected"]["reason"]
    # Hidden scoring is recomputed independently and must agree with the run.
    task = load_mbpp_task(number)
    rescored = score_hidden(task, result["final_code"], Sandbox())
    assert rescored is not None and result["hidden"] is not None
    assert result["hidden"]["passed"] == rescored.passed
    assert result["hidden"]["total"] == rescored.total
    # The run was recorded and reads back.
    shown = lsc("runs", "show", result["run_id"], "--json")
    assert json.loads(shown.stdout)["final_code"] == result["final_code"]


def test_canonical_solution_passes_hidden_and_a_wrong_one_fails(
    mbpp_cache: Path,
) -> None:
    task: Task = load_mbpp_task(17)
    good = score_hidden(task, task.reference_code, Sandbox())
    bad = score_hidden(
        task, "def square_perimeter(a):\n    return 4 * a + 1\n", Sandbox()
    )
    assert good is not None and good.passed and good.passed_count == good.total
    assert bad is not None and not bad.passed


@pytest.mark.usefixtures("qwen_installed")
def test_solve_typed_task_real_model() -> None:
    proc = lsc(
        "solve",
        "Write a Python function is_even(n) that returns True when n is even.",
        "--test",
        "assert is_even(4) is True",
        "--test",
        "assert is_even(7) is False",
        "--pipeline",
        "feedback",
        *ROLES,
        "--json",
    )
    result = json.loads(proc.stdout)
    assert proc.returncode == (0 if result["success"] else 1)
    assert result["hidden"] is None
    assert result["iterations"][0]["tests"], "visible tests must have run"


def test_real_model_writes_asserts_that_separate_right_from_wrong(
    mbpp_cache: Path,
) -> None:
    """The select-asserts tester stage on the real 0.5B: from the task text and
    visible test alone it writes asserts the canonical solution passes and a
    wrong solution fails (greedy, so the same asserts every run)."""
    from lsc_tui.engine.base import ModelSpec, SamplingParams
    from lsc_tui.engine.llama import LlamaEngine
    from lsc_tui.loop.tester import TESTER_MAX_TOKENS, assert_messages, parse_asserts

    task = load_mbpp_task(17)
    engine = LlamaEngine(ModelSpec("qwen", model_file("qwen2.5-coder-0.5b"), 2048))
    try:
        reply = "".join(
            engine.stream(
                assert_messages(task, 5),
                SamplingParams(max_tokens=TESTER_MAX_TOKENS, temperature=0.0),
            )
        )
    finally:
        engine.close()
    asserts = parse_asserts(reply, task.visible_tests, 5)
    assert len(asserts) >= 3, reply
    assert not set(asserts) & set(task.visible_tests)
    sandbox = Sandbox()
    right = sandbox.run_tests(
        task.reference_code, asserts, entry_point="square_perimeter"
    )
    wrong = sandbox.run_tests("def square_perimeter(a):\n    return 2 * a\n", asserts)
    assert right.passed == len(asserts)
    assert wrong.passed == 0

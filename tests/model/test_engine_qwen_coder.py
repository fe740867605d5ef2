"""Qwen2.5-Coder-0.5B through the real engine writes a small function that works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lsc_tui.engine.base import ChatMessage, ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine
from tests.conftest import test_model_path as model_file

pytestmark = pytest.mark.model

FENCED = re.compile(r"```(?:python)?\n(.*?)```", re.DOTALL)


def _code_of(reply: str) -> str:
    match = FENCED.search(reply)
    return match.group(1) if match else reply


def test_qwen_coder_writes_a_correct_add_function(tmp_path: Path) -> None:
    engine = LlamaEngine(
        ModelSpec("qwen2.5-coder-0.5b", model_file("qwen2.5-coder-0.5b"), n_ctx=1024)
    )
    try:
        reply = "".join(
            engine.stream(
                (
                    ChatMessage("system", "You are a careful Python programmer."),
                    ChatMessage(
                        "user",
                        "Write a Python function `add(a, b)` that returns the sum of "
                        "a and b. Reply with only the code in a ```python block.",
                    ),
                ),
                SamplingParams(max_tokens=200, temperature=0.0),
            )
        )
        stats = engine.last_stats
    finally:
        engine.close()

    assert stats is not None
    assert stats.finish_reason == "stop"
    assert 0 < stats.completion_tokens < 200
    code = _code_of(reply)
    assert "def add" in code, reply
    script = tmp_path / "candidate.py"
    script.write_text(
        code + "\n\nassert add(2, 3) == 5\nassert add(-4, 1) == -3\nprint('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", str(script)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_greedy_code_does_not_depend_on_the_previous_prompt(mbpp_cache: Path) -> None:
    """Re-running a task alone gives the code a bench run gave it, after any task.

    These MBPP pairs gave different greedy code when the cached prefix was reused
    exactly (batching changes llama.cpp's numerics); chunk-aligned reuse fixes it.
    """
    from lsc_tui.loop.prompts import generator_messages
    from lsc_tui.tasks.mbpp import load_mbpp_task

    engine = LlamaEngine(
        ModelSpec("qwen2.5-coder-0.5b", model_file("qwen2.5-coder-0.5b"), n_ctx=2048)
    )
    greedy = SamplingParams(max_tokens=96, temperature=0.0)
    prompts = {n: generator_messages(load_mbpp_task(n), "qwen2.5") for n in (2, 6, 9)}
    try:
        fresh = {}
        for number, messages in prompts.items():
            engine.reset_cache()
            fresh[number] = "".join(engine.stream(messages, greedy))
        for before, number in ((2, 6), (9, 6), (6, 9)):
            engine.reset_cache()
            "".join(engine.stream(prompts[before], greedy))
            again = "".join(engine.stream(prompts[number], greedy))
            assert engine.last_stats is not None
            assert engine.last_stats.cached_tokens > 0  # the prefix was reused
            assert again == fresh[number], f"task {number} changed after {before}"
    finally:
        engine.close()

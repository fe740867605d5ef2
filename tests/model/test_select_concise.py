"""`select`'s concise samples (``[sampling] concise``) on the real Qwen2.5-Coder-0.5B.

On MBPP+ 124 (``HARD_TASK``) the 0.5B model's greedy answer fails, so the run
goes on to samples drawn side by side by the real engine: their prompt ends with
the concise instruction after the task text, so the engine still reuses the
greedy candidate's cached prompt for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import GenerationFinished, RunFinished
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.prompts import CONCISE_INSTRUCTION
from tests.model.conftest import select_on_hard_task

pytestmark = pytest.mark.model


def test_concise_samples_share_the_greedy_candidates_cached_prompt(
    qwen_05b: LlamaEngine, mbpp_cache: Path
) -> None:
    assert get_pipeline("select").concise_samples
    events = select_on_hard_task(qwen_05b, max_iters=3, plan_samples=0, edge_repair=0)
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    greedy, samples = generated[0], generated[1:]
    assert CONCISE_INSTRUCTION not in greedy.prompt
    assert samples and all(CONCISE_INSTRUCTION in e.prompt for e in samples)
    for sample in samples:
        assert sample.tokens > 0
        # The instruction adds tokens after the task text; the prefix before it
        # comes from the cache, in whole 16-token chunks.
        assert sample.prompt_tokens > greedy.prompt_tokens
        assert sample.cached_tokens >= 16 * ((greedy.prompt_tokens - 16) // 16)
    assert isinstance(events[-1], RunFinished)

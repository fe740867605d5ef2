"""`select`'s plan-prompt candidates (``[plan]``) on the real Qwen2.5-Coder-0.5B.

On MBPP+ 124 (``HARD_TASK``) the 0.5B model's greedy answer fails, so the run
goes on to the plan prompt's batch, drawn side by side by the real engine and
checked in the real sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import (
    CandidateSelected,
    GenerationFinished,
    RunFinished,
    SamplesDiscarded,
)
from lsc_tui.loop.prompts import PLAN_SYSTEM
from tests.model.conftest import select_on_hard_task

pytestmark = pytest.mark.model


def test_a_failing_greedy_candidate_is_followed_by_plan_prompt_samples(
    qwen_05b: LlamaEngine, mbpp_cache: Path
) -> None:
    events = select_on_hard_task(qwen_05b, max_iters=3, plan_samples=2, edge_repair=0)
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    assert PLAN_SYSTEM not in generated[0].prompt
    plan = generated[1:]
    assert plan and all(PLAN_SYSTEM in e.prompt for e in plan)
    assert all(e.tokens > 0 for e in plan)
    # Both plan samples came from one batch: each is checked, or counted unused.
    discarded = sum(e.count for e in events if isinstance(e, SamplesDiscarded))
    assert len(plan) + discarded == 2
    final = events[-1]
    assert isinstance(final, RunFinished)
    selected = next(e for e in events if isinstance(e, CandidateSelected))
    if final.first_pass_iteration is not None:
        assert final.first_pass_iteration > 1
        assert "plan prompt" in selected.reason
        assert final.final_code == plan[final.first_pass_iteration - 2].code
    else:
        assert selected.reason.startswith("no candidate passed")

"""`select`'s plan-prompt candidates (``[plan]``) on the real Qwen2.5-Coder-0.5B.

MBPP+ 124 (the angle of a complex number) is one the 1.5B model never passes from
the task prompt in 13 candidates; the 0.5B model's greedy answer fails it too, so
the run goes on to the plan prompt's batch, drawn side by side by the real engine
and checked in the real sandbox.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lsc_tui.engine.fake import FakeProvider
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import (
    CandidateSelected,
    GenerationFinished,
    RunFinished,
    SamplesDiscarded,
    TestsFinished,
)
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.prompts import PLAN_SYSTEM
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task

pytestmark = pytest.mark.model


def test_a_failing_greedy_candidate_is_followed_by_plan_prompt_samples(
    qwen_05b: LlamaEngine, mbpp_cache: Path
) -> None:
    sandbox = Sandbox()
    task = load_mbpp_task(124, sandbox=sandbox)
    pipeline = dataclasses.replace(
        get_pipeline("select"), max_iters=3, plan_samples=2, edge_repair=0
    )
    events = list(run_loop(task, pipeline, FakeProvider(qwen_05b), sandbox))
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    tests = [e for e in events if isinstance(e, TestsFinished)]
    assert PLAN_SYSTEM not in generated[0].prompt
    assert tests[0].passed < tests[0].total, "the 0.5B greedy answer now passes 124"
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

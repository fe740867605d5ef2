"""`select`'s samples asked for code without comments (``[sampling] concise``)."""

from __future__ import annotations

import pytest

from lsc_tui.engine.fake import FakeProvider
from lsc_tui.errors import RecipeError
from lsc_tui.events import GenerationFinished
from lsc_tui.loop.pipelines import get_pipeline, parse_pipeline
from lsc_tui.loop.prompts import CONCISE_INSTRUCTION, PLAN_SYSTEM, task_text
from lsc_tui.loop.runner import run_loop
from tests.unit.loop_fakes import (
    GOOD,
    TASK,
    WRONG,
    BatchingEngine,
    FakeSandbox,
    make_pipeline,
)


def _prompts(concise: bool, replies: list[str]) -> list[str]:
    pipeline = make_pipeline(
        "select", max_iters=5, sample_batch=2, plan_samples=2, concise_samples=concise
    )
    engine = BatchingEngine(replies)
    events = run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox())
    return [e.prompt for e in events if isinstance(e, GenerationFinished)]


def test_only_the_samples_are_asked_for_code_without_comments() -> None:
    prompts = _prompts(True, [WRONG, WRONG, WRONG, WRONG, GOOD])
    assert len(prompts) == 5
    assert CONCISE_INSTRUCTION not in prompts[0]  # the greedy candidate: one-shot's
    assert all(CONCISE_INSTRUCTION in p for p in prompts[1:])
    assert all(PLAN_SYSTEM in p for p in prompts[3:])  # the plan prompt's too
    # The instruction follows the task text, so the cached prompt is still shared.
    task = task_text(TASK)
    assert all(
        task in p and p.index(task) < p.index(CONCISE_INSTRUCTION) for p in prompts[1:]
    )
    assert not any(CONCISE_INSTRUCTION in p for p in _prompts(False, [WRONG, GOOD]))


def test_task_text_ends_with_the_instruction_only_when_asked() -> None:
    assert (
        task_text(TASK, concise=True) == f"{task_text(TASK)}\n\n{CONCISE_INSTRUCTION}"
    )


def test_concise_is_a_select_only_switch_and_select_uses_it() -> None:
    base = {"kind": "select", "max_iters": 3, "roles": {"generator": {"model": "m"}}}
    assert parse_pipeline({**base, "sampling": {"concise": True}}, "x").concise_samples
    assert not parse_pipeline(base, "x").concise_samples
    with pytest.raises(RecipeError, match="true or false"):
        parse_pipeline({**base, "sampling": {"concise": "yes"}}, "x")
    with pytest.raises(RecipeError, match="select only"):
        parse_pipeline({**base, "kind": "feedback", "sampling": {"concise": True}}, "x")
    assert get_pipeline("select").concise_samples
    assert not get_pipeline("select-consensus").concise_samples

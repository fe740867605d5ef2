"""`select`'s last candidates from the plan prompt (``[plan] samples``)."""

from __future__ import annotations

import pytest

from lsc_tui.engine.fake import FakeProvider
from lsc_tui.errors import RecipeError
from lsc_tui.events import CandidateSelected, GenerationFinished, RunFinished
from lsc_tui.loop.pipelines import get_pipeline, parse_pipeline
from lsc_tui.loop.prompts import GENERATOR_SYSTEM, PLAN_SYSTEM, plan_messages
from lsc_tui.loop.runner import run_loop
from tests.unit.loop_fakes import (
    GOOD,
    TASK,
    WRONG,
    BatchingEngine,
    FakeSandbox,
    make_pipeline,
)


def _run(replies: list[str]) -> tuple[list, BatchingEngine]:
    pipeline = make_pipeline("select", max_iters=5, sample_batch=2, plan_samples=2)
    engine = BatchingEngine(replies)
    events = list(run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox()))
    return events, engine


def test_the_last_candidates_come_from_the_plan_prompt_once_the_others_fail() -> None:
    events, engine = _run([WRONG, WRONG, WRONG, WRONG, GOOD])
    prompts = [e.prompt for e in events if isinstance(e, GenerationFinished)]
    assert len(prompts) == 5
    assert all(GENERATOR_SYSTEM in p and PLAN_SYSTEM not in p for p in prompts[:3])
    assert all(PLAN_SYSTEM in p for p in prompts[3:])
    assert "assert add(2, 3) == 5" in prompts[3]  # the same task text
    # Task-prompt samples 2-3 are one batch, cut short of the plan's iterations;
    # the plan's 2 samples are a batch of their own, at the sampling temperature.
    assert [len(batch) for batch in engine.batches] == [2, 2]
    assert {p.temperature for p in engine.batches[1]} == {0.8}
    selected = next(e for e in events if isinstance(e, CandidateSelected))
    assert selected.candidate == 5
    assert "drawn from the plan prompt" in selected.reason
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 5


def test_a_pass_before_them_never_draws_the_plan_prompt() -> None:
    events, engine = _run([WRONG, GOOD, WRONG])
    prompts = [e.prompt for e in events if isinstance(e, GenerationFinished)]
    assert len(prompts) == 2 and not any(PLAN_SYSTEM in p for p in prompts)
    assert [len(batch) for batch in engine.batches] == [2]
    selected = next(e for e in events if isinstance(e, CandidateSelected))
    assert selected.reason == "first candidate to pass every visible test"


def test_plan_messages_fold_the_system_turn_for_families_without_one() -> None:
    assert [m.role for m in plan_messages(TASK, "qwen2.5")] == ["system", "user"]
    folded = plan_messages(TASK, "phi-3")
    assert [m.role for m in folded] == ["user"]
    assert folded[0].content.startswith(PLAN_SYSTEM)


def test_plan_table_is_select_only_below_max_iters_and_alone() -> None:
    base = {"kind": "select", "max_iters": 6, "roles": {"generator": {"model": "m"}}}
    assert parse_pipeline({**base, "plan": {"samples": 4}}, "x").plan_samples == 4
    assert parse_pipeline(base, "x").plan_samples == 0
    with pytest.raises(RecipeError, match="below max_iters"):
        parse_pipeline({**base, "plan": {"samples": 6}}, "x")
    with pytest.raises(RecipeError, match="select only"):
        parse_pipeline({**base, "kind": "feedback", "plan": {"samples": 1}}, "x")
    for other in (
        {"consensus": {"support": 2}},
        {"tester": {"asserts": 5}},
        {"repair": {"rounds": 1}},
    ):
        with pytest.raises(RecipeError, match="does not combine"):
            parse_pipeline({**base, "plan": {"samples": 2}, **other}, "x")
    assert get_pipeline("select-consensus").plan_samples == 0


def test_the_dashboard_tags_plan_and_repair_candidates_by_their_prompt() -> None:
    from lsc_tui.loop.prompts import EDGE_INSTRUCTION, generator_messages, render
    from lsc_tui.tui.run_view import prompt_source

    assert prompt_source(render(plan_messages(TASK, "qwen2.5"))) == "plan"
    repair = generator_messages(TASK, "qwen2.5", GOOD, "calls fail", EDGE_INSTRUCTION)
    assert prompt_source(render(repair)) == "repair"
    assert prompt_source(render(generator_messages(TASK, "qwen2.5"))) == ""
    assert prompt_source(render(generator_messages(TASK, "qwen2.5", WRONG, "x"))) == ""

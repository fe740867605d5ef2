"""`select` with ``[sampling] batch``: samples drawn side by side, checked in order."""

from __future__ import annotations

import pytest

from lsc_tui.bench.runner import role_usage
from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.errors import RecipeError
from lsc_tui.events import (
    GenerationFinished,
    LoopEvent,
    RunFinished,
    SamplesDiscarded,
    TokensGenerated,
)
from lsc_tui.loop.pipelines import parse_pipeline
from lsc_tui.loop.result import result_from_events
from lsc_tui.loop.runner import run_loop
from tests.unit.loop_fakes import (
    GOOD,
    GOOD_TOO,
    TASK,
    WRONG,
    BatchingEngine,
    FakeSandbox,
    make_pipeline,
)


def run(engine: ScriptedEngine, max_iters: int = 5, batch: int = 3) -> list[LoopEvent]:
    pipeline = make_pipeline("select", max_iters, sample_batch=batch)
    return list(run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox()))


def test_a_batch_is_checked_in_order_and_the_rest_is_counted_as_discarded() -> None:
    engine = BatchingEngine([WRONG, WRONG, GOOD, GOOD_TOO])
    events = run(engine)
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.success and finished.first_pass_iteration == 3
    # Greedy went alone; iterations 2-4 were drawn together, seeds as if one by one.
    [batch] = engine.batches
    assert [p.seed for p in batch] == [2, 3, 4]
    assert {p.temperature for p in batch} == {0.8}
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    assert [e.iteration for e in generated] == [1, 2, 3]
    assert "return a + b" in generated[2].code
    # Iteration 3's text still reaches the front ends, once its turn comes.
    streamed = "".join(
        e.text for e in events if isinstance(e, TokensGenerated) and e.iteration == 3
    )
    assert streamed == GOOD
    [discarded] = [e for e in events if isinstance(e, SamplesDiscarded)]
    assert discarded.count == 1 and discarded.tokens == len(GOOD_TOO) // 4
    result = result_from_events(events)
    assert result["discarded_samples"] == {
        "count": 1,
        "tokens": len(GOOD_TOO) // 4,
        "seconds": 0.5,
    }
    tokens, _ = role_usage(events)
    assert tokens["generator"] == sum(e.tokens for e in generated) + discarded.tokens


def test_a_batch_never_draws_past_the_budget() -> None:
    engine = BatchingEngine([WRONG, WRONG, WRONG])
    events = run(engine, max_iters=3, batch=4)
    assert [len(b) for b in engine.batches] == [2]
    assert not [e for e in events if isinstance(e, SamplesDiscarded)]
    assert result_from_events(events)["discarded_samples"] is None


def test_batches_follow_one_another_until_a_pass() -> None:
    engine = BatchingEngine([WRONG, WRONG, WRONG, WRONG, GOOD])
    events = run(engine, max_iters=6, batch=2)
    assert [[p.seed for p in b] for b in engine.batches] == [[2, 3], [4, 5]]
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.first_pass_iteration == 5


def test_an_engine_without_batches_samples_one_by_one() -> None:
    engine = ScriptedEngine([WRONG, WRONG, GOOD])
    events = run(engine)
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.first_pass_iteration == 3
    assert not [e for e in events if isinstance(e, SamplesDiscarded)]


@pytest.mark.parametrize(
    ("kind", "batch", "message"),
    [
        ("select", 0, "sampling.batch must be a whole number 1-8"),
        ("select", 9, "sampling.batch must be a whole number 1-8"),
        ("select", True, "sampling.batch must be a whole number 1-8"),
        ("feedback", 2, "sampling.batch applies to kind select only"),
    ],
)
def test_recipe_batch_is_checked(kind: str, batch: object, message: str) -> None:
    data = {
        "name": "x",
        "kind": kind,
        "roles": {"generator": {"model": "m"}},
        "sampling": {"batch": batch},
    }
    with pytest.raises(RecipeError, match=message):
        parse_pipeline(data, "x.toml")
    data["sampling"] = {"batch": 4}
    if kind == "select":
        assert parse_pipeline(data, "x.toml").sample_batch == 4


LONG_WRONG = WRONG.replace(
    "\n```", "\n# " + "a long sample, still decoding " * 8 + "\n```"
)
"""Fails like WRONG but takes many more steps to end."""


def test_a_batch_stops_once_a_sample_in_order_passes() -> None:
    engine = BatchingEngine([WRONG, GOOD, LONG_WRONG, LONG_WRONG])
    events = run(engine, max_iters=5, batch=3)
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.first_pass_iteration == 2
    # Samples 3-4 were still decoding when sample 2 passed: they stop there.
    assert engine.cut == [1, 2]
    [discarded] = [e for e in events if isinstance(e, SamplesDiscarded)]
    assert discarded.count == 2
    assert 0 < discarded.tokens < 2 * (len(LONG_WRONG) // 4)


def test_a_pass_waits_for_the_samples_before_it() -> None:
    # Sample 3 ends and passes first, but sample 2 comes before it and is still
    # decoding: the batch runs on until 2 ends (and fails), then stops before 4.
    long_good = GOOD.replace("\n```", "\n# " + "taking its time " * 4 + "\n```")
    engine = BatchingEngine([WRONG, LONG_WRONG, long_good, LONG_WRONG + "\n" * 40])
    events = run(engine, max_iters=5, batch=3)
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.first_pass_iteration == 3
    assert engine.cut == [2]


def test_a_batch_checks_each_code_once() -> None:
    sandbox = FakeSandbox()
    engine = BatchingEngine([WRONG, WRONG, GOOD, LONG_WRONG])
    pipeline = make_pipeline("select", 5, sample_batch=3)
    events = list(run_loop(TASK, pipeline, FakeProvider(engine), sandbox))
    assert next(e for e in events if isinstance(e, RunFinished)).success
    # WRONG came twice and was run once; GOOD, checked while the batch decoded,
    # is not run again when its iteration comes; the cut sample never runs.
    codes = [code for code, _ in sandbox.calls]
    assert len(codes) == len(set(codes)) == 2
    assert engine.cut == [2]


def test_consensus_needs_every_sample_so_its_batches_run_to_the_end() -> None:
    pipeline = make_pipeline("select", 5, consensus_support=2, sample_batch=3)
    engine = BatchingEngine([WRONG, GOOD, LONG_WRONG, GOOD_TOO])
    events = list(run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox()))
    assert next(e for e in events if isinstance(e, RunFinished)).success
    assert engine.cut == []

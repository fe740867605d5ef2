"""The test doubles in ``lsc_tui.engine.fake`` that benchmarks and tests share."""

from __future__ import annotations

import pytest

from lsc_tui.engine.base import SamplingParams
from lsc_tui.engine.fake import (
    BatchingReplay,
    FakeProvider,
    ReplayThenReal,
    ScriptedEngine,
)
from lsc_tui.errors import ConfigError
from lsc_tui.events import RunFinished
from lsc_tui.loop.runner import run_loop
from tests.unit.loop_fakes import (
    GOOD,
    TASK,
    WRONG,
    BatchingEngine,
    FakeSandbox,
    make_pipeline,
)


def test_replay_then_real_replays_recorded_code_then_delegates() -> None:
    real = ScriptedEngine(["generated"])
    engine = ReplayThenReal(real, [{"code": "x = 1", "gen_tokens": 7}])
    params = SamplingParams()
    assert "".join(engine.stream([], params)) == "```python\nx = 1\n```"
    assert engine.last_stats is not None and engine.last_stats.completion_tokens == 7
    assert "".join(engine.stream([], params)) == "generated"
    assert engine.last_stats is real.last_stats


def _recorded(code: str) -> dict[str, object]:
    return {"code": code, "gen_tokens": 5, "gen_seconds": 1.5}


def test_batching_replay_replays_whole_batches_then_draws_real_ones() -> None:
    """Replayed through the loop: the greedy and the first batch of 2 samples come
    from the record, the next batch from the real (here scripted) engine, drawn
    side by side; the stats of each are theirs."""
    wrong = "def add(a, b):\n    return a - b\n"
    real = BatchingEngine([WRONG, GOOD])
    replay = BatchingReplay(real, [_recorded(wrong), _recorded(wrong), _recorded("x")])
    pipeline = make_pipeline("select", max_iters=5, sample_batch=2)
    events = list(run_loop(TASK, pipeline, FakeProvider(replay), FakeSandbox()))
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.first_pass_iteration == 5
    assert len(real.batches) == 1 and len(real.batches[0]) == 2
    assert replay.last_sample_stats == real.last_sample_stats


def test_batching_replay_refuses_a_plain_engine_and_a_cut_batch() -> None:
    with pytest.raises(ConfigError, match="in batches"):
        BatchingReplay(ScriptedEngine([]), [])
    replay = BatchingReplay(BatchingEngine([]), [_recorded("x = 1")])
    params = [SamplingParams(seed=2), SamplingParams(seed=3)]
    with pytest.raises(ConfigError, match="ends on a batch"):
        list(replay.stream_samples([], params))
    stats = [_recorded("a"), _recorded("b")]
    replay = BatchingReplay(BatchingEngine([]), stats)
    assert [i for i, _ in replay.stream_samples([], params)] == [0, 1]
    assert [s.gen_seconds for s in replay.last_sample_stats] == [1.5, 1.5]

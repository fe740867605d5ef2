"""The test doubles in ``lsc_tui.engine.fake`` that benchmarks and tests share."""

from __future__ import annotations

from lsc_tui.engine.base import SamplingParams
from lsc_tui.engine.fake import ReplayThenReal, ScriptedEngine


def test_replay_then_real_replays_recorded_code_then_delegates() -> None:
    real = ScriptedEngine(["generated"])
    engine = ReplayThenReal(real, [{"code": "x = 1", "gen_tokens": 7}])
    params = SamplingParams()
    assert "".join(engine.stream([], params)) == "```python\nx = 1\n```"
    assert engine.last_stats is not None and engine.last_stats.completion_tokens == 7
    assert "".join(engine.stream([], params)) == "generated"
    assert engine.last_stats is real.last_stats

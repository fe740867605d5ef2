"""``BatchingReplay`` on the real Qwen2.5-Coder-0.5B: what
``benchmarks/bench_sample_budget.py --keep`` runs.

A `select` run on MBPP 17 replays a recorded greedy candidate and a recorded batch
of 4 samples, all wrong, then the real engine draws the next batch side by side.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lsc_tui.engine.fake import BatchingReplay, FakeProvider
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import GenerationFinished, RunFinished, SamplesDiscarded
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task

pytestmark = pytest.mark.model

RECORDED = [
    {"code": f"def square_perimeter(a):\n    return a * {n}\n", "gen_tokens": 12}
    for n in (1, 2, 3, 5, 6)
]
"""Five recorded answers to MBPP 17 that fail its visible test (``a * 4`` is right):
the greedy candidate and one batch of 4 samples."""


def test_recorded_candidates_replay_then_the_real_engine_draws_a_batch(
    qwen_05b: LlamaEngine, mbpp_cache: Path
) -> None:
    pipeline = dataclasses.replace(get_pipeline("select"), edge_repair=0)
    replay = BatchingReplay(qwen_05b, RECORDED)
    events = list(
        run_loop(
            load_mbpp_task(17), pipeline, FakeProvider(replay), Sandbox(), max_iters=9
        )
    )
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    assert [e.code for e in generated[:5]] == [r["code"] for r in RECORDED]
    drawn = generated[5:]
    assert drawn, "the real engine drew no sample after the replayed ones"
    assert all(e.tokens > 0 and e.seconds > 0 for e in drawn)
    # One batch of 4: each sample is checked, or counted unused after a pass.
    discarded = sum(e.count for e in events if isinstance(e, SamplesDiscarded))
    assert len(drawn) + discarded == 4
    assert not replay.recorded
    final = events[-1]
    assert isinstance(final, RunFinished)
    if final.first_pass_iteration is not None:
        assert final.first_pass_iteration > 5

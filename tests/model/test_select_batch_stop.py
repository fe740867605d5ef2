"""`select` stopping a batch at its kept sample, on the real Qwen2.5-Coder-0.5B.

The greedy candidate is replayed wrong, so the run samples; the samples are the
real model's, drawn side by side in one batch and checked in the real sandbox.
Run with the stop and with it off (``_Loop.batch_stop`` giving no callback), the
loop must keep the same candidates: the stop only cuts the samples after the kept
one short, and those were discarded anyway.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lsc_tui.engine.fake import BatchingReplay, FakeProvider
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import (
    CandidateSelected,
    GenerationFinished,
    LoopEvent,
    RunFinished,
    SamplesDiscarded,
)
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.runner import _Loop, run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task

pytestmark = pytest.mark.model

WRONG = {"code": "def square_perimeter(a):\n    return a * a\n", "gen_tokens": 12}
"""A greedy answer to MBPP 17 that fails its visible test, as a record's iteration."""


def _run(engine: LlamaEngine) -> list[LoopEvent]:
    pipeline = dataclasses.replace(get_pipeline("select"), edge_repair=0)
    task = load_mbpp_task(17)
    provider = FakeProvider(BatchingReplay(engine, [WRONG]))
    return list(run_loop(task, pipeline, provider, Sandbox(), max_iters=5))


def test_a_stopped_batch_keeps_the_candidates_a_whole_one_keeps(
    qwen_05b: LlamaEngine, mbpp_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = _run(qwen_05b)
    with monkeypatch.context() as patch:
        patch.setattr(_Loop, "batch_stop", lambda self: None)
        whole = _run(qwen_05b)

    def codes(events: list[LoopEvent]) -> list[str]:
        return [e.code for e in events if isinstance(e, GenerationFinished)]

    def discarded(events: list[LoopEvent]) -> int:
        return sum(e.tokens for e in events if isinstance(e, SamplesDiscarded))

    assert codes(stopped) == codes(whole)
    [stopped_end] = [e for e in stopped if isinstance(e, RunFinished)]
    [whole_end] = [e for e in whole if isinstance(e, RunFinished)]
    assert stopped_end.success and (stopped_end.first_pass_iteration or 0) > 1
    assert stopped_end.final_code == whole_end.final_code
    [stopped_pick] = [e for e in stopped if isinstance(e, CandidateSelected)]
    [whole_pick] = [e for e in whole if isinstance(e, CandidateSelected)]
    assert stopped_pick.candidate == whole_pick.candidate
    # The samples after the pass stopped decoding when it was known.
    assert 0 < discarded(stopped) < discarded(whole)

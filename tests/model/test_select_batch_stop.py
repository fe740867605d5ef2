"""`select` stopping a batch at its kept sample, on the real Qwen2.5-Coder-0.5B.

The greedy candidate is replayed wrong, so the run samples; the samples are the
real model's, drawn side by side in one batch and checked in the real sandbox.
Run with the stop and with it off (``_Loop.batch_stop`` giving no callback), the
loop must keep the same candidates: the stop only cuts the samples after the kept
one short, and those were discarded anyway.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from lsc_tui.engine.base import ChatMessage, GenerationStats, SampleDone, SamplingParams
from lsc_tui.engine.fake import FakeProvider
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

WRONG = "```python\ndef square_perimeter(a):\n    return a * a\n```"
"""A greedy answer to MBPP 17 that fails its visible test."""


class WrongGreedy:
    """The real engine, except that its first streamed reply is ``WRONG``."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.replayed = False
        self.real = False
        """Whether the last streamed reply was the real engine's."""

    @property
    def model_id(self) -> str:
        return self.engine.model_id

    @property
    def n_ctx(self) -> int:
        return self.engine.n_ctx

    @property
    def last_stats(self) -> GenerationStats | None:
        return self.engine.last_stats if self.real else None

    @property
    def last_sample_stats(self) -> list[GenerationStats]:
        return self.engine.last_sample_stats

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        if not self.replayed:
            self.replayed = True
            yield WRONG
            return
        self.real = True
        yield from self.engine.stream(messages, params, cancel)

    def stream_samples(
        self,
        messages: Sequence[ChatMessage],
        params: Sequence[SamplingParams],
        cancel: threading.Event | None = None,
        done: SampleDone | None = None,
    ) -> Iterator[tuple[int, str]]:
        return self.engine.stream_samples(messages, params, cancel, done)

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def close(self) -> None:
        """The shared engine outlives this wrapper."""


def _run(engine: LlamaEngine) -> list[LoopEvent]:
    pipeline = dataclasses.replace(get_pipeline("select"), edge_repair=0)
    task = load_mbpp_task(17)
    provider = FakeProvider(WrongGreedy(engine))
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
    assert stopped_end.success and stopped_end.first_pass_iteration > 1
    assert stopped_end.final_code == whole_end.final_code
    [stopped_pick] = [e for e in stopped if isinstance(e, CandidateSelected)]
    [whole_pick] = [e for e in whole if isinstance(e, CandidateSelected)]
    assert stopped_pick.candidate == whole_pick.candidate
    # The samples after the pass stopped decoding when it was known.
    assert 0 < discarded(stopped) < discarded(whole)

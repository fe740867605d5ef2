"""Samples decoded side by side on the real Qwen2.5-Coder-0.5B (``engine.batch``)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from lsc_tui.engine.base import ChatMessage, ModelSpec, SampleDone, SamplingParams
from lsc_tui.engine.fake import FakeProvider
from lsc_tui.engine.llama import PROMPT_CHUNK, LlamaEngine
from lsc_tui.events import GenerationFinished, RunFinished, SamplesDiscarded
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.prompts import generator_messages
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from tests.conftest import test_model_path as model_file

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def engine() -> Iterator[LlamaEngine]:
    spec = ModelSpec("qwen2.5-coder-0.5b", model_file("qwen2.5-coder-0.5b"), 2048)
    loaded = LlamaEngine(spec)
    yield loaded
    loaded.close()


def collect(
    engine: LlamaEngine,
    messages: Sequence[ChatMessage],
    params: Sequence[SamplingParams],
    done: SampleDone | None = None,
) -> list[str]:
    texts = [""] * len(params)
    for index, piece in engine.stream_samples(messages, params, done=done):
        texts[index] += piece
    return texts


def test_greedy_in_a_batch_writes_what_greedy_alone_writes(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    messages = generator_messages(load_mbpp_task(17), "")
    greedy = SamplingParams(max_tokens=160, temperature=0.0)
    alone = "".join(engine.stream(messages, greedy))
    together = collect(engine, messages, [greedy, greedy, greedy])
    assert together == [alone] * 3
    stats = engine.last_sample_stats
    assert [s.finish_reason for s in stats] == ["stop"] * 3
    assert all(0 < s.completion_tokens < 160 for s in stats)
    assert "def square_perimeter" in alone


def test_seeded_samples_repeat_and_differ_from_each_other(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    messages = generator_messages(load_mbpp_task(17), "")
    params = [
        SamplingParams(max_tokens=96, temperature=1.2, top_p=1.0, seed=seed)
        for seed in (2, 3, 4)
    ]
    first = collect(engine, messages, params)
    # The prompt's cache is kept for the same prompt, and changes nothing.
    assert engine.last_sample_stats[0].cached_tokens > 0
    assert collect(engine, messages, params) == first
    assert len(set(first)) > 1, first
    # A sample of the batch stops at its own max_tokens.
    short = collect(engine, messages, [SamplingParams(max_tokens=5)] * 2)
    assert [s.completion_tokens for s in engine.last_sample_stats] == [5, 5]
    assert all(text for text in short)


def test_cancel_stops_a_batch_between_steps(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    messages = generator_messages(load_mbpp_task(17), "")
    cancel = threading.Event()
    params = [SamplingParams(max_tokens=400, temperature=1.5, seed=s) for s in (1, 2)]
    for count, _ in enumerate(engine.stream_samples(messages, params, cancel), 1):
        if count == 5:
            cancel.set()
    stats = engine.last_sample_stats
    assert {s.finish_reason for s in stats} <= {"cancelled", "stop"}
    assert sum(s.completion_tokens for s in stats) < 40


def test_select_with_batched_samples_runs_on_the_real_model(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    """MBPP 2 with the recipe's sampling settings, 3 samples a batch: every drawn
    sample is either a checked iteration or counted as discarded (the edge check's
    repair turn, tested in test_select_edges.py, is off here)."""
    task = load_mbpp_task(2)
    pipeline = dataclasses.replace(
        get_pipeline("select"), max_iters=4, sample_batch=3, edge_repair=0
    )
    events = list(
        run_loop(task, pipeline, FakeProvider(engine), Sandbox(), max_iters=4)
    )
    finished = next(e for e in events if isinstance(e, RunFinished))
    assert finished.status in ("passed", "failed")
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    discarded = [e for e in events if isinstance(e, SamplesDiscarded)]
    checked = len(generated)
    assert checked + sum(e.count for e in discarded) in (1, 4)
    assert all(e.tokens > 0 for e in generated)


def test_done_stops_a_batch_and_changes_no_sample_before_it(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    messages = generator_messages(load_mbpp_task(17), "")
    params = [
        SamplingParams(max_tokens=200, temperature=1.2, top_p=1.0, seed=seed)
        for seed in (5, 6, 7)
    ]
    whole = collect(engine, messages, params)
    whole_stats = engine.last_sample_stats
    heard: list[tuple[int, str]] = []

    def done(index: int, text: str) -> bool:
        heard.append((index, text))
        return True  # stop at the first sample to end

    texts = collect(engine, messages, params, done)
    stats = engine.last_sample_stats
    # Each sample heard of (those ending in one step) is whole, and the same as in
    # the batch run to its end.
    for index, text in heard:
        assert text == texts[index] == whole[index]
        assert stats[index].finish_reason == "stop"
    # The others stopped with them: a prefix of what they would have written.
    for index in set(range(len(params))) - {index for index, _ in heard}:
        assert whole[index].startswith(texts[index])
        assert stats[index].finish_reason == "cancelled"
        assert stats[index].completion_tokens < whole_stats[index].completion_tokens
    assert sum(s.completion_tokens for s in stats) < sum(
        s.completion_tokens for s in whole_stats
    )


def test_a_batch_copies_the_prompt_the_engine_just_answered(
    engine: LlamaEngine, mbpp_cache: Path
) -> None:
    task17 = generator_messages(load_mbpp_task(17), "")
    task18 = generator_messages(load_mbpp_task(18), "")
    params = [
        SamplingParams(max_tokens=64, temperature=0.8, top_p=0.95, seed=seed)
        for seed in (5, 6)
    ]
    engine.reset_cache()
    collect(engine, task18, params)
    cold = collect(engine, task17, params)
    cold_stats = engine.last_sample_stats[0]
    # The engine's own context answers task 17; the batch context holds task 18.
    greedy = SamplingParams(max_tokens=8, temperature=0.0)
    "".join(engine.stream(task17, greedy))
    collect(engine, task18, params)
    warm = collect(engine, task17, params)
    warm_stats = engine.last_sample_stats[0]
    # The copied cache holds what decoding the prompt would: the same samples.
    assert warm == cold
    body = warm_stats.prompt_tokens - 1
    assert warm_stats.cached_tokens == body // PROMPT_CHUNK * PROMPT_CHUNK
    assert cold_stats.cached_tokens < warm_stats.cached_tokens

"""Fixtures shared by the real-model tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from lsc_tui.engine.base import ModelSpec
from lsc_tui.engine.fake import FakeProvider
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import LoopEvent, TestsFinished
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from tests.conftest import test_model_path

HARD_TASK = 124
"""MBPP+ 124 (the angle of a complex number): the 1.5B model never passes it
from the task prompt in 13 candidates, and the 0.5B model's greedy answer fails
it too, so a `select` run on it goes on to samples."""


@pytest.fixture(scope="module")
def qwen_05b() -> Iterator[LlamaEngine]:
    """The real Qwen2.5-Coder-0.5B with a 4096-token context, one per test module."""
    spec = ModelSpec("qwen2.5-coder-0.5b", test_model_path("qwen2.5-coder-0.5b"), 4096)
    loaded = LlamaEngine(spec)
    yield loaded
    loaded.close()


def select_on_hard_task(engine: LlamaEngine, **changes: Any) -> list[LoopEvent]:
    """The events of `select` (its recipe with ``changes``) on ``HARD_TASK``, run
    by the real engine and checked in the real sandbox; fails when the greedy
    answer passes, since then no sample is drawn."""
    sandbox = Sandbox()
    task = load_mbpp_task(HARD_TASK, sandbox=sandbox)
    pipeline = dataclasses.replace(get_pipeline("select"), **changes)
    events = list(run_loop(task, pipeline, FakeProvider(engine), sandbox))
    first = next(e for e in events if isinstance(e, TestsFinished))
    assert first.passed < first.total, f"the greedy answer now passes {HARD_TASK}"
    return events

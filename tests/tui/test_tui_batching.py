"""Merging streamed text before it reaches the UI keeps every character and order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsc_tui.events import (
    CriticTokens,
    IterationFinished,
    IterationStarted,
    LoopEvent,
    TokensGenerated,
)
from lsc_tui.settings import load_settings
from lsc_tui.tui.app import default_repaint_s
from lsc_tui.tui.batching import (
    SHARED_CORE_REPAINT_S,
    SPARE_CORE_REPAINT_S,
    coalesce_text,
    repaint_interval,
)
from lsc_tui.tui.exports import read_events_jsonl
from lsc_tui.tui.run_view import RunView
from tests.tui.tui_helpers import THREE_STAGE_LOG


class StepClock:
    """A clock that advances ``step`` seconds per call."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def tokens(iteration: int, pieces: str, candidate: int = 0) -> Iterator[LoopEvent]:
    for i, piece in enumerate(pieces):
        yield TokensGenerated("r", iteration, float(i), piece, candidate)


def test_fast_stream_is_merged_to_the_interval() -> None:
    """Ten pieces 10 ms apart with a 35 ms interval become a handful of events."""
    events = list(
        coalesce_text(tokens(1, "abcdefghij"), interval=0.035, clock=StepClock(0.01))
    )
    assert all(isinstance(e, TokensGenerated) for e in events)
    assert "".join(e.text for e in events if isinstance(e, TokensGenerated)) == (
        "abcdefghij"
    )
    assert events[0].text == "a"  # the first piece is not held back
    assert 2 < len(events) < 10
    assert events[-1].at == 9.0  # a merged event carries its last piece's time


def test_slow_stream_passes_through() -> None:
    """When pieces are further apart than the interval nothing is merged."""
    events = list(coalesce_text(tokens(1, "abc"), interval=0.25, clock=StepClock(1.0)))
    assert [e.text for e in events if isinstance(e, TokensGenerated)] == ["a", "b", "c"]


def test_other_events_flush_pending_text_in_order() -> None:
    """A non-text event never overtakes text that streamed before it."""
    stream: list[LoopEvent] = [
        IterationStarted("r", 1, 0.0),
        *tokens(1, "xyz"),
        IterationFinished("r", 1, 3.0, "passed", 1, 1, 3.0),
        CriticTokens("r", 1, 4.0, "logic_critic", "o"),
        CriticTokens("r", 1, 4.1, "logic_critic", "k"),
    ]
    events = list(coalesce_text(stream, interval=100.0, clock=StepClock(0.001)))
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "IterationStarted",
        "TokensGenerated",
        "TokensGenerated",
        "IterationFinished",
        "CriticTokens",
        "CriticTokens",
    ]
    assert [e.text for e in events if isinstance(e, TokensGenerated)] == ["x", "yz"]
    assert [e.text for e in events if isinstance(e, CriticTokens)] == ["o", "k"]


def test_streams_of_different_candidates_are_not_mixed() -> None:
    """Text of candidate 2 is never appended to candidate 1's pending text."""
    stream = [*tokens(1, "ab", candidate=1), *tokens(1, "cd", candidate=2)]
    events = list(coalesce_text(stream, interval=100.0, clock=StepClock(0.001)))
    texts = [(e.candidate, e.text) for e in events if isinstance(e, TokensGenerated)]
    assert {c: "".join(t for k, t in texts if k == c) for c in (1, 2)} == {
        1: "ab",
        2: "cd",
    }


def test_a_recorded_run_folds_to_the_same_view() -> None:
    """The dashboard's state is identical with and without merging."""
    events = read_events_jsonl(THREE_STAGE_LOG)
    plain, merged = RunView(), RunView()
    for event in events:
        plain.apply(event)
    for event in coalesce_text(events, interval=10.0, clock=StepClock(0.001)):
        merged.apply(event)
    assert [r.code for r in merged.iterations] == [r.code for r in plain.iterations]
    assert [[c.text for c in r.critics] for r in merged.iterations] == [
        [c.text for c in r.critics] for r in plain.iterations
    ]
    assert merged.finished == plain.finished


def test_repaint_interval_slows_down_only_when_llama_takes_every_core() -> None:
    """A spare core repaints 4 times a second; a shared one once (bench-measured)."""
    assert repaint_interval(8, 4) == SPARE_CORE_REPAINT_S
    assert repaint_interval(2, 2) == SHARED_CORE_REPAINT_S
    assert repaint_interval(None, 1) == SHARED_CORE_REPAINT_S
    assert SHARED_CORE_REPAINT_S > SPARE_CORE_REPAINT_S


def test_default_repaint_follows_the_configured_threads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """n_threads from the settings decides whether the UI shares llama's cores."""
    monkeypatch.setenv("LSC_HOME", str(tmp_path))
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    settings = load_settings()
    assert default_repaint_s(settings.replace(n_threads=4)) == SHARED_CORE_REPAINT_S
    assert default_repaint_s(settings.replace(n_threads=2)) == SPARE_CORE_REPAINT_S

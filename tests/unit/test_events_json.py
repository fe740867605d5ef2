"""Every event type survives a JSON round trip exactly."""

from __future__ import annotations

import json
import typing

import pytest

from lsc_tui import events as ev
from lsc_tui.sandbox.result import CompileError, TestResult

SAMPLES: list[ev.LoopEvent] = [
    ev.RunStarted(
        "r",
        0,
        0.0,
        "mbpp/11",
        "desc",
        ("assert f(1) == 2",),
        "three-stage",
        3,
        (ev.RoleModel("generator", "qwen", "abc"),),
    ),
    ev.ModelLoading("r", 1, 0.1, "generator", "qwen"),
    ev.ModelLoaded("r", 1, 0.2, "generator", "qwen", 1.5),
    ev.IterationStarted("r", 1, 0.3),
    ev.TokensGenerated("r", 1, 0.4, "def f", candidate=2),
    ev.GenerationFinished("r", 1, 0.5, "raw", "code", 12, 0.3, 40, 30, 0, "[user]\nx"),
    ev.NameHarmonized("r", 1, 0.6, "solve", "f"),
    ev.SyntaxChecked("r", 1, 0.7, False, CompileError("SyntaxError", "bad", 1, 4, "x")),
    ev.SyntaxChecked("r", 1, 0.7, True, None),
    ev.TestsFinished(
        "r",
        1,
        0.8,
        (TestResult("assert f(1) == 2", "failed", "expected 2, got 3", weak=True),),
        0,
        1,
        "out",
        "err",
        0.05,
    ),
    ev.CriticStarted("r", 1, 0.9, "logic_critic", "phi"),
    ev.CriticTokens("r", 1, 1.0, "logic_critic", "- use +"),
    ev.CriticFinished("r", 1, 1.1, "logic_critic", "raw", "- use +", 5, 0.2, "p"),
    ev.FeedbackPrepared("r", 1, 1.2, "fix it"),
    ev.CandidateSelected("r", 2, 1.3, 2, "first to pass", (0.0, 1.0)),
    ev.SamplesDiscarded("r", 3, 1.4, 2, 180, 4.5),
    ev.EdgesChecked("r", 1, 1.25, 20, 1, ("f([]): IndexError: list index",)),
    ev.AssertWriterStarted("r", 2, 1.31),
    ev.AssertsWritten("r", 2, 1.32, ("assert f(0) == 1",), "raw", 9, 0.4, "p"),
    ev.AssertsChecked(
        "r", 2, 1.33, 0, 1, (TestResult("assert f(0) == 1", "failed", "got 2"),)
    ),
    ev.IterationFinished("r", 1, 1.4, "failed", 0, 1, 1.1),
    ev.RunFinished(
        "r", 2, 2.0, "passed", True, False, 2, "code", 2.0, ev.HiddenScore(True, 5, 5)
    ),
    ev.RunFinished("r", 2, 2.0, "failed", False, False, None, "", 2.0, None),
    ev.RunFailed("r", 1, 1.0, "engine crashed", "Engine error"),
]


def test_samples_cover_every_event_type() -> None:
    covered = {type(e) for e in SAMPLES}
    assert covered == set(typing.get_args(ev.LoopEvent))


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip(event: ev.LoopEvent) -> None:
    data = json.loads(json.dumps(ev.to_json(event)))
    assert data["type"] == type(event).__name__
    assert ev.from_json(data) == event


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        ev.from_json({"type": "Nope"})

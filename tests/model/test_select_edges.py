"""`select`'s edge-case repair turns on the real Qwen2.5-Coder-0.5B and MBPP+ 743.

The first candidate is replayed (the 1.5B model's recorded one-shot answer, which
passes the visible test and divides by zero on an empty list), so the edge check
is sure to fire; the repair turns are the real model's, through the real sandbox,
with the real hidden scoring.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.engine.fake import FakeProvider, ReplayThenReal
from lsc_tui.engine.llama import LlamaEngine
from lsc_tui.events import (
    CandidateSelected,
    EdgesChecked,
    FeedbackPrepared,
    GenerationFinished,
    RunFinished,
)
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.prompts import edge_instruction
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from lsc_tui.tasks.scoring import score_hidden

pytestmark = pytest.mark.model

RECORDED = (
    "def rotate_right(lst, n):\n    # Calculate the effective rotation needed\n"
    "    n = n % len(lst)\n    # Perform the rotation\n"
    "    rotated_list = lst[-n:] + lst[:-n]\n    return rotated_list\n"
)
"""The 1.5B model's recorded one-shot answer to MBPP+ 743."""


def test_a_crashing_pass_gets_a_real_repair_turn_judged_by_its_behaviour(
    qwen_05b: LlamaEngine, mbpp_cache: Path
) -> None:
    sandbox = Sandbox()
    task = load_mbpp_task(743, sandbox=sandbox)
    replay = ReplayThenReal(qwen_05b, [{"code": RECORDED, "gen_tokens": 40}])
    events = list(
        run_loop(
            task,
            get_pipeline("select"),
            FakeProvider(replay),
            sandbox,
            score_hidden=lambda t, code: score_hidden(t, code, sandbox),
        )
    )
    checks = [e for e in events if isinstance(e, EdgesChecked)]
    assert checks[0].iteration == 1 and checks[0].crashed >= 1
    assert any("ZeroDivisionError" in crash for crash in checks[0].shown)
    feedback = [e for e in events if isinstance(e, FeedbackPrepared)]
    generated = [e for e in events if isinstance(e, GenerationFinished)]
    turns = generated[1:]  # the candidate, then its repair turns, no new sample
    assert 1 <= len(turns) <= get_pipeline("select").edge_repair
    assert len(feedback) == len(turns)
    assert all("rotate_right([]" in f.feedback for f in feedback)
    assert all(t.tokens > 0 and "ZeroDivisionError" in t.prompt for t in turns)
    # [edges] concise: each turn's prompt ends by asking for no comments.
    assert all(t.prompt.rstrip().endswith(edge_instruction(True)) for t in turns)
    selected = next(e for e in events if isinstance(e, CandidateSelected))
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 1
    if selected.candidate > 1:
        # Kept: the last turn, which passed the visible test and crashed less.
        assert selected.candidate == len(generated)
        assert checks[-1].iteration == selected.candidate
        assert checks[-1].crashed < checks[0].crashed
        assert final.final_code == generated[-1].code
        assert "handles" in selected.reason
    else:
        # None kept: every turn was drawn and the candidate stands.
        assert len(turns) == get_pipeline("select").edge_repair
        assert f"none of its {len(turns)} repair turns was kept" in selected.reason
        assert final.final_code == generated[0].code
        assert final.hidden is not None and not final.hidden.passed

"""`select` consensus through the real sandbox on a real MBPP task (scripted model).

The engine is scripted so the candidates are known; the task, its visible test,
the probe inputs, the sandboxed probe runs and the hidden scoring are all real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.events import CandidateSelected, RunFinished
from lsc_tui.loop.pipelines import get_pipeline
from lsc_tui.loop.runner import run_loop
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task
from lsc_tui.tasks.scoring import score_hidden

HARD_CODED = "```python\ndef square_perimeter(a):\n    return 40\n```"
RIGHT = "```python\ndef square_perimeter(a):\n    return 4 * a\n```"
RIGHT_TOO = "```python\ndef square_perimeter(a):\n    return a + a + a + a\n```"


@pytest.mark.usefixtures("mbpp_cache")
def test_consensus_replaces_a_hard_coded_visible_pass(tmp_path: Path) -> None:
    sandbox = Sandbox()
    task = load_mbpp_task(17, sandbox=sandbox)
    assert task.visible_tests == ("assert square_perimeter(10)==40",)
    events = list(
        run_loop(
            task,
            get_pipeline("select-consensus"),
            FakeProvider(ScriptedEngine([HARD_CODED, RIGHT, RIGHT_TOO])),
            sandbox,
            score_hidden=lambda t, code: score_hidden(t, code, sandbox),
        )
    )
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.first_attempt_passed  # the hard-coded answer fits the visible test
    assert final.final_code.strip().endswith("return 4 * a")
    assert final.hidden is not None and final.hidden.passed
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert selected[0].candidate == 2
    assert selected[0].reason.startswith("2 of 3 candidates passing")
    # Without consensus the hard-coded candidate would have been kept and failed.
    hidden = score_hidden(
        task, HARD_CODED.split("\n", 1)[1].rsplit("```", 1)[0], sandbox
    )
    assert hidden is not None and not hidden.passed


ROTATE_CRASHY = (
    "```python\ndef rotate_right(lst, n):\n    n = n % len(lst)\n"
    "    return lst[-n:] + lst[:-n]\n```"
)
ROTATE_FIXED = (
    "```python\ndef rotate_right(lst, n):\n    if not lst:\n        return lst\n"
    "    n = n % len(lst)\n    return lst[-n:] + lst[:-n]\n```"
)


@pytest.mark.usefixtures("mbpp_cache")
def test_edge_repair_fixes_a_false_visible_pass_of_mbpp_743() -> None:
    """The 1.5B model's one-shot answer to MBPP+ 743 passes the visible test but
    divides by zero on an empty list; the edge check finds that from the visible
    test's arguments alone, and the kept repair passes the hidden tests."""
    sandbox = Sandbox()
    task = load_mbpp_task(743, sandbox=sandbox)
    events = list(
        run_loop(
            task,
            get_pipeline("select"),
            FakeProvider(ScriptedEngine([ROTATE_CRASHY, ROTATE_FIXED])),
            sandbox,
            score_hidden=lambda t, code: score_hidden(t, code, sandbox),
        )
    )
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.first_attempt_passed and "if not lst" in final.final_code
    assert final.hidden is not None and final.hidden.passed
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert selected[0].candidate == 2
    crashy = ROTATE_CRASHY.split("\n", 1)[1].rsplit("```", 1)[0]
    hidden = score_hidden(task, crashy, sandbox)
    assert hidden is not None and not hidden.passed

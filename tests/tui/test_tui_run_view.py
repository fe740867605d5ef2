"""Unit tests of the TUI's pure helpers: event folding, fences, highlighting, rows."""

from __future__ import annotations

from pygments.lexers import PythonLexer

from lsc_tui.events import HiddenScore, RunFailed, RunFinished
from lsc_tui.tui.exports import read_events_jsonl
from lsc_tui.tui.model_rows import build_rows
from lsc_tui.tui.run_view import RunView, strip_fences
from lsc_tui.tui.widgets.code_pane import code_diff
from lsc_tui.tui.widgets.code_view import highlight_ranges
from lsc_tui.tui.widgets.verdict_banner import verdict_text
from tests.tui.tui_helpers import THREE_STAGE_LOG, FakeModelStore


def test_run_view_folds_a_three_stage_run() -> None:
    """Each iteration keeps its code, checks, tests and critic text."""
    view = RunView()
    for event in read_events_jsonl(THREE_STAGE_LOG):
        view.apply(event)
    assert view.pipeline == "three-stage"
    assert [r.status for r in view.iterations] == ["syntax_error", "failed", "passed"]
    first, second, third = view.iterations
    assert first.shown is not None and first.shown.syntax_error is not None
    assert first.shown.syntax_error.line == 1
    assert [c.role for c in first.critics] == ["syntax_critic"]
    assert first.critics[0].reflection
    assert second.shown is not None and second.shown.tests_passed == 1
    assert [c.role for c in second.critics] == ["logic_critic"]
    assert third.code == "def add_nums(a, b):\n    return a + b\n"
    assert view.finished is not None and view.finished.success
    assert all(state.activity == "idle" for state in view.roles.values())
    assert view.tokens_per_second() is not None


def test_run_view_streaming_state() -> None:
    """Mid-generation the generator is busy and code is the unfenced stream."""
    view = RunView()
    events = read_events_jsonl(THREE_STAGE_LOG)
    for event in events[:8]:
        view.apply(event)
    assert view.roles["generator"].activity == "generating"
    current = view.current
    assert current is not None and current.shown is not None
    assert current.shown.code is None
    assert not current.code.startswith("`")


def test_strip_fences() -> None:
    """Fence lines and a half-written fence disappear; code stays."""
    assert (
        strip_fences("```python\ndef f():\n    pass\n```\n") == "def f():\n    pass\n"
    )
    assert strip_fences("```py") == ""
    assert strip_fences("x = 1\n``") == "x = 1\n"
    assert strip_fences("a = '```'") == "a = '```'"


def test_highlight_ranges_use_utf8_byte_columns() -> None:
    """Ranges are byte offsets per line, as TextArea's highlight map expects."""
    ranges = highlight_ranges('s = "é"  # c\ndef f(): pass\n', PythonLexer())
    assert (5, 7, "string") in ranges[0]  # "é" is two bytes wide
    assert any(r[2] == "comment" and r[0] == 10 for r in ranges[0])
    assert (0, 3, "keyword") in ranges[1]
    assert (4, 5, "function") in ranges[1]


def test_code_diff_labels_iterations() -> None:
    """The diff names both iterations and shows the changed line."""
    diff = code_diff("x = 1\n", "x = 2\n", "iteration 1", "iteration 2")
    assert "--- iteration 1" in diff and "+++ iteration 2" in diff
    assert "-x = 1" in diff and "+x = 2" in diff
    assert code_diff("x\n", "x\n", "a", "b") == "(no changes)\n"


def test_verdict_text_reports_hidden_and_first_attempt() -> None:
    """The banner states visible, first-attempt and hidden results."""
    finished = RunFinished(
        "r", 2, 1.0, "passed", True, False, 2, "code", 12.5, HiddenScore(False, 3, 5)
    )
    text, state = verdict_text(finished, None)
    assert state == "-passed"
    assert "PASSED visible tests" in text
    assert "first passed at iteration 2" in text
    assert "first attempt failed" in text
    assert "hidden tests FAILED 3/5" in text
    cancelled = RunFinished("r", 1, 1.0, "cancelled", False, False, None, "", 1.0)
    assert verdict_text(cancelled, None)[1] == "-cancelled"
    failed = RunFailed("r", 1, 1.0, "engine died; restart", "Engine error")
    assert verdict_text(None, failed) == (
        "✘ Engine error: engine died; restart",
        "-error",
    )
    assert verdict_text(None, None) == ("", "")


def test_model_rows_mark_installed_fits_and_roles() -> None:
    """Every recipe quant is a row; installed, fit and roles are per row."""
    store = FakeModelStore(installed=["qwen2.5-coder-0.5b-instruct:q4_k_m"])
    roles = {"generator": "qwen2.5-coder-0.5b-instruct:q4_k_m", "logic_critic": None}
    rows = {row.ref: row for row in build_rows(store, roles, budget=4 * 1024**3)}
    small = rows["qwen2.5-coder-0.5b-instruct:q4_k_m"]
    assert small.installed and small.roles == ("generator",)
    default = rows["qwen2.5-coder-1.5b-instruct:q4_k_m"]
    assert default.is_default and not default.installed
    assert default.size_bytes == 1_117_320_768
    assert default.fits is True
    assert rows["qwen2.5-coder-7b-instruct:q4_k_m"].fits is False
    unknown = build_rows(store, roles, budget=None)
    assert all(row.fits is None for row in unknown)

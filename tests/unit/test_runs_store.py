"""The SQLite run history: incremental saves, interruption, read-back and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli
from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.errors import RunNotFoundError
from lsc_tui.events import IterationFinished, RunFinished, RunStarted
from lsc_tui.loop.runner import run_loop
from lsc_tui.paths import get_paths
from lsc_tui.runs.store import RunStore
from lsc_tui.tasks.model import Task
from tests.unit.loop_fakes import FakeSandbox, make_pipeline

TASK = Task(
    "typed-x", "Write add(a, b).", ("assert add(1, 2) == 3",), entry_point="add"
)
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a * b\n```"


def events_for(replies: list[str], kind: str = "feedback"):
    return run_loop(
        TASK,
        make_pipeline(kind),
        FakeProvider(ScriptedEngine(replies)),
        FakeSandbox(),
        run_id="run0001",
    )


def test_record_saves_every_event_and_the_summary(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    seen = list(store.record(events_for([WRONG, GOOD]), {"pipeline": "feedback"}))
    assert store.load_events("run0001") == seen
    [summary] = store.list_runs()
    assert summary.status == "passed" and summary.success is True
    assert summary.iterations == 2
    assert store.meta("run0") == {"pipeline": "feedback"}


def test_interrupted_run_keeps_finished_steps(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    recorded = store.record(events_for([WRONG, GOOD]))
    for event in recorded:
        if isinstance(event, IterationFinished):
            break
    recorded.close()  # the consumer stops, as on Ctrl+C
    [summary] = store.list_runs()
    assert summary.status == "interrupted"
    saved = store.load_events("run0001")
    assert isinstance(saved[0], RunStarted)
    assert isinstance(saved[-1], IterationFinished)
    assert not any(isinstance(e, RunFinished) for e in saved)


def test_unknown_run_id_is_a_clear_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    with pytest.raises(RunNotFoundError, match="lsc runs list"):
        store.load_events("nope")


def test_runs_cli_lists_shows_and_exports() -> None:
    store = RunStore(get_paths().runs_db)
    list(store.record(events_for([WRONG, GOOD])))
    runner = CliRunner()
    listed = runner.invoke(cli, ["runs", "list"])
    assert listed.exit_code == 0 and "run0001" in listed.output
    shown = runner.invoke(cli, ["runs", "show", "run0001", "--json"])
    result = json.loads(shown.output)
    assert result["success"] is True and len(result["iterations"]) == 2
    md = runner.invoke(cli, ["runs", "show", "run0001"])
    assert "## Iteration 2 (passed)" in md.output
    py = runner.invoke(cli, ["runs", "export", "run0001", "--format", "py"])
    assert "return a + b" in py.output
    jsonl = runner.invoke(cli, ["runs", "export", "run0001", "--format", "jsonl"])
    assert len(jsonl.output.splitlines()) == len(store.load_events("run0001"))
    missing = runner.invoke(cli, ["runs", "show", "zzz"])
    assert missing.exit_code == 2 and "not in the history" in missing.output

"""The bench runner: one flushed line per run, resume, errors and role usage."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from lsc_tui.bench.runner import (
    BenchPlan,
    PairEvent,
    PairFinished,
    PairSkipped,
    PairStarted,
    bench_record,
    completed_pairs,
    read_records,
    role_usage,
    run_bench,
)
from lsc_tui.engine.base import Engine
from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.errors import EngineError, ModelError, TaskError
from lsc_tui.events import CriticFinished, GenerationFinished, LoopEvent
from lsc_tui.loop.session import Session
from lsc_tui.settings import load_settings
from lsc_tui.tasks.model import HiddenSuite, Task
from tests.unit.loop_fakes import FakeSandbox


def fence(code: str) -> str:
    return f"```python\n{code}```"


ADD = fence("def add(a, b):\n    return a + b\n")
SUB = fence("def add(a, b):\n    return a - b\n")
CHEAT = fence(
    "def add(a, b):\n    if (a, b) == (123, 456):\n        return 579\n    return 0\n"
)

TASKS = {
    901: Task(
        task_id="mbpp/901",
        description="Write add(a, b).",
        visible_tests=("assert add(123, 456) == 579",),
        entry_point="add",
        source="mbpp",
        hidden=HiddenSuite(asserts=("assert add(2, 3) == 5",)),
    ),
    902: Task(
        task_id="mbpp/902",
        description="Write add(a, b) again.",
        visible_tests=("assert add(1, 1) == 2",),
        entry_point="add",
        source="mbpp",
        hidden=HiddenSuite(asserts=("assert add(-1, 1) == 0",)),
    ),
}


def make_session(engine: Engine | FakeProvider) -> Session:
    provider = engine if isinstance(engine, FakeProvider) else FakeProvider(engine)
    return Session(
        load_settings(), provider=provider, sandbox=FakeSandbox(), record=False
    )


def test_one_flushed_line_per_pair_in_pipeline_order() -> None:
    # one-shot: 901 cheats (passes visible, fails hidden), 902 right.
    # feedback: 901 wrong then right, 902 right first.
    engine = ScriptedEngine([CHEAT, ADD, SUB, ADD, ADD])
    out = io.StringIO()
    plan = BenchPlan(task_ids=[901, 902], pipelines=["one-shot", "feedback"])
    events = []
    for event in run_bench(make_session(engine), plan, TASKS.__getitem__, out=out):
        events.append(event)
        if isinstance(event, PairFinished):
            # The line is written before the event is seen: nothing is lost on a crash.
            assert out.getvalue().count("\n") == event.index
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["pipeline"], r["task_id"]) for r in lines] == [
        ("one-shot", 901),
        ("one-shot", 902),
        ("feedback", 901),
        ("feedback", 902),
    ]
    cheat, right, retried, _ = lines
    assert cheat["visible_passed"] is True
    assert cheat["hidden_passed"] is False
    assert cheat["suspicious"] is True
    assert "579" in cheat["suspicious_literals"]
    assert right["suspicious"] is False
    assert right["hidden_passed"] is True
    assert retried["pass_at_1"] is False
    assert retried["first_pass_iteration"] == 2
    assert retried["visible_passed"] is True
    assert retried["role_tokens"]["generator"] == retried["tokens"] > 0
    assert set(retried) >= {"final_code", "hidden", "iterations", "seconds", "success"}
    started = [e for e in events if isinstance(e, PairStarted)]
    assert [(e.index, e.total) for e in started] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert any(isinstance(e, PairEvent) for e in events)


def test_resume_skips_finished_pairs_without_running_them(tmp_path: Path) -> None:
    path = tmp_path / "bench.jsonl"
    plan = BenchPlan(task_ids=[901, 902], pipelines=["one-shot"])
    with path.open("a", encoding="utf-8") as out:
        first = list(
            run_bench(
                make_session(ScriptedEngine([ADD])), plan, TASKS.__getitem__, out=out
            )
        )
        # Only one reply was scripted: the second task errors and must be retried.
    assert [type(e) for e in first if not isinstance(e, PairEvent)].count(
        PairFinished
    ) == 2
    records = read_records(path)
    assert [r["status"] for r in records] == ["passed", "error"]
    skip = completed_pairs(records)
    assert skip == {(901, "one-shot")}
    engine = ScriptedEngine([ADD])
    with path.open("a", encoding="utf-8") as out:
        second = list(
            run_bench(make_session(engine), plan, TASKS.__getitem__, out=out, skip=skip)
        )
    assert [e.task_id for e in second if isinstance(e, PairSkipped)] == [901]
    assert len(engine.prompts) == 1
    assert completed_pairs(read_records(path)) == {(901, "one-shot"), (902, "one-shot")}


def test_a_model_that_cannot_load_stops_the_bench_and_saves_nothing() -> None:
    class BrokenProvider(FakeProvider):
        def get(self, role: str) -> Engine:
            raise ModelError("model file is corrupt; pull it again")

    out = io.StringIO()
    plan = BenchPlan(task_ids=[901, 902], pipelines=["one-shot"])
    session = make_session(BrokenProvider(ScriptedEngine()))
    with pytest.raises(ModelError, match="corrupt"):
        list(run_bench(session, plan, TASKS.__getitem__, out=out))
    assert out.getvalue() == ""


def test_repeated_errors_stop_the_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lsc_tui.bench.runner.MAX_CONSECUTIVE_ERRORS", 2)
    out = io.StringIO()
    plan = BenchPlan(task_ids=[901, 902], pipelines=["one-shot", "feedback"])
    with pytest.raises(EngineError, match="2 runs in a row failed"):
        list(
            run_bench(make_session(ScriptedEngine()), plan, TASKS.__getitem__, out=out)
        )
    assert len(out.getvalue().splitlines()) == 1


def test_cancel_before_a_run_stops_quietly() -> None:
    cancel = threading.Event()
    cancel.set()
    plan = BenchPlan(task_ids=[901], pipelines=["one-shot"])
    events = list(
        run_bench(
            make_session(ScriptedEngine([ADD])), plan, TASKS.__getitem__, cancel=cancel
        )
    )
    assert events == []


def test_role_usage_sums_generator_and_each_critic() -> None:
    events: list[LoopEvent] = [
        GenerationFinished("r", 1, 0.0, "raw", "code", tokens=10, seconds=1.0),
        CriticFinished(
            "r", 1, 0.0, "logic_critic", "raw", "fix", tokens=5, seconds=0.5
        ),
        GenerationFinished("r", 2, 0.0, "raw", "code", tokens=12, seconds=1.25),
        CriticFinished(
            "r", 2, 0.0, "syntax_critic", "raw", "fix", tokens=3, seconds=0.2
        ),
    ]
    tokens, seconds = role_usage(events)
    assert tokens == {"generator": 22, "logic_critic": 5, "syntax_critic": 3}
    assert seconds == {"generator": 2.25, "logic_critic": 0.5, "syntax_critic": 0.2}


def test_bench_record_of_an_empty_run_is_interrupted() -> None:
    record = bench_record([], TASKS[901], "one-shot")
    assert record["status"] == "interrupted"
    assert record["task_id"] == 901
    assert record["hidden_passed"] is None
    assert record["suspicious"] is False


def test_read_records_ignores_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    good = {"task_id": 11, "pipeline": "one-shot", "status": "passed"}
    path.write_text(json.dumps(good) + "\n" + '{"task_id": 12, "pipe', encoding="utf-8")
    assert read_records(path) == [good]
    assert read_records(tmp_path / "missing.jsonl") == []


def test_a_task_that_cannot_load_is_an_error_record_and_the_bench_goes_on() -> None:
    def load(number: int) -> Task:
        if number == 901:
            raise TaskError("reference solution output too large")
        return TASKS[number]

    out = io.StringIO()
    plan = BenchPlan(task_ids=[901, 902], pipelines=["one-shot"])
    finished = [
        e
        for e in run_bench(make_session(ScriptedEngine([ADD])), plan, load, out=out)
        if isinstance(e, PairFinished)
    ]
    assert [(e.record["task_id"], e.record["status"]) for e in finished] == [
        (901, "error"),
        (902, "passed"),
    ]
    assert "too large" in finished[0].record["error"]
    assert len(out.getvalue().splitlines()) == 2

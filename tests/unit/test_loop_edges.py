"""The edge-case check of a passing candidate, and its repair turn in the loop."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence

import pytest

from lsc_tui.engine.base import ChatMessage, SamplingParams
from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.errors import RecipeError
from lsc_tui.events import (
    CandidateSelected,
    EdgesChecked,
    FeedbackPrepared,
    GenerationFinished,
    RunFinished,
    SamplesDiscarded,
)
from lsc_tui.loop.edges import (
    EdgeCheck,
    check_inputs,
    edge_inputs,
    repair_keeps,
    run_check,
)
from lsc_tui.loop.pipelines import parse_pipeline
from lsc_tui.loop.probes import probe_inputs
from lsc_tui.loop.prompts import CONCISE_INSTRUCTION, EDGE_INSTRUCTION
from lsc_tui.loop.runner import run_loop
from lsc_tui.tasks.model import Task
from tests.unit.loop_fakes import BatchingEngine, FakeSandbox, make_pipeline

ROTATE = Task(
    "typed-rotate",
    "Write rotate(items, n) rotating the list right by n.",
    ("assert rotate([1, 2, 3], 1) == [3, 1, 2]",),
    entry_point="rotate",
)
CRASHY = (
    "```python\ndef rotate(items, n):\n    n = n % len(items)\n"
    "    return items[-n:] + items[:-n]\n```"
)
"""Right on every non-empty list; divides by zero on an empty one."""
FIXED = (
    "```python\ndef rotate(items, n):\n    if not items:\n        return items\n"
    "    n = n % len(items)\n    return items[-n:] + items[:-n]\n```"
)
CHANGED = (
    "```python\ndef rotate(items, n):\n    if not items or n > 1:\n"
    "        return items\n    n = n % len(items)\n"
    "    return items[-n:] + items[:-n]\n```"
)
"""Fixes the crash but also stops rotating by more than one."""
WRONG = "```python\ndef rotate(items, n):\n    return items\n```"


def _run(replies: list[str], edge_repair: int = 1, max_iters: int = 5) -> list:
    pipeline = make_pipeline("select", max_iters=max_iters, edge_repair=edge_repair)
    engine = ScriptedEngine(replies)
    return list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))


def _selected(events: list) -> CandidateSelected:
    return next(e for e in events if isinstance(e, CandidateSelected))


def test_boundary_inputs_vary_one_visible_argument_at_a_time() -> None:
    edges = edge_inputs(("assert f([3, 1, 2], 2, 'ab', True) == 3",), "f")
    assert ([], 2, "ab", True) in edges
    assert ([3], 2, "ab", True) in edges
    assert ([3, 1, 2], 0, "ab", True) in edges
    assert ([3, 1, 2], -2, "ab", True) in edges
    assert ([3, 1, 2], 2, "", True) in edges
    assert ([3, 1, 2], 2, "a", True) in edges
    # Booleans are left alone, the visible call itself is not repeated.
    assert all(args[3] is True for args in edges)
    assert ([3, 1, 2], 2, "ab", True) not in edges
    assert len({repr(args) for args in edges}) == len(edges)
    assert edge_inputs(("assert f([3, 1, 2], 2) == 3",), "f", limit=2) == [
        ([], 2),
        ([3], 2),
    ]
    assert edge_inputs(("assert f([[1, 2], [3]]) == 1",), "f") == [
        ([],),
        ([[1, 2]],),
        ([[], [3]],),
    ]
    assert edge_inputs(("assert f(1) == 1",), None) == []


def test_check_inputs_are_the_probes_then_new_boundaries() -> None:
    tests = ("assert f([3, 1, 2], 2) == 3",)
    inputs = check_inputs(tests, "f")
    probes = probe_inputs(tests, "f")
    assert inputs[: len(probes)] == probes
    assert ([], 2) in inputs[len(probes) :]
    assert len({repr(args) for args in inputs}) == len(inputs)


def test_run_check_names_each_crashing_call() -> None:
    sandbox = FakeSandbox()
    code = CRASHY.split("\n", 1)[1].rsplit("```", 1)[0]
    check = run_check(sandbox, code, "rotate", [([1, 2], 1), ([], 1)])
    assert check.crashes == (1,)
    assert check.shown[0].call == "rotate([], 1)"
    assert check.shown[0].error.startswith("ZeroDivisionError")


def test_a_repair_is_kept_only_when_it_fixes_a_crash_and_changes_nothing_else() -> None:
    ok, crash = ("ok", 1), ("error", "IndexError")
    before = EdgeCheck((ok, crash, crash), (1, 2), ())
    assert repair_keeps(before, EdgeCheck((ok, ("ok", 0), crash), (2,), ()))
    assert not repair_keeps(before, EdgeCheck((ok, crash, crash), (1, 2), ()))
    assert not repair_keeps(before, EdgeCheck((("ok", 2), ("ok", 0), ok), (), ()))
    assert not repair_keeps(before, EdgeCheck((ok, ("ok", 0)), (), ()))


def test_a_crashing_visible_pass_gets_one_repair_turn_and_keeps_it() -> None:
    events = _run([CRASHY, FIXED])
    feedback = [e for e in events if isinstance(e, FeedbackPrepared)]
    assert len(feedback) == 1
    assert "rotate([], 1): ZeroDivisionError" in feedback[0].feedback
    repair_prompt = [e for e in events if isinstance(e, GenerationFinished)][1].prompt
    assert "rotate([], 1)" in repair_prompt and "keep every result" in repair_prompt
    checks = [e for e in events if isinstance(e, EdgesChecked)]
    assert [(c.iteration, c.crashed) for c in checks] == [(1, 1), (2, 0)]
    assert checks[0].shown[0].startswith("rotate([], 1): ZeroDivisionError")
    selected = _selected(events)
    assert selected.candidate == 2
    assert "its repair handles 1 of them" in selected.reason
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.first_pass_iteration == 1 and final.first_attempt_passed
    assert "if not items" in final.final_code


def test_a_repair_that_changes_other_results_is_dropped() -> None:
    events = _run([CRASHY, CHANGED])
    selected = _selected(events)
    assert selected.candidate == 1
    assert "changes results the candidate already returned" in selected.reason
    final = events[-1]
    assert isinstance(final, RunFinished) and "if not" not in final.final_code


def test_a_repair_failing_the_visible_test_is_dropped() -> None:
    selected = _selected(_run([CRASHY, WRONG]))
    assert selected.candidate == 1
    assert "fails the visible tests" in selected.reason


def test_later_repair_turns_are_samples_drawn_in_one_batch() -> None:
    pipeline = make_pipeline("select", max_iters=8, edge_repair=4, sample_batch=4)
    engine = BatchingEngine([CRASHY, CRASHY, WRONG, FIXED, CHANGED])
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    # The four turns are one batch: turn 1 greedy, with the generator's own
    # settings, heads turns 2-4, samples seeded one apart at the sampling
    # temperature.
    assert len(engine.batches) == 1
    greedy, *samples = engine.batches[0]
    assert greedy == pipeline.roles["generator"].sampling
    assert [p.temperature for p in samples] == [pipeline.sample_temperature] * 3
    assert [p.seed - samples[0].seed for p in samples] == [0, 1, 2]
    assert samples[0].seed == greedy.seed + 3  # turn 2 of a run that repairs at 1
    # Every turn repairs candidate 1 from the same conversation.
    repairs = [e for e in events if isinstance(e, GenerationFinished)][1:]
    assert len(repairs) == 3
    assert len({e.prompt for e in repairs}) == 1
    assert "rotate([], 1)" in repairs[0].prompt
    # Turn 1 still crashes, turn 2 fails the test, turn 3 is kept; turn 4, drawn in
    # the same batch, is never checked.
    checks = [(e.iteration, e.crashed) for e in events if isinstance(e, EdgesChecked)]
    assert checks == [(1, 1), (2, 1), (4, 0)]
    selected = _selected(events)
    assert selected.candidate == 4
    assert "its repair turn 3 handles 1 of them" in selected.reason
    final = events[-1]
    assert isinstance(final, RunFinished) and "if not items" in final.final_code
    assert final.first_pass_iteration == 1


def test_concise_repair_turns_end_with_the_concise_instruction() -> None:
    """``[edges] concise``: every repair turn's last user turn asks for no
    comments, after the rest of the conversation, which stays as it was."""

    def repair_prompts(concise: bool) -> list[str]:
        pipeline = make_pipeline(
            "select",
            max_iters=8,
            edge_repair=4,
            sample_batch=4,
            concise_repairs=concise,
        )
        engine = BatchingEngine([CRASHY, CRASHY, WRONG, FIXED, CHANGED])
        events = run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox())
        return [e.prompt for e in events if isinstance(e, GenerationFinished)][1:]

    plain, concise = repair_prompts(False), repair_prompts(True)
    assert len(concise) == len(plain) == 3
    assert all(CONCISE_INSTRUCTION not in p for p in plain)
    for before, after in zip(plain, concise, strict=True):
        head, tail = after.split(EDGE_INSTRUCTION)
        assert tail.lstrip().startswith(CONCISE_INSTRUCTION)
        assert before.startswith(head + EDGE_INSTRUCTION)


def test_edges_concise_is_a_flag_of_a_repairing_recipe() -> None:
    base = {"kind": "select", "roles": {"generator": {"model": "m"}}}
    edges = {"repair": 4, "concise": True}
    assert parse_pipeline({**base, "edges": edges}, "x").concise_repairs
    assert not parse_pipeline({**base, "edges": {"repair": 4}}, "x").concise_repairs
    with pytest.raises(RecipeError, match="true or false"):
        parse_pipeline({**base, "edges": {"repair": 4, "concise": 1}}, "x")
    with pytest.raises(RecipeError, match="above 0"):
        parse_pipeline({**base, "edges": {"concise": True}}, "x")
    with pytest.raises(RecipeError, match="unknown edges key"):
        parse_pipeline({**base, "edges": {"repair": 4, "short": True}}, "x")


def test_samples_drawn_ahead_of_a_crashing_pass_are_not_taken_as_repairs() -> None:
    pipeline = make_pipeline("select", max_iters=8, edge_repair=3, sample_batch=3)
    # Greedy fails; samples 2-4 come in one batch and 2 passes but crashes.
    engine = BatchingEngine([WRONG, CRASHY, WRONG, WRONG, CRASHY, FIXED, WRONG])
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    discarded = [e for e in events if isinstance(e, SamplesDiscarded)]
    # Samples 3-4 go when the repair turns begin, and the last turn, drawn in
    # the repairs' batch, when turn 2 is kept.
    assert [(e.iteration, e.count) for e in discarded] == [(2, 2), (4, 1)]
    # The 3 repair turns are a new batch: turn 1 (greedy) still crashes, turn 2
    # is kept.
    assert [len(b) for b in engine.batches] == [3, 3]
    repairs = [e for e in events if isinstance(e, GenerationFinished)][2:]
    assert all("rotate([], 1)" in e.prompt for e in repairs)
    selected = _selected(events)
    assert selected.candidate == 4
    assert "candidate 2 passes every visible test" in selected.reason


def test_when_no_repair_turn_is_kept_the_candidate_stands() -> None:
    pipeline = make_pipeline("select", max_iters=8, edge_repair=3, sample_batch=4)
    engine = BatchingEngine([CRASHY, WRONG, CHANGED, CRASHY])
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    # Only the 3 repair turns allowed are drawn, not a batch of 4.
    assert [len(b) for b in engine.batches] == [3]
    assert sum(isinstance(e, GenerationFinished) for e in events) == 4
    selected = _selected(events)
    assert selected.candidate == 1
    assert "none of its 3 repair turns was kept; the last: it still crashes" in (
        selected.reason
    )
    final = events[-1]
    assert isinstance(final, RunFinished) and "if not" not in final.final_code
    # The budget bounds the turns too.
    engine = BatchingEngine([CRASHY, WRONG, WRONG])
    pipeline = make_pipeline("select", max_iters=2, edge_repair=3, sample_batch=4)
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    assert sum(isinstance(e, GenerationFinished) for e in events) == 2
    assert "its repair was not kept: it fails the visible tests" in (
        _selected(events).reason
    )


def test_no_crash_no_repair_and_no_table_no_check() -> None:
    events = _run([FIXED, WRONG])
    assert sum(isinstance(e, GenerationFinished) for e in events) == 1
    assert _selected(events).reason == "first candidate to pass every visible test"
    events = _run([CRASHY, FIXED], edge_repair=0)
    assert sum(isinstance(e, GenerationFinished) for e in events) == 1
    assert _selected(events).candidate == 1


def test_a_pass_on_the_last_iteration_has_no_room_for_a_repair() -> None:
    events = _run([WRONG, CRASHY, FIXED], max_iters=2)
    assert sum(isinstance(e, GenerationFinished) for e in events) == 2
    assert _selected(events).candidate == 2


def test_the_cli_shows_each_edge_check_and_the_kept_repair() -> None:
    from lsc_tui.cli.sinks import ConsoleProgress

    stream = io.StringIO()
    progress = ConsoleProgress(stream, live=False)
    for event in _run([CRASHY, FIXED]):
        progress.show(event)
    text = stream.getvalue()
    assert "edge check: crashes on 1 of" in text
    assert "✗ rotate([], 1): ZeroDivisionError" in text
    assert "edge check: no crash on" in text
    assert "selected iteration 2: candidate 1 passes every visible test" in text


def test_a_batch_of_repair_turns_stops_at_the_first_kept_repair() -> None:
    pipeline = make_pipeline("select", max_iters=8, edge_repair=4, sample_batch=4)
    slow = CHANGED.replace("\n```", "\n    # " + "still decoding " * 10 + "\n```")
    engine = BatchingEngine([CRASHY, CRASHY, FIXED, slow, slow])
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    assert _selected(events).candidate == 3
    # Turn 2 (the batch's first sample, after the greedy turn) is kept as it
    # ends: turns 3-4 stop there.
    assert engine.cut == [2, 3]
    checks = [(e.iteration, e.crashed) for e in events if isinstance(e, EdgesChecked)]
    assert checks == [(1, 1), (2, 1), (3, 0)]


def test_without_batching_the_greedy_repair_turn_is_streamed_greedy() -> None:
    class Recording(ScriptedEngine):
        def __init__(self, replies: list[str]) -> None:
            super().__init__(replies)
            self.params: list[SamplingParams] = []

        def stream(
            self,
            messages: Sequence[ChatMessage],
            params: SamplingParams,
            cancel: threading.Event | None = None,
        ) -> Iterator[str]:
            self.params.append(params)
            return super().stream(messages, params, cancel)

    pipeline = make_pipeline("select", max_iters=8, edge_repair=2, sample_batch=4)
    engine = Recording([CRASHY, CRASHY, FIXED])
    events = list(run_loop(ROTATE, pipeline, FakeProvider(engine), FakeSandbox()))
    assert _selected(events).candidate == 3
    greedy = pipeline.roles["generator"].sampling
    assert engine.params[:2] == [greedy, greedy]  # the candidate, repair turn 1
    assert engine.params[2].temperature == pipeline.sample_temperature

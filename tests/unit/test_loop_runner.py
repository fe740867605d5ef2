"""run_loop driven by the scripted engine: exact event sequences per pipeline."""

from __future__ import annotations

import dataclasses
import itertools
import threading

import pytest

from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.events import (
    CandidateSelected,
    CriticFinished,
    FeedbackPrepared,
    GenerationFinished,
    HiddenScore,
    LoopEvent,
    NameHarmonized,
    RunFinished,
    SyntaxChecked,
    TestsFinished,
    TokensGenerated,
)
from lsc_tui.loop.result import result_from_events
from lsc_tui.loop.runner import run_loop
from lsc_tui.tasks.model import Task
from tests.unit.loop_fakes import (
    BROKEN,
    GOOD,
    GOOD_TOO,
    HACK,
    TASK,
    WRONG,
    FakeSandbox,
    make_pipeline,
    temperature_spy,
)


def ticking_clock(step: float = 0.001):
    counter = itertools.count()
    return lambda: next(counter) * step


def run(
    kind: str, replies: list[str], **kwargs
) -> tuple[list[LoopEvent], ScriptedEngine]:
    engine = ScriptedEngine(replies)
    events = list(
        run_loop(
            TASK,
            make_pipeline(kind, kwargs.pop("max_iters", 3)),
            FakeProvider(engine),
            FakeSandbox(),
            run_id="r1",
            clock=ticking_clock(),
            **kwargs,
        )
    )
    return events, engine


def kinds(events: list[LoopEvent]) -> list[str]:
    """Event type names with token batches collapsed, for sequence assertions."""
    names = [type(e).__name__ for e in events]
    return [
        n
        for i, n in enumerate(names)
        if not (n.endswith("Tokens") or n == "TokensGenerated") or names[i - 1] != n
    ]


def test_one_shot_pass_is_the_exact_sequence() -> None:
    events, _ = run("one-shot", [GOOD])
    assert kinds(events) == [
        "RunStarted",
        "IterationStarted",
        "ModelLoading",
        "ModelLoaded",
        "TokensGenerated",
        "GenerationFinished",
        "SyntaxChecked",
        "TestsFinished",
        "IterationFinished",
        "RunFinished",
    ]
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert (
        final.success and final.first_attempt_passed and final.first_pass_iteration == 1
    )
    assert final.final_code == "def add(a, b):\n    return a + b\n"


def test_one_shot_failure_does_not_loop() -> None:
    events, engine = run("one-shot", [WRONG, GOOD])
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert not final.success and final.status == "failed"
    assert len(engine.prompts) == 1


def test_feedback_fixes_a_syntax_error_on_iteration_two() -> None:
    events, engine = run("feedback", [BROKEN, GOOD])
    assert kinds(events) == [
        "RunStarted",
        "IterationStarted",
        "ModelLoading",
        "ModelLoaded",
        "TokensGenerated",
        "GenerationFinished",
        "SyntaxChecked",
        "IterationFinished",
        "FeedbackPrepared",
        "IterationStarted",
        "TokensGenerated",
        "GenerationFinished",
        "SyntaxChecked",
        "TestsFinished",
        "IterationFinished",
        "RunFinished",
    ]
    syntax = [e for e in events if isinstance(e, SyntaxChecked)]
    assert not syntax[0].ok and syntax[0].error is not None
    assert syntax[0].error.line == 1
    second_prompt = engine.prompts[1]
    assert second_prompt[-2].role == "assistant"
    assert "does not compile" in second_prompt[-1].content
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.success and not final.first_attempt_passed
    assert final.first_pass_iteration == 2


@pytest.mark.parametrize("kind", ["two-stage", "three-stage"])
def test_logic_failure_fixed_by_critic_feedback(kind: str) -> None:
    critique = (
        "Sure! Here is the problem:\n- It subtracts; use `a + b`.\n```python\nx\n```"
    )
    events, engine = run(kind, [WRONG, critique, GOOD])
    critic = [e for e in events if isinstance(e, CriticFinished)]
    assert len(critic) == 1
    assert critic[0].role == (
        "logic_critic" if kind == "three-stage" else "syntax_critic"
    )
    assert critic[0].reflection == "- It subtracts; use `a + b`."
    critic_prompt = engine.prompts[1][-1].content
    assert "assert add(2, 3) == 5" in critic_prompt
    regenerate_prompt = engine.prompts[2][-1].content
    assert (
        "It subtracts" in regenerate_prompt
        and "These tests failed" in regenerate_prompt
    )
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 2


def test_three_stage_sends_syntax_errors_to_the_syntax_critic() -> None:
    events, engine = run(
        "three-stage", [BROKEN, "- Add a colon after the signature.", GOOD]
    )
    critic = [e for e in events if isinstance(e, CriticFinished)]
    assert [c.role for c in critic] == ["syntax_critic"]
    assert "SyntaxError" in engine.prompts[1][-1].content
    # The regenerated code goes through the syntax stage again.
    assert [e.ok for e in events if isinstance(e, SyntaxChecked)] == [False, True]


def test_never_passing_stops_at_max_and_keeps_best_code() -> None:
    events, engine = run("feedback", [BROKEN, WRONG, BROKEN], max_iters=3)
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert final.status == "failed" and not final.success
    assert final.first_pass_iteration is None
    assert final.final_code == "def add(a, b):\n    return a - b\n"
    assert len(engine.prompts) == 3


def test_hidden_tests_are_scored_after_the_loop_and_never_prompted() -> None:
    scored: list[str] = []

    def scorer(task: Task, code: str) -> HiddenScore:
        scored.append(code)
        return HiddenScore(True, 1, 1)

    events, engine = run("feedback", [WRONG, GOOD], score_hidden=scorer)
    assert scored == ["def add(a, b):\n    return a + b\n"]
    final = events[-1]
    assert isinstance(final, RunFinished) and final.hidden == HiddenScore(True, 1, 1)
    everything_prompted = "".join(m.content for p in engine.prompts for m in p)
    assert "add(-1, 1)" not in everything_prompted


def test_hidden_scoring_time_is_reported_apart_from_the_loop() -> None:
    now = [0.0]

    def scorer(task: Task, code: str) -> HiddenScore:
        now[0] += 2.5  # scoring takes 2.5 s on this clock
        return HiddenScore(False, 0, 1)

    def clock() -> float:
        now[0] += 0.01
        return now[0]

    def one_run(**kwargs: object) -> list[LoopEvent]:
        return list(
            run_loop(
                TASK,
                make_pipeline("feedback", 1),
                FakeProvider(ScriptedEngine([GOOD])),
                FakeSandbox(),
                clock=clock,
                **kwargs,  # type: ignore[arg-type]
            )
        )

    events = one_run(score_hidden=scorer)
    final = events[-1]
    assert isinstance(final, RunFinished)
    assert 2.5 <= final.hidden_seconds < 2.6
    assert final.seconds > final.hidden_seconds
    assert result_from_events(events)["hidden_seconds"] == round(
        final.hidden_seconds, 3
    )

    assert one_run()[-1].hidden_seconds == 0.0  # type: ignore[union-attr]


def test_cancel_mid_generation_stops_promptly() -> None:
    gate = threading.Event()
    cancel = threading.Event()
    engine = ScriptedEngine([GOOD * 50], gate=gate, chunk_chars=1)
    events: list[LoopEvent] = []

    def consume() -> None:
        events.extend(
            run_loop(
                TASK,
                make_pipeline("feedback"),
                FakeProvider(engine),
                FakeSandbox(),
                cancel,
            )
        )

    worker = threading.Thread(target=consume)
    worker.start()
    cancel.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    final = events[-1]
    assert isinstance(final, RunFinished) and final.status == "cancelled"
    assert not any(isinstance(e, TestsFinished) for e in events)


def test_tokens_are_batched() -> None:
    reply = "```python\n" + "# " + "x" * 600 + "\ndef add(a, b):\n    return a + b\n```"
    engine = ScriptedEngine([reply], chunk_chars=1)
    events = list(
        run_loop(
            TASK,
            make_pipeline("one-shot"),
            FakeProvider(engine),
            FakeSandbox(),
            clock=lambda: 0.0,
        )
    )
    batches = [e for e in events if isinstance(e, TokensGenerated)]
    assert "".join(b.text for b in batches) == reply
    assert len(batches) == -(-len(reply) // 64)
    assert all(len(b.text) == 64 for b in batches[:-1])


def test_zero_tests_runs_only_the_syntax_stage() -> None:
    task = Task("typed-2", "Write hello().", ())
    events = list(
        run_loop(
            task,
            make_pipeline("feedback"),
            FakeProvider(
                ScriptedEngine(["```python\ndef hello():\n    return 1\n```"])
            ),
            FakeSandbox(),
        )
    )
    assert not any(isinstance(e, TestsFinished) for e in events)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.success


def test_reply_without_code_is_not_a_pass() -> None:
    task = Task("typed-3", "Write hello().", ())
    events = list(
        run_loop(
            task,
            make_pipeline("one-shot"),
            FakeProvider(ScriptedEngine(["I cannot help with that."])),
            FakeSandbox(),
        )
    )
    final = events[-1]
    assert isinstance(final, RunFinished) and not final.success


def test_select_samples_until_a_candidate_passes() -> None:
    events, engine = run("select", [WRONG, BROKEN, GOOD], max_iters=7)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 3
    assert len(engine.prompts) == 3
    # Samples are independent: no feedback turn is appended.
    assert all(len(p) == 2 for p in engine.prompts)
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert selected and selected[0].candidate == 3
    assert not any(isinstance(e, FeedbackPrepared) for e in events)


def run_repair(
    replies: list[str], max_iters: int, rounds: int
) -> tuple[list[LoopEvent], list[float], ScriptedEngine]:
    """A select run with ``rounds`` repair rounds; also returns each temperature."""
    engine, temperatures = temperature_spy(replies)
    pipeline = dataclasses.replace(
        make_pipeline("select", max_iters), repair_rounds=rounds
    )
    events = list(
        run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox(), run_id="r1")
    )
    return events, temperatures, engine


def test_select_repairs_the_best_failing_candidate_once_every_sample_fails() -> None:
    events, temperatures, engine = run_repair([BROKEN, WRONG, WRONG, GOOD], 4, 1)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 4
    # Greedy, two samples, then a greedy repair of the compiling candidate 2.
    assert temperatures[0] == 0.0 and temperatures[3] == 0.0
    assert all(t > 0 for t in temperatures[1:3])
    repair_prompt = engine.prompts[3]
    assert len(repair_prompt) == 4
    assert repair_prompt[2].content == WRONG
    assert "assert add(2, 3) == 5" in repair_prompt[3].content
    feedback = [e for e in events if isinstance(e, FeedbackPrepared)]
    assert [e.iteration for e in feedback] == [3]
    selected = next(e for e in events if isinstance(e, CandidateSelected))
    assert selected.candidate == 4 and "repair of candidate 2" in selected.reason


def test_select_skips_the_repair_when_a_sample_passes() -> None:
    events, _, engine = run_repair([WRONG, GOOD], 4, 1)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 2
    assert len(engine.prompts) == 2
    assert not any(isinstance(e, FeedbackPrepared) for e in events)


def test_later_repair_rounds_continue_from_the_previous_repair() -> None:
    second_wrong = "```python\ndef add(a, b):\n    return a * b\n```"
    events, temperatures, engine = run_repair([WRONG, BROKEN, second_wrong, GOOD], 4, 2)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 4
    assert temperatures == [0.0, pytest.approx(0.8), 0.0, 0.0]
    assert engine.prompts[2][2].content == WRONG
    assert engine.prompts[3][2].content == second_wrong


def test_generation_events_carry_prompt_and_counts() -> None:
    events, _ = run("one-shot", [GOOD])
    gen = next(e for e in events if isinstance(e, GenerationFinished))
    assert "Write add(a, b)" in gen.prompt and gen.tokens > 0


def test_three_stage_harmonizes_the_function_name() -> None:
    renamed_reply = "```python\ndef plus(a, b):\n    return a + b\n```"
    events, _ = run("three-stage", [renamed_reply])
    harmonized = [e for e in events if isinstance(e, NameHarmonized)]
    assert [(e.old_name, e.new_name) for e in harmonized] == [("plus", "add")]
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 1
    assert "def add(a, b):" in final.final_code


def test_feedback_pipeline_does_not_harmonize() -> None:
    events, _ = run("one-shot", ["```python\ndef plus(a, b):\n    return a + b\n```"])
    assert not any(isinstance(e, NameHarmonized) for e in events)
    final = events[-1]
    assert isinstance(final, RunFinished) and not final.success


def test_retry_temperature_applies_from_iteration_two() -> None:
    engine, seen = temperature_spy([WRONG, GOOD])
    pipeline = dataclasses.replace(make_pipeline("feedback"), retry_temperature=0.6)
    list(run_loop(TASK, pipeline, FakeProvider(engine), FakeSandbox()))
    assert seen == [0.0, 0.6]


def run_consensus(
    replies: list[str], max_iters: int = 7, task: Task = TASK
) -> tuple[list[LoopEvent], ScriptedEngine, FakeSandbox]:
    engine = ScriptedEngine(replies)
    sandbox = FakeSandbox()
    events = list(
        run_loop(
            task,
            make_pipeline("select", max_iters, consensus_support=2),
            FakeProvider(engine),
            sandbox,
            run_id="r1",
            clock=ticking_clock(),
        )
    )
    return events, engine, sandbox


def test_consensus_outvotes_a_greedy_candidate_that_only_fits_the_visible_test() -> (
    None
):
    """Greedy passes the visible assert by luck; two samples agree and win."""
    events, engine, sandbox = run_consensus([HACK, GOOD, GOOD_TOO, GOOD])
    assert len(engine.prompts) == 3  # stops once two agree with a lead
    final = events[-1]
    assert isinstance(final, RunFinished) and final.success
    assert final.first_pass_iteration == 1 and final.first_attempt_passed
    assert "return a + b\n" in final.final_code
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert [e.candidate for e in selected] == [2]
    assert "2 of 3" in selected[0].reason
    assert selected[0].scores == (1.0, 2.0, 2.0)
    # Every passing candidate ran on the same probes, visible arguments first.
    probes = [inputs for _, inputs in sandbox.batches]
    assert len(probes) == 3 and probes[0] == probes[1] == probes[2]
    assert probes[0][0] == (2, 3) and len(probes[0]) > 3


def test_consensus_stops_after_one_agreeing_sample() -> None:
    events, engine, _ = run_consensus([GOOD, GOOD_TOO, HACK])
    assert len(engine.prompts) == 2
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert [e.candidate for e in selected] == [1]


def test_consensus_tie_at_the_budget_keeps_the_earliest() -> None:
    events, engine, _ = run_consensus([HACK, GOOD], max_iters=2)
    assert len(engine.prompts) == 2
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert [e.candidate for e in selected] == [1]
    assert "1 of 2" in selected[0].reason


def test_failing_candidates_do_not_vote() -> None:
    events, _, sandbox = run_consensus([WRONG, GOOD, BROKEN, GOOD_TOO])
    assert len(sandbox.batches) == 2  # only the two passing candidates ran probes
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert [e.candidate for e in selected] == [2]
    final = events[-1]
    assert isinstance(final, RunFinished) and final.first_pass_iteration == 2


def test_without_literal_arguments_select_keeps_the_first_pass() -> None:
    """No probe can be built, so consensus is off and the first pass stands."""
    task = dataclasses.replace(TASK, visible_tests=("x = 2\nassert add(x, 3) == 5",))
    events, engine, sandbox = run_consensus([GOOD, GOOD_TOO], task=task)
    assert len(engine.prompts) == 1 and not sandbox.batches
    selected = [e for e in events if isinstance(e, CandidateSelected)]
    assert selected[0].reason == "first candidate to pass every visible test"

"""`select` with a tester: extra model-written asserts rank sampled visible passes."""

from __future__ import annotations

import pytest

from lsc_tui.bench.runner import role_usage
from lsc_tui.engine.fake import FakeProvider
from lsc_tui.events import (
    AssertsChecked,
    AssertsWritten,
    AssertWriterStarted,
    CandidateSelected,
    LoopEvent,
    RunFinished,
)
from lsc_tui.loop.result import result_from_events
from lsc_tui.loop.runner import run_loop
from lsc_tui.loop.tester import assert_messages, parse_asserts
from tests.unit.loop_fakes import (
    ASSERTS,
    GOOD,
    HACK,
    TASK,
    WRONG,
    FakeSandbox,
    make_pipeline,
    temperature_spy,
)

HALF = "```python\ndef add(a, b):\n    return a + b if a >= 0 else 0\n```"


def run(
    replies: list[str], max_iters: int = 5
) -> tuple[list[LoopEvent], list[float], list[list[str]]]:
    """A select run with a tester; returns events, temperatures and prompt texts."""
    engine, temperatures = temperature_spy(replies)
    events = list(
        run_loop(
            TASK,
            make_pipeline("select", max_iters, tester_asserts=5),
            FakeProvider(engine),
            FakeSandbox(),
            run_id="r1",
        )
    )
    prompts = [[m.content for m in prompt] for prompt in engine.prompts]
    return events, temperatures, prompts


def of_type(events: list[LoopEvent], cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, cls)]


def test_parse_asserts_keeps_distinct_parsable_new_asserts() -> None:
    reply = (
        "```python\nassert add(1, 1) == 2\nassert add(1, 1) == 2\n"
        "assert add(2, 3) == 5\nassert add(1,\nprint(add(0, 0))\n"
        "  assert add(0, 0) == 0\nassert add(5, 5) == 10\n```"
    )
    assert parse_asserts(reply, TASK.visible_tests) == [
        "assert add(1, 1) == 2",
        "assert add(0, 0) == 0",
        "assert add(5, 5) == 10",
    ]
    assert parse_asserts(reply, TASK.visible_tests, limit=1) == [
        "assert add(1, 1) == 2"
    ]
    assert parse_asserts("no code here", TASK.visible_tests) == []


def test_the_tester_prompt_has_the_task_and_visible_test_only() -> None:
    system, user = assert_messages(TASK, 4)
    assert system.role == "system" and "Do not write the function" in system.content
    assert TASK.description in user.content
    assert TASK.visible_tests[0] in user.content
    assert "Write 4 more asserts for add" in user.content


def test_a_greedy_pass_is_kept_without_writing_asserts() -> None:
    events, _, prompts = run([GOOD])
    assert len(prompts) == 1
    assert not of_type(events, AssertWriterStarted) and not of_type(
        events, AssertsChecked
    )
    assert of_type(events, CandidateSelected)[0].candidate == 1


def test_a_sample_that_fails_the_extra_asserts_is_replaced() -> None:
    """HACK passes the visible test as a sample but fails both extra asserts;
    sampling goes on, and GOOD passes them all, so the run stops there."""
    events, temperatures, prompts = run([WRONG, HACK, ASSERTS, GOOD, WRONG])
    assert len(prompts) == 4  # greedy, sample, tester, sample; then stop
    tester_prompt = "\n".join(prompts[2])
    assert "a * b" not in tester_prompt  # the tester never sees a candidate
    assert TASK.description in tester_prompt
    assert temperatures[2] == 0.0 and temperatures[1] > 0 and temperatures[3] > 0
    written = of_type(events, AssertsWritten)
    assert len(written) == 1 and written[0].iteration == 2
    assert written[0].asserts == ("assert add(1, 1) == 2", "assert add(-4, 0) == -4")
    checked = of_type(events, AssertsChecked)
    assert [(e.iteration, e.passed, e.total) for e in checked] == [(2, 0, 2), (3, 2, 2)]
    selected = of_type(events, CandidateSelected)[0]
    assert selected.candidate == 3
    assert "passes 2 of the 2 extra asserts" in selected.reason
    assert selected.scores == (0.0, 0.0, 2.0)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.success
    assert final.first_pass_iteration == 2 and "return a + b\n" in final.final_code
    result = result_from_events(events)
    assert result["tester"]["asserts"] == list(written[0].asserts)
    assert result["iterations"][1]["extra_asserts"] == {"passed": 0, "total": 2}
    assert result["iterations"][0]["extra_asserts"] is None
    tokens, _ = role_usage(events)
    assert tokens["tester"] == written[0].tokens > 0


def test_at_the_budget_the_sample_passing_most_extra_asserts_is_kept() -> None:
    events, _, prompts = run([WRONG, HACK, ASSERTS, HALF, HACK], max_iters=4)
    assert len(prompts) == 5
    checked = of_type(events, AssertsChecked)
    assert [(e.iteration, e.passed) for e in checked] == [(2, 0), (3, 1), (4, 0)]
    selected = of_type(events, CandidateSelected)[0]
    assert selected.candidate == 3
    assert "most of the 3 samples" in selected.reason
    final = events[-1]
    assert isinstance(final, RunFinished) and "a >= 0" in final.final_code


def test_ties_keep_the_earliest_sample() -> None:
    events, _, _ = run([WRONG, HACK, ASSERTS, HACK], max_iters=3)
    assert of_type(events, CandidateSelected)[0].candidate == 2


def test_no_asserts_are_written_when_no_later_sample_could_compete() -> None:
    events, _, prompts = run([WRONG, GOOD], max_iters=2)
    assert len(prompts) == 2
    assert not of_type(events, AssertWriterStarted)
    assert of_type(events, CandidateSelected)[0].candidate == 2


def test_a_tester_reply_without_asserts_keeps_the_first_sample_pass() -> None:
    events, _, prompts = run([WRONG, HACK, "I cannot write tests.", GOOD])
    assert len(prompts) == 3  # no assert to vet with: stop, as select would
    assert of_type(events, AssertsWritten)[0].asserts == ()
    assert not of_type(events, AssertsChecked)
    selected = of_type(events, CandidateSelected)[0]
    assert selected.candidate == 2
    assert selected.reason == "first candidate to pass every visible test"


@pytest.mark.parametrize("budget", [3, 5])
def test_failing_samples_are_never_vetted(budget: int) -> None:
    events, _, _ = run([WRONG, WRONG, HACK, ASSERTS, WRONG, WRONG, WRONG], budget)
    assert [e.iteration for e in of_type(events, AssertsChecked)] == (
        [] if budget == 3 else [3]
    )

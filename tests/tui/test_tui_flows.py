"""Pilot tests of full flows through make_app with the scripted fake engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from textual.widgets import Select, Static, TextArea

from lsc_tui.errors import ModelError
from lsc_tui.events import (
    IterationStarted,
    LoopEvent,
    RunFinished,
    RunStarted,
    TokensGenerated,
)
from lsc_tui.runs.store import RunStore
from lsc_tui.settings import Settings
from lsc_tui.tui.app import LscApp, make_app
from lsc_tui.tui.messages import LoopEventPosted
from lsc_tui.tui.screens.error_modal import ErrorModal
from lsc_tui.tui.screens.history import HistoryScreen
from lsc_tui.tui.screens.new_task import NewTaskScreen
from lsc_tui.tui.widgets.code_view import CodeView
from lsc_tui.tui.widgets.verdict_banner import VerdictBanner
from tests.tui.tui_helpers import (
    ADD_TASK_DESCRIPTION,
    ADD_TASK_TESTS,
    make_session,
    three_stage_provider,
    wait_until,
)


def app_with(settings: Settings, session: Any) -> LscApp:
    """An app over ``session`` that records every posted loop event."""
    return make_app(settings, session=session, store=None)


def fill_typed_task(screen: NewTaskScreen, description: str, tests: str) -> None:
    """Put text in the New task form's text areas."""
    screen.query_one("#description", TextArea).load_text(description)
    screen.query_one("#tests", TextArea).load_text(tests)


def loop_events(messages: list[Any]) -> list[LoopEvent]:
    """The loop events among recorded messages."""
    return [m.event for m in messages if isinstance(m, LoopEventPosted)]


async def test_typed_task_runs_to_a_verdict(settings: Settings) -> None:
    """n, a task with tests, ctrl+s: code streams, iterations run, verdict shows."""
    app = app_with(settings, make_session(settings, three_stage_provider()))
    messages: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.dashboard.view.finished is not None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is app.dashboard
        view = app.dashboard.view
        assert [r.status for r in view.iterations] == [
            "syntax_error",
            "failed",
            "passed",
        ]
        events = loop_events(messages)
        assert isinstance(events[0], RunStarted)
        assert isinstance(events[-1], RunFinished)
        assert sum(isinstance(e, TokensGenerated) for e in events) > 3
        assert app.dashboard.query_one(CodeView).text.endswith("return a + b\n")
        banner = app.dashboard.query_one(VerdictBanner)
        assert banner.has_class("-passed")
        assert app.dashboard.mode == "finished"
        assert app.check_action("stop_run", ()) is None
        assert app.check_action("rerun", ()) is True


async def test_invalid_test_shows_inline_error_and_starts_nothing(
    settings: Settings,
) -> None:
    """A test that is not valid Python stays on the form with a one-line error."""
    app = app_with(settings, make_session(settings, three_stage_provider()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, "assert add_nums(1, 2 == 3")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        error = screen.query_one("#tests-error", Static)
        assert error.has_class("-shown")
        assert "assert add_nums(1, 2 == 3" in str(error.render())
        assert app.last_request is None
        assert not app.run_in_progress
        assert not app.dashboard.view.run_id


async def test_pipeline_and_max_iters_reach_the_run(settings: Settings) -> None:
    """The selected pipeline and iteration limit are what the session runs."""
    app = app_with(settings, make_session(settings, three_stage_provider()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        screen.query_one("#pipeline", Select).value = "three-stage"
        screen.query_one("#max-iters").value = "2"  # type: ignore[attr-defined]
        await pilot.click("#start")
        await wait_until(pilot, lambda: app.dashboard.view.is_over)
        assert app.last_request is not None
        assert app.last_request.max_iters == 2
        assert app.dashboard.view.max_iters == 2
        assert len(app.dashboard.view.iterations) == 2
        assert app.dashboard.view.finished is not None
        assert not app.dashboard.view.finished.success


async def test_stop_cancels_quickly_and_keeps_the_partial_run(
    settings: Settings,
) -> None:
    """s stops a gated run within a fraction of a second; no event follows the end."""
    gate = threading.Event()
    session = make_session(settings, three_stage_provider(gate=gate), record=True)
    app = app_with(settings, session)
    messages: list[Any] = []
    finished_at: list[float] = []

    def hook(message: Any) -> None:
        messages.append(message)
        if isinstance(message, LoopEventPosted) and isinstance(
            message.event, RunFinished
        ):
            finished_at.append(time.monotonic())

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: any(isinstance(e, IterationStarted) for e in loop_events(messages)),
        )
        assert app.run_in_progress
        assert app.check_action("stop_run", ()) is True
        pressed = time.monotonic()
        await pilot.press("s")
        await wait_until(pilot, lambda: app.dashboard.view.finished is not None, 5.0)
        # "A fraction of a second"; generous because CI machines can be saturated.
        assert finished_at[0] - pressed < 1.0
        await app.workers.wait_for_complete()
        await pilot.pause()
        finished = app.dashboard.view.finished
        assert finished is not None and finished.status == "cancelled"
        count = len(loop_events(messages))
        gate.set()
        await pilot.pause(0.2)
        assert len(loop_events(messages)) == count
        assert isinstance(loop_events(messages)[-1], RunFinished)
        assert app.dashboard.query_one(VerdictBanner).has_class("-cancelled")
        assert not app.run_in_progress
    store = RunStore(settings.paths.runs_db)
    try:
        runs = store.list_runs()
        assert len(runs) == 1
        assert runs[0].status == "cancelled"
        assert store.load_events(runs[0].run_id)
    finally:
        store.close()


async def test_rerun_starts_the_same_task_again(settings: Settings) -> None:
    """r re-runs the last task in a fresh run."""
    provider = three_stage_provider()
    app = app_with(settings, make_session(settings, provider))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.dashboard.view.finished is not None)
        first_run = app.dashboard.view.run_id
        for role in ("generator", "syntax_critic", "logic_critic"):
            provider._engine(role).enqueue(  # type: ignore[attr-defined]
                "```python\ndef add_nums(a, b):\n    return a + b\n```"
            )
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: (
                app.dashboard.view.run_id not in ("", first_run)
                and app.dashboard.view.finished is not None
            ),
        )
        assert app.dashboard.view.finished is not None
        assert app.dashboard.view.finished.first_attempt_passed


class RaisingSession:
    """A session whose run fails before any event, like a missing model."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def run(self, request: Any, cancel: threading.Event | None = None) -> Iterator[Any]:
        raise self.error


async def test_missing_model_notifies_and_the_app_stays_up(settings: Settings) -> None:
    """A ModelError becomes a notification naming the fix; no crash."""
    error = ModelError("model qwen is not installed: run `lsc models pull qwen`")
    app = app_with(settings, RaisingSession(error))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.dashboard.view.failed is not None)
        await pilot.pause()
        notes = list(app._notifications)
        assert any(
            n.title == "Model error" and "lsc models pull" in n.message for n in notes
        )
        banner = app.dashboard.query_one(VerdictBanner)
        assert banner.has_class("-error")
        assert "not installed" in str(banner.render())
        assert app.is_running


async def test_engine_crash_opens_a_copyable_modal(settings: Settings) -> None:
    """An unexpected exception shows an ErrorModal with the traceback."""
    app = app_with(settings, RaisingSession(RuntimeError("llama.cpp exploded")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        assert "RuntimeError: llama.cpp exploded" in modal.error_message
        assert "Traceback" in modal.details
        await pilot.press("escape")
        assert app.screen is app.dashboard
        assert app.is_running


async def test_history_opens_a_saved_run_read_only(settings: Settings) -> None:
    """h lists recorded runs; enter opens one read-only in the dashboard."""
    session = make_session(settings, three_stage_provider(), record=True)
    app = app_with(settings, session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        fill_typed_task(screen, ADD_TASK_DESCRIPTION, ADD_TASK_TESTS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.dashboard.view.finished is not None)
        await app.workers.wait_for_complete()
        run_id = app.dashboard.view.run_id
        await pilot.press("h")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert [s.run_id for s in history.summaries] == [run_id]
        assert history.summaries[0].status == "passed"
        await pilot.press("e")
        await pilot.pause()
        assert (settings.paths.data_dir / "exports" / f"run-{run_id}.jsonl").exists()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.dashboard.mode == "read-only"
        assert app.dashboard.view.run_id == run_id
        assert len(app.dashboard.view.iterations) == 3
        assert app.dashboard.query_one(CodeView).text.endswith("return a + b\n")


async def test_keymap_from_settings_rebinds_keys(settings: Settings) -> None:
    """settings.keymap remaps a binding id to another key."""
    remapped = settings.replace(keymap={"new_task": "ctrl+n"})
    app = app_with(remapped, make_session(remapped, three_stage_provider()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        assert app.screen is app.dashboard
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NewTaskScreen)


async def test_select_shows_the_kept_candidate_and_why(settings: Settings) -> None:
    """Consensus keeps candidate 2 over a greedy one that only fits the visible test.

    The timeline stars it, the dashboard shows its code, and the critic pane says
    why it was kept.
    """
    from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
    from lsc_tui.loop.session import RunRequest
    from tests.tui.tui_helpers import add_task

    fits_visible_only = (
        "```python\ndef add_nums(a, b):\n    return a + b if a < 2 else a * b\n```"
    )
    right = "```python\ndef add_nums(a, b):\n    return a + b\n```"
    also_right = "```python\ndef add_nums(a, b):\n    return b + a\n```"
    provider = FakeProvider(
        ScriptedEngine([fits_visible_only, right, also_right], model_id="fake")
    )
    app = app_with(settings, make_session(settings, provider))
    async with app.run_test(size=(120, 40)) as pilot:
        app.start_request(RunRequest(task=add_task(), pipeline="select-consensus"))
        await wait_until(pilot, lambda: app.dashboard.view.finished is not None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        dashboard = app.dashboard
        assert [r.status for r in dashboard.view.iterations] == ["passed"] * 3
        assert [r.kept for r in dashboard.view.iterations] == [False, True, False]
        assert dashboard.shown_number == 2
        assert dashboard.query_one(CodeView).text.endswith("return a + b\n")
        timeline = dashboard.query_one("#timeline")
        prompts = [
            str(timeline.get_option_at_index(i).prompt)  # type: ignore[attr-defined]
            for i in range(3)
        ]
        assert prompts[1].endswith("★") and not prompts[0].endswith("★")
        critic = str(dashboard.query_one("#critic-text", Static).render())
        assert "2 of 3 candidates passing the visible tests agree" in critic

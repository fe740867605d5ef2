"""Snapshot tests of the dashboard, Models and New task screens at two sizes.

State comes from replayed JSONL fixtures, the clock and RAM figure are fixed, the
theme is fixed and cursors do not blink, so the SVGs are deterministic.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, TextArea

from lsc_tui.settings import Settings
from lsc_tui.tui.app import LscApp, make_app
from lsc_tui.tui.screens.models import ModelsScreen
from lsc_tui.tui.screens.new_task import NewTaskScreen
from tests.tui.tui_helpers import (
    THREE_STAGE_LOG,
    THREE_STAGE_MIDRUN_LOG,
    FakeModelStore,
    make_session,
    three_stage_provider,
    tui_settings,
    wait_until,
)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture
def settings() -> Settings:
    """Fixed theme and pipeline under the per-test LSC_HOME."""
    return tui_settings(pipeline="three-stage")


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blinking cursors make snapshots flaky; keep them steady."""
    monkeypatch.setattr(Input, "cursor_blink", False)
    monkeypatch.setattr(TextArea, "cursor_blink", False)


@pytest.fixture(autouse=True)
def fixed_memory_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Models screen's "fits" column must not depend on this machine."""
    monkeypatch.setattr("lsc_tui.tui.screens.models.memory_budget", lambda: 6 * 1024**3)


def replay_app(settings: Settings, log: str) -> LscApp:
    """An app replaying ``log`` with a fixed clock and RAM figure."""
    return make_app(
        settings,
        replay=log,
        store=None,
        clock=lambda: 1000.0,
        memory_probe=lambda: 1_610_612_736,
    )


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_mid_run(snap_compare: Any, settings: Settings, size: Any) -> None:
    """Dashboard replaying a three-stage run mid-way through iteration 2."""
    app = replay_app(settings, str(THREE_STAGE_MIDRUN_LOG))
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_finished(snap_compare: Any, settings: Settings, size: Any) -> None:
    """Dashboard after a three-stage run passed at iteration 3, with the verdict."""
    app = replay_app(settings, str(THREE_STAGE_LOG))
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_syntax_error_iteration(
    snap_compare: Any, settings: Settings, size: Any
) -> None:
    """Iteration 1 selected: the compiler error and its marked line."""
    app = replay_app(settings, str(THREE_STAGE_LOG))
    assert snap_compare(
        app,
        terminal_size=size,
        press=["left_square_bracket", "left_square_bracket"],
    )


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_logic_failure_iteration(
    snap_compare: Any, settings: Settings, size: Any
) -> None:
    """Iteration 2 selected: its own code (same shape as iteration 3's), failing
    tests and the logic critic's reflection."""
    app = replay_app(settings, str(THREE_STAGE_LOG))
    assert snap_compare(app, terminal_size=size, press=["left_square_bracket"])


@pytest.mark.parametrize("size", SIZES)
def test_models_screen(snap_compare: Any, settings: Settings, size: Any) -> None:
    """Models screen on first start: the default offer and the recipe table."""
    app = make_app(
        settings,
        store=FakeModelStore(installed=["qwen2.5-coder-0.5b-instruct:q4_k_m"]),
        clock=lambda: 1000.0,
        memory_probe=lambda: 1_610_612_736,
    )

    async def run_before(pilot: Any) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_new_task_screen(snap_compare: Any, settings: Settings, size: Any) -> None:
    """New task screen with a typed description and two tests."""
    app = make_app(
        settings,
        session=make_session(settings, three_stage_provider()),
        store=None,
        clock=lambda: 1000.0,
        memory_probe=lambda: 1_610_612_736,
    )

    async def run_before(pilot: Any) -> None:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        screen.query_one("#description", TextArea).load_text(
            "Return the sum of a and b."
        )
        screen.query_one("#tests", TextArea).load_text(
            "assert add_nums(1, 2) == 3\nassert add_nums(0, 0) == 0"
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)

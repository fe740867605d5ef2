"""Pilot tests of the New task (MBPP), Models, Help and first-start screens."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from lsc_tui.errors import DownloadError
from lsc_tui.recipes.download import DownloadProgress
from lsc_tui.settings import Settings
from lsc_tui.tasks.datasets import import_datasets
from lsc_tui.tui.app import LscApp, make_app
from lsc_tui.tui.screens.help import HelpScreen
from lsc_tui.tui.screens.models import ModelsScreen
from lsc_tui.tui.screens.new_task import NewTaskScreen
from tests.conftest import MBPP_DIR
from tests.tui.tui_helpers import (
    FakeModelStore,
    make_session,
    three_stage_provider,
    wait_until,
)

GENERATOR_REF = "qwen2.5-coder-1.5b-instruct:q4_k_m"
SMALL_REF = "qwen2.5-coder-0.5b-instruct:q4_k_m"


def static_text(widget: Static | Label) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


async def test_mbpp_picker_previews_then_starts(settings: Settings) -> None:
    """t, a task number: the text and visible tests preview; enter starts it."""
    import_datasets(MBPP_DIR)
    app = make_app(
        settings, session=make_session(settings, three_stage_provider()), store=None
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, NewTaskScreen)
        assert screen.query_one("#mbpp-number", Input).has_focus
        await pilot.press("9", "9", "9", "9")
        await wait_until(
            pilot, lambda: "✘" in static_text(screen.query_one("#mbpp-preview", Static))
        )
        assert "9999" in static_text(screen.query_one("#mbpp-preview", Static))
        assert screen.mbpp_task is None
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press("1")
        await wait_until(pilot, lambda: screen.mbpp_task is not None)
        preview = static_text(screen.query_one("#mbpp-preview", Static))
        assert preview.startswith(
            "MBPP #1: Write a function to find the minimum cost path"
        )
        assert "assert min_cost(" in preview
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.dashboard.view.run_id != "")
        assert app.last_request is not None
        assert app.last_request.task.task_id == "mbpp/1"
        assert app.dashboard.view.task_id == "mbpp/1"


async def test_help_screen_lists_keys(settings: Settings) -> None:
    """? opens the key reference; escape closes it."""
    app = make_app(
        settings, session=make_session(settings, three_stage_provider()), store=None
    )
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is app.dashboard


def models_app(settings: Settings, store: FakeModelStore, downloader: Any) -> LscApp:
    """An app with no session given, so it checks for a generator at start."""
    return make_app(
        settings, store=store, downloader=downloader, memory_probe=lambda: 1 << 30
    )


async def test_first_start_opens_models_with_the_default_offer(
    settings: Settings,
) -> None:
    """No generator installed: the Models screen explains and offers the default."""
    store = FakeModelStore()
    app = models_app(settings, store, downloader=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        intro = static_text(screen.query_one("#models-intro", Static))
        assert "No generator model installed" in intro
        assert "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB" in intro
        assert "import" in intro.lower()
        assert screen.selected_ref() == GENERATOR_REF
        refs = [row.ref for row in screen.rows]
        assert SMALL_REF in refs
        table = screen.query_one(DataTable)
        assert table.row_count == len(screen.rows)


async def test_pull_shows_progress_then_installs(settings: Settings) -> None:
    """p pulls in a worker: bytes, speed and ETA show; the row becomes installed."""
    store = FakeModelStore()
    step = threading.Event()
    calls: list[str] = []

    def downloader(ref: str, progress: Any, cancel: threading.Event) -> Any:
        calls.append(ref)
        progress(DownloadProgress(ref, 250_000_000, 1_000_000_000, 5_000_000.0, 150.0))
        assert step.wait(5)
        progress(
            DownloadProgress(ref, 1_000_000_000, 1_000_000_000, 5_000_000.0, 0.0, True)
        )
        return store.add(ref)

    app = models_app(settings, store, downloader)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: screen.selected_ref() == GENERATOR_REF)
        await pilot.press("p")
        status = screen.query_one("#pull-status", Label)
        await wait_until(pilot, lambda: "250.0 MB" in static_text(status))
        text = static_text(status)
        assert "1.0 GB" in text and "5.0 MB/s" in text and "ETA 2m30s" in text
        assert screen.query_one(ProgressBar).percentage == 0.25
        assert screen.check_action("cancel_pull", ()) is True
        step.set()
        await wait_until(pilot, lambda: "installed" in static_text(status))
        await wait_until(
            pilot,
            lambda: any(r.ref == GENERATOR_REF and r.installed for r in screen.rows),
        )
        assert calls == [GENERATOR_REF]
        assert screen.pulling is None
        assert "Ready" in static_text(screen.query_one("#models-intro", Static))


async def test_failed_pull_shows_the_reason(settings: Settings) -> None:
    """A DownloadError shows inline and as a notification; the app stays up."""
    store = FakeModelStore()

    def downloader(ref: str, progress: Any, cancel: threading.Event) -> Any:
        raise DownloadError(
            "hub unreachable: connection refused; import a GGUF instead"
        )

    app = models_app(settings, store, downloader)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: screen.selected_ref() == GENERATOR_REF)
        await pilot.press("p")
        status = screen.query_one("#pull-status", Label)
        await wait_until(pilot, lambda: "failed" in static_text(status))
        assert "hub unreachable" in static_text(status)
        assert status.has_class("-failed")
        assert any(n.title == "Download error" for n in app._notifications)
        assert screen.pulling is None
        assert app.is_running


async def test_cancel_pull(settings: Settings) -> None:
    """x cancels a running download; the status says so."""
    store = FakeModelStore()

    def downloader(ref: str, progress: Any, cancel: threading.Event) -> Any:
        progress(DownloadProgress(ref, 10, 100, 1.0, 90.0))
        assert cancel.wait(5)
        raise DownloadError("download cancelled")

    app = models_app(settings, store, downloader)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: screen.selected_ref() == GENERATOR_REF)
        await pilot.press("p")
        status = screen.query_one("#pull-status", Label)
        await wait_until(pilot, lambda: "10 B" in static_text(status))
        await pilot.press("x")
        await wait_until(pilot, lambda: "cancelled" in static_text(status))
        assert screen.pulling is None


async def test_import_validates_then_imports(
    settings: Settings, tmp_path: Path
) -> None:
    """i asks for a path: a wrong path is refused inline, a .gguf is imported."""
    store = FakeModelStore()
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 60)
    app = models_app(settings, store, downloader=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        await pilot.press("i")
        path_input = screen.query_one("#import-path", Input)
        assert path_input.has_focus
        path_input.value = str(tmp_path / "missing.gguf")
        await pilot.press("enter")
        status = screen.query_one("#pull-status", Label)
        assert "does not exist" in static_text(status)
        assert store.imported == []
        path_input.value = str(gguf)
        screen.query_one("#import-ref", Input).value = SMALL_REF
        await pilot.press("enter")
        await wait_until(pilot, lambda: "imported" in static_text(status))
        assert store.imported == [(gguf, SMALL_REF)]
        await wait_until(
            pilot, lambda: any(r.ref == SMALL_REF and r.installed for r in screen.rows)
        )


async def test_assign_roles_and_remove(settings: Settings) -> None:
    """g/y/l assign the selected installed model; delete twice removes it."""
    store = FakeModelStore(installed=[SMALL_REF])
    app = models_app(settings, store, downloader=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        index = [r.ref for r in screen.rows].index(SMALL_REF)
        screen.query_one(DataTable).move_cursor(row=index)
        await pilot.pause()
        await pilot.press("g", "y", "l")
        assert app.roles == {
            "generator": SMALL_REF,
            "syntax_critic": SMALL_REF,
            "logic_critic": SMALL_REF,
        }
        await wait_until(
            pilot,
            lambda: (
                next(r for r in screen.rows if r.ref == SMALL_REF).roles
                == ("generator", "syntax_critic", "logic_critic")
            ),
        )
        await pilot.press("delete")
        assert store.removed == []
        await pilot.press("delete")
        assert store.removed == [SMALL_REF]
        assert app.roles["generator"] is None
        await wait_until(
            pilot,
            lambda: not next(r for r in screen.rows if r.ref == SMALL_REF).installed,
        )


async def test_open_with_mbpp_task_running(settings: Settings) -> None:
    """make_app(mbpp=N), as `lsc tui --mbpp N` does, starts task N at once."""
    import_datasets(MBPP_DIR)
    app = make_app(
        settings,
        session=make_session(settings, three_stage_provider()),
        store=None,
        mbpp=1,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.dashboard.view.task_id == "mbpp/1")
        assert app.last_request is not None
        assert app.last_request.task.source == "mbpp"
        assert app.dashboard.view.visible_tests[0].startswith("assert min_cost(")


async def test_replay_a_saved_run_by_id_prefix(settings: Settings) -> None:
    """make_app(replay=RUN_ID prefix) shows a recorded run from SQLite."""
    from lsc_tui.loop.session import RunRequest
    from tests.tui.tui_helpers import add_task

    session = make_session(settings, three_stage_provider(), record=True)
    events = list(session.run(RunRequest(task=add_task(), pipeline="three-stage")))
    run_id = events[0].run_id
    app = make_app(settings, replay=run_id[:6], store=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.dashboard.mode == "replay"
        assert app.dashboard.view.run_id == run_id
        assert len(app.dashboard.view.iterations) == 3


def test_cli_reports_an_unknown_replay_id(settings: Settings) -> None:
    """`lsc tui --replay nope` exits with a one-line message, no traceback."""
    from click.testing import CliRunner

    from lsc_tui.cli import cli

    result = CliRunner().invoke(cli, ["tui", "--replay", "nope"])
    assert result.exit_code == 2
    assert "run 'nope' is not in the history" in result.output
    assert "Traceback" not in result.output

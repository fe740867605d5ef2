"""Pilot tests of the Models screen: saved role choices and its palette commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable

from lsc_tui.paths import get_paths
from lsc_tui.settings import Settings, load_settings
from lsc_tui.tui.app import LscApp, make_app
from lsc_tui.tui.screens.models import ModelsScreen
from tests.tui.tui_helpers import FakeModelStore, wait_until

SMALL_REF = "qwen2.5-coder-0.5b-instruct:q4_k_m"
MODELS_TITLES = (
    "Pull model",
    "Cancel pull",
    "Import model",
    "Remove model",
    "Use as generator",
    "Use as syntax critic",
    "Use as logic critic",
)
DASHBOARD_TITLES = ("Previous iteration", "Next iteration", "Toggle diff")


def models_app(settings: Settings) -> LscApp:
    """An app that opens on the Models screen with one installed model."""
    return make_app(
        settings,
        store=FakeModelStore(installed=[SMALL_REF]),
        memory_probe=lambda: 1 << 30,
    )


async def open_on_small_model(app: LscApp, pilot: Any) -> ModelsScreen:
    """Wait for the Models screen and put the cursor on the installed model."""
    await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
    screen = app.screen
    assert isinstance(screen, ModelsScreen)
    await wait_until(pilot, lambda: bool(screen.rows))
    index = [row.ref for row in screen.rows].index(SMALL_REF)
    screen.query_one(DataTable).move_cursor(row=index)
    await pilot.pause()
    return screen


def palette_titles(app: LscApp) -> set[str]:
    """Titles of the app's palette commands for the active screen."""
    return {command.title for command in app.get_system_commands(app.screen)}


async def test_assigning_a_role_saves_it_for_the_next_start(
    settings: Settings, lsc_home: Path
) -> None:
    """g and y write the roles to config.toml under LSC_HOME; a new load sees them."""
    config_file = get_paths().config_file
    assert not config_file.exists()
    app = models_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_on_small_model(app, pilot)
        await pilot.press("g", "y")
        assert app.roles["generator"] == SMALL_REF
        assert app.roles["syntax_critic"] == SMALL_REF
        assert [n.title for n in app._notifications] == ["Role assigned"] * 2
    assert lsc_home in config_file.parents
    assert config_file.is_file()
    reloaded = load_settings()
    assert reloaded.generator == SMALL_REF
    assert reloaded.syntax_critic == SMALL_REF
    assert reloaded.logic_critic is None
    assert make_app(reloaded, store=FakeModelStore()).roles["generator"] == SMALL_REF


@pytest.fixture
def unwritable_config(settings: Settings, lsc_home: Path) -> None:
    """After settings are loaded, make the config directory a plain file."""
    lsc_home.mkdir(parents=True, exist_ok=True)
    (lsc_home / "config").write_text("a file, not a directory", encoding="utf-8")


@pytest.mark.usefixtures("unwritable_config")
async def test_unsaved_role_is_a_notification_and_still_applies(
    settings: Settings,
) -> None:
    """An unwritable config gives one error line; the session keeps the role."""
    app = models_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_on_small_model(app, pilot)
        await pilot.press("l")
        assert app.roles["logic_critic"] == SMALL_REF
        notes = list(app._notifications)
        assert [(n.title, n.severity) for n in notes] == [("Role not saved", "error")]
        assert "for this session only" in notes[0].message
        assert "\n" not in notes[0].message
        assert app.screen is screen
        await wait_until(
            pilot,
            lambda: (
                "logic_critic"
                in next(r for r in screen.rows if r.ref == SMALL_REF).roles
            ),
        )


async def test_palette_offers_models_actions_only_on_the_models_screen(
    settings: Settings,
) -> None:
    """Models actions are listed and runnable there; dashboard ones are not."""
    app = models_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_on_small_model(app, pilot)
        titles = palette_titles(app)
        assert set(MODELS_TITLES) <= titles
        assert not titles & set(DASHBOARD_TITLES)
        commands = {c.title: c for c in app.get_system_commands(screen)}
        await commands["Use as logic critic"].callback()
        assert app.roles["logic_critic"] == SMALL_REF
        assert load_settings().logic_critic == SMALL_REF
        await commands["Import model"].callback()
        assert screen.query_one("#import-row").has_class("-shown")
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.dashboard)
        titles = palette_titles(app)
        assert set(DASHBOARD_TITLES) <= titles
        assert not titles & set(MODELS_TITLES)


async def test_palette_runs_a_models_command_typed_by_name(
    settings: Settings,
) -> None:
    """ctrl+p, type the command, enter: the selected model becomes the generator."""
    app = models_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_on_small_model(app, pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Use as generator")
        results = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: results.highlighted == 0)
        best_hit = str(results.get_option_at_index(0).prompt)
        assert "Use as generator" in best_hit
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.roles["generator"] == SMALL_REF)
        assert app.screen is screen
    assert load_settings().generator == SMALL_REF

"""Fixtures for the TUI pilot tests."""

from __future__ import annotations

import pytest

from lsc_tui.settings import Settings
from tests.tui.tui_helpers import tui_settings


@pytest.fixture
def settings() -> Settings:
    """Settings under the per-test LSC_HOME, three-stage by default."""
    return tui_settings(pipeline="three-stage")

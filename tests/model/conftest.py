"""Fixtures shared by the real-model tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsc_tui.engine.base import ModelSpec
from lsc_tui.engine.llama import LlamaEngine
from tests.conftest import test_model_path


@pytest.fixture(scope="module")
def qwen_05b() -> Iterator[LlamaEngine]:
    """The real Qwen2.5-Coder-0.5B with a 4096-token context, one per test module."""
    spec = ModelSpec("qwen2.5-coder-0.5b", test_model_path("qwen2.5-coder-0.5b"), 4096)
    loaded = LlamaEngine(spec)
    yield loaded
    loaded.close()

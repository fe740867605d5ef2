"""Fixtures every test gets: an isolated LSC_HOME and no network beyond loopback."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
MBPP_DIR = SHARED / "data" / "mbpp"
TEST_MODELS_DIR = Path(
    os.environ.get("LSC_TEST_MODELS") or Path.home() / ".cache" / "lsc-test-models"
)
TEST_MODEL_FILES = {
    "smollm2-135m": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
}


def test_model_path(name: str) -> Path:
    """Path of a model fetched by ../shared/tools/fetch-test-models; fails if absent."""
    path = TEST_MODELS_DIR / TEST_MODEL_FILES[name]
    if not path.exists():
        pytest.fail(
            f"{path} is missing: run ../shared/tools/fetch-test-models {name} "
            "(`make test` does this)"
        )
    return path


test_model_path.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(autouse=True)
def lsc_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Relocate every lsc-tui path under a per-test temporary directory."""
    home = tmp_path / "lsc_home"
    monkeypatch.setenv("LSC_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    return home


_LOOPBACK_PREFIXES = ("127.", "::1", "localhost", "")


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host.startswith(_LOOPBACK_PREFIXES) or host == "0.0.0.0"
    return True  # unix sockets and other families are local


@pytest.fixture(autouse=True)
def block_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail any non-loopback connection loudly unless the test is marked network."""
    if request.node.get_closest_marker("network"):
        yield
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"network access blocked in tests: {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"network access blocked in tests: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture
def mbpp_cache(lsc_home: Path) -> Path:
    """Seed the per-test dataset cache from the shared MBPP files (sha256 checked)."""
    from lsc_tui.paths import get_paths
    from lsc_tui.tasks.datasets import import_datasets

    import_datasets(MBPP_DIR)
    return get_paths().datasets_dir

"""`lsc data import | pull | status` through the real click command group."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lsc_tui.cli import cli
from lsc_tui.paths import get_paths
from lsc_tui.tasks.datasets import MBPP_FILE, MBPP_PLUS_FILE, SANITIZED_FILE
from tests.conftest import MBPP_DIR


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["data", *args])


def test_status_before_import_exits_1_and_says_how_to_fix() -> None:
    result = run("status")
    assert result.exit_code == 1
    assert "mbpp.jsonl" in result.stdout
    assert "missing" in result.stdout
    assert "lsc data import DIR" in result.stderr


def test_import_then_status_json() -> None:
    imported = run("import", str(MBPP_DIR))
    assert imported.exit_code == 0, imported.output
    assert f"imported {MBPP_FILE} (sha256 ok)" in imported.stdout
    assert f"imported {MBPP_PLUS_FILE} (sha256 ok)" in imported.stdout

    result = run("status", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["ready"] is True
    assert payload["dir"] == str(get_paths().datasets_dir)
    files = {f["name"]: f for f in payload["files"]}
    assert set(files) == {MBPP_FILE, MBPP_PLUS_FILE, SANITIZED_FILE}
    assert all(f["ok"] and f["present"] for f in files.values())
    assert files[MBPP_FILE]["sha256"] == files[MBPP_FILE]["expected_sha256"]


def test_status_flags_a_mismatch(mbpp_cache: Path) -> None:
    (mbpp_cache / MBPP_PLUS_FILE).write_text("[]\n")
    result = run("status")
    assert result.exit_code == 1
    assert "sha256 MISMATCH" in result.stdout
    payload = json.loads(run("status", "--json").stdout)
    assert payload["ready"] is False


def test_import_with_bad_checksum_is_one_line_and_copies_nothing(
    tmp_path: Path,
) -> None:
    for name in (MBPP_FILE, MBPP_PLUS_FILE):
        shutil.copy(MBPP_DIR / name, tmp_path / name)
    (tmp_path / MBPP_FILE).write_bytes(b"tampered\n")
    result = run("import", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr.startswith("lsc: ")
    assert result.stderr.count("\n") == 1
    assert "sha256" in result.stderr
    assert not (get_paths().datasets_dir / MBPP_PLUS_FILE).exists()


def test_import_of_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "is not a directory" in result.stderr


def test_pull_offline_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSC_OFFLINE", "1")
    result = run("pull")
    assert result.exit_code == 3
    assert "offline" in result.stderr
    assert result.stderr.count("\n") == 1


def test_pull_without_pyarrow_points_to_import() -> None:
    try:
        import pyarrow  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyarrow is installed here")
    result = run("pull", "--mbpp-plus-url", "http://127.0.0.1:9/never-contacted")
    assert result.exit_code == 2
    assert "install pyarrow or use `lsc data import DIR`" in result.stderr


def test_prepare_computes_expected_outputs_once(mbpp_cache: Path) -> None:
    first = run("prepare", "2", "737")
    assert first.exit_code == 0, first.output
    assert "computed 2 task(s)" in first.stdout
    assert len(list((mbpp_cache / "expected").rglob("*.json"))) == 2
    again = run("prepare", "2", "737")
    assert again.exit_code == 0
    assert "computed 0 task(s)" in again.stdout
    status = run("status")
    assert "MBPP+ expected outputs cached for 2 of 378 tasks" in status.stdout
    assert json.loads(run("status", "--json").stdout)["expected_outputs_cached"] == 2


def test_prepare_rejects_tasks_outside_mbpp_plus(mbpp_cache: Path) -> None:
    result = run("prepare", "1")
    assert result.exit_code == 2
    assert "not MBPP+ v0.2.0 tasks: 1" in result.stderr

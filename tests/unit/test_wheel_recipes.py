"""The wheel ships the model recipes at lsc_tui/_recipes/ and the package finds them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lsc_tui.recipes.catalog import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_contains_every_recipe(tmp_path: Path) -> None:
    """`python -m build --wheel` puts every recipe under lsc_tui/_recipes/."""
    # Without hatchling in this environment, build fetches it into an isolated one.
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            *isolation,
            "--outdir",
            str(tmp_path / "dist"),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, (
        completed.stdout[-2000:] + completed.stderr[-2000:]
    )
    wheels = list((tmp_path / "dist").glob("lsc_tui-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        expected = {
            f"lsc_tui/_recipes/{path.name}"
            for path in (REPO_ROOT / "gguf_recipes").glob("*.toml")
        }
        assert expected, "no recipes in the checkout"
        assert expected <= names
        wheel.extractall(tmp_path / "site")
    # The unpacked wheel's catalog loads from its own _recipes folder.
    packaged = tmp_path / "site" / "lsc_tui" / "_recipes"
    catalog = load_catalog(packaged)
    assert catalog.ids() == load_catalog().ids()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from lsc_tui.recipes.catalog import recipes_dir; print(recipes_dir())",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == packaged

"""The core never imports Textual, and headless commands never need it."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "lsc_tui.events",
    "lsc_tui.settings",
    "lsc_tui.paths",
    "lsc_tui.loop.runner",
    "lsc_tui.loop.session",
    "lsc_tui.runs.store",
    "lsc_tui.sandbox",
    "lsc_tui.tasks.mbpp",
    "lsc_tui.recipes.store",
    "lsc_tui.hardware",
    "lsc_tui.engine.pool",
    "lsc_tui.cli.run_cmd",
    "lsc_tui.cli.check",
    "lsc_tui.cli.models",
    "lsc_tui.cli.runs",
    "lsc_tui.cli.bench",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual_or_llama(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = [m for m in ('textual', 'llama_cpp') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{module} imported {out}"


def test_help_is_fast_and_headless() -> None:
    code = (
        "import sys\nfrom lsc_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "solve" in proc.stdout and "mbpp" in proc.stdout
    assert proc.stderr.strip().endswith("False")

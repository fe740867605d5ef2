"""End-to-end: drive the real `lsc` in tmux, with the fake engine and a real model."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import test_model_path as model_path
from tests.e2e.tmux_driver import (
    PYTHON,
    ROOT,
    TmuxSession,
    tmux_available,
    type_task,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed"),
]

REAL_REF = "qwen2.5-coder-0.5b-instruct:q4_k_m"
TASK = (
    "Write a function is_palindrome(s) that returns True if s reads the same backwards."
)
TESTS = ("assert is_palindrome('abba') == True", "assert is_palindrome('abc') == False")


@pytest.fixture
def tmux() -> Iterator[TmuxSession]:
    """A tmux session that is always killed."""
    session = TmuxSession(width=120, height=36)
    try:
        yield session
    finally:
        session.kill()


def lsc_env(home: Path) -> dict[str, str]:
    """The environment for a real `lsc` under a temporary LSC_HOME."""
    return {
        "LSC_HOME": str(home),
        "TEXTUAL_ANIMATIONS": "none",
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
    }


def quit_app(tmux: TmuxSession) -> None:
    """Press q and wait for the program to exit."""
    tmux.send("q")
    deadline = time.monotonic() + 20
    while not tmux.pane_dead():
        assert time.monotonic() < deadline, "lsc did not exit after q"
        time.sleep(0.2)


def save_capture(name: str, screen: str, fallback: Path) -> None:
    """Keep a capture for the closing note (LSC_E2E_CAPTURES names a folder)."""
    folder = Path(os.environ.get("LSC_E2E_CAPTURES") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(screen, encoding="utf-8")


def test_fake_engine_run_history_and_quit(tmux: TmuxSession, tmp_path: Path) -> None:
    """A scripted three-stage run: iterations, verdict, history, then quit."""
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "generator": [
                    "```python\ndef is_palindrome(s)\n    return s == s[::-1]\n```",
                    "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```",
                ],
                "syntax_critic": ["Add a colon after the parameter list."],
                "logic_critic": ["unused"],
                "seconds_per_chunk": 0.01,
            }
        )
    )
    home = tmp_path / "home"
    tmux.start(
        [
            str(PYTHON),
            "-m",
            "lsc_tui",
            "tui",
            "--pipeline",
            "three-stage",
            "--engine",
            f"fake:{script}",
        ],
        lsc_env(home),
    )
    tmux.wait_for(lambda s: "New task" in s, 30, "the dashboard footer")
    type_task(tmux, TASK, TESTS)
    screen = tmux.wait_for(
        lambda s: "PASSED visible tests" in s, 60, "the passed verdict"
    )
    save_capture("fake-end", screen, tmp_path)
    assert "⚠ 1 syntax" in screen
    assert "✔ 2 2/2" in screen
    assert "def is_palindrome(s):" in screen
    tmux.send("[")
    screen = tmux.wait_for(lambda s: "SyntaxError" in s, 10, "iteration 1's error")
    assert "error line 1" in screen
    tmux.send("h")
    screen = tmux.wait_for(
        lambda s: "three-stage" in s and "passed" in s, 10, "history"
    )
    tmux.send("Escape")
    quit_app(tmux)


def test_fake_engine_stop_keeps_partial_run(tmux: TmuxSession, tmp_path: Path) -> None:
    """s stops a slow scripted run; the banner says the partial run was kept."""
    script = tmp_path / "slow.json"
    script.write_text(
        json.dumps(
            {
                "replies": ["```python\n" + "x = 1\n" * 400 + "```"],
                "seconds_per_chunk": 0.05,
            }
        )
    )
    tmux.start(
        [
            str(PYTHON),
            "-m",
            "lsc_tui",
            "tui",
            "--pipeline",
            "one-shot",
            "--engine",
            f"fake:{script}",
        ],
        lsc_env(tmp_path / "home"),
    )
    tmux.wait_for(lambda s: "New task" in s, 30, "the dashboard footer")
    type_task(tmux, "Set x to one.", ("assert x == 1",))
    tmux.wait_for(lambda s: "x = 1" in s and "running" in s, 30, "streaming code")
    tmux.send("s")
    screen = tmux.wait_for(lambda s: "Stopped" in s, 10, "the stopped banner")
    assert "partial run kept" in screen
    quit_app(tmux)


@pytest.mark.model
@pytest.mark.timeout(1200)
def test_real_model_typed_task(tmux: TmuxSession, tmp_path: Path) -> None:
    """The real qwen2.5-coder-0.5b in a temp LSC_HOME: code streams, a verdict shows."""
    model = model_path("qwen2.5-coder-0.5b")
    home = tmp_path / "home"
    env = {**os.environ, **lsc_env(home)}
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "lsc_tui",
            "models",
            "import",
            str(model),
            "--as",
            REAL_REF,
        ],
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    tmux.start(
        [
            str(PYTHON),
            "-m",
            "lsc_tui",
            "tui",
            "--pipeline",
            "three-stage",
            "--max-iters",
            "2",
            "--generator",
            REAL_REF,
            "--syntax-critic",
            REAL_REF,
            "--logic-critic",
            REAL_REF,
        ],
        lsc_env(home),
    )
    tmux.wait_for(lambda s: "New task" in s, 60, "the dashboard")
    type_task(tmux, TASK, TESTS)
    screen = tmux.wait_for(
        lambda s: "def is_palindrome" in s and "running" in s, 600, "streamed code"
    )
    save_capture("real-mid-run", screen, tmp_path)
    screen = tmux.wait_for(
        lambda s: "visible tests" in s or " ✘ " in s or "error:" in s.lower(),
        900,
        "a verdict",
    )
    save_capture("real-end", screen, tmp_path)
    assert "PASSED visible tests" in screen or "FAILED visible tests" in screen
    assert "✔ 1" in screen or "✘ 1" in screen or "⚠ 1" in screen
    quit_app(tmux)
    # The run was recorded with the real model in every role.
    env = {**os.environ, **lsc_env(home)}
    listed = subprocess.run(
        [str(PYTHON), "-m", "lsc_tui", "runs", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    run_id = json.loads(listed.stdout.splitlines()[0])["run_id"]
    shown = subprocess.run(
        [str(PYTHON), "-m", "lsc_tui", "runs", "show", run_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(shown.stdout)
    assert result["models"]["generator"] == REAL_REF
    assert result["iterations"][0]["gen_tokens"] > 0

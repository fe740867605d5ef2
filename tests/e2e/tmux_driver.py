"""A small driver for a program running in a detached tmux session of fixed size."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"


def tmux_available() -> bool:
    """Whether the tmux binary is on PATH."""
    return shutil.which("tmux") is not None


PATIENCE = 4.0
"""Factor applied to every wait; waits end early once the screen matches."""


class TmuxSession:
    """Start a command in tmux, send keys, poll the screen; always kill it."""

    def __init__(self, width: int = 120, height: int = 36) -> None:
        self.name = f"lsc-e2e-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height

    def start(self, argv: list[str], env: Mapping[str, str]) -> None:
        """Run ``argv`` with ``env`` in a new detached session."""
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.join(argv)}"
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(self.width),
                "-y",
                str(self.height),
                command,
            ],
            check=True,
        )
        subprocess.run(
            ["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"],
            check=False,
        )
        # A detached session can fall back to the server's default 80x24; pin it.
        subprocess.run(
            [
                "tmux",
                "resize-window",
                "-t",
                self.name,
                "-x",
                str(self.width),
                "-y",
                str(self.height),
            ],
            check=False,
        )

    def capture(self) -> str:
        """The visible screen as plain text."""
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout

    def send(self, *keys: str, literal: bool = False, pause_s: float = 0.3) -> None:
        """Send tmux key names (or literal text), then give the app a moment."""
        args = ["tmux", "send-keys", "-t", self.name]
        if literal:
            args.append("-l")
        subprocess.run([*args, *keys], check=True)
        time.sleep(pause_s)

    def wait_for(
        self,
        predicate: Callable[[str], bool],
        within_s: float,
        what: str,
        *,
        poll_s: float = 0.2,
    ) -> str:
        """Poll the screen until ``predicate(screen)``; fail with the last screen.

        ``within_s`` is the wait on an idle machine; it is stretched by PATIENCE
        because a saturated 2-core CI box can take many times longer to start
        Python and Textual. A fast pass returns as soon as the text appears.
        Each poll runs a tmux client; benchmarks poll less often (``poll_s``).
        """
        deadline = time.monotonic() + within_s * PATIENCE
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if predicate(screen):
                return screen
            time.sleep(poll_s)
        raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")

    def pane_dead(self) -> bool:
        """Whether the program in the pane has exited."""
        result = subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.name, "#{pane_dead}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() == "1"

    def kill(self) -> None:
        """Kill the session (idempotent)."""
        subprocess.run(
            ["tmux", "kill-session", "-t", self.name],
            capture_output=True,
            check=False,
        )


def type_task(tmux: TmuxSession, description: str, tests: tuple[str, ...]) -> None:
    """Open New task, type the description and tests, and start."""
    tmux.send("n", pause_s=0.3)
    tmux.wait_for(lambda s: "Description" in s, 20, "the New task screen")
    # Keys sent in one burst can be read as a paste; let each part land first.
    tmux.send(description, literal=True)
    # The text area soft-wraps, so wait for the last word rather than a phrase.
    last_word = description.split()[-1]
    tmux.wait_for(lambda s: last_word in s, 10, "the description")
    tmux.send("Tab")
    for number, test in enumerate(tests):
        if number:
            tmux.send("Enter")
        tmux.send(test, literal=True)
        tmux.wait_for(lambda s, test=test: test in s, 10, "a typed test")
    tmux.send("C-s")

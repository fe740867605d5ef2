"""Shared helpers for TUI tests: a scripted session, a fixed clock, fake stores."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
from lsc_tui.events import LoopEvent
from lsc_tui.settings import Settings, load_settings
from lsc_tui.tasks.model import Task
from lsc_tui.tasks.typed import typed_task
from tests.unit.loop_fakes import FakeSandbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
THREE_STAGE_LOG = FIXTURES / "tui_three_stage_run.jsonl"
THREE_STAGE_MIDRUN_LOG = FIXTURES / "tui_three_stage_midrun.jsonl"

ADD_TASK_DESCRIPTION = (
    "Write a function add_nums(a, b) that returns the sum of a and b."
)
ADD_TASK_TESTS = (
    "assert add_nums(1, 2) == 3\n"
    "assert add_nums(-1, 1) == 0\n"
    "assert add_nums(0, 0) == 0"
)
SYNTAX_ERROR_REPLY = "```python\ndef add_nums(a, b)\n    return a + b\n```"
WRONG_REPLY = "```python\ndef add_nums(a, b):\n    return a - b\n```"
RIGHT_REPLY = "```python\ndef add_nums(a, b):\n    return a + b\n```"
SYNTAX_CRITIC_REPLY = "The def line lacks a colon. Add ':' after the parameters."
LOGIC_CRITIC_REPLY = "The function subtracts; it must add a and b. Use a + b."


class StepClock:
    """A clock that advances a fixed step on every reading (deterministic ``at``)."""

    def __init__(self, step: float = 0.05) -> None:
        self.now = 0.0
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now = round(self.now + self.step, 6)
            return self.now


def add_task() -> Task:
    """The typed task the fixtures and flows use."""
    return typed_task(ADD_TASK_DESCRIPTION, (ADD_TASK_TESTS,))


def three_stage_provider(
    *, seconds_per_chunk: float = 0.0, gate: threading.Event | None = None
) -> FakeProvider:
    """Syntax error, then a wrong answer, then the right one, with both critics."""
    return FakeProvider(
        {
            "generator": ScriptedEngine(
                [SYNTAX_ERROR_REPLY, WRONG_REPLY, RIGHT_REPLY],
                model_id="fake-generator",
                seconds_per_chunk=seconds_per_chunk,
                gate=gate,
            ),
            "syntax_critic": ScriptedEngine(
                [SYNTAX_CRITIC_REPLY], model_id="fake-syntax-critic"
            ),
            "logic_critic": ScriptedEngine(
                [LOGIC_CRITIC_REPLY], model_id="fake-logic-critic"
            ),
        }
    )


def make_session(
    settings: Settings,
    provider: FakeProvider,
    *,
    record: bool = False,
    clock: Callable[[], float] | None = None,
) -> Any:
    """A real Session over the fake provider and the fake sandbox."""
    from lsc_tui.loop.session import Session

    return Session(
        settings,
        provider=provider,
        sandbox=FakeSandbox(),
        record=record,
        clock=clock or StepClock(),
    )


def tui_settings(**changes: Any) -> Settings:
    """Settings from the (per-test) LSC_HOME with a fixed theme."""
    return load_settings(env={"LSC_HOME": _lsc_home()}).replace(
        theme="textual-dark", **changes
    )


def _lsc_home() -> str:
    import os

    return os.environ["LSC_HOME"]


def three_stage_events() -> list[LoopEvent]:
    """Run the scripted three-stage task once and collect its events."""
    from lsc_tui.loop.session import RunRequest

    session = make_session(tui_settings(), three_stage_provider())
    request = RunRequest(task=add_task(), pipeline="three-stage")
    return list(session.run(request))


async def wait_until(
    pilot: Any, predicate: Callable[[], bool], within_s: float = 10.0
) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``within_s`` seconds."""
    import time

    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s}s")
        await pilot.pause(0.02)


class FakeModel:
    """An installed model as the store describes it."""

    def __init__(self, ref: str, size_bytes: int = 1000) -> None:
        self.ref = ref
        self.model_id, self.quant = ref.split(":", 1)
        self.size_bytes = size_bytes
        self.present = True
        self.path = Path("/models") / f"{self.model_id}.gguf"


class FakeModelStore:
    """The ModelStore surface the Models screen uses, over the real catalog."""

    def __init__(self, installed: Sequence[str] = ()) -> None:
        from lsc_tui.recipes.catalog import load_catalog

        self.catalog = load_catalog()
        self.models = {ref: FakeModel(ref) for ref in installed}
        self.imported: list[tuple[Path, str]] = []
        self.removed: list[str] = []

    def installed(self) -> list[FakeModel]:
        """Installed models by ref."""
        return [self.models[ref] for ref in sorted(self.models)]

    def find(self, ref: str) -> FakeModel | None:
        """The installed model named ``ref`` (quant-less refs match the recipe)."""
        if ref in self.models:
            return self.models[ref]
        return next((m for m in self.models.values() if m.model_id == ref), None)

    def import_file(self, path: Path, as_ref: str) -> FakeModel:
        """Register ``path`` as ``as_ref``."""
        self.imported.append((path, as_ref))
        self.models[as_ref] = FakeModel(as_ref, path.stat().st_size)
        return self.models[as_ref]

    def remove(self, ref: str) -> None:
        """Forget ``ref``."""
        self.removed.append(ref)
        del self.models[ref]

    def add(self, ref: str) -> FakeModel:
        """Mark ``ref`` installed (what a finished pull does)."""
        self.models[ref] = FakeModel(ref)
        return self.models[ref]

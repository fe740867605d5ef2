"""Test doubles for loop tests: a pipeline factory and an in-process fake sandbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from lsc_tui.engine.base import (
    ChatMessage,
    GenerationStats,
    SampleDone,
    SamplingParams,
)
from lsc_tui.engine.fake import ScriptedEngine
from lsc_tui.loop.pipelines import Pipeline, RoleConfig
from lsc_tui.sandbox import CallOutcome
from lsc_tui.sandbox.result import CheckResult, CompileError, TestResult
from lsc_tui.tasks.model import HiddenSuite, Task

TASK = Task(
    "typed-1",
    "Write add(a, b) returning the sum.",
    ("assert add(2, 3) == 5",),
    entry_point="add",
    hidden=HiddenSuite(asserts=("assert add(-1, 1) == 0",)),
)
"""The scripted replies below all answer this task."""
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
GOOD_TOO = "```python\ndef add(a, b):\n    return b + a\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
BROKEN = "```python\ndef add(a, b)\n    return a + b\n```"
HACK = "```python\ndef add(a, b):\n    return a + b if a == 2 else a * b\n```"
"""Passes the visible test only: 2 + 3 by luck, a * b elsewhere."""
ASSERTS = (
    "Here are the tests:\n```python\nassert add(1, 1) == 2\n"
    "assert add(-4, 0) == -4\nassert add(2, 3) == 5\n```"
)
"""A tester reply: two new asserts (the third repeats the visible test)."""


def make_pipeline(
    kind: str,
    max_iters: int = 3,
    consensus_support: int = 0,
    tester_asserts: int = 0,
    sample_batch: int = 1,
    edge_repair: int = 0,
    plan_samples: int = 0,
    concise_samples: bool = False,
    concise_repairs: bool = False,
) -> Pipeline:
    """A pipeline of ``kind`` with every role it needs served by model 'fake'."""
    roles = {"generator": RoleConfig("fake", sampling=SamplingParams(max_tokens=64))}
    if kind in ("two-stage", "three-stage"):
        roles["syntax_critic"] = RoleConfig("fake")
    if kind == "three-stage":
        roles["logic_critic"] = RoleConfig("fake")
    return Pipeline(
        kind,
        kind,
        kind,  # type: ignore[arg-type]
        max_iters,
        roles,
        consensus_support=consensus_support,
        tester_asserts=tester_asserts,
        sample_batch=sample_batch,
        edge_repair=edge_repair,
        plan_samples=plan_samples,
        concise_samples=concise_samples,
        concise_repairs=concise_repairs,
    )


class FakeSandbox:
    """Compiles with compile() and runs asserts with exec(): only for scripted code.

    The real sandbox has its own tests; this fake keeps loop tests fast and exact.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.batches: list[tuple[str, list[tuple[Any, ...]]]] = []

    def check_syntax(self, code: str) -> CompileError | None:
        try:
            compile(code, "<candidate>", "exec")
        except SyntaxError as exc:
            return CompileError(
                type(exc).__name__, exc.msg, exc.lineno, exc.offset, exc.text or ""
            )
        return None

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult:
        self.calls.append((code, tuple(tests)))
        results = []
        for test in tests:
            namespace: dict[str, object] = {}
            try:
                exec(code + "\n" + setup, namespace)
                exec(test, namespace)
            except AssertionError:
                results.append(TestResult(test, "failed", "assertion failed"))
            except Exception as exc:
                results.append(
                    TestResult(test, "error", f"{type(exc).__name__}: {exc}")
                )
            else:
                results.append(TestResult(test, "passed"))
        ok = all(r.status == "passed" for r in results) and results
        return CheckResult("passed" if ok else "failed", None, tuple(results))

    def call_batch(
        self,
        code: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        setup: str = "",
        per_call_timeout_s: float | None = None,
        total_timeout_s: float | None = None,
    ) -> list[CallOutcome]:
        self.batches.append((code, [tuple(args) for args in inputs]))
        namespace: dict[str, Any] = {}
        exec(code + "\n" + setup, namespace)
        outcomes = []
        for args in inputs:
            try:
                outcomes.append(CallOutcome("ok", namespace[entry_point](*args)))
            except Exception as exc:
                outcomes.append(
                    CallOutcome("error", None, f"{type(exc).__name__}: {exc}")
                )
        return outcomes


def temperature_spy(replies: list[str]) -> tuple[ScriptedEngine, list[float]]:
    """A scripted engine that also records the temperature of every generation."""
    engine = ScriptedEngine(replies)
    temperatures: list[float] = []
    original = engine.stream

    def spy(messages, params, cancel=None):  # type: ignore[no-untyped-def]
        temperatures.append(params.temperature)
        return original(messages, params, cancel)

    engine.stream = spy  # type: ignore[method-assign]
    return engine, temperatures


class BatchingEngine(ScriptedEngine):
    """A scripted engine that also serves ``stream_samples``: each sample takes the
    next queued reply, and their pieces come interleaved, as a real batch's do."""

    def __init__(self, replies: Sequence[str]) -> None:
        super().__init__(replies)
        self.batches: list[list[SamplingParams]] = []
        self.cut: list[int] = []
        """The samples of the last batch that ``done`` stopped before they ended."""
        self._sample_stats: list[GenerationStats] = []

    @property
    def last_sample_stats(self) -> list[GenerationStats]:
        return list(self._sample_stats)

    def stream_samples(
        self,
        messages: Sequence[ChatMessage],
        params: Sequence[SamplingParams],
        cancel: threading.Event | None = None,
        done: SampleDone | None = None,
    ) -> Iterator[tuple[int, str]]:
        """One piece of each sample still going per step; after a step, ``done``
        hears of the samples that ended in it and may stop the batch there."""
        self.batches.append(list(params))
        streams = [list(self.stream(messages, p, cancel)) for p in params]
        sent: list[list[str]] = [[] for _ in streams]
        stopped = False
        for step in range(max(len(pieces) for pieces in streams)):
            for index, pieces in enumerate(streams):
                if step < len(pieces):
                    sent[index].append(pieces[step])
                    yield index, pieces[step]
            ended = [i for i, pieces in enumerate(streams) if len(pieces) == step + 1]
            if done is not None and any([done(i, "".join(sent[i])) for i in ended]):
                stopped = True
                break
        self.cut = [i for i, pieces in enumerate(streams) if len(sent[i]) < len(pieces)]
        self._sample_stats = [
            GenerationStats(
                10,
                0,
                self.count_tokens("".join(text)),
                0.0,
                0.5,
                "cancelled" if stopped and i in self.cut else "stop",
            )
            for i, text in enumerate(sent)
        ]

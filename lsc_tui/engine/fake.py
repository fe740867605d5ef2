"""A scripted engine for tests and demos: replies are queued, not generated.

Like llm's ``MockModel.enqueue``: each ``stream`` call pops the next scripted reply and
yields it in small pieces, optionally paced, and can block on a gate until released
so that tests can cancel mid-generation deterministically. ``ReplayThenReal``
replays a bench record's candidates before handing over to a real engine, and
``BatchingReplay`` does so for records whose samples were drawn in batches.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lsc_tui.engine.base import (
    ChatMessage,
    Engine,
    GenerationStats,
    SampleBatchEngine,
    SampleDone,
    SamplingParams,
)
from lsc_tui.errors import ConfigError, EngineError


class ScriptedEngine:
    """An Engine whose replies come from a queue."""

    def __init__(
        self,
        replies: Iterable[str] = (),
        *,
        model_id: str = "fake",
        chunk_chars: int = 4,
        seconds_per_chunk: float = 0.0,
        gate: threading.Event | None = None,
        n_ctx: int = 4096,
    ) -> None:
        self._replies: deque[str] = deque(replies)
        self._model_id = model_id
        self._chunk_chars = chunk_chars
        self._seconds_per_chunk = seconds_per_chunk
        self._gate = gate
        self._n_ctx = n_ctx
        self._last_stats: GenerationStats | None = None
        self.prompts: list[list[ChatMessage]] = []
        """Every conversation the engine was asked to continue, for assertions."""

    def enqueue(self, *replies: str) -> None:
        """Queue more replies."""
        self._replies.extend(replies)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def last_stats(self) -> GenerationStats | None:
        return self._last_stats

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4) if text else 0

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        if not self._replies:
            raise EngineError("the scripted engine has no reply left for this call")
        reply = self._replies.popleft()
        for stop in params.stop:
            if stop and stop in reply:
                reply = reply[: reply.index(stop)]
        produced = ""
        finish = "stop"
        started = time.perf_counter()
        try:
            for start in range(0, len(reply), self._chunk_chars):
                if self._gate is not None:
                    while not self._gate.wait(0.01):
                        if cancel is not None and cancel.is_set():
                            break
                if cancel is not None and cancel.is_set():
                    finish = "cancelled"
                    return
                if self._seconds_per_chunk:
                    time.sleep(self._seconds_per_chunk)
                piece = reply[start : start + self._chunk_chars]
                produced += piece
                yield piece
        finally:
            prompt_text = "".join(m.content for m in messages)
            self._last_stats = GenerationStats(
                prompt_tokens=self.count_tokens(prompt_text),
                cached_tokens=0,
                completion_tokens=self.count_tokens(produced),
                prompt_seconds=0.0,
                gen_seconds=time.perf_counter() - started,
                finish_reason=finish,  # type: ignore[arg-type]
            )

    def close(self) -> None:
        self._replies.clear()


class ReplayThenReal:
    """Streams recorded replies first, then generates with the real engine.

    ``recorded`` holds bench-record iterations (``code``, ``gen_tokens``...): each
    is replayed as a fenced reply with its recorded stats. Used by
    ``benchmarks/bench_sample_budget.py`` and the real-model loop tests."""

    def __init__(self, engine: Engine, recorded: Sequence[Mapping[str, Any]]) -> None:
        self.engine = engine
        self.recorded = list(recorded)
        self._stats: GenerationStats | None = None

    @property
    def model_id(self) -> str:
        return self.engine.model_id

    @property
    def n_ctx(self) -> int:
        return self.engine.n_ctx

    @property
    def last_stats(self) -> GenerationStats | None:
        return self._stats

    def _replay(self) -> tuple[str, GenerationStats]:
        """The next recorded candidate as a fenced reply, with its recorded stats."""
        it = self.recorded.pop(0)
        stats = GenerationStats(
            prompt_tokens=int(it.get("prompt_tokens", 0)),
            cached_tokens=int(it.get("cached_tokens", 0)),
            completion_tokens=int(it.get("gen_tokens", 0)),
            prompt_seconds=0.0,
            gen_seconds=float(it.get("gen_seconds", 0.0)),
            finish_reason="stop",
        )
        code = str(it["code"]).rstrip("\n") + "\n"
        return f"```python\n{code}```", stats

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        if self.recorded:
            text, self._stats = self._replay()
            yield text
            return
        yield from self.engine.stream(messages, params, cancel)
        self._stats = self.engine.last_stats

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def close(self) -> None:
        self.engine.close()


class BatchingReplay(ReplayThenReal):
    """``ReplayThenReal`` for records whose samples were drawn in batches
    (``[sampling] batch``): a batch of samples replays as many recorded candidates,
    and once they run out the real engine draws its batches side by side, as a
    run of the recipe would. ``ReplayThenReal`` itself samples one by one, as the
    records made before batching did."""

    def __init__(self, engine: Engine, recorded: Sequence[Mapping[str, Any]]) -> None:
        if not isinstance(engine, SampleBatchEngine):
            raise ConfigError(f"{engine.model_id} cannot draw samples in batches")
        super().__init__(engine, recorded)
        self.batcher: SampleBatchEngine = engine
        self._sample_stats: list[GenerationStats] = []

    @property
    def last_sample_stats(self) -> list[GenerationStats]:
        return self._sample_stats

    def stream_samples(
        self,
        messages: Sequence[ChatMessage],
        params: Sequence[SamplingParams],
        cancel: threading.Event | None = None,
        done: SampleDone | None = None,
    ) -> Iterator[tuple[int, str]]:
        if not self.recorded:
            yield from self.batcher.stream_samples(messages, params, cancel, done)
            self._sample_stats = self.batcher.last_sample_stats
            return
        if len(self.recorded) < len(params):
            raise ConfigError(
                f"{len(self.recorded)} recorded candidates left for a batch of "
                f"{len(params)}: replay a number that ends on a batch"
            )
        replies = [self._replay() for _ in params]
        self._sample_stats = [stats for _, stats in replies]
        for index, (text, _) in enumerate(replies):
            yield index, text


class FakeProvider:
    """An EngineProvider serving given engines per role (one shared by default):
    scripted ones in tests, a replaying one in benchmarks/bench_sample_budget.py."""

    def __init__(self, engines: dict[str, Engine] | Engine) -> None:
        self._engines = engines
        self.loaded: set[str] = set()

    def _engine(self, role: str) -> Engine:
        if isinstance(self._engines, dict):
            return self._engines.get(role) or self._engines["generator"]
        return self._engines

    def model_id(self, role: str) -> str:
        return self._engine(role).model_id

    def is_loaded(self, role: str) -> bool:
        return role in self.loaded

    def get(self, role: str) -> Engine:
        self.loaded.add(role)
        return self._engine(role)


def load_script(path: Path) -> FakeProvider:
    """Build a provider from a JSON script.

    The script is ``{"replies": [...], "seconds_per_chunk": 0}``.

    Used by the hidden ``--engine fake:<script.json>`` option for end-to-end tests.
    Roles may also get their own lists: ``{"generator": [...], "logic_critic": [...]}``.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read fake engine script {path}: {exc}") from None
    pace = float(data.get("seconds_per_chunk", 0.0))
    if "replies" in data:
        return FakeProvider(ScriptedEngine(data["replies"], seconds_per_chunk=pace))
    engines: dict[str, Engine] = {
        role: ScriptedEngine(replies, model_id=f"fake-{role}", seconds_per_chunk=pace)
        for role, replies in data.items()
        if role in {"generator", "syntax_critic", "logic_critic"}
    }
    if "generator" not in engines:
        raise ConfigError(f"fake engine script {path} has no 'generator' replies")
    return FakeProvider(engines)

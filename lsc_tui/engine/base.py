"""The engine protocol: what the loop needs from any inference backend.

Nothing above the engine package depends on llama_cpp types, so an HTTP backend
(llama-server, vLLM, Ollama) can serve the same roles later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

ChatRole = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat turn."""

    role: ChatRole
    content: str


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Decoding settings for one generation."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything needed to load one model for a role (from a recipe or a path)."""

    model_id: str
    path: Path
    n_ctx: int = 4096
    stop: tuple[str, ...] = ()
    sha256: str = ""
    family: str = ""
    size_bytes: int = 0
    n_gpu_layers: int | None = None
    n_threads: int | None = None
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams())


@dataclass(frozen=True, slots=True)
class GenerationStats:
    """Token counts and timings of the last generation."""

    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    prompt_seconds: float
    gen_seconds: float
    finish_reason: FinishReason

    @property
    def tokens_per_second(self) -> float:
        """Generation speed, excluding prompt processing."""
        return self.completion_tokens / self.gen_seconds if self.gen_seconds else 0.0


@runtime_checkable
class Engine(Protocol):
    """A loaded model that streams chat completions, one at a time."""

    @property
    def model_id(self) -> str:
        """A short name for the loaded model (recipe id or file stem)."""
        ...

    @property
    def n_ctx(self) -> int:
        """The context size the model was loaded with."""
        ...

    @property
    def last_stats(self) -> GenerationStats | None:
        """Stats of the most recent completed or cancelled generation."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated; stop early when ``cancel`` is set.

        ``last_stats`` is valid once the iterator is exhausted or closed.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary."""
        ...

    def close(self) -> None:
        """Free the model's memory; the engine is unusable afterwards."""
        ...


SampleDone = Callable[[int, str], bool]
"""Told (sample index, whole text) as each sample of a batch ends; True stops the
batch there (``SampleBatchEngine.stream_samples``)."""


@runtime_checkable
class SampleBatchEngine(Protocol):
    """An engine that can also decode several samples of one prompt side by side."""

    @property
    def last_sample_stats(self) -> list[GenerationStats]:
        """Stats of each sample of the last ``stream_samples`` call, in order."""
        ...

    def stream_samples(
        self,
        messages: Sequence[ChatMessage],
        params: Sequence[SamplingParams],
        cancel: threading.Event | None = None,
        done: SampleDone | None = None,
    ) -> Iterator[tuple[int, str]]:
        """Yield (sample index, text piece) for one sample per entry of ``params``;
        ``done`` may stop the batch as samples end."""
        ...


class EngineProvider(Protocol):
    """Gives the loop the engine for a role, loading it on first use."""

    def model_id(self, role: str) -> str:
        """The model id that serves ``role`` (without loading it)."""
        ...

    def is_loaded(self, role: str) -> bool:
        """Whether ``role``'s model is already in memory."""
        ...

    def get(self, role: str) -> Engine:
        """The engine for ``role``; may load (and unload others) first."""
        ...

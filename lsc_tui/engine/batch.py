"""Several samples of one prompt, decoded side by side in one llama.cpp batch.

On a CPU a decode step reads every weight once whether it carries one token or
one per sequence, so K samples decoded together cost much less than K decoded one
after another: with Qwen2.5-Coder-1.5B on 2 cores, 4 samples of 96 tokens took
1.6 times one sample's time (``benchmarks/bench_batched_samples.py``).

The batch lives in a second llama.cpp context over the engine's loaded weights,
with one unified KV cache: sequence 0 holds the prompt, and each sample starts
from a copy of it. The prompt is decoded in the engine's fixed chunks, so its cache
does not depend on what the context decoded before, and kept until another prompt
comes. Each sample has its own seeded sampler chain (top-k, top-p, min-p,
temperature), so a batch's samples depend only on the prompt, the settings and the
batch's size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from lsc_tui.engine.base import SamplingParams
from lsc_tui.errors import EngineError


@dataclass
class BatchTiming:
    """How long the last batch took: the prompt, then the shared token steps."""

    prompt_seconds: float = 0.0
    gen_seconds: float = 0.0
    cached_tokens: int = 0


class SampleBatcher:
    """Decodes up to ``max_samples`` samples of one prompt together."""

    def __init__(
        self,
        llama_cpp: Any,
        model: Any,
        *,
        n_ctx: int,
        n_threads: int,
        max_samples: int,
        chunk: int,
    ) -> None:
        self._cpp = llama_cpp
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = max(chunk, max_samples)
        params.n_seq_max = max_samples + 1
        params.kv_unified = True
        params.n_threads = params.n_threads_batch = n_threads
        self._ctx = llama_cpp.llama_init_from_model(model, params)
        if not self._ctx:
            raise EngineError(
                f"cannot create a {n_ctx}-token context for {max_samples} samples "
                "side by side; lower the recipe's [sampling] batch or free memory"
            )
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(max(chunk, max_samples), 0, 1)
        self._chunk = chunk
        self.max_samples = max_samples
        self.n_ctx = n_ctx
        self._prompt: list[int] = []
        self.timing = BatchTiming()

    def close(self) -> None:
        if self._ctx:
            self._cpp.llama_batch_free(self._batch)
            self._cpp.llama_free(self._ctx)
            self._ctx = None

    def _decode(self, items: Sequence[tuple[int, int, int, bool]]) -> None:
        """Decode (token, position, sequence, wants logits) items as one batch."""
        batch = self._batch
        for i, (token, pos, seq, logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        batch.n_tokens = len(items)
        status = self._cpp.llama_decode(self._ctx, batch)
        if status != 0:
            self._prompt = []  # the cache is in an unknown state now
            raise EngineError(
                f"decoding samples side by side failed (llama_decode returned "
                f"{status}); lower the recipe's [sampling] batch or its max_tokens"
            )

    def _prefill(self, prompt: list[int]) -> None:
        """Sequence 0 holds all but the prompt's last token (kept if unchanged)."""
        body = prompt[:-1]
        if self._prompt == body:
            self.timing.cached_tokens = len(body)
            return
        self._cpp.llama_memory_clear(self._memory, True)
        self._prompt = []
        for start in range(0, len(body), self._chunk):
            chunk = body[start : start + self._chunk]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])
        self._prompt = body
        self.timing.cached_tokens = 0

    def _sampler(self, params: SamplingParams) -> Any:
        cpp = self._cpp
        chain = cpp.llama_sampler_chain_init(cpp.llama_sampler_chain_default_params())
        if params.repeat_penalty != 1.0:
            penalties = cpp.llama_sampler_init_penalties(
                64, params.repeat_penalty, 0.0, 0.0
            )
            cpp.llama_sampler_chain_add(chain, penalties)
        if params.temperature <= 0:
            cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_greedy())
            return chain
        cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_top_k(params.top_k))
        cpp.llama_sampler_chain_add(
            chain, cpp.llama_sampler_init_top_p(params.top_p, 1)
        )
        cpp.llama_sampler_chain_add(
            chain, cpp.llama_sampler_init_min_p(params.min_p, 1)
        )
        cpp.llama_sampler_chain_add(
            chain, cpp.llama_sampler_init_temp(params.temperature)
        )
        cpp.llama_sampler_chain_add(chain, cpp.llama_sampler_init_dist(params.seed))
        return chain

    def steps(
        self,
        prompt: list[int],
        params: Sequence[SamplingParams],
        max_new: int,
        on_token: Callable[[int, int], bool],
        cancel: threading.Event,
    ) -> Generator[None, None, None]:
        """Draw up to ``max_new`` tokens for each sample, one step (one token per
        sample still going) at a time, yielding after each. ``on_token(index,
        token)`` takes every drawn token and returns True when that sample is done.
        """
        if not 0 < len(params) <= self.max_samples:
            raise EngineError(f"a batch holds 1 to {self.max_samples} samples")
        if len(prompt) + len(params) * max_new > self.n_ctx:
            raise EngineError("the samples do not fit the batch context")
        cpp = self._cpp
        begun = time.perf_counter()
        self._prefill(prompt)
        seqs = list(range(1, len(params) + 1))
        for seq in seqs:
            cpp.llama_memory_seq_rm(self._memory, seq, -1, -1)
            cpp.llama_memory_seq_cp(self._memory, 0, seq, -1, -1)
        samplers = [self._sampler(p) for p in params]
        stepped = time.perf_counter()
        self.timing.prompt_seconds = stepped - begun
        current = dict.fromkeys(range(len(params)), prompt[-1])
        position = len(prompt) - 1
        try:
            for _ in range(max_new):
                if cancel.is_set() or not current:
                    break
                active = list(current)
                self._decode([(current[i], position, seqs[i], True) for i in active])
                position += 1
                for row, index in enumerate(active):
                    token = cpp.llama_sampler_sample(samplers[index], self._ctx, row)
                    if on_token(index, token):
                        del current[index]
                    else:
                        current[index] = token
                yield
        finally:
            for sampler in samplers:
                cpp.llama_sampler_free(sampler)
            for seq in seqs:
                cpp.llama_memory_seq_rm(self._memory, seq, -1, -1)
            self.timing.gen_seconds = time.perf_counter() - stepped

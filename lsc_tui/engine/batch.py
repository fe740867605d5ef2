"""Several samples of one prompt, decoded side by side in one llama.cpp batch.

On a CPU a decode step reads every weight once whether it carries one token or
one per sequence, so K samples decoded together cost much less than K decoded one
after another: with Qwen2.5-Coder-1.5B on 2 cores, 4 samples of 96 tokens took
1.6 times one sample's time (``benchmarks/bench_batched_samples.py``).

The batch lives in a second llama.cpp context over the engine's loaded weights,
with one unified KV cache: sequence 0 holds the prompt, and each sample starts
from a copy of it. The prompt is decoded in the engine's fixed chunks, so its cache
does not depend on what the context decoded before. Whole chunks it shares with the
prompt already held are kept, and so are those it shares with what the engine's own
context last decoded (a ``Donor``): a batch of samples of the prompt the greedy
candidate just answered copies that prompt's cache, decoded in the same chunks,
instead of decoding it again. Each sample has its own seeded sampler chain (top-k,
top-p, min-p, temperature), so a batch's samples depend only on the prompt's cache,
the settings and the batch's size.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lsc_tui.engine.base import SamplingParams
from lsc_tui.errors import EngineError


@dataclass
class BatchTiming:
    """How long the last batch took: the prompt, then the shared token steps."""

    prompt_seconds: float = 0.0
    gen_seconds: float = 0.0
    cached_tokens: int = 0


class Donor(NamedTuple):
    """Another llama.cpp context over the same weights, and the tokens its sequence
    0 holds: the batch copies the cache of the prompt's part it shares."""

    ctx: Any
    tokens: Sequence[int]


def shared_chunks(held: Sequence[int], prompt: Sequence[int], chunk: int) -> int:
    """How many leading tokens of ``prompt`` a cache holding ``held`` can keep:
    whole chunks of the prefix the two share, so the rest is decoded in the same
    chunks as from scratch."""
    count = 0
    for a, b in zip(held, prompt, strict=False):
        if a != b:
            break
        count += 1
    return count // chunk * chunk


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
        flash_attn_type: int | None = None,
    ) -> None:
        self._cpp = llama_cpp
        params = llama_cpp.llama_context_default_params()
        if flash_attn_type is not None:  # a donor's cache copies only to its kind
            params.flash_attn_type = flash_attn_type
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

    def _prefill(self, prompt: list[int], donor: Donor | None) -> None:
        """Sequence 0 holds all but the prompt's last token: its whole chunks shared
        with the prompt held before, or copied from ``donor``, then the rest."""
        body = prompt[:-1]
        if self._prompt == body:
            self.timing.cached_tokens = len(body)
            return
        cpp, memory = self._cpp, self._memory
        keep = shared_chunks(self._prompt, body, self._chunk)
        given = shared_chunks(donor.tokens, body, self._chunk) if donor else 0
        self._prompt = []  # until sequence 0 holds ``body``
        if donor is not None and given > keep:
            size = cpp.llama_state_seq_get_size(donor.ctx, 0)
            state = (ctypes.c_uint8 * size)()
            cpp.llama_memory_seq_rm(memory, 0, -1, -1)
            copied = cpp.llama_state_seq_get_data(donor.ctx, state, size, 0) == size
            if copied and cpp.llama_state_seq_set_data(self._ctx, state, size, 0):
                keep = given
            else:
                keep = 0
        cpp.llama_memory_seq_rm(memory, 0, keep, -1)
        for start in range(keep, len(body), self._chunk):
            chunk = body[start : start + self._chunk]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])
        self._prompt = body
        self.timing.cached_tokens = keep

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
        donor: Donor | None = None,
    ) -> Generator[None, None, None]:
        """Draw up to ``max_new`` tokens for each sample, one step (one token per
        sample still going) at a time, yielding after each. ``on_token(index,
        token)`` takes every drawn token and returns True when that sample is done.
        ``donor`` may lend the prompt's cache (``_prefill``).
        """
        if not 0 < len(params) <= self.max_samples:
            raise EngineError(f"a batch holds 1 to {self.max_samples} samples")
        if len(prompt) + len(params) * max_new > self.n_ctx:
            raise EngineError("the samples do not fit the batch context")
        cpp = self._cpp
        begun = time.perf_counter()
        # The last batch's samples go first, freeing their cells for the prompt.
        for seq in range(1, self.max_samples + 1):
            cpp.llama_memory_seq_rm(self._memory, seq, -1, -1)
        self._prefill(prompt, donor)
        seqs = list(range(1, len(params) + 1))
        for seq in seqs:
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

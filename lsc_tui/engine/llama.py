"""The llama.cpp engine: load a GGUF in-process and stream chat completions from it.

This is the only module that imports ``llama_cpp``, and only inside functions, so
``lsc --help`` and the fake-engine tests never pay for loading the native library.
Prompts are rendered with the model's own chat template from the GGUF metadata (with a
per-family fallback for files that lack one), tokens are streamed one by one with stop
strings held back until they can no longer match, the KV cache is reused for the prompt
prefix shared with the previous call (in whole chunks, so that output does not depend on
what came before), and a cancel event stops a generation between
tokens or in the middle of a long prompt. ``stream_samples`` decodes several samples
of one prompt side by side (``engine.batch``).
"""

from __future__ import annotations

import codecs
import ctypes
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil

from lsc_tui.engine.base import (
    ChatMessage,
    FinishReason,
    GenerationStats,
    ModelSpec,
    SampleDone,
    SamplingParams,
)
from lsc_tui.engine.batch import Donor, SampleBatcher, shared_chunks
from lsc_tui.engine.stderr_guard import captured_stderr
from lsc_tui.errors import EngineError, ModelError

GGUF_MAGIC = b"GGUF"
END_OF_TURN_TEXTS = ("<|im_end|>", "<|EOT|>", "<|end|>", "<|endoftext|>", "<|eot_id|>")
"""Special tokens that end an assistant turn in the families we ship recipes for."""

_LOCK_POLL_S = 0.05
_ABORT_HOOK_MIN_TOKENS = 64
"""Prompts with fewer new tokens than this decode too fast to need the abort hook."""
_ABORTED_DECODE = "llama_decode returned 2"
"""llama-cpp-python's error when the abort hook stopped a decode."""
PROMPT_CHUNK = 16
"""Prompts are decoded in chunks of this many tokens at fixed positions, and a
cached prefix is reused only up to a chunk boundary. llama.cpp's numerics depend
on how tokens are batched, so reusing exactly the shared prefix made a prompt's KV
cache, and then greedy output, depend on whatever the previous call decoded: with
Qwen2.5-Coder-0.5B, 3 of 20 MBPP prompts gave different code after another task's
prompt than after a fresh start. Aligned chunks make each prompt's cache the same
after any history; 16 keeps 48 of the ~50 system-prompt tokens that consecutive
tasks share, and decodes a 600-token prompt about 12% slower than 512 would."""
_NATIVE_LOG: deque[str] = deque(maxlen=64)
_NATIVE_LOG_STATE: dict[str, Any] = {}

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] }}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
DEEPSEEK_CODER_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n' }}"
    "{% elif message['role'] == 'user' %}"
    "{{ '### Instruction:\n' + message['content'] + '\n' }}"
    "{% else %}{{ '### Response:\n' + message['content'] + '\n<|EOT|>\n' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}"
)
PHI3_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)
"""Fallback templates for GGUF files without ``tokenizer.chat_template``."""


def _llama_cpp() -> Any:
    """Import llama_cpp on first use and route its native log into a private buffer."""
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineError(
            f"llama-cpp-python is not installed ({exc}); run `make run` to set it up"
        ) from None
    if "callback" not in _NATIVE_LOG_STATE:

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
        def keep_native_log(level: int, text: bytes, user_data: Any) -> None:
            _NATIVE_LOG.append(text.decode("utf-8", errors="replace"))

        _NATIVE_LOG_STATE["callback"] = keep_native_log  # keeps the pointer alive
        llama_cpp.llama_log_set(keep_native_log, ctypes.c_void_p(0))
    return llama_cpp


def _drop_interrupt_reports(unraisable: Any) -> bool:
    """Whether ``unraisable`` is a Ctrl+C that landed in the abort hook.

    ctypes reports an exception raised inside a callback as "Exception ignored"
    with a traceback on stderr. The token loop raises that interrupt again (see
    ``LlamaEngine._generate``), so the report is only noise in the user's terminal.
    """
    return issubclass(unraisable.exc_type, KeyboardInterrupt) and (
        getattr(unraisable.object, "__name__", None) == "_should_abort"
    )


def _install_interrupt_report_filter() -> None:
    """Wrap ``sys.unraisablehook`` once to drop those reports, passing on the rest."""
    previous = sys.unraisablehook
    if getattr(previous, "lsc_abort_filter", False):
        return

    def hook(unraisable: Any) -> None:
        if not _drop_interrupt_reports(unraisable):
            previous(unraisable)

    hook.lsc_abort_filter = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def physical_cores() -> int:
    """Physical CPU cores, the thread count llama.cpp runs fastest with."""
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def backend_info() -> dict[str, object]:
    """What the installed llama.cpp build can do: GPU offload and its backend name."""
    llama_cpp = _llama_cpp()
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    lowered = system_info.lower()
    backend = "cpu"
    for name in ("cuda", "metal", "vulkan", "rocm", "hip", "sycl", "opencl", "cann"):
        if f"{name} :" in lowered or f"{name}:" in lowered:
            backend = name
            break
    return {
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "backend": backend,
        "system_info": system_info.strip(),
    }


def _native_reason(fallback: str, captured: str) -> str:
    """The most telling native error line from the log buffer or captured stderr."""
    lines = [line.strip() for line in (*_NATIVE_LOG, *captured.splitlines())]
    for line in reversed(lines):
        if line and ("error" in line.lower() or "fail" in line.lower()):
            return line
    return fallback


def check_gguf_header(path: Path, model_id: str) -> None:
    """Raise a one-line ModelError unless ``path`` is a file with the GGUF magic."""
    hint = f"re-download with `lsc models pull {model_id}` or re-import it"
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist; {hint}")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(
            f"cannot read {path}: {exc.strerror}; check its permissions"
        ) from None
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path.name} is not a valid GGUF file (bad magic {magic!r}); {hint}"
        )


def open_llama(
    path: Path,
    *,
    model_id: str,
    n_ctx: int = 512,
    n_threads: int | None = None,
    n_gpu_layers: int | None = None,
    vocab_only: bool = False,
) -> Any:
    """Load a ``llama_cpp.Llama`` quietly, turning native failures into one-liners."""
    check_gguf_header(path, model_id)
    llama_cpp = _llama_cpp()
    threads = n_threads or physical_cores()
    if n_gpu_layers is None:
        n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
    _NATIVE_LOG.clear()
    failure: Exception | None = None
    llama: Any = None
    with captured_stderr() as captured:
        try:
            llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=PROMPT_CHUNK,
                n_gpu_layers=n_gpu_layers,
                vocab_only=vocab_only,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            failure = exc
    if failure is None:
        return llama
    reason = _native_reason(str(failure), captured.text)
    if "context" in str(failure).lower():
        raise EngineError(
            f"cannot create a {n_ctx}-token context for {model_id} ({reason}); "
            "lower the role's n_ctx or free memory"
        )
    raise ModelError(
        f"{path.name} is not a valid GGUF file ({reason}); re-download with "
        f"`lsc models pull {model_id}` or re-import it"
    )


class ChatFormat:
    """Turns chat messages into prompt tokens and recognises end-of-turn tokens.

    Uses the GGUF's own ``tokenizer.chat_template`` through llama-cpp-python's
    Jinja2 formatter, so prompts match ``create_chat_completion`` exactly. Templates
    that have no system role (Phi-3) get the system text folded into the first user
    turn instead of silently dropped.
    """

    def __init__(self, llama: Any, *, family: str = "") -> None:
        llama_cpp = _llama_cpp()
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._llama = llama
        self._vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self._is_eog = llama_cpp.llama_vocab_is_eog
        metadata: dict[str, str] = dict(llama.metadata)
        self.template: str = metadata.get("tokenizer.chat_template") or (
            _fallback_template(family, metadata)
        )
        self.from_gguf: bool = "tokenizer.chat_template" in metadata
        self.bos_id: int = int(llama_cpp.llama_vocab_bos(self._vocab))
        self.eos_id: int = int(llama_cpp.llama_vocab_eos(self._vocab))
        self.bos_token: str = self.token_text(self.bos_id) if self.bos_id >= 0 else ""
        self.eos_token: str = self.token_text(self.eos_id) if self.eos_id >= 0 else ""
        self.add_bos: bool = bool(llama_cpp.llama_vocab_get_add_bos(self._vocab))
        try:
            self._formatter: Any = Jinja2ChatFormatter(
                template=self.template,
                eos_token=self.eos_token,
                bos_token=self.bos_token,
            )
        except Exception:  # a template jinja2 cannot compile: use the family's
            self.template = _fallback_template(family, metadata)
            self.from_gguf = False
            self._formatter = Jinja2ChatFormatter(
                template=self.template,
                eos_token=self.eos_token,
                bos_token=self.bos_token,
            )
        self.supports_system: bool = "system" in self.template
        self.stop_token_ids: frozenset[int] = frozenset(self._find_stop_tokens())
        self.stop_strings: tuple[str, ...] = tuple(
            text for text in dict.fromkeys((self.eos_token, *END_OF_TURN_TEXTS)) if text
        )
        spm = metadata.get("tokenizer.ggml.model") == "llama"
        self.strips_first_space: bool = spm and (
            metadata.get("tokenizer.ggml.add_space_prefix", "true") == "true"
        )

    def token_text(self, token_id: int) -> str:
        """The vocabulary text of a token id (special tokens as written)."""
        raw: bytes = _llama_cpp().llama_vocab_get_text(self._vocab, token_id)
        return raw.decode("utf-8", errors="replace")

    def _find_stop_tokens(self) -> set[int]:
        """End-of-turn ids: EOS plus the known end-of-turn tokens this vocab has."""
        stops = {self.eos_id}
        for text in (*END_OF_TURN_TEXTS, self.eos_token):
            if not text:
                continue
            ids = self._llama.tokenize(
                text.encode("utf-8"), add_bos=False, special=True
            )
            if len(ids) == 1 and self.token_text(ids[0]) == text:
                stops.add(ids[0])
        return {token for token in stops if token >= 0}

    def is_stop_token(self, token_id: int) -> bool:
        """Whether generating ``token_id`` ends the assistant's turn."""
        if token_id in self.stop_token_ids:
            return True
        return bool(self._is_eog(self._vocab, token_id))

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The prompt text for ``messages``, ending with the assistant header."""
        turns = [{"role": m.role, "content": m.content} for m in messages]
        if not self.supports_system:
            turns = _fold_system_into_user(turns)
        try:
            rendered: str = self._formatter(messages=turns).prompt
        except Exception as exc:  # jinja2 raises many types for template bugs
            raise EngineError(
                f"the model's chat template failed ({exc}); "
                "use a recipe with a known family or another GGUF"
            ) from None
        return rendered

    def tokenize(self, messages: Sequence[ChatMessage]) -> list[int]:
        """Prompt token ids, with BOS added once when the vocabulary asks for it."""
        prompt = self.render(messages)
        tokens: list[int] = list(
            self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        )
        if (
            self.add_bos
            and self.bos_id >= 0
            and (not tokens or tokens[0] != self.bos_id)
        ):
            tokens.insert(0, self.bos_id)
        return tokens


def _fallback_template(family: str, metadata: dict[str, str]) -> str:
    """A chat template for GGUFs without one, chosen from the family or file name."""
    haystack = " ".join(
        [
            family,
            metadata.get("general.name", ""),
            metadata.get("general.basename", ""),
            metadata.get("general.architecture", ""),
        ]
    ).lower()
    if "deepseek" in haystack:
        return DEEPSEEK_CODER_TEMPLATE
    if "phi" in haystack:
        return PHI3_TEMPLATE
    return CHATML_TEMPLATE


def _fold_system_into_user(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """Merge system text into the first user turn, for templates without system."""
    system = "\n\n".join(t["content"] for t in turns if t["role"] == "system")
    rest = [dict(t) for t in turns if t["role"] != "system"]
    if not system:
        return rest
    for turn in rest:
        if turn["role"] == "user":
            turn["content"] = f"{system}\n\n{turn['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def load_chat_format(path: Path, *, family: str = "") -> ChatFormat:
    """Load only the vocabulary of a GGUF and build its ChatFormat (no weights)."""
    llama = open_llama(path, model_id=path.stem, vocab_only=True)
    return ChatFormat(llama, family=family)


def _split_at_stop(text: str, stops: Sequence[str]) -> tuple[str, str, bool]:
    """Split pending text into (safe to emit, held back, stop string found).

    Text that could still grow into a stop string is held back, so no part of a stop
    string ever reaches the caller.
    """
    first = -1
    for stop in stops:
        index = text.find(stop)
        if index != -1 and (first == -1 or index < first):
            first = index
    if first != -1:
        return text[:first], "", True
    hold = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:size]):
                hold = size
                break
    if hold:
        return text[:-hold], text[-hold:], False
    return text, "", False


class _ReplyText:
    """One reply's text as tokens arrive: UTF-8 pieces joined, stop strings held
    back until they can no longer match, and the reply ended at one."""

    def __init__(self, stops: Sequence[str], strips_first_space: bool) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = stops
        self._strip = strips_first_space
        self._pending = ""
        self.produced = 0
        self.stopped = False

    def add(self, piece: bytes) -> str:
        """Take one token's bytes; return the text now safe to show."""
        self.produced += 1
        if self.produced == 1 and self._strip:
            piece = piece.removeprefix(b" ")
        self._pending += self._decoder.decode(piece)
        emit, self._pending, self.stopped = _split_at_stop(self._pending, self._stops)
        return emit

    def rest(self) -> str:
        """The text still held back, once the reply has ended."""
        pending = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return pending


class LlamaEngine:
    """An Engine backed by an in-process llama.cpp model; one generation at a time."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
    ) -> None:
        self._spec = spec
        threads = n_threads or spec.n_threads or physical_cores()
        layers = n_gpu_layers if n_gpu_layers is not None else spec.n_gpu_layers
        self._llama: Any = open_llama(
            Path(spec.path),
            model_id=spec.model_id,
            n_ctx=spec.n_ctx,
            n_threads=threads,
            n_gpu_layers=layers,
        )
        self.n_threads = threads
        self._chat = ChatFormat(self._llama, family=spec.family)
        self._vocab = self._chat._vocab
        self._piece_buffer = ctypes.create_string_buffer(256)
        self._pieces: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._last_stats: GenerationStats | None = None
        self._sample_stats: list[GenerationStats] = []
        self._sample_batcher: SampleBatcher | None = None
        self._cancel: threading.Event | None = None
        llama_cpp = _llama_cpp()
        _install_interrupt_report_filter()
        self._abort_callback = llama_cpp.ggml_abort_callback(self._should_abort)
        self._no_abort = llama_cpp.ggml_abort_callback()

    @property
    def model_id(self) -> str:
        return self._spec.model_id

    @property
    def spec(self) -> ModelSpec:
        """The spec this engine was loaded from."""
        return self._spec

    @property
    def n_ctx(self) -> int:
        return int(self._llama.n_ctx())

    @property
    def last_stats(self) -> GenerationStats | None:
        return self._last_stats

    @property
    def chat_format(self) -> ChatFormat:
        """How this model's prompts are rendered and where its turns end."""
        return self._chat

    @property
    def llama(self) -> Any:
        """The underlying ``llama_cpp.Llama``, for benchmarks against the library."""
        return self._llama

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The token ids ``stream`` would feed the model for ``messages``."""
        return self._chat.tokenize(messages)

    def reset_cache(self) -> None:
        """Forget the KV cache so the next prompt is processed from scratch."""
        with self._lock:
            self._llama.reset()

    def _should_abort(self, _data: Any) -> bool:
        """ggml's abort hook, polled between graph nodes while a prompt is decoded."""
        cancel = self._cancel
        return cancel is not None and cancel.is_set()

    def _set_abort(self, armed: bool) -> None:
        """Install the abort hook for prompt decoding, or remove it for token steps."""
        callback = self._abort_callback if armed else self._no_abort
        _llama_cpp().llama_set_abort_callback(self._llama.ctx, callback, None)

    def _piece(self, token_id: int) -> bytes:
        """The raw bytes of one token (cached; special tokens render as nothing)."""
        piece = self._pieces.get(token_id)
        if piece is not None:
            return piece
        llama_cpp = _llama_cpp()
        buffer = self._piece_buffer
        size = llama_cpp.llama_token_to_piece(
            self._vocab, token_id, buffer, len(buffer), 0, False
        )
        if size < 0:
            buffer = ctypes.create_string_buffer(-size)
            size = llama_cpp.llama_token_to_piece(
                self._vocab, token_id, buffer, len(buffer), 0, False
            )
        piece = buffer.raw[:size]
        self._pieces[token_id] = piece
        return piece

    def _acquire(self, cancel: threading.Event) -> bool:
        """Wait for the engine, giving up when ``cancel`` is set first."""
        while not self._lock.acquire(timeout=_LOCK_POLL_S):
            if cancel.is_set():
                return False
        return True

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        cancel = cancel or threading.Event()
        prompt = self._prompt_for(messages)
        if not self._acquire(cancel):
            self._last_stats = GenerationStats(len(prompt), 0, 0, 0.0, 0.0, "cancelled")
            return
        try:
            yield from self._generate(prompt, params, cancel)
        finally:
            self._lock.release()

    def _stops(self, params: SamplingParams) -> tuple[str, ...]:
        stops = tuple(s for s in dict.fromkeys((*self._spec.stop, *params.stop)) if s)
        return stops + tuple(s for s in self._chat.stop_strings if s not in stops)

    def _prompt_for(self, messages: Sequence[ChatMessage]) -> list[int]:
        if self._closed:
            raise EngineError(f"{self.model_id} was unloaded; load it again")
        prompt = self._chat.tokenize(messages)
        if len(prompt) >= self.n_ctx:
            raise EngineError(
                f"the prompt needs {len(prompt)} tokens but {self.model_id} has "
                f"a {self.n_ctx}-token context; raise the role's n_ctx or shorten "
                "the task"
            )
        return prompt

    @property
    def last_sample_stats(self) -> list[GenerationStats]:
        """Stats of each sample of the last ``stream_samples`` call, in order."""
        return list(self._sample_stats)

    def stream_samples(
        self,
        messages: Sequence[ChatMessage],
        params: Sequence[SamplingParams],
        cancel: threading.Event | None = None,
        done: SampleDone | None = None,
    ) -> Iterator[tuple[int, str]]:
        """Decode one sample per entry of ``params`` side by side (``batch.py``);
        yield (sample index, text piece) as they come.

        ``done(index, text)`` hears of each sample that ends before the batch
        does, in the step it ends, after its last piece was yielded; when it
        returns True the batch stops there, and the samples still decoding end
        "cancelled" with the text they had.

        The batch's token steps are shared, so each sample's ``gen_seconds`` in
        ``last_sample_stats`` is its share of them by tokens; the prompt's time
        goes to the first sample."""
        cancel = cancel or threading.Event()
        prompt = self._prompt_for(messages)
        if not self._acquire(cancel):
            self._sample_stats = [
                GenerationStats(len(prompt), 0, 0, 0.0, 0.0, "cancelled")
                for _ in params
            ]
            return
        try:
            yield from self._generate_samples(prompt, params, cancel, done)
        finally:
            self._lock.release()

    def _batcher(self, samples: int) -> SampleBatcher:
        if self._sample_batcher is None or self._sample_batcher.max_samples < samples:
            if self._sample_batcher is not None:
                self._sample_batcher.close()
            self._sample_batcher = SampleBatcher(
                _llama_cpp(),
                self._llama.model,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                max_samples=samples,
                chunk=PROMPT_CHUNK,
                flash_attn_type=self._llama.context_params.flash_attn_type,
            )
        return self._sample_batcher

    def _generate_samples(
        self,
        prompt: list[int],
        params: Sequence[SamplingParams],
        cancel: threading.Event,
        done: SampleDone | None,
    ) -> Iterator[tuple[int, str]]:
        """The token loop behind ``stream_samples``; the caller holds the lock."""
        batcher = self._batcher(len(params))
        room = (self.n_ctx - len(prompt)) // len(params)
        max_new = min(min(p.max_tokens for p in params), room)
        replies = [
            _ReplyText(self._stops(p), self._chat.strips_first_space) for p in params
        ]
        finish: list[FinishReason] = ["length"] * len(params)
        texts: list[list[str]] = [[] for _ in params]
        ready: list[tuple[int, str]] = []
        ended: list[int] = []  # samples that ended in this step

        def emit(index: int, piece: str) -> None:
            if piece:
                texts[index].append(piece)
                ready.append((index, piece))

        def on_token(index: int, token: int) -> bool:
            if not self._chat.is_stop_token(token):
                emit(index, replies[index].add(self._piece(token)))
                if not replies[index].stopped:
                    return False
            finish[index] = "stop"
            emit(index, replies[index].rest())
            ended.append(index)
            return True

        llama = self._llama
        donor = Donor(llama.ctx, llama.input_ids[: llama.n_tokens].tolist())
        steps = batcher.steps(prompt, params, max_new, on_token, cancel, donor)
        stopped = False
        try:
            for _ in steps:
                yield from ready
                ready.clear()
                if done is not None:
                    stopped = any([done(i, "".join(texts[i])) for i in ended])
                ended.clear()
                if stopped:
                    break
            if cancel.is_set() or stopped:
                finish = ["cancelled" if f == "length" else f for f in finish]
            else:
                for index, reply in enumerate(replies):
                    rest = reply.rest()
                    if rest:
                        yield index, rest
        except GeneratorExit:
            finish = ["cancelled"] * len(params)
            raise
        finally:
            steps.close()
            timing = batcher.timing
            total = sum(r.produced for r in replies) or 1
            self._sample_stats = [
                GenerationStats(
                    prompt_tokens=len(prompt),
                    cached_tokens=timing.cached_tokens,
                    completion_tokens=reply.produced,
                    prompt_seconds=timing.prompt_seconds if index == 0 else 0.0,
                    gen_seconds=timing.gen_seconds * reply.produced / total,
                    finish_reason=finish[index],
                )
                for index, reply in enumerate(replies)
            ]

    def _generate(
        self, prompt: list[int], params: SamplingParams, cancel: threading.Event
    ) -> Iterator[str]:
        """The token loop behind ``stream``; the caller holds the lock."""
        llama = self._llama
        max_new = min(params.max_tokens, self.n_ctx - len(prompt))
        stops = self._stops(params)
        cached = 0
        if llama.n_tokens > 0:
            held = llama.input_ids[: llama.n_tokens]
            cached = shared_chunks(held, prompt[:-1], PROMPT_CHUNK)
            llama.n_tokens = cached  # llama.generate() reuses exactly this much
        reply = _ReplyText(stops, self._chat.strips_first_space)
        finish: FinishReason = "length"
        started = time.perf_counter()
        first_at: float | None = None
        self._cancel = cancel
        llama.set_seed(params.seed)
        tokens = llama.generate(
            prompt,
            top_k=params.top_k,
            top_p=params.top_p,
            min_p=params.min_p,
            temp=params.temperature,
            repeat_penalty=params.repeat_penalty,
        )
        armed = len(prompt) - cached >= _ABORT_HOOK_MIN_TOKENS
        if armed:
            self._set_abort(True)
        try:
            while reply.produced < max_new:
                if cancel.is_set():
                    finish = "cancelled"
                    break
                try:
                    token = next(tokens)
                except RuntimeError as exc:
                    if cancel.is_set():
                        finish = "cancelled"
                        break
                    if armed and str(exc).endswith(_ABORTED_DECODE):
                        # Only the abort hook aborts a decode, and it said no: a
                        # signal handler (Ctrl+C, or SIGTERM raised as one) fired
                        # inside the hook, where ctypes swallowed the exception.
                        # Raise it again so the interrupt is not taken for an
                        # engine failure.
                        raise KeyboardInterrupt from None
                    raise EngineError(
                        f"generation failed in {self.model_id} ({exc}); "
                        "try again or reload the model"
                    ) from None
                if first_at is None:
                    first_at = time.perf_counter()
                    if armed:
                        self._set_abort(False)
                        armed = False
                if self._chat.is_stop_token(token):
                    finish = "stop"
                    break
                emit = reply.add(self._piece(token))
                if emit:
                    yield emit
                if reply.stopped:
                    finish = "stop"
                    break
            if finish != "cancelled":
                rest = reply.rest()
                if rest:
                    yield rest
        except GeneratorExit:
            finish = "cancelled"
            raise
        finally:
            tokens.close()
            if armed:
                self._set_abort(False)
            self._cancel = None
            ended = time.perf_counter()
            first = first_at if first_at is not None else ended
            self._last_stats = GenerationStats(
                prompt_tokens=len(prompt),
                cached_tokens=max(0, cached),
                completion_tokens=reply.produced,
                prompt_seconds=first - started,
                gen_seconds=ended - first,
                finish_reason=finish,
            )

    def close(self) -> None:
        if self._closed:
            return
        if not self._lock.acquire(timeout=10.0):
            raise EngineError(
                f"cannot unload {self.model_id} while it is generating; cancel first"
            )
        try:
            self._closed = True
            self._pieces.clear()
            if self._sample_batcher is not None:
                self._sample_batcher.close()
                self._sample_batcher = None
            self._llama.close()
        finally:
            self._lock.release()


def load_llama(spec: ModelSpec) -> LlamaEngine:
    """Load ``spec`` with the machine's defaults; the EnginePool's default loader."""
    return LlamaEngine(spec)

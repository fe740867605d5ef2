"""The llama.cpp engine on SmolLM2-135M: load, stream, stop, count, cancel, reuse."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsc_tui.engine.base import ChatMessage, Engine, ModelSpec, SamplingParams
from lsc_tui.engine.llama import PROMPT_CHUNK, LlamaEngine, backend_info, load_llama
from lsc_tui.engine.pool import EnginePool
from lsc_tui.errors import EngineError, ModelError
from tests.conftest import test_model_path as model_file

pytestmark = pytest.mark.model

TASK = (
    ChatMessage("system", "You are a helpful Python programmer."),
    ChatMessage("user", "Write a Python function that adds two numbers."),
)
GREEDY = SamplingParams(max_tokens=48, temperature=0.0)


@pytest.fixture(scope="module")
def smollm_path() -> Path:
    return model_file("smollm2-135m")


@pytest.fixture(scope="module")
def engine(smollm_path: Path) -> Iterator[LlamaEngine]:
    loaded = LlamaEngine(ModelSpec("smollm2-135m", smollm_path, n_ctx=2048))
    yield loaded
    loaded.close()


def _generate(
    engine: LlamaEngine, messages: tuple[ChatMessage, ...], params: SamplingParams
) -> str:
    engine.reset_cache()
    return "".join(engine.stream(messages, params))


def test_engine_satisfies_the_protocol(engine: LlamaEngine) -> None:
    assert isinstance(engine, Engine)
    assert engine.model_id == "smollm2-135m"
    assert engine.n_ctx == 2048
    assert engine.n_threads >= 1


def test_load_prints_nothing_to_the_terminal(
    smollm_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    loaded = load_llama(ModelSpec("smollm2-135m", smollm_path, n_ctx=512))
    try:
        "".join(loaded.stream(TASK, SamplingParams(max_tokens=4)))
    finally:
        loaded.close()
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_stream_yields_text_and_exact_token_counts(engine: LlamaEngine) -> None:
    pieces = list(engine.stream(TASK, SamplingParams(max_tokens=12)))
    stats = engine.last_stats
    assert stats is not None
    assert len(pieces) >= 2  # streamed, not returned in one lump
    assert "".join(pieces).strip()
    assert stats.finish_reason == "length"
    assert stats.completion_tokens == 12
    assert stats.prompt_tokens == len(engine.prompt_tokens(TASK))
    assert stats.prompt_seconds > 0
    assert stats.gen_seconds > 0
    assert stats.tokens_per_second > 0


def test_greedy_generation_is_repeatable(engine: LlamaEngine) -> None:
    assert _generate(engine, TASK, GREEDY) == _generate(engine, TASK, GREEDY)


def test_sampling_with_a_seed_is_repeatable(engine: LlamaEngine) -> None:
    params = SamplingParams(max_tokens=24, temperature=0.9, top_p=0.95, seed=7)
    assert _generate(engine, TASK, params) == _generate(engine, TASK, params)


def test_prompt_longer_than_the_context_is_an_engine_error(
    engine: LlamaEngine,
) -> None:
    huge = (ChatMessage("user", "lorem ipsum " * 1500),)
    with pytest.raises(EngineError, match="raise the role's n_ctx"):
        "".join(engine.stream(huge, GREEDY))


def test_stop_string_cuts_the_text_before_it(engine: LlamaEngine) -> None:
    full = _generate(engine, TASK, GREEDY)
    words = full.split()
    assert len(words) > 4, full
    stop = words[len(words) // 2]
    expected = full[: full.index(stop)]

    cut = _generate(engine, TASK, SamplingParams(max_tokens=48, stop=(stop,)))

    assert cut == expected
    assert engine.last_stats is not None
    assert engine.last_stats.finish_reason == "stop"
    assert engine.last_stats.completion_tokens < 48


def test_spec_stop_strings_apply_to_every_call(smollm_path: Path) -> None:
    plain = LlamaEngine(ModelSpec("smollm2-135m", smollm_path, n_ctx=1024))
    try:
        full = "".join(plain.stream(TASK, GREEDY))
    finally:
        plain.close()
    assert "def " in full, full
    stopping = LlamaEngine(
        ModelSpec("smollm2-135m", smollm_path, n_ctx=1024, stop=("def ",))
    )
    try:
        cut = "".join(stopping.stream(TASK, GREEDY))
    finally:
        stopping.close()
    assert cut == full[: full.index("def ")]


def test_end_of_turn_token_ends_generation(engine: LlamaEngine) -> None:
    short = (ChatMessage("user", "Reply with the single word: yes"),)
    text = _generate(engine, short, SamplingParams(max_tokens=200))
    assert engine.last_stats is not None
    assert engine.last_stats.finish_reason == "stop"
    assert engine.last_stats.completion_tokens < 200
    assert "<|im_end|>" not in text


def test_second_call_reuses_the_shared_prefix(engine: LlamaEngine) -> None:
    engine.reset_cache()
    first = "".join(engine.stream(TASK, GREEDY))
    assert engine.last_stats is not None
    assert engine.last_stats.cached_tokens == 0
    first_prompt = engine.prompt_tokens(TASK)

    follow_up = (
        *TASK,
        ChatMessage("assistant", first),
        ChatMessage("user", "The test failed: add(2, 3) returned 6. Fix it."),
    )
    "".join(engine.stream(follow_up, GREEDY))
    stats = engine.last_stats
    assert stats is not None
    # Whole chunks of the shared prefix (the first prompt and the reply) are reused.
    assert stats.cached_tokens % PROMPT_CHUNK == 0
    assert stats.cached_tokens >= len(first_prompt) // PROMPT_CHUNK * PROMPT_CHUNK
    assert 0 < stats.cached_tokens < stats.prompt_tokens

    other_system = (ChatMessage("system", "Answer in French."), TASK[1])
    "".join(engine.stream(other_system, SamplingParams(max_tokens=2)))
    assert engine.last_stats is not None
    assert engine.last_stats.cached_tokens < 5


def test_cancel_between_tokens_is_prompt(engine: LlamaEngine) -> None:
    engine.reset_cache()
    cancel = threading.Event()
    counting = (ChatMessage("user", "Count from 1 to 500, one number per line."),)
    pieces: list[str] = []
    finished = threading.Event()

    def consume() -> None:
        for piece in engine.stream(counting, SamplingParams(max_tokens=1500), cancel):
            pieces.append(piece)
        finished.set()

    worker = threading.Thread(target=consume)
    worker.start()
    deadline = time.monotonic() + 60
    while len(pieces) < 5 and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.005)
    assert len(pieces) >= 5, "generation never started"
    cancel.set()
    cancelled_at = time.perf_counter()
    assert finished.wait(5)
    elapsed = time.perf_counter() - cancelled_at
    worker.join(5)

    assert elapsed < 0.5
    stats = engine.last_stats
    assert stats is not None
    assert stats.finish_reason == "cancelled"
    assert stats.completion_tokens < 1500


class PolledEvent(threading.Event):
    """An Event that counts how often the engine polls it."""

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0

    def is_set(self) -> bool:
        self.polls += 1
        return super().is_set()


def test_cancel_interrupts_a_long_prompt(engine: LlamaEngine) -> None:
    engine.reset_cache()
    cancel = PolledEvent()
    long_prompt = (ChatMessage("user", "lorem ipsum " * 350),)
    assert 1000 < len(engine.prompt_tokens(long_prompt)) < engine.n_ctx - 8
    finished = threading.Event()

    def consume() -> None:
        for _ in engine.stream(long_prompt, SamplingParams(max_tokens=8), cancel):
            pass
        finished.set()

    worker = threading.Thread(target=consume)
    worker.start()
    # Beyond the loop's own check, polls come from llama.cpp's abort hook, which
    # runs only while the prompt is being decoded.
    deadline = time.monotonic() + 30
    while cancel.polls < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert cancel.polls >= 3, "the prompt decode never polled the cancel event"
    cancel.set()
    cancelled_at = time.perf_counter()
    assert finished.wait(10)
    elapsed = time.perf_counter() - cancelled_at
    worker.join(5)

    stats = engine.last_stats
    assert stats is not None
    assert stats.finish_reason == "cancelled"
    assert stats.completion_tokens == 0
    assert elapsed < 0.5
    # The engine is still usable and the aborted prompt left no stale cache behind.
    text = "".join(engine.stream(TASK, SamplingParams(max_tokens=4)))
    assert text
    assert engine.last_stats is not None
    assert engine.last_stats.cached_tokens < 5


class InterruptedInHook(threading.Event):
    """An Event whose first poll from llama.cpp's abort hook meets a Ctrl+C.

    A signal handler runs wherever the main thread is, and during a long prompt
    that is often inside the abort hook, where ctypes swallows the exception.
    """

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0

    def is_set(self) -> bool:
        self.polls += 1
        if self.polls == 2:  # 1 is the token loop's own check; 2 is the hook
            raise KeyboardInterrupt
        return super().is_set()


def test_ctrl_c_inside_the_abort_hook_is_an_interrupt_not_an_engine_error(
    engine: LlamaEngine,
) -> None:
    """Ctrl+C while a prompt decodes stops the run as Ctrl+C (bench: exit 130)."""
    engine.reset_cache()
    long_prompt = (ChatMessage("user", "lorem ipsum " * 350),)
    cancel = InterruptedInHook()
    with pytest.raises(KeyboardInterrupt):
        for _ in engine.stream(long_prompt, SamplingParams(max_tokens=8), cancel):
            pass
    assert cancel.polls >= 2
    # The engine is unlocked and usable afterwards.
    assert "".join(engine.stream(TASK, SamplingParams(max_tokens=4)))


def test_ctrl_c_inside_the_abort_hook_prints_no_traceback(smollm_path: Path) -> None:
    """ctypes' "Exception ignored" report of that Ctrl+C never reaches the terminal."""
    script = f"""
import threading
from pathlib import Path
from lsc_tui.engine.base import ChatMessage, ModelSpec, SamplingParams
from lsc_tui.engine.llama import LlamaEngine

class InterruptedInHook(threading.Event):
    polls = 0
    def is_set(self):
        self.polls += 1
        if self.polls == 2:
            raise KeyboardInterrupt
        return super().is_set()

engine = LlamaEngine(ModelSpec("smollm2-135m", Path({str(smollm_path)!r}), n_ctx=2048))
prompt = (ChatMessage("user", "lorem ipsum " * 350),)
try:
    for _ in engine.stream(prompt, SamplingParams(max_tokens=8), InterruptedInHook()):
        pass
except KeyboardInterrupt:
    print("interrupted")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "interrupted", done.stderr
    assert "Exception ignored" not in done.stderr
    assert "Traceback" not in done.stderr


def test_closing_the_stream_early_counts_as_cancelled(engine: LlamaEngine) -> None:
    stream = engine.stream(TASK, SamplingParams(max_tokens=40))
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert engine.last_stats is not None
    assert engine.last_stats.finish_reason == "cancelled"
    # The lock was released: another generation runs.
    assert "".join(engine.stream(TASK, SamplingParams(max_tokens=3)))


def test_concurrent_streams_are_serialised(engine: LlamaEngine) -> None:
    expected = _generate(engine, TASK, SamplingParams(max_tokens=16))
    results: list[str] = []

    def run() -> None:
        results.append("".join(engine.stream(TASK, SamplingParams(max_tokens=16))))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [expected, expected]


def test_count_tokens(engine: LlamaEngine) -> None:
    assert engine.count_tokens("") == 0
    assert 1 <= engine.count_tokens("def add(a, b):") <= 10
    assert engine.count_tokens("x " * 100) >= 100


@pytest.mark.parametrize("cut", [0.02, 0.5])
def test_truncated_file_is_a_one_line_model_error(
    smollm_path: Path, tmp_path: Path, cut: float, capfd: pytest.CaptureFixture[str]
) -> None:
    truncated = tmp_path / "smollm-truncated.gguf"
    with smollm_path.open("rb") as source:
        truncated.write_bytes(source.read(int(smollm_path.stat().st_size * cut)))
    with pytest.raises(ModelError) as info:
        LlamaEngine(ModelSpec("smollm2-135m", truncated))
    message = str(info.value)
    assert message.startswith("smollm-truncated.gguf is not a valid GGUF file (")
    assert "lsc models pull smollm2-135m" in message
    assert "\n" not in message
    assert capfd.readouterr().err == ""


def test_pool_loads_the_real_engine_once(smollm_path: Path) -> None:
    spec = ModelSpec("smollm2-135m", smollm_path, n_ctx=512)
    with EnginePool({"generator": spec, "syntax_critic": spec}) as pool:
        engine = pool.get("generator")
        assert isinstance(engine, LlamaEngine)
        assert pool.get("syntax_critic") is engine
        assert "".join(engine.stream(TASK, SamplingParams(max_tokens=3)))


def test_backend_info_reports_offload_support() -> None:
    info = backend_info()
    assert isinstance(info["gpu_offload"], bool)
    assert info["backend"] in {"cpu", "cuda", "metal", "vulkan", "rocm", "hip", "sycl"}
    assert "CPU" in str(info["system_info"])

"""Facts about this machine (RAM, cores, GPU offload, VRAM) and model fit estimates.

Memory for a model is its weights (the GGUF file, memory-mapped) plus the KV cache
at the chosen ``n_ctx`` (f16 K and V for every layer, sized from the GGUF header)
plus one batch of output logits (``n_vocab x 512`` floats, which llama-cpp-python
allocates) plus a fixed allowance for compute buffers. Measured on 2 cores at
n_ctx 4096, the resident size after a first generation was 206 MiB (SmolLM2-135M),
595 MiB (Qwen2.5-Coder-0.5B) and 1825 MiB (Qwen2.5-Coder-1.5B, whose Q4_K weights
llama.cpp also repacks); the estimates are 471, 1005 and 1666 MiB, and
``RAM_HEADROOM_BYTES`` covers the rest. ``check_fits`` refuses a model that will
not fit, with the numbers in the message.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import psutil

from lsc_tui.errors import ModelError

if TYPE_CHECKING:
    from lsc_tui.engine.base import ModelSpec
    from lsc_tui.recipes.model import Recipe

GIB = 1024**3
MIB = 1024**2
# Compute buffers and runtime overhead on top of weights, KV cache and logits.
BASE_OVERHEAD_BYTES = 192 * MIB
# Tokens per batch whose logits are kept (llama-cpp-python's default n_batch).
LOGITS_BATCH_TOKENS = 512
# Vocabulary assumed when unknown: Qwen2.5's, the largest we ship.
FALLBACK_VOCAB_SIZE = 151_936
# Keep this much RAM free for the OS, the TUI and the sandboxed tests.
RAM_HEADROOM_BYTES = 512 * MIB
# Per-token KV size assumed when the model's shape is unknown (no file yet):
# on the high side for the 0.5-4B models we target.
FALLBACK_KV_BYTES_PER_TOKEN = 256 * 1024


@dataclass(frozen=True, slots=True)
class GpuInfo:
    """One GPU as nvidia-smi reports it."""

    name: str
    total_bytes: int
    free_bytes: int


@dataclass(frozen=True, slots=True)
class HardwareFacts:
    """What this machine offers for running models."""

    total_ram_bytes: int
    available_ram_bytes: int
    physical_cores: int
    logical_cores: int
    gpu_offload: bool
    backend: str
    backend_error: str
    gpus: tuple[GpuInfo, ...] = ()
    system_info: str = ""

    @property
    def vram_total_bytes(self) -> int:
        """Total VRAM across GPUs (0 when unknown)."""
        return sum(g.total_bytes for g in self.gpus)

    @property
    def vram_free_bytes(self) -> int:
        """Free VRAM across GPUs (0 when unknown)."""
        return sum(g.free_bytes for g in self.gpus)

    @property
    def model_budget_bytes(self) -> int:
        """Memory for models: free RAM less headroom, plus free VRAM if offloading."""
        budget = max(self.available_ram_bytes - RAM_HEADROOM_BYTES, 0)
        if self.gpu_offload:
            budget += self.vram_free_bytes
        return budget

    def to_json(self) -> dict[str, Any]:
        """Plain values for ``lsc doctor --json``."""
        data = asdict(self)
        data["vram_total_bytes"] = self.vram_total_bytes
        data["vram_free_bytes"] = self.vram_free_bytes
        data["model_budget_bytes"] = self.model_budget_bytes
        return data


def _backend_facts() -> tuple[bool, str, str, str]:
    """Ask the engine whether llama.cpp can offload; tolerate its absence."""
    try:
        from lsc_tui.engine import llama as llama_engine

        info = llama_engine.backend_info()
    except ImportError as exc:
        return False, "unavailable", f"llama engine not importable: {exc}", ""
    except Exception as exc:  # a broken native build must not break `lsc doctor`
        return False, "unavailable", f"{type(exc).__name__}: {exc}", ""
    return (
        bool(info.get("gpu_offload", False)),
        str(info.get("backend", "unknown")),
        "",
        str(info.get("system_info", "")),
    )


def read_nvidia_gpus(timeout_s: float = 3.0) -> tuple[GpuInfo, ...]:
    """VRAM per NVIDIA GPU from nvidia-smi, or () when there is none."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return ()
    try:
        completed = subprocess.run(
            [
                executable,
                "--query-gpu=name,memory.total,memory.free",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if completed.returncode != 0:
        return ()
    return parse_nvidia_smi(completed.stdout)


def parse_nvidia_smi(output: str) -> tuple[GpuInfo, ...]:
    """Parse ``name, total MiB, free MiB`` CSV lines; skip lines that do not parse."""
    gpus = []
    for line in output.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            continue
        name, total, free = parts
        try:
            gpus.append(GpuInfo(name, int(float(total)) * MIB, int(float(free)) * MIB))
        except ValueError:
            continue
    return tuple(gpus)


def hardware_facts(*, include_backend: bool = True) -> HardwareFacts:
    """Measure RAM, cores, GPU offload support and VRAM now."""
    memory = psutil.virtual_memory()
    physical = psutil.cpu_count(logical=False) or psutil.cpu_count() or 1
    logical = psutil.cpu_count() or physical
    if include_backend:
        offload, backend, error, system_info = _backend_facts()
    else:
        offload, backend, error, system_info = False, "not checked", "", ""
    return HardwareFacts(
        total_ram_bytes=int(memory.total),
        available_ram_bytes=int(memory.available),
        physical_cores=int(physical),
        logical_cores=int(logical),
        gpu_offload=offload,
        backend=backend,
        backend_error=error,
        gpus=read_nvidia_gpus(),
        system_info=system_info,
    )


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    """The parts of a model's memory need."""

    weights_bytes: int
    kv_bytes: int
    overhead_bytes: int
    """Compute buffers plus one batch of output logits."""

    @property
    def total_bytes(self) -> int:
        """Everything together."""
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes


def estimate_for_size(
    weights_bytes: int,
    n_ctx: int,
    kv_bytes_per_token: int | None,
    n_vocab: int | None = None,
) -> MemoryEstimate:
    """Estimate from file size, KV bytes per token and vocabulary (None: guesses)."""
    per_token = kv_bytes_per_token or FALLBACK_KV_BYTES_PER_TOKEN
    logits = (n_vocab or FALLBACK_VOCAB_SIZE) * LOGITS_BATCH_TOKENS * 4
    return MemoryEstimate(
        weights_bytes=weights_bytes,
        kv_bytes=per_token * n_ctx,
        overhead_bytes=BASE_OVERHEAD_BYTES + logits,
    )


def estimate_memory(spec: ModelSpec) -> MemoryEstimate:
    """Weights, f16 KV cache at ``spec.n_ctx`` and buffers, from the GGUF header."""
    from lsc_tui.recipes.gguf import read_gguf_header

    header = read_gguf_header(spec.path)
    return estimate_for_size(
        header.file_size, spec.n_ctx, header.kv_bytes_per_token(), header.vocab_size
    )


def estimate_memory_bytes(spec: ModelSpec) -> int:
    """Bytes ``spec`` needs loaded: weights + KV cache at its n_ctx + overhead."""
    return estimate_memory(spec).total_bytes


def format_gib(n_bytes: int) -> str:
    """``n_bytes`` as GiB with one decimal (MiB below 1 GiB)."""
    if n_bytes < GIB:
        return f"{n_bytes / MIB:.0f} MiB"
    return f"{n_bytes / GIB:.1f} GiB"


def check_fits(
    spec: ModelSpec,
    *,
    already_loaded_bytes: int = 0,
    facts: HardwareFacts | None = None,
) -> None:
    """Raise ModelError with the numbers when ``spec`` will not fit in memory now."""
    if facts is None:
        # Only a visible NVIDIA GPU makes the backend's offload support matter here.
        facts = hardware_facts(include_backend=shutil.which("nvidia-smi") is not None)
    estimate = estimate_memory(spec)
    budget = max(facts.model_budget_bytes - already_loaded_bytes, 0)
    if estimate.total_bytes <= budget:
        return
    raise ModelError(
        f"{spec.model_id} needs {format_gib(estimate.total_bytes)} "
        f"(weights {format_gib(estimate.weights_bytes)}, KV cache at n_ctx "
        f"{spec.n_ctx} {format_gib(estimate.kv_bytes)}), "
        f"{format_gib(budget)} available; "
        "try a smaller quant (e.g. Q4_K_M), a smaller n_ctx, or close other programs"
    )


def recommend_quant(
    recipe: Recipe, facts: HardwareFacts, *, n_ctx: int | None = None
) -> str | None:
    """The quant of ``recipe`` to use on this machine, or None if none fits.

    On the CPU, generation speed is bound by memory bandwidth, so the recipe's
    default (a 4-bit K-quant) is the sweet spot whenever it fits, and a smaller quant
    is chosen only when it does not. A bigger quant is recommended only when the
    build offloads to a GPU and the whole model fits in its free VRAM. Quants
    without a known size are skipped.
    """
    sized = []
    for quant in recipe.quants.values():
        size = quant.best_size_bytes
        if size is not None:
            need = estimate_for_recipe(recipe, size, n_ctx).total_bytes
            sized.append((size, need, quant.name))
    fitting = [
        (size, name) for size, need, name in sized if need <= facts.model_budget_bytes
    ]
    if not fitting:
        return None
    if facts.gpu_offload:
        in_vram = [
            (size, name) for size, need, name in sized if need <= facts.vram_free_bytes
        ]
        if in_vram:
            return max(in_vram)[1]
    if any(name == recipe.default_quant for _, name in fitting):
        return recipe.default_quant
    default_size = recipe.quants[recipe.default_quant].best_size_bytes
    smaller = [(size, name) for size, name in fitting if size < (default_size or 0)]
    return max(smaller or fitting)[1]


# KV bytes per token (f16 K+V, all layers) of each architecture/size we ship,
# read from the GGUF headers so recommendations work before a download.
_KNOWN_KV_BYTES_PER_TOKEN = {
    "qwen2.5-coder-0.5b-instruct": 24 * 2 * 64 * 2 * 2,
    "qwen2.5-coder-1.5b-instruct": 28 * 2 * 128 * 2 * 2,
}


# Vocabulary sizes read from llama.cpp's vocab GGUFs for these families.
_VOCAB_BY_ARCHITECTURE = {"qwen2": 151_936, "phi3": 32_064}


def estimate_for_recipe(
    recipe: Recipe, size_bytes: int, n_ctx: int | None = None
) -> MemoryEstimate:
    """Estimate a recipe's file of ``size_bytes`` before it is downloaded."""
    return estimate_for_size(
        size_bytes,
        n_ctx or recipe.n_ctx,
        _kv_bytes_per_token_for(recipe),
        _VOCAB_BY_ARCHITECTURE.get(recipe.architecture),
    )


def _kv_bytes_per_token_for(recipe: Recipe) -> int | None:
    """Per-token KV size for a recipe, when known without the file."""
    if recipe.architecture == "phi3":
        return 32 * 32 * 96 * 2 * 2
    return _KNOWN_KV_BYTES_PER_TOKEN.get(recipe.id)

"""Facts about this machine (RAM, cores, GPU offload, VRAM) and model fit estimates.

Memory for a model is its weights (the GGUF's tensor data, memory-mapped) plus the
KV cache at the chosen ``n_ctx`` (f16 K and V for every layer, sized from the GGUF
header) plus a compute-buffer allowance. ``check_fits`` refuses a model that will
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
# Compute buffers and runtime overhead on top of weights + KV (llama.cpp's CPU
# compute buffer for these models at n_ctx 4096 is tens to a few hundred MiB).
BASE_OVERHEAD_BYTES = 256 * MIB
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

    @property
    def total_bytes(self) -> int:
        """Everything together."""
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes


def estimate_for_size(
    weights_bytes: int, n_ctx: int, kv_bytes_per_token: int | None
) -> MemoryEstimate:
    """Estimate from a file size and a per-token KV size (None: a safe guess)."""
    per_token = kv_bytes_per_token or FALLBACK_KV_BYTES_PER_TOKEN
    return MemoryEstimate(
        weights_bytes=weights_bytes,
        kv_bytes=per_token * n_ctx,
        overhead_bytes=BASE_OVERHEAD_BYTES,
    )


def estimate_memory(spec: ModelSpec) -> MemoryEstimate:
    """Weights plus f16 KV cache at ``spec.n_ctx``, from the GGUF header."""
    from lsc_tui.recipes.gguf import read_gguf_header

    header = read_gguf_header(spec.path)
    return estimate_for_size(header.file_size, spec.n_ctx, header.kv_bytes_per_token())


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
    """The largest quant of ``recipe`` that fits ``facts``' memory budget, or None.

    Quants without a known size are skipped. Largest means best quality that fits;
    the recipe's default wins a tie-break when it fits with the same size class.
    """
    context = n_ctx or recipe.n_ctx
    kv_per_token = _kv_bytes_per_token_for(recipe)
    fitting = []
    for quant in recipe.quants.values():
        size = quant.best_size_bytes
        if size is None:
            continue
        need = estimate_for_size(size, context, kv_per_token).total_bytes
        if need <= facts.model_budget_bytes:
            fitting.append((size, quant.name))
    if not fitting:
        return None
    default = recipe.quants[recipe.default_quant].best_size_bytes
    if default is not None and any(name == recipe.default_quant for _, name in fitting):
        # Prefer the recipe's default unless a bigger quant fits with room to spare.
        roomy = [
            (size, name)
            for size, name in fitting
            if size > default
            and estimate_for_size(size, context, kv_per_token).total_bytes * 2
            <= facts.model_budget_bytes
        ]
        if not roomy:
            return recipe.default_quant
        return max(roomy)[1]
    return max(fitting)[1]


# KV bytes per token (f16 K+V, all layers) of each architecture/size we ship,
# read from the GGUF headers so recommendations work before a download.
_KNOWN_KV_BYTES_PER_TOKEN = {
    "qwen2.5-coder-0.5b-instruct": 24 * 2 * 64 * 2 * 2,
    "qwen2.5-coder-1.5b-instruct": 28 * 2 * 128 * 2 * 2,
}


def _kv_bytes_per_token_for(recipe: Recipe) -> int | None:
    """Per-token KV size for a recipe, when known without the file."""
    if recipe.architecture == "phi3":
        return 32 * 32 * 96 * 2 * 2
    return _KNOWN_KV_BYTES_PER_TOKEN.get(recipe.id)

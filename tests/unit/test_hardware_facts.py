"""Hardware facts, memory estimates, fit checks, quant advice and `lsc doctor`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli
from lsc_tui.engine.base import ModelSpec
from lsc_tui.errors import ModelError
from lsc_tui.hardware import (
    BASE_OVERHEAD_BYTES,
    GIB,
    HardwareFacts,
    check_fits,
    estimate_memory,
    estimate_memory_bytes,
    hardware_facts,
    parse_nvidia_smi,
    recommend_quant,
)
from lsc_tui.recipes.catalog import load_catalog
from lsc_tui.recipes.gguf import write_gguf


def facts_with(available_gib: float, *, vram_gib: float = 0.0) -> HardwareFacts:
    """Facts for a pretend machine."""
    from lsc_tui.hardware import GpuInfo

    gpus = (
        (GpuInfo("Fake GPU", int(vram_gib * GIB), int(vram_gib * GIB)),)
        if vram_gib
        else ()
    )
    return HardwareFacts(
        total_ram_bytes=int(16 * GIB),
        available_ram_bytes=int(available_gib * GIB),
        physical_cores=4,
        logical_cores=8,
        gpu_offload=bool(vram_gib),
        backend="fake",
        backend_error="",
        gpus=gpus,
    )


def qwen_like(path: Path) -> ModelSpec:
    """A 24-layer, 2-KV-head, 64-dim-head model with 4 MiB of weights, 1000 tokens."""
    size = write_gguf(
        path,
        {
            "general.architecture": "qwen2",
            "qwen2.block_count": 24,
            "qwen2.embedding_length": 896,
            "qwen2.attention.head_count": 14,
            "qwen2.attention.head_count_kv": 2,
            "tokenizer.ggml.tokens": [f"t{i}" for i in range(1000)],
        },
        (("token_embd.weight", (1024, 1024), 0),),
    )
    return ModelSpec(model_id="tiny", path=path, n_ctx=4096, size_bytes=size)


def test_facts_match_psutil() -> None:
    """RAM and physical cores come from psutil; without a backend, no offload."""
    facts = hardware_facts(include_backend=False)
    assert facts.total_ram_bytes == psutil.virtual_memory().total
    assert facts.physical_cores == (psutil.cpu_count(logical=False) or 1)
    assert 0 < facts.available_ram_bytes <= facts.total_ram_bytes
    assert facts.gpu_offload is False
    assert facts.model_budget_bytes < facts.available_ram_bytes


def test_parse_nvidia_smi_output() -> None:
    """nvidia-smi CSV lines become GpuInfo entries; junk lines are skipped."""
    gpus = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 81559, 80000\ngarbage\n")
    assert len(gpus) == 1
    assert gpus[0].name == "NVIDIA H100 80GB HBM3"
    assert gpus[0].total_bytes == 81559 * 1024**2
    assert gpus[0].free_bytes == 80000 * 1024**2


def test_estimate_is_weights_plus_f16_kv(tmp_path: Path) -> None:
    """KV: n_ctx x layers x kv_heads x (k+v dims) x 2 B; logits: vocab x 512 x 4 B."""
    spec = qwen_like(tmp_path / "m.gguf")
    estimate = estimate_memory(spec)
    assert estimate.weights_bytes == spec.path.stat().st_size
    assert estimate.kv_bytes == 4096 * 24 * 2 * 128 * 2
    assert estimate.overhead_bytes == BASE_OVERHEAD_BYTES + 1000 * 512 * 4
    assert estimate_memory_bytes(spec) == (
        estimate.weights_bytes + estimate.kv_bytes + estimate.overhead_bytes
    )
    bigger = estimate_memory(replace(spec, n_ctx=8192))
    assert bigger.kv_bytes == 2 * estimate.kv_bytes


def test_check_fits_refuses_with_the_numbers(tmp_path: Path) -> None:
    """A model that does not fit raises ModelError naming need, KV and availability."""
    spec = qwen_like(tmp_path / "m.gguf")
    check_fits(spec, facts=facts_with(4.0))
    huge = replace(spec, n_ctx=4_000_000)  # 4M tokens of KV: ~45 GiB
    with pytest.raises(ModelError) as info:
        check_fits(huge, facts=facts_with(4.0))
    message = str(info.value)
    assert message.startswith("tiny needs 46.0 GiB (weights 4 MiB, ")
    assert "KV cache at n_ctx 4000000 45.8 GiB" in message
    assert "3.5 GiB available" in message
    assert "smaller n_ctx" in message
    with pytest.raises(ModelError, match="available"):
        check_fits(spec, facts=facts_with(1.0), already_loaded_bytes=int(0.6 * GIB))


def test_recommend_quant_follows_memory() -> None:
    """CPU: the default when it fits, else smaller; a GPU with VRAM: the biggest."""
    recipe = load_catalog().get("qwen2.5-coder-1.5b-instruct")
    assert recommend_quant(recipe, facts_with(64.0)) == "q4_k_m"
    assert recommend_quant(recipe, facts_with(2.4)) == "q4_k_m"
    assert recommend_quant(recipe, facts_with(1.8)) == "q2_k"
    assert recommend_quant(recipe, facts_with(0.5)) is None
    assert recommend_quant(recipe, facts_with(0.6, vram_gib=8.0)) == "q8_0"
    assert recommend_quant(recipe, facts_with(8.0, vram_gib=1.0)) == "q4_k_m"


def test_doctor_json_reports_everything() -> None:
    """`lsc doctor --json` has RAM, cores, backend, tiers and the models dir."""
    result = CliRunner().invoke(cli, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    hardware = report["hardware"]
    assert hardware["total_ram_bytes"] == psutil.virtual_memory().total
    assert hardware["physical_cores"] >= 1
    assert isinstance(hardware["gpu_offload"], bool)
    assert hardware["backend"]
    assert report["sandbox_tiers"]
    assert all(
        {"name", "available", "reason"} <= set(t) for t in report["sandbox_tiers"]
    )
    assert report["models_dir"].endswith("models")
    text = CliRunner().invoke(cli, ["doctor"])
    assert text.exit_code == 0
    assert "GPU offload" in text.stdout
    assert "sandbox tiers:" in text.stdout

"""`lsc doctor`: hardware, llama.cpp GPU offload and sandbox containment facts."""

from __future__ import annotations

import json
import shutil
from typing import Any

import click

from lsc_tui.cli.errors import friendly_errors


def _tiers() -> list[dict[str, Any]]:
    """The sandbox's containment tiers, or one 'unknown' row if it cannot say."""
    try:
        from lsc_tui.sandbox import probe_tiers
    except ImportError as exc:
        return [
            {"name": "sandbox", "available": False, "reason": f"not importable: {exc}"}
        ]
    try:
        tiers = probe_tiers()
    except Exception as exc:  # a probe failure must not hide the other facts
        return [
            {"name": "sandbox", "available": False, "reason": f"probe failed: {exc}"}
        ]
    return [
        {
            "name": str(getattr(t, "name", "?")),
            "available": bool(getattr(t, "available", False)),
            "reason": str(getattr(t, "reason", "")),
        }
        for t in tiers
    ]


def doctor_report() -> dict[str, Any]:
    """Everything `lsc doctor` prints, as plain values."""
    from lsc_tui.hardware import hardware_facts
    from lsc_tui.paths import get_paths

    facts = hardware_facts()
    paths = get_paths()
    models_dir = paths.models_dir
    probe_dir = models_dir if models_dir.exists() else models_dir.parent
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        probe_dir = probe_dir.parent
    return {
        "hardware": facts.to_json(),
        "models_dir": str(models_dir),
        "models_dir_free_bytes": shutil.disk_usage(probe_dir).free,
        "sandbox_tiers": _tiers(),
    }


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 1024**3:.1f} GiB"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def doctor(as_json: bool) -> None:
    """Show hardware, GPU offload and sandbox containment facts."""
    with friendly_errors():
        report = doctor_report()
        if as_json:
            click.echo(json.dumps(report, indent=2))
            return
        hw = report["hardware"]
        click.echo(
            f"RAM:          {_gib(hw['total_ram_bytes'])} total, "
            f"{_gib(hw['available_ram_bytes'])} available"
        )
        click.echo(
            f"CPU cores:    {hw['physical_cores']} physical, "
            f"{hw['logical_cores']} logical (llama.cpp uses the physical count)"
        )
        offload = "yes" if hw["gpu_offload"] else "no"
        click.echo(f"llama.cpp:    backend {hw['backend']}, GPU offload {offload}")
        if hw["backend_error"]:
            click.echo(f"              ({hw['backend_error']})")
        if hw["gpus"]:
            for gpu in hw["gpus"]:
                click.echo(
                    f"GPU:          {gpu['name']}, {_gib(gpu['total_bytes'])} VRAM, "
                    f"{_gib(gpu['free_bytes'])} free"
                )
        else:
            click.echo("GPU:          none found (nvidia-smi absent or no NVIDIA GPU)")
        if hw["gpus"] and not hw["gpu_offload"]:
            click.echo(
                "              this llama-cpp-python build cannot offload; "
                "rebuild it with CMAKE_ARGS (see docs/gpu.md)"
            )
        click.echo(f"model memory: {_gib(hw['model_budget_bytes'])} usable for models")
        click.echo(
            f"models dir:   {report['models_dir']} "
            f"({_gib(report['models_dir_free_bytes'])} free)"
        )
        click.echo("sandbox tiers:")
        for tier in report["sandbox_tiers"]:
            mark = "ok " if tier["available"] else "no "
            click.echo(f"  [{mark}] {tier['name']}: {tier['reason']}".rstrip(": "))

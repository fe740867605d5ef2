"""Facts about the machine and software a bench ran on, for summaries and results.md."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model name, from /proc/cpuinfo where there is one."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, Any]:
    """CPU, cores, RAM, OS and the versions that affect speed and results."""
    from lsc_tui import __version__

    memory = psutil.virtual_memory()
    return {
        "cpu": cpu_model(),
        "physical_cores": psutil.cpu_count(logical=False) or 0,
        "logical_cores": psutil.cpu_count(logical=True) or 0,
        "usable_cores": len(psutil.Process().cpu_affinity() or [])
        if hasattr(psutil.Process, "cpu_affinity")
        else 0,
        "ram_gib": round(memory.total / 1024**3, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "lsc_tui": __version__,
        "llama_cpp_python": _version("llama_cpp_python"),
    }

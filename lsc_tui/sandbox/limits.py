"""Resource limits for one sandbox check, with the defaults the issue asks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Wall-clock, memory, output and process limits applied to candidate code."""

    test_timeout_s: float = 5.0
    """Wall clock per test (per input for call_batch)."""
    total_timeout_s: float = 30.0
    """Wall clock for all tests of one check."""
    memory_mb: int = 512
    """Address-space limit (RLIMIT_AS) of the sandboxed interpreter."""
    output_limit_bytes: int = 1 << 20
    """Captured stdout+stderr cap; the rest is read and discarded."""
    file_size_mb: int = 16
    """Largest file the candidate may write (RLIMIT_FSIZE)."""
    open_files: int = 64
    """Most open file descriptors (RLIMIT_NOFILE)."""
    processes: int = 64
    """RLIMIT_NPROC inside the sandbox (new processes are also blocked by seccomp)."""
    tmpfs_mb: int = 64
    """Size of the private /tmp (bubblewrap tier)."""
    result_limit_bytes: int = 64 << 20
    """Most bytes of results one sandboxed process may send back."""

    def cpu_seconds(self, wall_s: float) -> int:
        """A CPU-time rlimit a little above a wall-clock budget, as a backstop."""
        return int(wall_s) + 2

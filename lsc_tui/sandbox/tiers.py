"""Containment tiers: probing which are usable here and building their command lines.

Tiers, strongest first:

- ``bubblewrap``: the runner starts inside ``bwrap`` with every namespace unshared
  (user, pid, net, ipc, uts, cgroup), a read-only view of only the system and Python
  directories, a private size-capped ``/tmp`` as home and working directory, no
  capabilities, a scrubbed environment, a new session and death with its parent.
  The runner then adds rlimits and the seccomp filter of ``confine.py``.
- ``landlock-seccomp``: no namespaces; the runner confines itself with Landlock
  (read-only system and Python paths, one private writable directory; TCP and,
  on Landlock ABI 6+, abstract unix sockets and signals outside the sandbox are
  denied), drops all capabilities, and loads the seccomp filter (no processes,
  exec, sockets, ptrace, namespaces). Needs libseccomp (Debian ``libseccomp2``).
- ``rlimits-only (unsafe)``: rlimits, timeouts and output caps only; used only when
  the user explicitly allows unsafe execution.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsc_tui.sandbox import confine
from lsc_tui.sandbox.process import Spawn

BUBBLEWRAP = "bubblewrap"
LANDLOCK = "landlock-seccomp"
UNSAFE = "rlimits-only (unsafe)"
TIER_NAMES: tuple[str, ...] = (BUBBLEWRAP, LANDLOCK, UNSAFE)

RUNNER_DIR = Path(__file__).resolve().parent
RUNNER_IN_SANDBOX = "/lsc/runner"
_PYTHON_FLAGS = ("-S", "-s", "-B", "-P")


@dataclass(frozen=True, slots=True)
class TierStatus:
    """Whether one containment tier can be used here, and why (one line)."""

    name: str
    available: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Launch:
    """A ready-to-run runner invocation plus what the job must carry for it."""

    spawn: Spawn
    job_extras: Mapping[str, Any]
    workdir: str | None = None
    """A host directory to remove after the run (Landlock and unsafe tiers)."""


def python_executable() -> str:
    """The base interpreter (not a venv shim), which needs no site-packages."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def _python_dirs() -> list[str]:
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    exe_dir = os.path.dirname(python_executable())
    if not any(exe_dir.startswith(d + os.sep) for d in dirs):
        dirs.add(exe_dir)
    return sorted(dirs)


def _system_dirs() -> list[str]:
    return [
        p for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin") if os.path.exists(p)
    ]


def _minimal_env(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@functools.cache
def libseccomp_path() -> str | None:
    """Absolute path of libseccomp.so.2, or None when it is not installed."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    roots = [f"/usr/lib/{multiarch}", f"/lib/{multiarch}"] if multiarch else []
    roots += ["/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib"]
    for root in roots:
        for name in ("libseccomp.so.2", "libseccomp.so"):
            candidate = os.path.join(root, name)
            if os.path.exists(candidate):
                return os.path.realpath(candidate)
    return None


def bwrap_path() -> str | None:
    """The bubblewrap binary, if installed."""
    return shutil.which("bwrap")


def _bwrap_argv(bwrap: str, tmpfs_bytes: int, seccomp_fd: int | None) -> list[str]:
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
    ]
    for path in _system_dirs():
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        else:
            argv += ["--ro-bind", path, path]
    for path in _python_dirs():
        argv += ["--ro-bind", path, path]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    argv += [
        "--ro-bind",
        str(RUNNER_DIR),
        RUNNER_IN_SANDBOX,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(tmpfs_bytes),
        "--tmpfs",
        "/tmp",
        "--chdir",
        "/tmp",
        "--",
        python_executable(),
        *_PYTHON_FLAGS,
        f"{RUNNER_IN_SANDBOX}/child.py",
    ]
    return argv


BWRAP_RUNNER_PID = 2
"""The runner's pid inside bubblewrap's pid namespace (bwrap's init is 1)."""


@functools.cache
def bwrap_seccomp_bpf() -> bytes | None:
    """The seccomp filter compiled once for bubblewrap, or None without libseccomp."""
    path = libseccomp_path()
    if path is None:
        return None
    try:
        return confine.export_seccomp_bpf(path, BWRAP_RUNNER_PID)
    except OSError:
        return None


def seccomp_memfd(bpf: bytes) -> int:
    """A fresh file descriptor holding ``bpf`` at offset 0 (bwrap reads it once)."""
    fd = os.memfd_create("lsc-seccomp", os.MFD_CLOEXEC)
    try:
        view = memoryview(bpf)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


def launch(tier: str, *, tmpfs_bytes: int) -> Launch:
    """Build the runner invocation for ``tier`` (which must be available).

    For bubblewrap the returned spawn inherits a seccomp descriptor that the
    caller must close with :func:`close_launch` after the run.
    """
    if tier == BUBBLEWRAP:
        bwrap = bwrap_path()
        assert bwrap is not None
        bpf = bwrap_seccomp_bpf()
        fd = seccomp_memfd(bpf) if bpf else None
        bwrap_argv = _bwrap_argv(bwrap, tmpfs_bytes, fd)
        return Launch(
            spawn=Spawn(
                tuple(bwrap_argv),
                _minimal_env("/tmp"),
                pass_fds=() if fd is None else (fd,),
            ),
            job_extras={"seccomp": None, "landlock": None, "workdir": None},
        )
    workdir = tempfile.mkdtemp(prefix="lsc-sandbox-")
    argv = (python_executable(), *_PYTHON_FLAGS, str(RUNNER_DIR / "child.py"))
    if tier == LANDLOCK:
        read_paths = [*_system_dirs(), *_python_dirs(), str(RUNNER_DIR)]
        if os.path.exists("/etc/ld.so.cache"):
            read_paths.append("/etc/ld.so.cache")
        extras: dict[str, Any] = {
            "seccomp": libseccomp_path(),
            "landlock": {"read": read_paths, "write": [workdir]},
            "workdir": workdir,
            "drop_caps": True,
        }
    else:
        extras = {"seccomp": None, "landlock": None, "workdir": workdir}
    return Launch(
        spawn=Spawn(argv, _minimal_env(workdir), cwd=workdir),
        job_extras=extras,
        workdir=workdir,
    )


def close_launch(spec: Launch) -> None:
    """Release what :func:`launch` made: inherited descriptors and the work dir."""
    for fd in spec.spawn.pass_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    if spec.workdir:
        shutil.rmtree(spec.workdir, ignore_errors=True)


def _trial(tier: str) -> str:
    """Run a trivial syntax job in ``tier``; '' on success, else why it failed."""
    from lsc_tui.sandbox.process import run_child

    spec = launch(tier, tmpfs_bytes=8 << 20)
    job = {
        "mode": "syntax",
        "code": "x = 1\n",
        "rlimits": {"as": 512 << 20, "core": 0, "nofile": 64},
        **spec.job_extras,
    }
    try:
        out = run_child(
            spec.spawn,
            job,
            first_deadline=time.monotonic() + 10.0,
            output_limit=4096,
            result_limit=1 << 16,
        )
    except OSError as exc:
        return f"cannot start: {exc.strerror or exc}"
    finally:
        close_launch(spec)
    kinds = [r.get("k") for r in out.records]
    if "syntax" in kinds:
        return ""
    for record in out.records:
        if record.get("k") == "confine_failed":
            return f"confinement failed: {record.get('m', '')}"
    detail = out.stderr.decode("utf-8", "replace").strip().splitlines()
    last = detail[-1] if detail else f"exit status {out.returncode}"
    return f"trial run failed: {last[:200]}"


@functools.cache
def probe_tiers() -> list[TierStatus]:
    """Which tiers work here, strongest first; cached for the process."""
    statuses: list[TierStatus] = []
    seccomp = libseccomp_path()
    bwrap = bwrap_path()
    if bwrap is None:
        statuses.append(
            TierStatus(
                BUBBLEWRAP, False, "bwrap not found; install the 'bubblewrap' package"
            )
        )
    else:
        problem = _trial(BUBBLEWRAP)
        if problem:
            statuses.append(TierStatus(BUBBLEWRAP, False, f"{bwrap}: {problem}"))
        else:
            extra = (
                ""
                if bwrap_seccomp_bpf()
                else " (no libseccomp: process creation is not filtered)"
            )
            statuses.append(
                TierStatus(
                    BUBBLEWRAP, True, f"{bwrap} works with user namespaces{extra}"
                )
            )
    abi = confine.landlock_abi()
    if abi < 1:
        statuses.append(
            TierStatus(LANDLOCK, False, "the kernel has no Landlock support")
        )
    elif seccomp is None:
        statuses.append(
            TierStatus(LANDLOCK, False, "libseccomp not found; install 'libseccomp2'")
        )
    else:
        problem = _trial(LANDLOCK)
        scope = (
            "signals and abstract sockets scoped" if abi >= 6 else "no signal scoping"
        )
        statuses.append(
            TierStatus(
                LANDLOCK, not problem, problem or f"Landlock ABI {abi} ({scope})"
            )
        )
    statuses.append(
        TierStatus(
            UNSAFE,
            True,
            "no isolation, only rlimits and timeouts; needs allow_unsafe_sandbox",
        )
    )
    return statuses

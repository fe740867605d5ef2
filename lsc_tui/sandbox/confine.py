"""Self-confinement the sandbox runner applies before it touches candidate code.

Runs inside the child process and uses only the standard library (ctypes for the
kernel interfaces), because the runner starts without site-packages. Layers:
dropping every capability (so root inside the sandbox is harmless);
a seccomp filter through the system's libseccomp that forbids new processes,
exec, sockets, ptrace, namespaces, kernel keyrings, io_uring and signals to other
processes; and, for the Landlock tier, a Landlock ruleset that confines the file
system to read-only system paths plus one writable work directory and, where the
kernel supports it, forbids TCP, abstract unix sockets and outside signals.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Sequence
from typing import Any

# --- capabilities --------------------------------------------------------------

_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_CAP_VERSION_3 = 0x20080522
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _long(value: int) -> ctypes.c_long:
    return ctypes.c_long(value)


def _prctl(libc: Any, option: int, arg: int) -> int:
    zero = ctypes.c_ulong(0)
    return int(libc.prctl(option, ctypes.c_ulong(arg), zero, zero, zero))


def _machine() -> str:
    return os.uname().machine


def drop_privileges() -> None:
    """Set no_new_privs and drop every capability, including the bounding set."""
    libc = _libc()
    if _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    for cap in range(64):
        _prctl(libc, _PR_CAPBSET_DROP, cap)  # fails harmlessly when unprivileged
    number = _SYS_CAPSET.get(_machine())
    if number is None:
        return
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.syscall(ctypes.c_long(number), ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


# --- seccomp -------------------------------------------------------------------

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_NE = 1
_SCMP_CMP_MASKED_EQ = 7
_CLONE_THREAD = 0x00010000


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


DENIED_SYSCALLS: tuple[str, ...] = (
    "execve",
    "execveat",
    "fork",
    "vfork",
    "socket",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "syslog",
    "acct",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "tkill",
    "open_by_handle_at",
    "name_to_handle_at",
)
"""System calls that always fail with EPERM inside the sandbox."""


def _seccomp_lib(libseccomp_path: str) -> Any:
    lib = ctypes.CDLL(libseccomp_path, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_load.argtypes = (ctypes.c_void_p,)
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    return lib


def _build_filter(lib: Any, pid: int, *, allow_exec: bool = False) -> Any:
    """A libseccomp context with the deny rules; ``pid`` is the one signals may reach.

    ``allow_exec`` keeps execve open for bubblewrap, which installs the filter
    before it executes the interpreter; the exec'd program stays as confined.
    """
    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")

    def rule(name: str, action: int, *cmps: _ArgCmp) -> None:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            return  # not on this architecture
        array = (_ArgCmp * max(1, len(cmps)))(*cmps)
        status = lib.seccomp_rule_add_array(ctx, action, number, len(cmps), array)
        if status < 0:
            raise OSError(-status, f"seccomp rule for {name} failed")

    try:
        deny = _act_errno(errno.EPERM)
        for name in DENIED_SYSCALLS:
            if allow_exec and name in {"execve", "execveat"}:
                continue
            rule(name, deny)
        # clone() may only make threads; clone3 reports ENOSYS so libc falls back.
        rule("clone", deny, _ArgCmp(0, _SCMP_CMP_MASKED_EQ, _CLONE_THREAD, 0))
        rule("clone3", _act_errno(errno.ENOSYS))
        # Signals and rlimit changes only for this process itself.
        rule("kill", deny, _ArgCmp(0, _SCMP_CMP_NE, pid, 0))
        rule("tgkill", deny, _ArgCmp(0, _SCMP_CMP_NE, pid, 0))
        rule("prlimit64", deny, _ArgCmp(0, _SCMP_CMP_NE, 0, 0))
    except BaseException:
        lib.seccomp_release(ctx)
        raise
    return ctx


def apply_seccomp(libseccomp_path: str) -> None:
    """Load the deny-list filter; threads may still be created, processes not."""
    lib = _seccomp_lib(libseccomp_path)
    ctx = _build_filter(lib, os.getpid())
    try:
        status = lib.seccomp_load(ctx)
        if status < 0:
            raise OSError(-status, "seccomp_load failed")
    finally:
        lib.seccomp_release(ctx)


def export_seccomp_bpf(libseccomp_path: str, pid: int) -> bytes:
    """The same filter as raw BPF, for ``bwrap --seccomp FD`` (runner pid ``pid``)."""
    lib = _seccomp_lib(libseccomp_path)
    ctx = _build_filter(lib, pid, allow_exec=True)
    read_end, write_end = os.pipe()
    try:
        status = lib.seccomp_export_bpf(ctx, write_end)
        if status < 0:
            raise OSError(-status, "seccomp_export_bpf failed")
        os.close(write_end)
        write_end = -1
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        lib.seccomp_release(ctx)
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


# --- Landlock --------------------------------------------------------------------

_SYS_LANDLOCK_CREATE = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT = 446
_RULE_PATH_BENEATH = 1

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_ALL_V1 = (1 << 13) - 1
_FS_REFER = 1 << 13
_FS_TRUNCATE = 1 << 14
_FS_IOCTL_DEV = 1 << 15
_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX = 1 << 0
_SCOPE_SIGNAL = 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is unavailable."""
    if _machine() not in {"x86_64", "aarch64"}:
        return 0
    version = _libc().syscall(_long(_SYS_LANDLOCK_CREATE), None, _long(0), _long(1))
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    rights = _FS_ALL_V1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def apply_landlock(read_paths: Sequence[str], write_paths: Sequence[str]) -> int:
    """Restrict this process to the given paths; returns the ABI version used."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    libc = _libc()
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(
        _long(_SYS_LANDLOCK_CREATE), ctypes.byref(attr), _long(size), _long(0)
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    file_rights = _FS_EXECUTE | _FS_READ_FILE
    write_file_rights = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
    try:
        for paths, extra in ((read_paths, 0), (write_paths, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    is_dir = os.path.isdir(path)
                    if is_dir:
                        allowed = (file_rights | _FS_READ_DIR) | extra
                    else:
                        allowed = file_rights | (write_file_rights if extra else 0)
                    beneath = _PathBeneath(allowed & handled, fd)
                    if (
                        libc.syscall(
                            _long(_SYS_LANDLOCK_ADD_RULE),
                            _long(ruleset),
                            _long(_RULE_PATH_BENEATH),
                            ctypes.byref(beneath),
                            _long(0),
                        )
                        != 0
                    ):
                        raise OSError(ctypes.get_errno(), f"landlock rule {path}")
                finally:
                    os.close(fd)
        if _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if libc.syscall(_long(_SYS_LANDLOCK_RESTRICT), _long(ruleset), _long(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi

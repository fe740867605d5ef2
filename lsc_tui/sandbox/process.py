"""Spawns one sandboxed runner and collects its output under deadlines and caps.

The child gets the job on stdin, writes candidate output to stdout/stderr and
protocol records to a separate result pipe. The parent reads all three without
blocking, caps what it keeps, enforces wall-clock deadlines that may move as
records arrive, and always kills the child's whole process group at the end.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil

NextDeadline = Callable[[dict[str, Any], float], float]


@dataclass(slots=True)
class ChildOutput:
    """What one runner process produced."""

    records: list[dict[str, Any]] = field(default_factory=list)
    stdout: bytes = b""
    stderr: bytes = b""
    output_truncated: bool = False
    returncode: int | None = None
    timed_out: bool = False
    protocol_error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Spawn:
    """How to start a runner: argv, environment, directory and inherited fds."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str = "/"
    pass_fds: tuple[int, ...] = ()


def run_child(
    spawn: Spawn,
    job: dict[str, Any],
    *,
    first_deadline: float,
    next_deadline: NextDeadline | None = None,
    output_limit: int,
    result_limit: int,
) -> ChildOutput:
    """Run the runner until it exits or a deadline passes, then kill its group.

    Args:
        spawn: the command line that starts the runner.
        job: the JSON job; ``result_fd`` is filled in here.
        first_deadline: monotonic time by which the next record must arrive.
        next_deadline: given each record and its arrival time, the new deadline.
        output_limit: bytes of stdout+stderr to keep.
        result_limit: bytes of result records accepted before the child is killed.
    """
    started = time.monotonic()
    result_read, result_write = os.pipe()
    out = ChildOutput()
    try:
        job = {**job, "result_fd": result_write}
        payload = marshal.dumps(job)
        proc = subprocess.Popen(
            list(spawn.argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(result_write, *spawn.pass_fds),
            env=dict(spawn.env),
            cwd=spawn.cwd,
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        os.close(result_read)
        os.close(result_write)
        raise
    os.close(result_write)
    try:
        _pump(
            proc,
            result_read,
            payload,
            out,
            first_deadline,
            next_deadline,
            output_limit,
            result_limit,
        )
    finally:
        _kill_group(proc)
        os.close(result_read)
        out.returncode = proc.returncode
        out.seconds = time.monotonic() - started
    return out


def _pump(
    proc: subprocess.Popen[bytes],
    result_read: int,
    payload: bytes,
    out: ChildOutput,
    deadline: float,
    next_deadline: NextDeadline | None,
    output_limit: int,
    result_limit: int,
) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    stdout_fd, stderr_fd = proc.stdout.fileno(), proc.stderr.fileno()
    stdin_fd = proc.stdin.fileno()
    for fd in (stdout_fd, stderr_fd, result_read, stdin_fd):
        os.set_blocking(fd, False)
    selector.register(stdout_fd, selectors.EVENT_READ)
    selector.register(stderr_fd, selectors.EVENT_READ)
    selector.register(result_read, selectors.EVENT_READ)
    selector.register(stdin_fd, selectors.EVENT_WRITE)
    pending = memoryview(payload)
    chunks: dict[int, list[bytes]] = {stdout_fd: [], stderr_fd: []}
    kept = 0
    result_buffer = bytearray()
    result_bytes = 0
    open_reads = 3
    try:
        while open_reads:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                out.timed_out = True
                return
            for key, _ in selector.select(min(timeout, 1.0)):
                fd = key.fd
                if fd == stdin_fd:
                    try:
                        written = os.write(fd, pending[:65536])
                    except BrokenPipeError:
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(fd)
                        proc.stdin.close()
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(fd)
                    open_reads -= 1
                    continue
                if fd == result_read:
                    result_bytes += len(data)
                    if result_bytes > result_limit:
                        out.protocol_error = "results exceeded the size limit"
                        return
                    result_buffer += data
                    while b"\n" in result_buffer:
                        line, _, rest = result_buffer.partition(b"\n")
                        result_buffer = bytearray(rest)
                        record = _parse_record(bytes(line))
                        if record is None:
                            out.protocol_error = "the result channel was corrupted"
                            return
                        out.records.append(record)
                        if next_deadline is not None:
                            deadline = next_deadline(record, time.monotonic())
                    continue
                room = output_limit - kept
                if room > 0:
                    chunks[fd].append(data[:room])
                    kept += min(room, len(data))
                if len(data) > max(room, 0):
                    out.output_truncated = True
        if result_buffer:
            out.protocol_error = "the result channel was corrupted"
        # All pipes closed: give the process a moment to exit before the kill.
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, min(deadline - time.monotonic(), 1.0)))
    finally:
        selector.close()
        out.stdout = b"".join(chunks[stdout_fd])
        out.stderr = b"".join(chunks[stderr_fd])
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()


def _parse_record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if type(record) is not dict or type(record.get("k")) is not str:
        return None
    return record


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the runner, its process group and every descendant, then wait.

    bubblewrap's inner processes live in another session and pid namespace, and
    their teardown is asynchronous, so each descendant is killed by pid and
    polled until it is gone (or only a zombie awaiting its reaper).
    """
    descendants = _descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for child in descendants:
        with contextlib.suppress(psutil.Error):
            child.kill()
    proc.wait()
    give_up = time.monotonic() + 5.0
    while descendants and time.monotonic() < give_up:
        descendants = [c for c in descendants if _alive(c)]
        if descendants:
            time.sleep(0.005)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def decode_output(data: bytes, truncated: bool) -> str:
    """Candidate output as text, marked when it was cut at the cap."""
    text = data.decode("utf-8", errors="replace")
    return text + "\n[output truncated]" if truncated else text

"""MBPP+ expected outputs: run the canonical solution once per task, cache the values.

EvalPlus stores no expected outputs; it runs the reference solution on every input.
We do the same through ``Sandbox.call_batch`` (trusted code, but still contained and
time-limited) and cache the results as JSON with tagged types (tuple, set, complex,
non-finite floats, the sandbox's digests of huge values...) next to the dataset,
keyed by the dataset file's sha256, so a task's outputs are computed once per
machine.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lsc_tui.errors import TaskError
from lsc_tui.sandbox.wire import ValueDigest

if TYPE_CHECKING:
    from lsc_tui.sandbox import CallOutcome

CACHE_FORMAT = 2
_TAG = "$t"

# The reference must finish well inside these; they only stop a runaway.
REFERENCE_PER_CALL_TIMEOUT_S = 20.0
REFERENCE_TOTAL_TIMEOUT_S = 300.0
MAX_INPUTS_PER_PROCESS = 2000
"""Bulk runs put many tasks' references in one process, up to this many inputs."""
TRANSFER_S_PER_NODE = 6e-6
"""Estimated cost of moving one value node out of the sandbox and decoding it."""
DISPATCH_ENTRY = "lsc_reference_call"


class BatchCaller(Protocol):
    """The part of the sandbox that calls a function on many inputs."""

    def call_batch(
        self,
        code: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        setup: str = "",
        per_call_timeout_s: float | None = None,
        total_timeout_s: float | None = None,
    ) -> list[CallOutcome]: ...


def encode_value(value: Any) -> Any:
    """Turn a Python value into JSON data that ``decode_value`` restores exactly."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {_TAG: "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [encode_value(item) for item in value]}
    if isinstance(value, frozenset):
        return {_TAG: "frozenset", "v": [encode_value(item) for item in value]}
    if isinstance(value, set):
        return {_TAG: "set", "v": [encode_value(item) for item in value]}
    if isinstance(value, dict):
        return {
            _TAG: "dict",
            "v": [[encode_value(k), encode_value(v)] for k, v in value.items()],
        }
    if isinstance(value, complex):
        return {
            _TAG: "complex",
            "v": [encode_value(value.real), encode_value(value.imag)],
        }
    if isinstance(value, bytes | bytearray):
        return {_TAG: "bytes", "v": bytes(value).hex()}
    if isinstance(value, ValueDigest):
        return {_TAG: "digest", "v": [value.sha256, value.kind, value.length]}
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def decode_value(data: Any) -> Any:
    """Invert ``encode_value``."""
    if isinstance(data, list):
        return [decode_value(item) for item in data]
    if not isinstance(data, dict):
        return data
    kind, payload = data[_TAG], data["v"]
    if kind == "float":
        return float(payload)
    if kind == "tuple":
        return tuple(decode_value(item) for item in payload)
    if kind == "set":
        return {decode_value(item) for item in payload}
    if kind == "frozenset":
        return frozenset(decode_value(item) for item in payload)
    if kind == "dict":
        return {decode_value(k): decode_value(v) for k, v in payload}
    if kind == "complex":
        return complex(decode_value(payload[0]), decode_value(payload[1]))
    if kind == "bytes":
        return bytes.fromhex(payload)
    if kind == "digest":
        return ValueDigest(str(payload[0]), str(payload[1]), int(payload[2]))
    raise ValueError(f"unknown tag {kind!r}")


RESOURCE_LIMIT_MARKS = ("too large to transfer", "MemoryError")
"""Sandbox messages meaning the input is beyond our resource limits: the output is
bigger than the sandbox sends back, or computing it needs more memory than allowed."""

# Runs trusted reference solutions, each in its own namespace, loaded on first use.
# It records how long each call took; calling it with TIMINGS and a task number
# returns (and forgets) that task's times, so the parent can size time limits.
# For "not None" tasks the output becomes ``output is not None`` inside the sandbox,
# as EvalPlus's trusted_exec does (their outputs, e.g. re.Match, are not plain data).
_TIMINGS = "timings"
_DISPATCHER = """\
import time as _lsc_time

_LSC_SOURCES = {sources!r}
_LSC_NOT_NONE = {not_none!r}
_LSC_LOADED = {{}}
_LSC_TIMES = {{}}


def {entry}(number, *args):
    if number == {timings!r}:
        return _LSC_TIMES.pop(args[0], [])
    function = _LSC_LOADED.get(number)
    if function is None:
        source, entry_point = _LSC_SOURCES[number]
        namespace = {{"__name__": "lsc_reference_" + str(number)}}
        exec(compile(source, "<mbpp-" + str(number) + ">", "exec"), namespace)
        function = _LSC_LOADED[number] = namespace[entry_point]
    started = _lsc_time.perf_counter()
    value = function(*args)
    _LSC_TIMES.setdefault(number, []).append(_lsc_time.perf_counter() - started)
    if number in _LSC_NOT_NONE:
        value = value is not None
    return value
"""


@dataclass(frozen=True, slots=True)
class ReferenceJob:
    """One task's reference solution and the inputs to run it on."""

    number: int
    code: str
    entry_point: str
    inputs: tuple[tuple[Any, ...], ...]
    output_not_none: bool = False


@dataclass(frozen=True, slots=True)
class ExpectedOutputs:
    """The reference outputs for one task, with what it cost to produce them.

    ``kept`` lists the input indices the values belong to: an input whose reference
    output is too large to leave the sandbox, or needs more memory than the sandbox
    allows, cannot be scored, so it is left out (``dropped`` says which and why)
    instead of failing every candidate.
    """

    values: tuple[Any, ...]
    kept: tuple[int, ...]
    dropped: tuple[tuple[int, str], ...] = ()
    seconds: float = 0.0
    """Estimated seconds for all calls: compute time plus transfer of the outputs."""
    max_call_seconds: float = 0.0
    """The same estimate for the most expensive single input."""


def reference_dispatcher(jobs: Sequence[ReferenceJob]) -> str:
    """Module source that calls any of ``jobs``' references by task number."""
    sources = {job.number: (job.code, job.entry_point) for job in jobs}
    not_none = {job.number for job in jobs if job.output_not_none}
    return _DISPATCHER.format(
        sources=sources, not_none=not_none, entry=DISPATCH_ENTRY, timings=_TIMINGS
    )


def count_nodes(value: Any) -> int:
    """How many values ``value`` holds, counting itself (a transfer cost proxy)."""
    if isinstance(value, list | tuple | set | frozenset):
        return 1 + sum(count_nodes(item) for item in value)
    if isinstance(value, dict):
        return 1 + sum(count_nodes(k) + count_nodes(v) for k, v in value.items())
    return 1


def expected_cache_path(root: Path, dataset_sha256: str, number: int) -> Path:
    """Where task ``number``'s expected outputs are cached for this dataset version."""
    return root / "expected" / f"mbppplus-{dataset_sha256[:16]}" / f"{number}.json"


def read_cached_expected(
    root: Path, dataset_sha256: str, number: int, count: int
) -> ExpectedOutputs | None:
    """Task ``number``'s cached outputs; None when absent, stale or unreadable."""
    path = expected_cache_path(root, dataset_sha256, number)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            data.get("format") != CACHE_FORMAT
            or data.get("dataset_sha256") != dataset_sha256
            or data.get("count") != count
        ):
            return None
        values = tuple(decode_value(item) for item in data["outputs"])
        kept = tuple(int(i) for i in data["kept"])
        dropped = tuple((int(i), str(why)) for i, why in data["dropped"])
        if len(values) != len(kept) or len(kept) + len(dropped) != count:
            return None
        return ExpectedOutputs(
            values=values,
            kept=kept,
            dropped=dropped,
            seconds=float(data["seconds"]),
            max_call_seconds=float(data["max_call_seconds"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cached_expected(
    root: Path, dataset_sha256: str, number: int, outputs: ExpectedOutputs
) -> None:
    """Write the cache file atomically; a value we cannot encode skips caching."""
    try:
        encoded = [encode_value(value) for value in outputs.values]
    except TypeError:
        return
    payload = {
        "format": CACHE_FORMAT,
        "dataset_sha256": dataset_sha256,
        "task": f"Mbpp/{number}",
        "count": len(outputs.kept) + len(outputs.dropped),
        "seconds": round(outputs.seconds, 6),
        "max_call_seconds": round(outputs.max_call_seconds, 6),
        "kept": list(outputs.kept),
        "dropped": [list(item) for item in outputs.dropped],
        "outputs": encoded,
    }
    path = expected_cache_path(root, dataset_sha256, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{number}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


class _ReferenceFailed(Exception):
    """A reference call failed for a reason other than the transfer limit."""

    def __init__(self, index: int, outcome: CallOutcome) -> None:
        super().__init__(f"{outcome.status} on input {index}")
        self.index = index
        self.outcome = outcome


def _timings(outcome: CallOutcome) -> list[float]:
    """The per-call seconds a dispatcher TIMINGS call returned (empty if it failed)."""
    if outcome.status != "ok" or not isinstance(outcome.value, list):
        return []
    return [float(t) for t in outcome.value if isinstance(t, int | float)]


def _collect(
    job: ReferenceJob, outcomes: Sequence[CallOutcome], timings: Sequence[float]
) -> ExpectedOutputs:
    """Turn one job's dispatcher outcomes into expected outputs, or raise."""
    values: list[Any] = []
    kept: list[int] = []
    dropped: list[tuple[int, str]] = []
    nodes = [0]
    for index, outcome in enumerate(outcomes):
        if outcome.status == "error" and any(
            mark in outcome.message for mark in RESOURCE_LIMIT_MARKS
        ):
            dropped.append((index, outcome.message[:120]))
            continue
        if outcome.status != "ok":
            raise _ReferenceFailed(index, outcome)
        nodes.append(count_nodes(outcome.value))
        values.append(outcome.value)
        kept.append(index)
    return ExpectedOutputs(
        values=tuple(values),
        kept=tuple(kept),
        dropped=tuple(dropped),
        seconds=sum(timings) + TRANSFER_S_PER_NODE * sum(nodes),
        max_call_seconds=max(timings, default=0.0) + TRANSFER_S_PER_NODE * max(nodes),
    )


def _run(
    jobs: Sequence[ReferenceJob], sandbox: BatchCaller
) -> list[tuple[list[CallOutcome], list[float]]]:
    """Run every input of ``jobs`` through one dispatcher batch, split by job."""
    inputs: list[tuple[Any, ...]] = []
    for job in jobs:
        inputs.extend((job.number, *args) for args in job.inputs)
        inputs.append((_TIMINGS, job.number))
    outcomes = sandbox.call_batch(
        reference_dispatcher(jobs),
        DISPATCH_ENTRY,
        inputs,
        per_call_timeout_s=REFERENCE_PER_CALL_TIMEOUT_S,
        total_timeout_s=REFERENCE_TOTAL_TIMEOUT_S,
    )
    if len(outcomes) != len(inputs):
        raise TaskError(
            f"the sandbox returned {len(outcomes)} outputs for {len(inputs)} "
            "reference inputs; report this bug"
        )
    split: list[tuple[list[CallOutcome], list[float]]] = []
    offset = 0
    for job in jobs:
        end = offset + len(job.inputs)
        split.append((list(outcomes[offset:end]), _timings(outcomes[end])))
        offset = end + 1
    return split


def compute_expected(job: ReferenceJob, sandbox: BatchCaller) -> ExpectedOutputs:
    """Run one task's reference solution on all its inputs in the sandbox."""
    try:
        [(outcomes, timings)] = _run([job], sandbox)
        return _collect(job, outcomes, timings)
    except _ReferenceFailed as failure:
        raise TaskError(
            f"the MBPP+ reference solution for task {job.number} gave "
            f"{failure.outcome.status} on input {failure.index} "
            f"({failure.outcome.message[:80]}); check `lsc doctor` and the sandbox "
            "limits",
            title="Reference solution failed",
        ) from None


def _chunks(
    jobs: Sequence[ReferenceJob], max_inputs: int
) -> Iterator[list[ReferenceJob]]:
    """Consecutive groups of whole jobs with at most ``max_inputs`` inputs each."""
    chunk: list[ReferenceJob] = []
    size = 0
    for job in jobs:
        if chunk and size + len(job.inputs) > max_inputs:
            yield chunk
            chunk, size = [], 0
        chunk.append(job)
        size += len(job.inputs)
    if chunk:
        yield chunk


def _run_chunk(
    chunk: Sequence[ReferenceJob], sandbox: BatchCaller
) -> list[tuple[int, ExpectedOutputs]]:
    """One shared process for ``chunk``; a job that fails there reruns alone."""
    results: list[tuple[int, ExpectedOutputs]] = []
    for job, (outcomes, timings) in zip(chunk, _run(chunk, sandbox), strict=True):
        try:
            results.append((job.number, _collect(job, outcomes, timings)))
        except _ReferenceFailed:
            results.append((job.number, compute_expected(job, sandbox)))
    return results


def iter_expected_many(
    jobs: Sequence[ReferenceJob],
    sandbox: BatchCaller,
    *,
    max_inputs_per_process: int = MAX_INPUTS_PER_PROCESS,
    workers: int = 1,
) -> Iterator[tuple[int, ExpectedOutputs]]:
    """Expected outputs for many tasks, running several references per process.

    Yields ``(task number, outputs)`` group by group, ``workers`` sandbox processes
    at a time. A task whose reference fails inside a shared process is rerun on its
    own, so one misbehaving reference cannot spoil another's outputs.
    """
    chunks = list(_chunks(jobs, max_inputs_per_process))
    if workers <= 1:
        for chunk in chunks:
            yield from _run_chunk(chunk, sandbox)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(lambda chunk: _run_chunk(chunk, sandbox), chunks):
            yield from results


def compute_expected_many(
    jobs: Sequence[ReferenceJob],
    sandbox: BatchCaller,
    *,
    max_inputs_per_process: int = MAX_INPUTS_PER_PROCESS,
    workers: int = 1,
) -> dict[int, ExpectedOutputs]:
    """``iter_expected_many`` collected into a dict by task number."""
    return dict(
        iter_expected_many(
            jobs,
            sandbox,
            max_inputs_per_process=max_inputs_per_process,
            workers=workers,
        )
    )


def load_or_compute_expected(
    job: ReferenceJob,
    *,
    root: Path,
    dataset_sha256: str,
    sandbox: BatchCaller | None = None,
) -> ExpectedOutputs:
    """Cached expected outputs for ``job``, computing and caching them on a miss."""
    cached = read_cached_expected(root, dataset_sha256, job.number, len(job.inputs))
    if cached is not None:
        return cached
    if sandbox is None:
        from lsc_tui.sandbox import Sandbox

        sandbox = Sandbox()
    outputs = compute_expected(job, sandbox)
    write_cached_expected(root, dataset_sha256, job.number, outputs)
    return outputs

"""MBPP+ expected outputs: run the canonical solution once per task, cache the values.

EvalPlus stores no expected outputs; it runs the reference solution on every input.
We do the same through ``Sandbox.call_batch`` (trusted code, but still contained and
time-limited) and cache the results as JSON with tagged types (tuple, set, complex,
non-finite floats...) next to the dataset, keyed by the dataset file's sha256, so a
task's outputs are computed once per machine.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lsc_tui.errors import TaskError

if TYPE_CHECKING:
    from lsc_tui.sandbox import CallOutcome

CACHE_FORMAT = 1
_TAG = "$t"

# The reference must finish well inside these; they only stop a runaway.
REFERENCE_PER_CALL_TIMEOUT_S = 20.0
REFERENCE_TOTAL_TIMEOUT_S = 240.0


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
    raise ValueError(f"unknown tag {kind!r}")


@dataclass(frozen=True, slots=True)
class ExpectedOutputs:
    """The reference outputs for one task and how long the reference took."""

    values: tuple[Any, ...]
    seconds: float


def expected_cache_path(root: Path, dataset_sha256: str, number: int) -> Path:
    """Where task ``number``'s expected outputs are cached for this dataset version."""
    return root / "expected" / f"mbppplus-{dataset_sha256[:16]}" / f"{number}.json"


def _read_cache(path: Path, dataset_sha256: str, count: int) -> ExpectedOutputs | None:
    """The cached outputs, or None when absent, stale or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            data.get("format") != CACHE_FORMAT
            or data.get("dataset_sha256") != dataset_sha256
            or data.get("count") != count
        ):
            return None
        values = tuple(decode_value(item) for item in data["outputs"])
        if len(values) != count:
            return None
        return ExpectedOutputs(values=values, seconds=float(data.get("seconds", 0.0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(
    path: Path, dataset_sha256: str, number: int, outputs: ExpectedOutputs
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
        "count": len(encoded),
        "seconds": round(outputs.seconds, 6),
        "outputs": encoded,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{number}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def compute_expected(
    number: int,
    code: str,
    entry_point: str,
    inputs: Sequence[Sequence[Any]],
    sandbox: BatchCaller,
    *,
    output_not_none: bool = False,
) -> ExpectedOutputs:
    """Run the reference solution on every input in the sandbox (one batch)."""
    started = time.perf_counter()
    outcomes = sandbox.call_batch(
        code,
        entry_point,
        inputs,
        per_call_timeout_s=REFERENCE_PER_CALL_TIMEOUT_S,
        total_timeout_s=REFERENCE_TOTAL_TIMEOUT_S,
    )
    seconds = time.perf_counter() - started
    if len(outcomes) != len(inputs):
        raise TaskError(
            f"the sandbox returned {len(outcomes)} outputs for {len(inputs)} inputs "
            f"of MBPP+ task {number}; report this bug"
        )
    values: list[Any] = []
    for index, outcome in enumerate(outcomes):
        if outcome.status != "ok":
            raise TaskError(
                f"the MBPP+ reference solution for task {number} gave "
                f"{outcome.status} on input {index} ({outcome.message[:80]}); "
                "check `lsc doctor` and the sandbox limits",
                title="Reference solution failed",
            )
        value = outcome.value
        values.append((value is not None) if output_not_none else value)
    return ExpectedOutputs(values=tuple(values), seconds=seconds)


def load_or_compute_expected(
    number: int,
    code: str,
    entry_point: str,
    inputs: Sequence[Sequence[Any]],
    *,
    root: Path,
    dataset_sha256: str,
    sandbox: BatchCaller | None = None,
    output_not_none: bool = False,
) -> ExpectedOutputs:
    """Cached expected outputs for task ``number``, computing them on a miss."""
    path = expected_cache_path(root, dataset_sha256, number)
    cached = _read_cache(path, dataset_sha256, len(inputs))
    if cached is not None:
        return cached
    if sandbox is None:
        from lsc_tui.sandbox import Sandbox

        sandbox = Sandbox()
    outputs = compute_expected(
        number, code, entry_point, inputs, sandbox, output_not_none=output_not_none
    )
    _write_cache(path, dataset_sha256, number, outputs)
    return outputs

"""Time ratios at matched machine speed, calibrated on identical work in the records.

A bench's time ratio divides one run's wall time by another's, and on a shared
machine the two runs may not have run at one speed: this VM has decoded the same
model at 23 tokens/s in one run and at 9 in another. Token ratios do not care, but
the goal is stated in time, so the page also gives time ratios at one speed.

The records carry their own calibration, with no extra run:

- Every pipeline's first candidate is greedy with one-shot's prompt, so where its
  code equals one-shot's, both runs did the same work. The baseline's generation
  seconds for those candidates over the pipeline's give the factor that puts the
  pipeline's run at the baseline's speed.
- A record with ``replayed`` (``benchmarks/bench_sample_budget.py``) extends a
  record of an earlier file: its first ``replayed`` candidates are the earlier
  record's, its later ones were drawn on another day, on the same prompts and
  sampling settings as the earlier record's samples. Tokens per second of the new
  samples over those of the earlier samples, pooled over the extended tasks, put
  the new seconds (``new_seconds``) at the earlier run's speed first.

Scaling a whole run by its generation speed assumes the rest of its time (sandbox,
prompt processing) slowed alike, which holds when the machine as a whole was slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lsc_tui.bench.report import BASELINE, latest_records
from lsc_tui.bench.runner import mbpp_number

MIN_CALIBRATION = 10
"""Fewest identical first candidates that calibrate a run; fewer give no ratio."""


@dataclass(frozen=True)
class MatchedTime:
    """One pipeline's time against the baseline's, raw and at the baseline's speed."""

    pipeline: str
    tasks: int
    raw_ratio: float
    matched_ratio: float
    calibration_tasks: int
    speed_factor: float
    """Baseline generation seconds over this run's, for the same greedy code."""
    extended_tasks: int = 0
    extension_speed: float | None = None
    """New samples' tokens/s over the extended run's samples' (below 1: slower)."""


def _key(record: Mapping[str, Any]) -> int:
    return mbpp_number(record["task_id"])


def _first(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    iterations = record.get("iterations") or []
    return iterations[0] if iterations else None


def _rate(iterations: Iterable[Mapping[str, Any]]) -> tuple[float, float]:
    """(tokens, seconds) of the iterations that were timed."""
    tokens = seconds = 0.0
    for it in iterations:
        if float(it.get("gen_seconds", 0.0)) > 0:
            tokens += float(it.get("gen_tokens", 0))
            seconds += float(it["gen_seconds"])
    return tokens, seconds


def _speed_factor(
    rows: Sequence[Mapping[str, Any]], base: Mapping[int, Mapping[str, Any]]
) -> tuple[float, int] | None:
    """Baseline's over the run's generation seconds for identical greedy code."""
    mine = theirs = 0.0
    count = 0
    for row in rows:
        other = base.get(_key(row))
        first, other_first = _first(row), other and _first(other)
        if not first or not other_first or first.get("code") != other_first.get("code"):
            continue
        if float(first.get("gen_seconds", 0)) <= 0:
            continue
        if float(other_first.get("gen_seconds", 0)) <= 0:
            continue
        mine += float(first["gen_seconds"])
        theirs += float(other_first["gen_seconds"])
        count += 1
    if count < MIN_CALIBRATION or mine <= 0:
        return None
    return theirs / mine, count


def _seconds(record: Mapping[str, Any]) -> float:
    return max(
        0.0, float(record.get("seconds", 0.0)) - float(record.get("load_seconds", 0.0))
    )


def matched_times(
    files: Sequence[Sequence[Mapping[str, Any]]], baseline: str = BASELINE
) -> list[MatchedTime]:
    """Each pipeline's time ratio to ``baseline``, raw and at the baseline's speed.

    ``files`` are the records of each bench file in page order (a later record of a
    task replaces an earlier one). A pipeline whose runs cannot be calibrated (too
    few identical first candidates, or an extension without its earlier record) is
    left out rather than guessed."""
    base = {
        _key(r): r
        for r in latest_records(r for f in files for r in f)
        if r["pipeline"] == baseline
    }
    if not base:
        return []
    # Per file and pipeline: the plain runs' factors, and the extensions' records.
    factors: dict[tuple[int, str], float] = {}
    calibrated: dict[str, tuple[float, int]] = {}
    plain: dict[str, list[Mapping[str, Any]]] = {}
    for index, records in enumerate(files):
        by_pipeline: dict[str, list[Mapping[str, Any]]] = {}
        for record in records:
            if record["pipeline"] != baseline and "replayed" not in record:
                by_pipeline.setdefault(str(record["pipeline"]), []).append(record)
        for pipeline, rows in by_pipeline.items():
            plain.setdefault(pipeline, []).extend(rows)
            found = _speed_factor(rows, base)
            if found:
                factors[(index, pipeline)] = found[0]
    for pipeline, rows in plain.items():
        last = {_key(row): row for row in rows}  # a re-run task counts once
        pooled = _speed_factor(list(last.values()), base)
        if pooled:
            calibrated[pipeline] = pooled
    # The record that counts for each (pipeline, task), with the file it came from;
    # and, for extensions, the record they extend.
    counts: dict[tuple[str, int], tuple[int, Mapping[str, Any]]] = {}
    extended: dict[tuple[str, int], tuple[int, Mapping[str, Any]]] = {}
    for index, records in enumerate(files):
        for record in records:
            key = (str(record["pipeline"]), _key(record))
            if "replayed" in record and key in counts:
                extended[key] = counts[key]
            counts[key] = (index, record)
    results = []
    for pipeline in dict.fromkeys(p for p, _ in counts):
        if pipeline == baseline or pipeline not in calibrated:
            continue
        keys = [k for k in counts if k[0] == pipeline and k[1] in base]
        old = new = (0.0, 0.0)
        for key in keys:
            if key in extended:
                _, record = counts[key]
                _, earlier = extended[key]
                replayed = int(record["replayed"])
                old = _add(old, _rate((earlier.get("iterations") or [])[1:]))
                new = _add(new, _rate((record.get("iterations") or [])[replayed:]))
        extension = None
        if any(k in extended for k in keys):
            if old[1] <= 0 or new[1] <= 0:
                continue
            extension = (new[0] / new[1]) / (old[0] / old[1])
        raw = matched = 0.0
        complete = True
        for key in keys:
            index, record = counts[key]
            raw += _seconds(record)
            scaled = _seconds(record)
            if key in extended:
                index, earlier = extended[key]
                added = float(record.get("new_seconds", 0.0))
                scaled = _seconds(earlier) + added * (extension or 1.0)
            factor = factors.get((index, pipeline))
            if factor is None:
                complete = False
                break
            matched += scaled * factor
        base_seconds = sum(_seconds(base[t]) for _, t in keys)
        if not complete or base_seconds <= 0:
            continue
        results.append(
            MatchedTime(
                pipeline=pipeline,
                tasks=len(keys),
                raw_ratio=raw / base_seconds,
                matched_ratio=matched / base_seconds,
                calibration_tasks=calibrated[pipeline][1],
                speed_factor=calibrated[pipeline][0],
                extended_tasks=sum(k in extended for k in keys),
                extension_speed=extension,
            )
        )
    return results


def _add(total: tuple[float, float], part: tuple[float, float]) -> tuple[float, float]:
    return total[0] + part[0], total[1] + part[1]

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
  the new seconds (``new_seconds``) at the earlier run's speed first. Where it
  replays fewer candidates than the earlier record has (``--keep``, ``--repairs``:
  the recipe changed past them), it keeps the earlier record's time for those
  candidates only (``kept_share``). New work is timed against the earlier
  record's iterations of the same kind, ``calibrate_on`` (start, stop): by
  default its samples (``1``, ``replayed``); for redrawn repair turns, the ones
  they replace.

The machine's speed can also change within a run (one `select` run here decoded
at half one-shot's speed for its first half and at one-shot's for the rest), so a
run's records are calibrated in windows of ``WINDOW`` identical candidates, in
the order the run wrote them, each record at its window's factor.

Scaling a whole run by its generation speed assumes the rest of its time (sandbox,
prompt processing) slowed alike, which holds when the machine as a whole was slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lsc_tui.bench.report import BASELINE, compute_seconds, latest_records
from lsc_tui.bench.runner import mbpp_number

MIN_CALIBRATION = 10
"""Fewest identical first candidates that calibrate a run; fewer give no ratio."""
WINDOW = 20
"""Identical first candidates per calibration window within a run; a last window
with fewer joins the one before it."""


@dataclass(frozen=True)
class Extension:
    """One file of extended records: how many tasks, and its new samples' speed."""

    tasks: int
    speed: float
    """New samples' tokens/s over those of the records they extend (below 1: slower)."""


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
    extensions: tuple[Extension, ...] = ()
    task_seconds: Mapping[int, float] = field(default_factory=dict, repr=False)
    """Each task's seconds at the baseline's speed."""
    window_factors: tuple[float, ...] = ()
    """The factor of each calibration window of the latest records' runs."""


def _key(record: Mapping[str, Any]) -> int:
    return mbpp_number(record["task_id"])


def _extends(
    row: Mapping[str, Any], counts: Mapping[int, tuple[int, Mapping[str, Any]]]
) -> bool:
    """Whether ``row`` replays a prefix of the task's record so far: all of its
    candidates, or (``--keep``, ``--repairs``) fewer."""
    if _key(row) not in counts:
        return False
    before = counts[_key(row)][1]
    return int(row["replayed"]) <= len(before.get("iterations") or [])


def _replayed_share(row: Mapping[str, Any], before: Mapping[str, Any]) -> float:
    """The share of ``before``'s time that ``row`` keeps: all of it when it
    replays every candidate, else what ``bench_sample_budget.py`` kept of it
    (``seconds`` less ``new_seconds``; ``kept_share``)."""
    if int(row["replayed"]) >= len(before.get("iterations") or []):
        return 1.0
    earlier = compute_seconds(before)
    kept = float(row["seconds"]) - float(row.get("new_seconds", 0.0))
    return kept / earlier if earlier > 0 else 1.0


def _first(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    iterations = record.get("iterations") or []
    return iterations[0] if iterations else None


def _timed(iterations: Iterable[Mapping[str, Any]]) -> tuple[float, float]:
    """(tokens, seconds) of the iterations that were timed (replays take none)."""
    tokens = seconds = 0.0
    for it in iterations:
        if float(it.get("gen_seconds", 0.0)) > 0:
            tokens += float(it.get("gen_tokens", 0))
            seconds += float(it["gen_seconds"])
    return tokens, seconds


def _identical(
    row: Mapping[str, Any], base: Mapping[int, Mapping[str, Any]]
) -> tuple[float, float] | None:
    """(run's, baseline's) generation seconds when ``row``'s greedy code is the
    baseline's, else None."""
    other = base.get(_key(row))
    first, other_first = _first(row), other and _first(other)
    if not first or not other_first or first.get("code") != other_first.get("code"):
        return None
    seconds = float(first.get("gen_seconds", 0))
    base_seconds = float(other_first.get("gen_seconds", 0))
    if seconds <= 0 or base_seconds <= 0:
        return None
    return seconds, base_seconds


def _speed_factor(
    rows: Iterable[Mapping[str, Any]], base: Mapping[int, Mapping[str, Any]]
) -> tuple[float, int] | None:
    """Baseline's over the run's generation seconds for identical greedy code."""
    pairs = [p for p in (_identical(row, base) for row in rows) if p]
    mine = sum(p[0] for p in pairs)
    if len(pairs) < MIN_CALIBRATION or mine <= 0:
        return None
    return sum(p[1] for p in pairs) / mine, len(pairs)


def _window_factors(
    rows: Sequence[Mapping[str, Any]], base: Mapping[int, Mapping[str, Any]]
) -> tuple[list[float], list[float]]:
    """Each row's factor, and each window's: the rows in run order, cut after
    every ``WINDOW`` identical candidates (a short last window joins the one
    before). Call only when ``_speed_factor`` calibrates the rows."""
    pairs = [_identical(row, base) for row in rows]
    seen = 0
    window_of: list[int] = []
    for pair in pairs:
        window_of.append(seen // WINDOW)
        seen += pair is not None
    last = max(seen // WINDOW - 1, 0)
    window_of = [min(w, last) for w in window_of]
    sums = [[0.0, 0.0] for _ in range(last + 1)]  # [run's, baseline's] seconds
    for w, pair in zip(window_of, pairs, strict=True):
        if pair:
            sums[w][0] += pair[0]
            sums[w][1] += pair[1]
    factors = [theirs / mine for mine, theirs in sums]
    return [factors[w] for w in window_of], factors


def _matched(
    pipeline: str,
    files: Sequence[Sequence[Mapping[str, Any]]],
    base: Mapping[int, Mapping[str, Any]],
) -> MatchedTime | None:
    """One pipeline's matched time, or None where a file cannot be calibrated."""
    factors: dict[int, float] = {}  # file index -> its seconds' factor to baseline
    counts: dict[int, tuple[int, Mapping[str, Any]]] = {}  # task -> (file, record)
    matched: dict[int, float] = {}  # task -> seconds at the baseline's speed
    roots: dict[int, tuple[int, Mapping[str, Any]]] = {}  # task -> last unextended
    windows: dict[int, list[float]] = {}  # file index -> its windows' factors
    extensions: dict[int, Extension] = {}  # file index -> its extension
    chains: dict[int, list[int]] = {}  # task -> files extending its last root
    for index, records in enumerate(files):
        rows = [r for r in records if r["pipeline"] == pipeline]
        plain = [r for r in rows if "replayed" not in r]
        if plain:
            found = _speed_factor(plain, base)
            if found is None:
                return None
            factors[index] = found[0]
            per_row, windows[index] = _window_factors(plain, base)
            for row, factor in zip(plain, per_row, strict=True):
                counts[_key(row)] = (index, row)
                roots[_key(row)] = (index, row)
                chains[_key(row)] = []
                matched[_key(row)] = compute_seconds(row) * factor
        extended = [r for r in rows if "replayed" in r]
        if not extended:
            continue
        earlier = {counts[_key(r)][0] for r in extended if _key(r) in counts}
        if len(earlier) != 1 or any(not _extends(r, counts) for r in extended):
            return None  # extensions of records this page does not have
        old = new = (0.0, 0.0)
        for row in extended:
            before, kept = counts[_key(row)][1], int(row["replayed"])
            start, stop = row.get("calibrate_on") or (1, kept)
            old = _add(old, _timed((before.get("iterations") or [])[start:stop]))
            new = _add(new, _timed((row.get("iterations") or [])[kept:]))
        if min(old[1], new[1]) <= 0:
            return None
        speed = (new[0] / new[1]) / (old[0] / old[1])
        factors[index] = factors[earlier.pop()] * speed
        extensions[index] = Extension(tasks=len(extended), speed=speed)
        for row in extended:
            added = float(row.get("new_seconds", 0.0)) * factors[index]
            share = _replayed_share(row, counts[_key(row)][1])
            matched[_key(row)] = matched[_key(row)] * share + added
            chains[_key(row)].append(index)
            counts[_key(row)] = (index, row)
    tasks = [t for t in counts if t in base]
    base_seconds = sum(compute_seconds(base[t]) for t in tasks)
    calibration = _speed_factor([row for _, row in roots.values()], base)
    if not tasks or base_seconds <= 0 or calibration is None:
        return None
    return MatchedTime(
        pipeline=pipeline,
        tasks=len(tasks),
        raw_ratio=sum(compute_seconds(counts[t][1]) for t in tasks) / base_seconds,
        matched_ratio=sum(matched[t] for t in tasks) / base_seconds,
        calibration_tasks=calibration[1],
        speed_factor=calibration[0],
        # Only the extensions still in the time: a later plain run replaces them.
        extensions=tuple(
            ext
            for index, ext in extensions.items()
            if any(index in chains[t] for t in tasks)
        ),
        window_factors=tuple(
            factor
            for index, factors_of in windows.items()
            if any(roots[t][0] == index for t in tasks)
            for factor in factors_of
        ),
        task_seconds={t: matched[t] for t in tasks},
    )


def matched_times(
    files: Sequence[Sequence[Mapping[str, Any]]], baseline: str = BASELINE
) -> list[MatchedTime]:
    """Each pipeline's time ratio to ``baseline``, raw and at the baseline's speed.

    ``files`` are the records of each bench file in page order (a later record of a
    task replaces an earlier one). A pipeline whose runs cannot be calibrated (a
    file with too few identical first candidates, or extensions of records not in
    ``files``) is left out rather than guessed."""
    base = {
        _key(r): r
        for r in latest_records(r for f in files for r in f)
        if r["pipeline"] == baseline
    }
    if not base:
        return []
    pipelines = dict.fromkeys(str(r["pipeline"]) for f in files for r in f)
    found = (_matched(p, files, base) for p in pipelines if p != baseline)
    return [entry for entry in found if entry is not None]


def drawn_after_pass(record: Mapping[str, Any], kept: int, batch: int) -> int:
    """How many samples the batch of ``batch`` that drew candidate ``kept`` drew
    after it, when that candidate is ``record``'s first visible pass: the run
    discarded them for it, unchecked. 0 otherwise."""
    if batch < 2 or kept < 2 or record.get("first_pass_iteration") != kept:
        return 0
    batch_end = 1 + -(-(kept - 1) // batch) * batch  # batches start at candidate 2
    return batch_end - kept


def kept_share(record: Mapping[str, Any], kept: int, batch: int = 1) -> float:
    """The share of ``record``'s time that its first ``kept`` candidates took, by
    their generation seconds against all of its own and its discarded samples'
    (the sandbox's time shared out alike): 1 when it keeps them all.

    Where candidate ``kept`` is the record's first pass, drawn in a batch of
    ``batch``, the batch's later samples were discarded for it
    (``drawn_after_pass``): their share of the discarded seconds (by count; the
    record only sums them) counts as kept."""
    iterations = record.get("iterations") or []
    if kept >= len(iterations):
        return 1.0
    discarded = record.get("discarded_samples") or {}
    seconds = float(discarded.get("seconds", 0.0))
    count = int(discarded.get("count", 0))
    ahead = min(drawn_after_pass(record, kept, batch), count)
    total = _timed(iterations)[1] + seconds
    own = _timed(iterations[:kept])[1] + (seconds * ahead / count if count else 0.0)
    return own / total if total > 0 else 1.0


def _add(total: tuple[float, float], part: tuple[float, float]) -> tuple[float, float]:
    return total[0] + part[0], total[1] + part[1]

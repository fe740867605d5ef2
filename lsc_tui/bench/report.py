"""Summaries of bench records: per-pipeline rates with Wilson CIs and paired gains.

The same summary object is printed as a text table (stderr), written as JSON and
rendered as Markdown, so every view shows the same numbers. When a (task,
pipeline) pair appears more than once in the records (a resumed run that retried
an error) the last record wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lsc_tui.bench.runner import mbpp_number
from lsc_tui.bench.stats import mean, paired_gain, proportion
from lsc_tui.loop.pipelines import PIPELINE_NAMES

BASELINE = "one-shot"
PIPELINE_ORDER = PIPELINE_NAMES


def latest_records(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One record per (task, pipeline): the last one, in first-seen order."""
    by_pair: dict[tuple[int, str], dict[str, Any]] = {}
    for record in records:
        key = (mbpp_number(record["task_id"]), str(record["pipeline"]))
        by_pair.pop(key, None)
        by_pair[key] = dict(record)
    return list(by_pair.values())


def _pipeline_order(names: Iterable[str]) -> list[str]:
    known = [p for p in PIPELINE_ORDER if p in names]
    return known + sorted(set(names) - set(known))


def _finished(record: Mapping[str, Any]) -> bool:
    return record.get("status") in ("passed", "failed")


def compute_seconds(record: Mapping[str, Any]) -> float:
    """Wall seconds of a run without model loading (amortised across a bench).

    Scoring the hidden tests stays in: the records made before ``hidden_seconds``
    existed cannot leave it out, and old and new records are compared."""
    wall = float(record.get("seconds", 0.0))
    return max(0.0, wall - float(record.get("load_seconds", 0.0)))


def _regenerations(rows: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(iterations after the first, those whose code repeats an earlier iteration's)."""
    total = repeats = 0
    for row in rows:
        seen: set[str] = set()
        for index, iteration in enumerate(row.get("iterations", [])):
            code = str(iteration.get("code", "")).strip()
            if index:
                total += 1
                repeats += code in seen
            seen.add(code)
    return total, repeats


def _pipeline_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    done = [r for r in rows if _finished(r)]
    scored = [r for r in done if r.get("hidden_passed") is not None]
    hidden_passes = [r for r in scored if r["hidden_passed"]]
    regenerations, repeats = _regenerations(done)
    return {
        "runs": len(rows),
        "tasks": len(done),
        "errors": sum(1 for r in rows if r.get("status") == "error"),
        "pass_at_1": proportion(
            sum(1 for r in done if r.get("pass_at_1")), len(done)
        ).to_json(),
        "visible": proportion(
            sum(1 for r in done if r.get("visible_passed")), len(done)
        ).to_json(),
        "hidden": proportion(len(hidden_passes), len(scored)).to_json(),
        "visible_but_not_hidden": sum(
            1 for r in scored if r.get("visible_passed") and not r["hidden_passed"]
        ),
        "suspicious": sum(1 for r in done if r.get("suspicious")),
        "suspicious_hidden_passes": sum(
            1 for r in hidden_passes if r.get("suspicious")
        ),
        "mean_seconds": round(mean([compute_seconds(r) for r in done]), 2),
        "mean_wall_seconds": round(mean([float(r.get("seconds", 0)) for r in done]), 2),
        "mean_tokens": round(mean([float(r.get("tokens", 0)) for r in done]), 1),
        "mean_iterations": round(mean([len(r.get("iterations", [])) for r in done]), 2),
        "regenerations": regenerations,
        "repeated_regenerations": repeats,
    }


def _paired(
    rows: Sequence[Mapping[str, Any]],
    base_rows: Sequence[Mapping[str, Any]],
    field: str,
) -> dict[str, Any]:
    """Paired gain of ``field`` over the baseline on tasks both finished."""
    mine = {mbpp_number(r["task_id"]): r for r in rows if r.get(field) is not None}
    base = {mbpp_number(r["task_id"]): r for r in base_rows if r.get(field) is not None}
    common = sorted(set(mine) & set(base))
    gain = paired_gain(
        [bool(mine[t][field]) for t in common], [bool(base[t][field]) for t in common]
    )
    return gain.to_json()


def _paired_ratio(
    rows: Sequence[Mapping[str, Any]],
    base_rows: Sequence[Mapping[str, Any]],
    cost: Callable[[Mapping[str, Any]], float],
) -> float | None:
    """Mean ``cost`` over the baseline's, on the tasks both finished."""
    mine = {mbpp_number(r["task_id"]): cost(r) for r in rows}
    base = {mbpp_number(r["task_id"]): cost(r) for r in base_rows}
    common = sorted(set(mine) & set(base))
    base_mean = mean([base[t] for t in common])
    if not common or base_mean <= 0:
        return None
    return round(mean([mine[t] for t in common]) / base_mean, 2)


def _tokens(record: Mapping[str, Any]) -> float:
    return float(record.get("tokens", 0))


def summarize(
    records: Iterable[Mapping[str, Any]], *, baseline: str = BASELINE
) -> dict[str, Any]:
    """The summary: per-pipeline rates, CIs, costs and gains over ``baseline``."""
    latest = latest_records(records)
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    for record in latest:
        by_pipeline.setdefault(str(record["pipeline"]), []).append(record)
    base_rows = [r for r in by_pipeline.get(baseline, []) if _finished(r)]
    pipelines: dict[str, Any] = {}
    for name in _pipeline_order(by_pipeline):
        rows = by_pipeline[name]
        entry = _pipeline_summary(rows)
        done = [r for r in rows if _finished(r)]
        if base_rows and name != baseline:
            entry["gain_vs_baseline"] = {
                "hidden": _paired(done, base_rows, "hidden_passed"),
                "visible": _paired(done, base_rows, "visible_passed"),
            }
            entry["time_ratio_vs_baseline"] = _paired_ratio(
                done, base_rows, compute_seconds
            )
            entry["token_ratio_vs_baseline"] = _paired_ratio(done, base_rows, _tokens)
        pipelines[name] = entry
    return {
        "baseline": baseline,
        "task_ids": sorted({mbpp_number(r["task_id"]) for r in latest}),
        "pipelines": pipelines,
    }


def _pct(block: Mapping[str, Any]) -> str:
    if not block["n"]:
        return "-"
    return (
        f"{100 * block['rate']:.1f}% [{100 * block['ci_low']:.0f}-"
        f"{100 * block['ci_high']:.0f}]"
    )


def _gain(entry: Mapping[str, Any]) -> str:
    gain = entry.get("gain_vs_baseline", {}).get("hidden")
    if not gain or not gain["n"]:
        return "-"
    return (
        f"{100 * gain['diff']:+.1f} pts [{100 * gain['ci_low']:+.0f}, "
        f"{100 * gain['ci_high']:+.0f}]"
    )


def _ratio(entry: Mapping[str, Any], key: str) -> str:
    ratio = entry.get(key)
    return "-" if ratio is None else f"{ratio:.2f}x"


_COLUMNS = (
    "pipeline",
    "tasks",
    "pass@1",
    "visible",
    "hidden",
    "hidden gain vs one-shot",
    "s/task",
    "tokens/task",
    "time",
    "tokens",
    "susp.",
)


def table_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """One row of display strings per pipeline, in the columns of ``_COLUMNS``."""
    rows: list[list[str]] = []
    for name, entry in summary["pipelines"].items():
        rows.append(
            [
                name,
                str(entry["tasks"])
                + (f" ({entry['errors']} err)" if entry["errors"] else ""),
                _pct(entry["pass_at_1"]),
                _pct(entry["visible"]),
                _pct(entry["hidden"]),
                "baseline" if name == summary["baseline"] else _gain(entry),
                f"{entry['mean_seconds']:.1f}",
                f"{entry['mean_tokens']:.0f}",
                "1.00x"
                if name == summary["baseline"]
                else _ratio(entry, "time_ratio_vs_baseline"),
                "1.00x"
                if name == summary["baseline"]
                else _ratio(entry, "token_ratio_vs_baseline"),
                str(entry["suspicious"]),
            ]
        )
    return rows


def format_table(summary: Mapping[str, Any]) -> str:
    """A plain-text table for a terminal (the CLI writes it to stderr)."""
    header = list(_COLUMNS)
    body = table_rows(summary)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        )
    lines.append(
        "rates: % [95% Wilson CI]; gain: paired difference on the same tasks "
        "[95% Tango CI]; s/task excludes model loading"
    )
    return "\n".join(line.rstrip() for line in lines)


def format_markdown(summary: Mapping[str, Any], *, title: str | None = None) -> str:
    """The summary as a Markdown table with a legend."""
    lines: list[str] = []
    if title:
        lines += [f"### {title}", ""]
    lines.append("| " + " | ".join(_COLUMNS) + " |")
    lines.append("|" + "|".join("---" for _ in _COLUMNS) + "|")
    for row in table_rows(summary):
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Rates are % with a 95% Wilson interval in brackets. The gain is the paired"
        " difference in hidden pass rate against one-shot on the same tasks, with a"
        " 95% Tango score interval, in percentage points. s/task is mean"
        " wall time per task without model loading; time and tokens are that mean"
        " and the mean tokens generated (all roles) against one-shot's on the same"
        " tasks. Tokens do not depend on machine load; time does. susp. counts"
        " final programs containing a literal input or output of a visible test.",
    ]
    lines.append("")
    for name, entry in summary["pipelines"].items():
        gain = entry.get("gain_vs_baseline", {}).get("hidden")
        if gain and gain["n"]:
            lines.append(
                f"- {name}: better than one-shot on {gain['wins']} task(s), worse on "
                f"{gain['losses']} (exact McNemar p = {gain['p_value']:.3f}, n = "
                f"{gain['n']})."
            )
    return "\n".join(lines) + "\n"


def summary_targets(target: Path) -> tuple[Path | None, Path | None]:
    """(json, markdown) paths for ``--summary FILE``: by suffix, else both."""
    if target.suffix == ".json":
        return target, None
    if target.suffix == ".md":
        return None, target
    return target.with_name(target.name + ".json"), target.with_name(
        target.name + ".md"
    )


def write_summary(
    summary: Mapping[str, Any],
    target: Path,
    *,
    meta: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> list[Path]:
    """Write the summary as JSON and/or Markdown at ``target``; returns the paths."""
    json_path, md_path = summary_targets(target)
    written: list[Path] = []
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        payload = {**summary, "meta": dict(meta or {})}
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        written.append(json_path)
    if md_path is not None:
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(format_markdown(summary, title=title), encoding="utf-8")
        written.append(md_path)
    return written

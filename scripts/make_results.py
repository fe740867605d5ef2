"""Generate docs/results.md from the bench outputs in docs/bench/ (never by hand).

Every number on the page is recomputed from the JSONL records (the last record of
each task and pipeline wins); the ``*.summary.json`` next to each JSONL file
supplies how it was produced (command, environment, machine). Other JSON files in
docs/bench/ (loop overhead, memory, engine speed) are shown as measured.

Usage: python scripts/make_results.py [--bench-dir docs/bench] [--out docs/results.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import subprocess
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.bench.budget import budget_table  # noqa: E402
from lsc_tui.bench.report import (  # noqa: E402
    BASELINE,
    PIPELINE_ORDER,
    compute_seconds,
    format_markdown,
    latest_records,
    summarize,
)
from lsc_tui.bench.runner import mbpp_number, read_records  # noqa: E402
from lsc_tui.bench.speed import WINDOW, MatchedTime, matched_times  # noqa: E402
from lsc_tui.loop.edges import (  # noqa: E402
    CHANGES_RESULTS,
    FAILS_VISIBLE,
    STILL_CRASHES,
)

TITLES = {
    "seed25": "The seed's setting: 25 random MBPP test-split tasks",
    "plus378": "MBPP+: all 378 tasks with EvalPlus hidden inputs",
    "plus100": "MBPP+: 100 random tasks with EvalPlus hidden inputs",
}
RULE_TITLES = {
    "greedy": "greedy candidate only (one-shot's prompt, decoding and code)",
    "first_pass": "first candidate to pass the visible tests (`select`'s rule)",
    "edges": "that first pass checked on boundary inputs and repaired where it "
    "crashes (`select`)",
    "consensus": "consensus among passing candidates (`select-consensus`)",
    "asserts": "most extra model-written asserts among passing samples "
    "(`select-asserts`)",
}
STAND_IN_NOTE = (
    "The seed's critics were DeepSeek-Coder-1.3B-Instruct (syntax) and "
    "Phi-3-Mini-128K-Instruct (logic). Their weights cannot be obtained on this "
    "machine (no model hub, only package registries), so **Qwen2.5-Coder-0.5B-Instruct "
    "Q4_K_M stands in for both critics**. It is the smaller of the two Qwen files "
    "available here: it keeps critic time low on 2 CPU cores, and a critic distinct "
    "from the generator keeps the experiment a generator-plus-critic pipeline rather "
    "than self-reflection. The critic results say nothing about DeepSeek or Phi-3."
)


def _pct(block: Mapping[str, Any]) -> str:
    return f"{100 * block['rate']:.1f}%" if block["n"] else "-"


def _verdict(gain: Mapping[str, Any]) -> str:
    """How a pipeline compares with one-shot on hidden tests, in plain words."""
    diff = 100 * gain["diff"]
    interval = f"{diff:+.1f} points, 95% CI [{100 * gain['ci_low']:+.1f}, "
    interval += f"{100 * gain['ci_high']:+.1f}], n = {gain['n']}"
    if gain["ci_low"] > 0:
        return f"beats one-shot ({interval})"
    if gain["ci_high"] < 0:
        return f"does worse than one-shot ({interval})"
    if diff > 0:
        return f"is not shown to beat one-shot ({interval})"
    if diff < 0:
        return f"does not beat one-shot ({interval})"
    return f"ties one-shot ({interval})"


def headline(
    name: str,
    summary: Mapping[str, Any],
    planned_n: int,
    chosen: frozenset[str] = frozenset(),
    matched: Mapping[str, float] | None = None,
) -> list[str]:
    """Bullets with the hidden pass rate, gain and cost of each pipeline.

    ``chosen`` names pipelines run on purpose on a subset of the tasks: their
    gain over one-shot holds on that subset only, and the bullet says so.
    ``matched`` gives time ratios at one-shot's machine speed, by pipeline."""
    lines = []
    for pipeline, entry in summary["pipelines"].items():
        hidden = entry["hidden"]
        text = (
            f"**{pipeline}**: hidden pass {_pct(hidden)} "
            f"({hidden['passed']}/{hidden['n']}, 95% CI "
            f"{100 * hidden['ci_low']:.0f}-{100 * hidden['ci_high']:.0f}%), "
            f"{entry['mean_seconds']:.1f} s per task"
        )
        gain = entry.get("gain_vs_baseline", {}).get("hidden")
        if gain and gain["n"]:
            ratio = entry.get("time_ratio_vs_baseline")
            text += f"; {_verdict(gain)}"
            tokens = entry.get("token_ratio_vs_baseline")
            if ratio is not None:
                text += f" at {ratio:.2f}x one-shot's time"
            if matched and pipeline in matched:
                text += f" ({matched[pipeline]:.2f}x at matched machine speed)"
            if tokens is not None:
                text += f" and {tokens:.2f}x its generated tokens"
        if entry["tasks"] < planned_n and pipeline in chosen:
            text += (
                f" (run on a chosen subset of {entry['tasks']} of the {planned_n} "
                "tasks; the gain holds on that subset only)"
            )
        elif entry["tasks"] < planned_n:
            text += f" (INCOMPLETE: {entry['tasks']} of {planned_n} tasks finished)"
        lines.append(f"- {name}: {text}.")
    return lines


def _matrix(
    records: Sequence[Mapping[str, Any]], pipelines: Sequence[str]
) -> list[str]:
    """Per-task outcome grid: visible/hidden per pipeline."""
    by_pair = {(int(r["task_id"]), str(r["pipeline"])): r for r in records}
    tasks = sorted({t for t, _ in by_pair})
    lines = [
        "| task | " + " | ".join(pipelines) + " |",
        "|---|" + "---|" * len(pipelines),
    ]
    for task in tasks:
        cells = []
        for pipeline in pipelines:
            record = by_pair.get((task, pipeline))
            if record is None:
                cells.append("not run")
            elif record.get("status") not in ("passed", "failed"):
                cells.append(str(record.get("status")))
            else:
                visible = "V" if record["visible_passed"] else "v"
                hidden = record["hidden_passed"]
                mark = "-" if hidden is None else ("H" if hidden else "h")
                flag = " !" if record.get("suspicious") else ""
                cells.append(f"{visible}{mark}{flag}")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return lines


def _models(records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(model id, sha256) -> roles it served."""
    models: dict[tuple[str, str], set[str]] = {}
    for record in records:
        shas = record.get("model_sha256", {})
        for role, model_id in record.get("models", {}).items():
            models.setdefault((model_id, shas.get(role, "")), set()).add(role)
    return models


def _pipeline_order(records: Sequence[Mapping[str, Any]]) -> list[str]:
    names = {str(r["pipeline"]) for r in records}
    return [p for p in PIPELINE_ORDER if p in names] + sorted(
        names - set(PIPELINE_ORDER)
    )


def read_meta(path: Path) -> dict[str, Any]:
    """The ``meta`` of the summary written next to a JSONL file, or {}."""
    meta_path = path.with_name(path.stem + ".summary.json")
    if not meta_path.exists():
        return {}
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8")).get(
        "meta", {}
    )
    return meta


def command_text(meta: Mapping[str, Any]) -> str:
    """The command of a summary, prefixed by the LSC_* environment it ran with."""
    env = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in meta.get("env", {}).items())
    return f"{env + ' ' if env else ''}{meta['command']}"


def group_files(bench_dir: Path) -> dict[str, list[Path]]:
    """JSONL files by section: ``plus100-select.jsonl`` joins ``plus100``."""
    order = {name: i for i, name in enumerate(TITLES)}
    groups: dict[str, list[Path]] = {}
    for path in sorted(bench_dir.glob("*.jsonl")):
        if read_records(path):
            groups.setdefault(path.stem.split("-")[0], []).append(path)
    return dict(sorted(groups.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def bench_section(
    name: str, paths: Sequence[Path]
) -> tuple[list[str], dict[str, Any], list[str]]:
    """The Markdown section for one group of JSONL files and its headline bullets."""
    by_file = {path: read_records(path) for path in paths}
    records = [r for file_records in by_file.values() for r in file_records]
    summary = summarize(records)
    matched = matched_times(list(by_file.values()))
    metas = [m for m in (read_meta(path) for path in paths) if m]
    pipelines = _pipeline_order(records)
    planned: list[str] = []
    for meta in metas:
        planned += [p for p in meta.get("pipelines", []) if p not in planned]
    planned += [p for p in pipelines if p not in planned]
    rank = {p: i for i, p in enumerate(PIPELINE_ORDER)}
    planned.sort(key=lambda p: rank.get(p, len(rank)))
    # The widest selection of the group defines its task set (parts may be split).
    main_meta = max(metas, key=lambda m: len(m.get("task_ids", [])), default={})
    task_ids = main_meta.get("task_ids") or summary["task_ids"]
    selection = main_meta.get("selection", "see records")
    title = TITLES.get(name, name)
    lines = [f"## {title}", ""]
    sources = ", ".join(f"`{_relative(path)}`" for path in paths)
    lines.append(
        f"Source: {sources} ({len(records)} records). Selection: {selection}; "
        f"{len(task_ids)} tasks: {', '.join(str(t) for t in task_ids)}."
    )
    lines.append("")
    done_counts = []
    for pipeline in planned:
        entry = summary["pipelines"].get(pipeline)
        done = entry["tasks"] if entry else 0
        state = "complete" if done == len(task_ids) else "INCOMPLETE"
        done_counts.append(f"{pipeline} {done}/{len(task_ids)} ({state})")
    lines.append("Pipelines run: " + "; ".join(done_counts) + ".")
    lines.append("")
    chosen: set[str] = set()
    for meta in metas:
        subset = meta.get("task_ids") or []
        if subset and len(subset) < len(task_ids):
            ran = meta.get("pipelines", [])
            names = ", ".join(f"`{p}`" for p in ran)
            complete = all(
                summary["pipelines"].get(p, {}).get("tasks") == len(task_ids)
                for p in ran
            )
            if complete:  # a re-run of some tasks: its records replace theirs
                lines.append(
                    f"{names}: one run re-ran a chosen subset of {len(subset)} of "
                    f"the {len(task_ids)} tasks (its command below names them); "
                    "its records replace the earlier ones for those tasks."
                )
            else:
                chosen.update(ran)
                lines.append(
                    f"{names}: one run covered a chosen subset of {len(subset)} of "
                    f"the {len(task_ids)} tasks (its command below names them); a "
                    "row and its paired gains count only the tasks that pipeline "
                    "finished."
                )
            lines.append("")
    lines += _split_runs(by_file)
    commands = [command_text(meta) for meta in metas if meta.get("command")]
    if commands:
        lines += ["Commands:", "", "```sh", *commands, "```", ""]
    lines.append(format_markdown(summary))
    lines += select_vs_each(records, planned, anchor_runs(by_file))
    lines += matched_time_lines(matched)
    if name == SCORING_GROUP:
        lines += scoring_lines(paths[0].parent / SCORING_FILE, records, matched)
        lines += batch_stop_lines(
            paths[0].parent / STOP_FILE, matched, tasks_since(by_file, STOP_COMMIT)
        )
    lines += select_sources(records, tasks_since(by_file, NO_PLAN_COMMIT))
    lines += edge_lines(records)
    lines += budget_lines(list(by_file.values()), matched)
    for ablation in sorted(paths[0].parent.glob(f"{name}-ablation*.json")):
        lines += ablation_section(ablation, records)
    gaps = []
    for pipeline, entry in summary["pipelines"].items():
        visible_passes = entry["visible"]["passed"]
        if visible_passes:
            share = entry["visible_but_not_hidden"] / visible_passes
            gaps.append(
                f"{pipeline} {entry['visible_but_not_hidden']}/{visible_passes} "
                f"({100 * share:.0f}%)"
            )
    if gaps:
        lines.append(
            "Visible passes that fail the hidden tests (false passes a loop cannot "
            "see): " + "; ".join(gaps) + "."
        )
        lines.append("")
    repeats = [
        f"{pipeline} {entry['repeated_regenerations']}/{entry['regenerations']}"
        for pipeline, entry in summary["pipelines"].items()
        if entry.get("regenerations")
    ]
    if repeats:
        lines.append(
            "Regenerations (iterations after the first) whose code exactly repeats an "
            "earlier iteration's: " + "; ".join(repeats) + ". A greedy generator "
            "that repeats itself cannot be rescued by more iterations."
        )
        lines.append("")
    flagged = [r for r in records if r.get("suspicious")]
    if flagged:
        lines.append("Final programs flagged as containing a visible-test literal:")
        lines.append("")
        for record in flagged:
            literals = ", ".join(
                f"`{x}`" for x in record.get("suspicious_literals", [])
            )
            hidden = record.get("hidden_passed")
            lines.append(
                f"- task {record['task_id']}, {record['pipeline']}: {literals} "
                f"(hidden {'passed' if hidden else 'failed'})"
            )
        lines.append("")
    lines += [
        "<details><summary>Per-task outcomes</summary>",
        "",
        "V/v = visible tests passed/failed after the loop; H/h = hidden tests "
        "passed/failed; ! = suspicious.",
        "",
        *_matrix(records, planned),
        "",
        "</details>",
        "",
    ]
    bullets = headline(
        title.split(":")[0],
        summary,
        len(task_ids),
        frozenset(chosen),
        {entry.pipeline: entry.matched_ratio for entry in matched},
    )
    return lines, summary, bullets


def _split_runs(by_file: Mapping[Path, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Say which pipelines' records come from several files, and which one counts."""
    files: dict[str, list[str]] = {}
    for path, file_records in by_file.items():
        for pipeline in dict.fromkeys(str(r["pipeline"]) for r in file_records):
            files.setdefault(pipeline, []).append(f"`{path.name}`")
    lines = []
    for pipeline, names in files.items():
        if len(names) > 1:
            lines += [
                f"`{pipeline}`'s records come from {len(names)} files "
                f"({', '.join(names)}); for a task run more than once, the record "
                "in the later file counts.",
                "",
            ]
    return lines


def matched_time_lines(matched: Sequence[MatchedTime]) -> list[str]:
    """Time ratios at one-shot's machine speed, calibrated on identical work."""
    if not matched:
        return []
    lines = [
        "Time at matched machine speed: this shared VM does not always run at one "
        "speed, so a time ratio between two runs also measures the machine. The "
        "records calibrate it (`lsc_tui/bench/speed.py`): every pipeline's first "
        "candidate is greedy with one-shot's prompt, and where its code equals "
        "one-shot's, both runs did the same work; an extended run's new samples "
        "are timed against the samples of the run it extends, on the same tasks. "
        "The speed also changes within a run, so each run is calibrated in windows "
        f"of {WINDOW} identical candidates in the order it ran, each record at its "
        "window's factor. Scaled to one-shot's speed:",
        "",
        "| pipeline | tasks | time (raw) | time at one-shot's speed | calibration |",
        "|---|---|---|---|---|",
    ]
    for entry in matched:
        how = (
            f"{entry.calibration_tasks} identical greedy candidates; one-shot's run "
            f"took {entry.speed_factor:.2f}x as long for them"
        )
        factors = entry.window_factors
        if len(factors) > 1:
            how += (
                f" ({len(factors)} windows, {min(factors):.2f}x to {max(factors):.2f}x)"
            )
        for extension in entry.extensions:
            how += (
                f"; {extension.tasks} extended tasks' new samples decoded at "
                f"{extension.speed:.2f}x the speed of the samples they extend"
            )
        lines.append(
            f"| {entry.pipeline} | {entry.tasks} | {entry.raw_ratio:.2f}x | "
            f"{entry.matched_ratio:.2f}x | {how} |"
        )
    return [*lines, ""]


SCORING_FILE = "hidden_scoring.json"
SCORING_GROUP = "plus378"
"""The hidden scoring re-timed (``benchmarks/bench_hidden_scoring.py``) for the
final codes of this group's one-shot and `select` runs."""
STOP_FILE = "batch_stop.json"
"""``benchmarks/bench_batch_stop.py``'s output, read beside ``SCORING_GROUP``."""


def scoring_lines(
    scoring_file: Path,
    records: Sequence[Mapping[str, Any]],
    matched: Sequence[MatchedTime],
) -> list[str]:
    """`select`'s time ratio without the hidden scoring in every record's seconds,
    from its re-timing (``benchmarks/bench_hidden_scoring.py``)."""
    timed = [m for m in matched if m.pipeline == "select"]
    if not scoring_file.exists() or not timed:
        return []
    data = json.loads(scoring_file.read_text(encoding="utf-8"))
    rows = {int(row["task"]): row for row in data["rows"]}
    base = {
        mbpp_number(r["task_id"]): r
        for r in latest_records(records)
        if r.get("pipeline") == BASELINE
    }
    tasks = sorted(set(rows) & set(base) & set(timed[0].task_seconds))
    if not tasks:
        return []
    one_shot = sum(compute_seconds(base[t]) for t in tasks)
    generating = sum(
        float(it.get("gen_seconds", 0.0))
        for t in tasks
        for it in base[t].get("iterations", [])
    )
    totals = {
        key: sum(rows[t][key] for t in tasks)
        for key in ("one_shot_check_s", "one_shot_hidden_s", "select_hidden_s")
    }
    outside = one_shot - generating
    scale = outside / (totals["one_shot_check_s"] + totals["one_shot_hidden_s"])
    one_hidden = scale * totals["one_shot_hidden_s"]
    select_hidden = scale * totals["select_hidden_s"]
    select = sum(timed[0].task_seconds[t] for t in tasks)
    without = (select - select_hidden) / (one_shot - one_hidden)
    return [
        "Every record's seconds end after its final code was scored on the hidden "
        "tests, which a user's run never does. Re-timed in one sitting "
        f"(`benchmarks/bench_hidden_scoring.py`, `{_relative(scoring_file)}`, "
        f"{len(tasks)} tasks), the scoring took {totals['one_shot_hidden_s']:.0f} s "
        f"for one-shot's final codes and {totals['select_hidden_s']:.0f} s for "
        f"`select`'s, against {totals['one_shot_check_s']:.0f} s for one-shot's own "
        "check (syntax, then the visible tests). Scaled to one-shot's run (its "
        f"{outside:.0f} s outside generation over that check plus scoring: "
        f"{scale:.2f}x), the scoring was {one_hidden:.0f} s of one-shot's "
        f"{one_shot:.0f} s ({100 * one_hidden / one_shot:.0f}%). Without it in "
        f"either run, `select` takes {without:.2f}x one-shot's time at matched "
        f"speed, not {select / one_shot:.2f}x.",
        "",
    ]


STOP_COMMIT = "f6c045b"
"""The commit from which `select` stops a sample batch at its kept sample."""
NO_PLAN_COMMIT = "5df8683"
"""The commit from which `select`'s candidates 14-17 are task-prompt samples, not
the plan prompt's."""


def code_descends(meta: Mapping[str, Any], commit: str, repo: Path = ROOT) -> bool:
    """Whether a run's bench code (``LSC_BENCH_CODE=git-<sha>[+...]``) has
    ``commit`` in it: its commit descends from ``commit``. False when git cannot
    tell (no such commit here), so the run counts as made before it."""
    code = str(meta.get("env", {}).get("LSC_BENCH_CODE", ""))
    if not code.startswith("git-"):
        return False
    sha = code.removeprefix("git-").split("+")[0]
    try:
        check = subprocess.run(
            ["git", "merge-base", "--is-ancestor", commit, sha],
            cwd=repo,
            capture_output=True,
            check=False,
        )
    except OSError:
        return False
    return check.returncode == 0


def tasks_since(
    by_file: Mapping[Path, Sequence[Mapping[str, Any]]], commit: str
) -> set[int]:
    """The tasks whose latest `select` record comes from a run whose code has
    ``commit`` (later files replace earlier ones, as everywhere on the page)."""
    source: dict[int, Path] = {}
    for path, file_records in by_file.items():
        for record in file_records:
            if record.get("pipeline") == "select":
                source[mbpp_number(record["task_id"])] = path
    since = {
        path for path in set(source.values()) if code_descends(read_meta(path), commit)
    }
    return {task for task, path in source.items() if path in since}


def batch_stop_lines(
    stop_file: Path, matched: Sequence[MatchedTime], stopped: Collection[int] = ()
) -> list[str]:
    """What stopping batches at the kept sample saves (``bench_batch_stop.py``,
    observed in runs on one machine), and `select`'s time ratio were its share
    saved on the records of the same tasks that were made without the stop
    (``stopped`` lists those made with it): an estimate, said as one."""
    timed = [m for m in matched if m.pipeline == "select"]
    if not stop_file.exists() or not timed:
        return []
    data = json.loads(stop_file.read_text(encoding="utf-8"))
    summary = data["summary"]
    if not summary["seconds"]:
        return []
    tasks = [int(row["task"]) for row in data["runs"]]
    share = summary["saved"] / summary["seconds"]
    observed = (
        "Stopping a batch once its kept sample is known (the samples after it "
        "are discarded anyway) was measured by observing the stop instead of "
        f"applying it (`benchmarks/bench_batch_stop.py`, `{_relative(stop_file)}`): "
        f"`select` ran {len(tasks)} tasks whose records end a batch in a pass, "
        "with every batch decoded to its end and the moment the stop would have "
        f"ended it noted. A kept sample was found in {summary['fired_batches']} of "
        f"{summary['batches']} batches, and in {summary['cut_batches']} of them "
        "samples were still decoding then (in the others the kept sample ended "
        "last): the stop saves "
        f"{summary['saved']:.0f} s of "
        f"those runs' {summary['seconds']:.0f} s ({100 * share:.1f}%)."
    )
    unstopped = [t for t in tasks if t in timed[0].task_seconds and t not in stopped]
    if not unstopped:
        return [
            f"{observed} The records above were made with the stop, so their "
            f"{timed[0].matched_ratio:.2f}x one-shot's time at matched speed "
            "already includes it.",
            "",
        ]
    select = sum(timed[0].task_seconds.values())
    one_shot = select / timed[0].matched_ratio
    on_tasks = sum(timed[0].task_seconds[t] for t in unstopped)
    estimate = (select - share * on_tasks) / one_shot
    return [
        f"{observed} That machine's candidates were not all the recorded ones "
        "(greedy decoding differs across CPUs), so the records above were not "
        f"re-run; the same share of the records' time on the {len(unstopped)} of "
        "those tasks whose records were made without the stop would put `select` "
        f"at {estimate:.2f}x one-shot's time at matched speed, not "
        f"{timed[0].matched_ratio:.2f}x (an estimate, not a measured ratio).",
        "",
    ]


ANCHOR_RUNS = {
    "plus378-select.jsonl": "first visible pass in 7 candidates (the anchor's "
    "strategy: `select`'s first run, one by one, before batches and the edge check)",
    "plus378-selects-amd.jsonl": "the same code without concise samples (`select`'s "
    "full run on one machine, before `[sampling] concise`; raw time)",
}
"""Bench files run under the name `select` that stand for something else: an
anchor of DESIGN.md's "Reference baselines", or `select` before an ingredient it
now has. Later files replace their records, so `select` is also paired against
each on its own."""


def anchor_runs(
    by_file: Mapping[Path, Sequence[Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """The records of each anchor run in ``by_file``, relabelled to its title."""
    return {
        title: [{**r, "pipeline": title} for r in by_file[path]]
        for path in by_file
        if (title := ANCHOR_RUNS.get(path.name))
    }


def select_vs_each(
    records: Sequence[Mapping[str, Any]],
    pipelines: Sequence[str],
    anchors: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> list[str]:
    """`select` paired against every other pipeline on the tasks both finished,
    and against each anchor run (``anchor_runs``)."""
    others = [(p, records) for p in pipelines if p != "select"]
    others += [(title, [*records, *rows]) for title, rows in (anchors or {}).items()]
    if "select" not in pipelines or not others:
        return []
    lines = [
        "`select` against each pipeline, paired on the tasks both finished "
        "(hidden-test pass rate; wins/losses are tasks only one of the two passes; "
        "p from an exact McNemar test):",
        "",
        "| select vs | tasks | gain | 95% CI | wins / losses | p | time | tokens |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for other, pool in others:
        entry = summarize(pool, baseline=other)["pipelines"].get("select", {})
        gain = entry.get("gain_vs_baseline", {}).get("hidden")
        if not gain or not gain["n"]:
            continue
        time_ratio = entry.get("time_ratio_vs_baseline")
        token_ratio = entry.get("token_ratio_vs_baseline")
        lines.append(
            f"| {other} | {gain['n']} | {100 * gain['diff']:+.1f} pts | "
            f"[{100 * gain['ci_low']:+.1f}, {100 * gain['ci_high']:+.1f}] | "
            f"{gain['wins']} / {gain['losses']} | {gain['p_value']:.3f} | "
            f"{'-' if time_ratio is None else f'{time_ratio:.2f}x'} | "
            f"{'-' if token_ratio is None else f'{token_ratio:.2f}x'} |"
        )
    return [*lines, ""]


def _repair_round(iterations: Sequence[Mapping[str, Any]]) -> bool:
    """Whether feedback followed a failing candidate before any passed: a
    ``[repair]`` round, not the edge check's turns after a pass."""
    for iteration in iterations:
        if iteration.get("status") == "passed":
            return False
        if iteration.get("feedback"):
            return True
    return False


def _source(record: Mapping[str, Any], unplanned: Collection[int] = ()) -> str | None:
    """Which of `select`'s stages produced its first visible pass, if any.

    An iteration that follows one with feedback is a repair round (the recipe's
    ``[repair]``); the others are the greedy candidate and the samples, and from
    ``FIRST_PLAN`` on the plan prompt's, except for the tasks in ``unplanned``
    (run with the code of ``NO_PLAN_COMMIT`` or later)."""
    first = record.get("first_pass_iteration")
    iterations = record.get("iterations") or []
    if not isinstance(first, int) or first > len(iterations):
        return None
    if first == 1:
        return "greedy"
    if iterations[first - 2].get("feedback"):
        return "repair"
    if first >= FIRST_PLAN:
        return "late_samples" if mbpp_number(record["task_id"]) in unplanned else "plan"
    return "samples" if first <= FIRST_BUDGET else "more_samples"


FIRST_BUDGET = 7
"""`select`'s candidates per task before its budget was raised (docs/results.md)."""
FIRST_PLAN = 14
"""`select`'s first candidate from the plan prompt (``[plan]``, after 13 from the
task prompt) in the runs made before ``NO_PLAN_COMMIT``; no record in docs/bench
comes from a recipe drawing it earlier."""
SOURCE_TITLES = {
    "greedy": "greedy candidate (iteration 1)",
    "samples": f"a sample at T=0.8 (iterations 2-{FIRST_BUDGET})",
    "more_samples": (
        f"a sample at T=0.8 (iterations {FIRST_BUDGET + 1}-{FIRST_PLAN - 1})"
    ),
    "plan": f"a sample from the plan prompt (iterations {FIRST_PLAN} on)",
    "late_samples": f"a sample at T=0.8 (iterations {FIRST_PLAN} on, no plan prompt)",
    "repair": "the repair round (raw error of the best failing candidate)",
}


def budget_lines(
    files: Sequence[Sequence[Mapping[str, Any]]], matched: Sequence[MatchedTime]
) -> list[str]:
    """`select` at smaller sample budgets: its records cut at each candidate."""
    table = budget_table(files, matched=matched)
    if not table:
        return []
    return [
        "`select` at each sample budget: candidates come in a fixed order and "
        "`select` stops at the first visible pass, so a smaller budget is this run "
        "cut short (`lsc_tui/bench/budget.py`). Time is at one-shot's machine speed, "
        "each task's shared out over its candidates by tokens below the largest "
        "budget. " + table[0],
        *table[1:],
        "",
    ]


def select_sources(
    records: Sequence[Mapping[str, Any]], unplanned: Collection[int] = ()
) -> list[str]:
    """`select`'s ingredients from its own records: where each first pass came from.

    The stages run in order and each runs only when the ones before it found no
    visible pass, so dropping a stage loses exactly the tasks it passed (a
    candidate failing the visible test also fails the hidden tests, which include
    that test's input). Candidates from ``FIRST_PLAN`` on are the plan prompt's,
    or task-prompt samples for the tasks in ``unplanned``."""
    rows = [
        r
        for r in latest_records(records)
        if r.get("pipeline") == "select" and r.get("iterations")
    ]
    if not rows:
        return []
    lines = [
        f"Where `select`'s first visible pass came from ({len(rows)} tasks; each "
        "stage runs only when the ones before it found none, so without a stage its "
        "tasks fail):",
        "",
        "| stage | tasks reaching it | visible pass | hidden pass |",
        "|---|---|---|---|",
    ]
    reached = len(rows)
    # A [repair] round follows a failing candidate; the edge check's repair turn
    # ([edges]) follows a passing one and is reported on its own below.
    repaired = any(_repair_round(r["iterations"]) for r in rows)
    longer = any(len(r["iterations"]) > FIRST_BUDGET for r in rows)
    late = [r for r in rows if len(r["iterations"]) >= FIRST_PLAN]
    planned = any(mbpp_number(r["task_id"]) not in unplanned for r in late)
    sampled = any(mbpp_number(r["task_id"]) in unplanned for r in late)
    for source, title in SOURCE_TITLES.items():
        if (
            (source == "repair" and not repaired)
            or (source == "more_samples" and not longer)
            or (source == "plan" and not planned)
            or (source == "late_samples" and not sampled)
        ):
            continue
        passed = [r for r in rows if _source(r, unplanned) == source]
        hidden = sum(1 for r in passed if r.get("hidden_passed"))
        lines.append(f"| {title} | {reached} | {len(passed)} | {hidden} |")
        reached -= len(passed)
    lines.append(f"| none passed | {reached} | | |")
    return [*lines, ""]


EDGE_VERDICTS = {
    "still crash": STILL_CRASHES,
    "fail the visible tests": FAILS_VISIBLE,
    "change other results": CHANGES_RESULTS,
}
"""Why repairs were dropped: the page's words, and the selection reason's."""


def _kept_turn(row: Mapping[str, Any]) -> int:
    """Which edge repair turn's code `select` kept; 0 when the candidate stands."""
    selected = (row.get("selected") or {}).get("iteration")
    return 0 if selected is None else int(selected) - int(row["first_pass_iteration"])


def edge_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """What `select`'s edge check (``[edges]``) did, from the records that carry it.

    Records from before the check have no ``edges`` entries and are not counted."""
    rows = [
        r
        for r in latest_records(records)
        if r.get("pipeline") == "select"
        and any("edges" in it for it in r.get("iterations") or [])
    ]
    if not rows:
        return []
    crashed = [
        r
        for r in rows
        if (r["iterations"][r["first_pass_iteration"] - 1].get("edges") or {}).get(
            "crashed"
        )
    ]

    kept = [r for r in crashed if _kept_turn(r)]
    reasons = [str((r.get("selected") or {}).get("reason", "")) for r in crashed]
    counts = {
        verdict: sum(phrase in reason for reason in reasons)
        for verdict, phrase in EDGE_VERDICTS.items()
    }
    dropped = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    sampled = sum(_kept_turn(r) > 1 for r in kept)
    return [
        f"The edge check (`[edges]`, `lsc_tui/loop/edges.py`) ran on the first "
        f"visible pass of {len(rows)} tasks in the records that carry it (runs "
        "made since it exists); that candidate crashed on boundary inputs derived "
        f"from the visible test on {len(crashed)}. A repair was kept "
        f"on {len(kept)} ({sampled} of them from a sampled turn after the greedy "
        f"one; {sum(bool(r.get('hidden_passed')) for r in kept)} of them "
        f"pass the hidden tests) and none on {len(crashed) - len(kept)}"
        + (f" (where the last turn's repair: {dropped})." if dropped else "."),
        "",
    ]


def ablation_section(path: Path, records: Sequence[Mapping[str, Any]]) -> list[str]:
    """What each ingredient of a `select` pipeline adds, replayed on the same
    candidates; and, for a variant whose tasks ``records`` hold a separate `select`
    run on, how far its hidden passes differ from this run's own first-pass rule
    (sampling luck)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    summary = data["summary"]
    rules = summary["rules"]
    # Files written before the script named the pipeline ablate a variant.
    pipeline = summary.get("pipeline", f"select-{rules[-1]}")
    lines = [
        f"### Ablation: what each ingredient of `{pipeline}` adds",
        "",
        f"Replayed from the `{pipeline}` records ({summary['tasks']} tasks) by "
        f"`python scripts/ablate_select.py {summary['source']}`: each rule's choice "
        "among the same candidates, scored on the hidden tests afterwards. Tokens "
        "count the candidates each rule needs before it stops.",
        "",
        "| rule | hidden pass | candidates/task | tokens/task |",
        "|---|---|---|---|",
    ]
    for rule in rules:
        title, entry = RULE_TITLES[rule], summary[rule]
        low, high = entry["ci"]
        lines.append(
            f"| {title} | {100 * entry['rate']:.1f}% [{100 * low:.0f}-"
            f"{100 * high:.0f}] | {entry['mean_candidates']:.2f} | "
            f"{entry['mean_tokens']:.0f} |"
        )
    oracle = summary.get("oracle")
    if oracle:
        share = oracle["hidden_passed"] / max(1, summary["tasks"])
        lines.append(
            f"| *yardstick, peeks at hidden tests:* some candidate passing the "
            f"visible tests is right | {100 * share:.1f}% | | |"
        )
        lines += [
            "",
            f"The first visible pass fails the hidden tests (or nothing passes) in "
            f"{oracle['first_pass_wrong']} tasks; in only "
            f"{oracle['fixable_by_selection']} of them does another candidate that "
            "passes the visible tests pass the hidden ones. The rest are wrong the "
            "same way in every sample, so better selection cannot reach them.",
        ]
    if pipeline != "select":
        lines += _cross_run(data, records)
    lines.append("")
    for key, gain in summary.items():
        if "_vs_" not in key:
            continue
        rule, base = key.split("_vs_")
        low, high = gain["ci_points"]
        lines.append(
            f"- {rule.replace('_', ' ')} vs {base.replace('_', ' ')}: "
            f"{gain['gain_points']:+.1f} points (95% CI [{low:+.1f}, {high:+.1f}]; "
            f"{gain['wins']} wins, {gain['losses']} losses)"
        )
    lines.append("")
    return lines


def _cross_run(
    data: Mapping[str, Any], records: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The separate `select` run against this run's first-pass rule, same tasks."""
    hidden = {
        int(r["task_id"]): bool(r.get("hidden_passed"))
        for r in latest_records(records)
        if r.get("pipeline") == "select" and r.get("hidden_passed") is not None
    }
    rows = [row for row in data.get("rows", []) if row["task_id"] in hidden]
    if not rows or len(rows) < len(data.get("rows", [])):
        return []
    separate = sum(hidden[row["task_id"]] for row in rows)
    own = sum(bool(row["first_pass"]["hidden"]) for row in rows)
    return [
        "",
        f"The separate `select` run passes {separate} of these {len(rows)} tasks, "
        f"this run's own first visible pass {own}: the same rule on different "
        "samples. Only the paired rows below, which choose among the same "
        "candidates, measure the selection rule; a comparison across the two runs "
        "also measures sampling luck.",
    ]


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 1024**3:.2f} GiB"


def overhead_section(bench_dir: Path) -> list[str]:
    """Loop overhead, memory and any other benchmark JSON found in ``bench_dir``."""
    lines = ["## Overheads and memory", ""]
    loop_path = bench_dir / "loop_overhead.json"
    if loop_path.exists():
        data = json.loads(loop_path.read_text(encoding="utf-8"))
        ms = data["per_iteration_ms"]
        lines += [
            "Loop overhead per iteration, excluding model time "
            "(`python benchmarks/bench_loop_overhead.py --runs "
            f"{data['runs']} --json`; scripted engine, real sandbox, tier "
            f"{data['sandbox_tier']}; median of {data['runs']} runs of "
            f"{data['iterations_per_run']} iterations):",
            "",
            "| part | ms per iteration |",
            "|---|---:|",
            f"| sandbox: syntax check + visible tests | {ms['sandbox']:.1f} |",
            f"| of which the syntax check | {ms.get('sandbox_syntax_check', 0):.1f} |",
            f"| events and loop logic | {ms['events_and_loop']:.1f} |",
            f"| SQLite run-history writes | {ms['sqlite_writes']:.1f} |",
            f"| total | {ms['total_with_sqlite']:.1f} |",
            "",
        ]
    memory_path = bench_dir / "memory.json"
    if memory_path.exists():
        data = json.loads(memory_path.read_text(encoding="utf-8"))
        lines += [
            f"Memory of a {data['pipeline']} run on MBPP {data['task']} with every "
            "role loaded (`python benchmarks/bench_memory.py --json`): peak RSS "
            f"{_gib(data['peak_rss_bytes'])} against "
            f"{_gib(data['model_files_total_bytes'])} of distinct model files "
            f"({data['peak_over_files']:.2f}x; the two critic "
            "roles share one loaded 0.5B instance). RSS before loading was "
            f"{_gib(data['rss_start_bytes'])}; with all models loaded "
            f"{_gib(data['rss_after_load_bytes'])}.",
            "",
        ]
    batched_path = bench_dir / "batched_samples.json"
    if batched_path.exists():
        data = json.loads(batched_path.read_text(encoding="utf-8"))
        lines += [
            "Samples decoded side by side in one llama.cpp batch against one after "
            "another, from a shared prompt cache (`python "
            "benchmarks/bench_batched_samples.py MODEL --json`; "
            f"{data['model']}, {data['tokens_per_sample']} tokens per sample, "
            f"{data['threads']} threads, mean of {data['prompts']} MBPP prompts). "
            "`select` draws its samples in batches (`[sampling] batch` in its "
            "recipe) for this saving:",
            "",
            "| samples | one after another (s) | together (s) | speed-up | "
            "a batch costs (samples' time) |",
            "|---:|---:|---:|---:|---:|",
            *(
                f"| {row['k']} | {row['sequential_s']:.2f} | {row['batched_s']:.2f} "
                f"| {row['speedup']:.2f}x | {row['batch_cost_in_samples']:.2f} |"
                for row in data["rows"]
            ),
            "",
        ]
    known = {
        "loop_overhead.json",
        "memory.json",
        "batched_samples.json",
        SCORING_FILE,
        STOP_FILE,
    }
    for path in sorted(bench_dir.glob("*.json")):
        if path.name in known or path.name.endswith(".summary.json"):
            continue
        if "-ablation" in path.name:  # tabled beside its group
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        lines += [
            f"`{path.name}`:",
            "",
            "```json",
            json.dumps(data, indent=2),
            "```",
            "",
        ]
    return lines


def setup_section(
    first_meta: Mapping[str, Any],
    records: Sequence[Any],
    cpus: Mapping[str, int] | None = None,
) -> list[str]:
    """Hardware, models with sha256, decoding and scoring rules; ``cpus`` counts
    the runs made on each CPU."""
    cpus = cpus or {}
    from lsc_tui.loop.pipelines import load_pipelines

    machine = first_meta.get("machine", {})
    lines = ["## Setup", ""]
    if machine:
        lines += [
            f"- Hardware (first run): {machine.get('cpu')}, "
            f"{machine.get('logical_cores')} logical cores "
            f"({machine.get('usable_cores')} usable), "
            f"{machine.get('ram_gib')} GiB RAM, no GPU; {machine.get('os')}.",
            f"- Software: Python {machine.get('python')}, llama-cpp-python "
            f"{machine.get('llama_cpp_python')}, lsc-tui {machine.get('lsc_tui')}.",
        ]
    if len(cpus) > 1:
        seen = ", ".join(f"{cpu} ({count} runs)" for cpu, count in cpus.items())
        lines.append(
            f"- The runs were made in several sessions, on VMs with different CPUs: "
            f"{seen}; each summary's `meta` names its CPU and llama.cpp threads. Time "
            "ratios are calibrated per run (below), so they compare at one speed."
        )
    lines += [
        "- The 2 cores were shared with other work during most runs (load average "
        "often 5-10), so llama.cpp mostly ran with 1 thread (`LSC_N_THREADS=1`; 2 "
        "threads thrashed under contention) and up to three bench processes ran at "
        "once. Seconds per task are therefore far slower than an idle machine's, and "
        "because the load changed while pipelines ran one after another, time ratios "
        "between pipelines are only rough; the token ratios (tokens generated by all "
        "roles) do not depend on load.",
        "- Visible tests: the first assert of each task (MBPP+ style); models never "
        "see the others. Hidden tests: the remaining asserts plus, for MBPP+ tasks, "
        "every base and plus input compared with the canonical solution's output "
        "the EvalPlus way. A task counts as a hidden pass only when every hidden "
        "test passes.",
        "",
        "Models (sha256 from the model store, checked at import):",
        "",
        "| model | roles | sha256 |",
        "|---|---|---|",
    ]
    for (model_id, sha), roles in sorted(_models(records).items()):
        lines.append(f"| {model_id} | {', '.join(sorted(roles))} | `{sha or '?'}` |")
    lines += ["", STAND_IN_NOTE, "", "Pipelines (from `gguf_recipes/pipelines/`):", ""]
    for name, pipeline in sorted(load_pipelines().items()):
        generator = pipeline.roles["generator"].sampling
        text = (
            f"- `{name}`: {pipeline.description} Up to {pipeline.max_iters} "
            f"iteration(s); generator temperature {generator.temperature}, "
            f"max {generator.max_tokens} tokens"
        )
        if pipeline.kind == "select":
            text += (
                f"; extra samples at T={pipeline.sample_temperature}, "
                f"top-p {pipeline.sample_top_p}"
            )
        lines.append(text + ".")
    lines.append("")
    return lines


def build(bench_dir: Path) -> str:
    """The whole page."""
    sections: list[str] = []
    bullets: list[str] = []
    all_records: list[Any] = []
    first_meta: dict[str, Any] = {}
    cpus: dict[str, int] = {}
    commands: list[str] = []
    for name, paths in group_files(bench_dir).items():
        lines, _summary, heads = bench_section(name, paths)
        sections += lines
        bullets += heads
        for path in paths:
            all_records += read_records(path)
            meta = read_meta(path)
            first_meta = first_meta or meta
            cpu = (meta.get("machine") or {}).get("cpu")
            if cpu:
                cpus[cpu] = cpus.get(cpu, 0) + 1
            if meta.get("command"):
                commands.append(command_text(meta))
    loop_path = bench_dir / "loop_overhead.json"
    loop_runs = (
        json.loads(loop_path.read_text(encoding="utf-8")).get("runs", 6)
        if loop_path.exists()
        else 6
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = [
        "# Results",
        "",
        f"<!-- Generated by `python scripts/make_results.py` on {now} from "
        "docs/bench/. Do not edit by hand; re-run the script. -->",
        "",
        "Measured on this machine with the models available here. Every figure "
        "below is computed from the JSONL records in `docs/bench/` by "
        "`python scripts/make_results.py`.",
        "",
        "## Headline",
        "",
        "Hidden-test pass rate per pipeline (the honest score; visible tests are "
        "what the loop optimises), the paired gain over one-shot on the same tasks, "
        "and the mean seconds per task:",
        "",
        *bullets,
        "",
        "A gain whose interval includes zero is not evidence that the loop helps.",
        "",
        *setup_section(first_meta, all_records, cpus),
        *sections,
        *overhead_section(bench_dir),
        "## Reproduce",
        "",
        "```sh",
        "lsc data import ../shared/data/mbpp",
        "lsc models import qwen2.5-coder-1.5b-instruct-q4_k_m.gguf "
        "--as qwen2.5-coder-1.5b-instruct:q4_k_m",
        "lsc models import qwen2.5-coder-0.5b-instruct-q4_k_m.gguf "
        "--as qwen2.5-coder-0.5b-instruct:q4_k_m",
        *commands,
        f"python benchmarks/bench_loop_overhead.py --runs {loop_runs} --json "
        "> docs/bench/loop_overhead.json",
        "LSC_N_THREADS=1 python benchmarks/bench_memory.py --json "
        "> docs/bench/memory.json",
        "python scripts/make_results.py",
        "```",
        "",
    ]
    return "\n".join(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT / "docs" / "bench")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results.md")
    args = parser.parse_args()
    page = build(args.bench_dir)
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

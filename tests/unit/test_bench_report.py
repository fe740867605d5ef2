"""Summaries: rates with CIs, paired gains on common tasks, and their formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lsc_tui.bench.report import (
    format_markdown,
    format_table,
    latest_records,
    summarize,
    summary_targets,
    write_summary,
)


def rec(
    task: int,
    pipeline: str,
    *,
    visible: bool,
    hidden: bool | None,
    first: bool | None = None,
    seconds: float = 2.0,
    load: float = 0.0,
    tokens: int = 100,
    status: str | None = None,
    suspicious: bool = False,
) -> dict[str, Any]:
    return {
        "task_id": task,
        "pipeline": pipeline,
        "status": status or ("passed" if visible else "failed"),
        "pass_at_1": visible if first is None else first,
        "visible_passed": visible,
        "hidden_passed": hidden,
        "suspicious": suspicious,
        "seconds": seconds + load,
        "load_seconds": load,
        "tokens": tokens,
        "iterations": [{}],
    }


def sample_records() -> list[dict[str, Any]]:
    records = []
    # one-shot: hidden passes on tasks 1-4 of 10; the first run also loads the model.
    for t in range(1, 11):
        records.append(
            rec(
                t, "one-shot", visible=t <= 5, hidden=t <= 4, load=10.0 if t == 1 else 0
            )
        )
    # feedback: passes 1-6 hidden, but loses task 4; twice the time; task 10 errored.
    for t in range(1, 10):
        records.append(
            rec(
                t,
                "feedback",
                visible=t <= 7,
                hidden=t <= 6 and t != 4,
                first=t <= 5,
                seconds=4.0,
                tokens=250,
                suspicious=t == 6,
            )
        )
    records.append(rec(10, "feedback", visible=False, hidden=None, status="error"))
    return records


def test_rates_counts_and_costs_per_pipeline() -> None:
    summary = summarize(sample_records())
    assert list(summary["pipelines"]) == ["one-shot", "feedback"]
    one = summary["pipelines"]["one-shot"]
    assert one["tasks"] == 10
    assert one["hidden"]["passed"] == 4
    assert one["hidden"]["n"] == 10
    assert one["hidden"]["ci_low"] < 0.4 < one["hidden"]["ci_high"]
    assert one["visible_but_not_hidden"] == 1
    # Model loading is left out of seconds per task, but kept in wall seconds.
    assert one["mean_seconds"] == 2.0
    assert one["mean_wall_seconds"] == 3.0
    fb = summary["pipelines"]["feedback"]
    assert fb["tasks"] == 9
    assert fb["errors"] == 1
    assert fb["pass_at_1"]["passed"] == 5
    assert fb["visible"]["passed"] == 7
    assert fb["hidden"]["passed"] == 5
    assert fb["suspicious"] == 1
    assert fb["suspicious_hidden_passes"] == 1
    assert fb["mean_tokens"] == 250


def test_gain_is_paired_on_tasks_both_finished() -> None:
    fb = summarize(sample_records())["pipelines"]["feedback"]
    gain = fb["gain_vs_baseline"]["hidden"]
    # Tasks 1-9: feedback wins 5 and 6, loses 4.
    assert gain["n"] == 9
    assert gain["wins"] == 2
    assert gain["losses"] == 1
    assert gain["diff"] == pytest.approx(1 / 9, abs=1e-4)
    assert gain["ci_low"] < 0 < gain["ci_high"]
    assert fb["time_ratio_vs_baseline"] == 2.0
    assert fb["token_ratio_vs_baseline"] == 2.5
    assert (
        "gain_vs_baseline" not in summarize(sample_records())["pipelines"]["one-shot"]
    )


def test_last_record_of_a_pair_wins() -> None:
    first = rec(3, "one-shot", visible=False, hidden=None, status="error")
    retry = rec(3, "one-shot", visible=True, hidden=True)
    assert latest_records([first, retry]) == [retry]
    summary = summarize([first, retry])
    assert summary["pipelines"]["one-shot"]["errors"] == 0
    assert summary["pipelines"]["one-shot"]["hidden"]["passed"] == 1


def test_no_baseline_means_no_gain() -> None:
    summary = summarize([rec(1, "select", visible=True, hidden=True)])
    assert "gain_vs_baseline" not in summary["pipelines"]["select"]
    assert "select" in format_table(summary)


def test_table_and_markdown_show_the_same_figures() -> None:
    summary = summarize(sample_records())
    table = format_table(summary)
    markdown = format_markdown(summary, title="Sample")
    for text in (table, markdown):
        assert "40.0% [17-69]" in text  # one-shot hidden 4/10 with its Wilson CI
        assert "+11.1 pts" in text
        assert "2.00x" in text
    assert markdown.startswith("### Sample")
    assert "| feedback | 9 (1 err) |" in markdown
    assert "better than one-shot on 2 task(s), worse on 1" in markdown
    header, rule = table.splitlines()[:2]
    assert header.startswith("pipeline")
    assert set(rule.replace(" ", "")) == {"-"}


def test_summary_targets_by_suffix() -> None:
    assert summary_targets(Path("s.json")) == (Path("s.json"), None)
    assert summary_targets(Path("s.md")) == (None, Path("s.md"))
    assert summary_targets(Path("out/s")) == (Path("out/s.json"), Path("out/s.md"))


def test_write_summary_writes_json_with_meta_and_markdown(tmp_path: Path) -> None:
    summary = summarize(sample_records())
    written = write_summary(summary, tmp_path / "sub" / "s", meta={"command": "lsc x"})
    assert [p.name for p in written] == ["s.json", "s.md"]
    data = json.loads((tmp_path / "sub" / "s.json").read_text())
    assert data["meta"] == {"command": "lsc x"}
    assert data["pipelines"]["one-shot"]["hidden"]["passed"] == 4
    assert "| one-shot |" in (tmp_path / "sub" / "s.md").read_text()


def test_regenerations_that_repeat_earlier_code_are_counted() -> None:
    stuck = rec(1, "feedback", visible=False, hidden=False)
    stuck["iterations"] = [{"code": "a"}, {"code": "a\n"}, {"code": "b"}]
    moved = rec(2, "feedback", visible=True, hidden=True)
    moved["iterations"] = [{"code": "x"}, {"code": "y"}]
    entry = summarize([stuck, moved])["pipelines"]["feedback"]
    assert entry["regenerations"] == 3
    assert entry["repeated_regenerations"] == 1

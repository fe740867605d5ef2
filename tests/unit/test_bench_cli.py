"""`lsc bench mbpp` / `lsc bench report` end to end: scripted engine, real sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lsc_tui.bench import runner as bench_runner
from lsc_tui.cli import cli
from lsc_tui.cli.bench import BenchProgress, format_duration

SPLIT = (
    "```python\nimport re\ndef split_lowerstring(text):\n"
    '    return re.findall("[a-z][^a-z]*", text)\n```'
)
SPLIT_WRONG = "```python\ndef split_lowerstring(text):\n    return list(text)\n```"
MULTIPLES = (
    "```python\ndef multiples_of_num(m, n):\n"
    "    return [n * i for i in range(1, m + 1)]\n```"
)


def script(tmp_path: Path, replies: list[str]) -> str:
    path = tmp_path / f"script{len(list(tmp_path.glob('script*')))}.json"
    path.write_text(json.dumps({"replies": replies}), encoding="utf-8")
    return f"fake:{path}"


def bench(*args: str) -> Any:
    return CliRunner().invoke(cli, ["bench", *args])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ablation_writes_lines_summary_and_table(
    mbpp_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bench.jsonl"
    # one-shot: 15 wrong, 21 right; feedback: 15 wrong then right, 21 right.
    engine = script(tmp_path, [SPLIT_WRONG, MULTIPLES, SPLIT_WRONG, SPLIT, MULTIPLES])
    result = bench(
        "mbpp",
        "--tasks",
        "15,21",
        "--pipeline",
        "one-shot,feedback",
        "--out",
        str(out),
        "--summary",
        str(tmp_path / "summary"),
        "--engine",
        engine,
    )
    assert result.exit_code == 0, result.stderr
    records = lines(out)
    assert [(r["pipeline"], r["task_id"]) for r in records] == [
        ("one-shot", 15),
        ("one-shot", 21),
        ("feedback", 15),
        ("feedback", 21),
    ]
    assert [r["visible_passed"] for r in records] == [False, True, True, True]
    assert [r["hidden_passed"] for r in records] == [False, True, True, True]
    assert records[2]["first_pass_iteration"] == 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    gain = summary["pipelines"]["feedback"]["gain_vs_baseline"]["hidden"]
    assert (gain["n"], gain["wins"], gain["losses"]) == (2, 1, 0)
    meta = summary["meta"]
    assert meta["command"].startswith(
        "lsc bench mbpp --tasks 15,21 --pipeline one-shot"
    )
    assert meta["task_ids"] == [15, 21]
    assert meta["complete"] is True
    assert [i["runs"] for i in meta["invocations"]] == [4]
    assert "LSC_HOME" not in meta["env"]
    assert meta["machine"]["logical_cores"] >= 1
    assert "| feedback |" in (tmp_path / "summary.md").read_text()
    assert "hidden gain vs one-shot" in result.stderr
    assert "[4/4] feedback mbpp/21: PASS" in result.stderr
    assert result.stdout == ""


def test_resume_runs_only_missing_pairs(mbpp_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.jsonl"
    first = bench(
        "mbpp", "--tasks", "15", "--pipeline", "one-shot", "--out", str(out),
        "--engine", script(tmp_path, [SPLIT]),
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    again = bench(
        "mbpp", "--tasks", "15,21", "--pipeline", "one-shot", "--out", str(out),
        "--resume", "--engine", script(tmp_path, [MULTIPLES]),
    )  # fmt: skip
    assert again.exit_code == 0, again.stderr
    assert "1 runs to do, 1 already done" in again.stderr
    assert [r["task_id"] for r in lines(out)] == [15, 21]


def test_existing_out_needs_resume(mbpp_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.jsonl"
    out.write_text('{"task_id": 15, "pipeline": "one-shot", "status": "passed"}\n')
    result = bench(
        "mbpp", "--tasks", "15", "--out", str(out), "--engine", script(tmp_path, [])
    )
    assert result.exit_code == 2
    assert "--resume" in result.stderr
    assert bench("mbpp", "--tasks", "15", "--resume").exit_code == 2


def test_unknown_pipeline_is_a_usage_error(mbpp_cache: Path, tmp_path: Path) -> None:
    result = bench("mbpp", "--tasks", "15", "--pipeline", "nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr


def test_without_out_records_go_to_stdout(mbpp_cache: Path, tmp_path: Path) -> None:
    result = bench(
        "mbpp", "--tasks", "21", "--pipeline", "one-shot", "--engine",
        script(tmp_path, [MULTIPLES]),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["task_id"] == 21
    assert record["hidden_passed"] is True


def test_errored_runs_exit_1(mbpp_cache: Path, tmp_path: Path) -> None:
    result = bench(
        "mbpp", "--tasks", "21", "--pipeline", "one-shot",
        "--engine", script(tmp_path, []),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "ended in an error" in result.stderr


def test_ctrl_c_exits_130_and_keeps_finished_runs(
    mbpp_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bench_runner.run_bench

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event in real(*args, **kwargs):
            yield event
            if isinstance(event, bench_runner.PairFinished):
                raise KeyboardInterrupt

    monkeypatch.setattr("lsc_tui.cli.bench.run_bench", interrupted)
    out = tmp_path / "bench.jsonl"
    result = bench(
        "mbpp", "--tasks", "15,21", "--pipeline", "one-shot", "--out", str(out),
        "--summary", str(tmp_path / "s.json"),
        "--engine", script(tmp_path, [SPLIT, MULTIPLES]),
    )  # fmt: skip
    assert result.exit_code == 130
    assert [r["task_id"] for r in lines(out)] == [15]
    assert json.loads((tmp_path / "s.json").read_text())["meta"]["complete"] is False


def test_report_summarises_files(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [
        {"task_id": 1, "pipeline": "one-shot", "status": "failed", "pass_at_1": False,
         "visible_passed": False, "hidden_passed": False, "seconds": 1.0, "tokens": 5},
        {"task_id": 1, "pipeline": "select", "status": "passed", "pass_at_1": False,
         "visible_passed": True, "hidden_passed": True, "seconds": 3.0, "tokens": 9},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = bench("report", str(path), "--json", "--summary", str(tmp_path / "s.md"))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["pipelines"]["select"]["time_ratio_vs_baseline"] == 3.0
    assert (tmp_path / "s.md").exists()
    assert not (tmp_path / "s.json").exists()


def test_progress_bar_estimates_time_left_per_pipeline() -> None:
    import io
    from collections import Counter

    clock = iter([0.0, 10.0, 10.0, 10.0])
    progress = BenchProgress(
        io.StringIO(), Counter({"one-shot": 2, "select": 2}), live=True,
        clock=lambda: next(clock),
    )  # fmt: skip
    assert progress.eta_seconds() is None
    record = {"pipeline": "one-shot", "seconds": 4.0, "load_seconds": 0.0,
              "visible_passed": True, "hidden_passed": True, "status": "passed",
              "suspicious": False, "tokens": 10, "task_id": 11}  # fmt: skip
    progress.handle(bench_runner.PairFinished(record, 1, 4))
    # 1 one-shot left at 4 s, 2 select runs at the overall mean of 4 s.
    assert progress.eta_seconds() == 12.0
    text = progress.stream.getvalue()  # type: ignore[attr-defined]
    assert "[1/4] one-shot mbpp/11: PASS" in text
    assert "ETA 12s" in progress.bar()
    assert format_duration(3725) == "1h02m"
    assert format_duration(65) == "1m05s"


def test_report_refreshes_a_summary_and_keeps_its_meta(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    row = {"task_id": 1, "pipeline": "one-shot", "status": "passed",
           "pass_at_1": True, "visible_passed": True, "hidden_passed": True,
           "seconds": 1.0, "tokens": 5}  # fmt: skip
    path.write_text(json.dumps(row) + "\n")
    target = tmp_path / "s.json"
    target.write_text(json.dumps({"pipelines": {}, "meta": {"command": "lsc bench"}}))
    result = bench("report", str(path), "--summary", str(target))
    assert result.exit_code == 0, result.stderr
    data = json.loads(target.read_text())
    assert data["meta"]["command"] == "lsc bench"
    assert data["meta"]["sources"] == [str(path)]
    assert data["pipelines"]["one-shot"]["hidden"]["passed"] == 1

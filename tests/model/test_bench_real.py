"""A small real bench: Qwen2.5-Coder-0.5B on three MBPP tasks, scored for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli
from tests.conftest import test_model_path as model_file

pytestmark = [pytest.mark.model, pytest.mark.timeout(900)]


def test_bench_three_tasks_with_qwen_05b(mbpp_cache: Path, tmp_path: Path) -> None:
    model = model_file("qwen2.5-coder-0.5b")
    out = tmp_path / "bench.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "mbpp",
            "--tasks",
            "17,21,22",
            "--pipeline",
            "one-shot",
            "--generator",
            str(model),
            "--out",
            str(out),
            "--summary",
            str(tmp_path / "summary"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["task_id"] for r in records] == [17, 21, 22]
    for record in records:
        assert record["status"] in ("passed", "failed")
        assert record["final_code"].strip()
        assert record["role_tokens"]["generator"] > 0
        assert record["role_seconds"]["generator"] > 0
        assert record["hidden"] is not None
        assert record["hidden_passed"] is record["hidden"]["passed"]
        assert record["models"]["generator"] == model.stem
    # Greedy 0.5B solves the square perimeter (17); a pass must be a real pass.
    by_task = {r["task_id"]: r for r in records}
    assert by_task[17]["visible_passed"] is True
    assert by_task[17]["hidden"]["passed_count"] > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    one_shot = summary["pipelines"]["one-shot"]
    assert one_shot["tasks"] == 3
    assert one_shot["visible"]["passed"] == sum(r["visible_passed"] for r in records)
    assert "one-shot" in result.stderr

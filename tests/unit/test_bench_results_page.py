"""scripts/make_results.py builds the results page from bench records alone."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_results.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_results", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(task: int, pipeline: str, hidden: bool, seconds: float) -> dict[str, object]:
    return {
        "task_id": task,
        "pipeline": pipeline,
        "status": "passed" if hidden else "failed",
        "pass_at_1": hidden,
        "visible_passed": hidden,
        "hidden_passed": hidden,
        "suspicious": False,
        "seconds": seconds,
        "load_seconds": 0.0,
        "tokens": 50,
        "models": {"generator": "qwen-test"},
        "model_sha256": {"generator": "ab" * 32},
    }


def test_page_has_headline_tables_models_and_command(tmp_path: Path) -> None:
    rows = [record(t, "one-shot", t <= 3, 2.0) for t in range(1, 7)]
    rows += [record(t, "feedback", t <= 2, 5.0) for t in range(1, 7)]
    (tmp_path / "seed25.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    meta = {
        "command": "lsc bench mbpp --sample 6 --seed 7",
        "env": {"LSC_N_THREADS": "1"},
        "selection": "sample 6 with seed 7",
        "task_ids": [1, 2, 3, 4, 5, 6],
        "pipelines": ["one-shot", "feedback", "select"],
        "machine": {"cpu": "Test CPU", "logical_cores": 2},
    }
    (tmp_path / "seed25.summary.json").write_text(json.dumps({"meta": meta}))
    (tmp_path / "memory.json").write_text(
        json.dumps(
            {
                "pipeline": "three-stage",
                "task": 35,
                "peak_rss_bytes": 3 * 1024**3,
                "model_files_total_bytes": 2 * 1024**3,
                "peak_over_files": 1.5,
                "rss_start_bytes": 0,
                "rss_after_load_bytes": 2 * 1024**3,
            }
        )
    )
    page = load_script().build(tmp_path)
    assert "Do not edit by hand" in page
    assert "**one-shot**: hidden pass 50.0% (3/6" in page
    assert "**feedback**: hidden pass 33.3% (2/6" in page
    assert "does not beat one-shot (-16.7 points" in page
    assert "at 2.50x one-shot's time" in page
    assert "select 0/6 (INCOMPLETE)" in page
    assert "LSC_N_THREADS=1 lsc bench mbpp --sample 6 --seed 7" in page
    assert f"`{'ab' * 32}`" in page
    assert "Test CPU" in page
    assert "stands in for both critics" in page
    assert "peak RSS 3.00 GiB against 2.00 GiB" in page
    assert "| 1 | VH | VH | not run |" in page


def test_files_with_one_prefix_form_one_section(tmp_path: Path) -> None:
    one_shot = [record(t, "one-shot", t <= 2, 2.0) for t in range(1, 5)]
    select = [record(t, "select", t <= 4, 4.0) for t in range(1, 5)]
    (tmp_path / "plus100.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in one_shot)
    )
    (tmp_path / "plus100-select.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in select)
    )
    script = load_script()
    assert list(script.group_files(tmp_path)) == ["plus100"]
    page = script.build(tmp_path)
    assert page.count("## MBPP+") == 1
    # Paired on the same four tasks: select wins tasks 3 and 4.
    assert "**select**: hidden pass 100.0% (4/4" in page
    assert "+50.0 points" in page


def load_ablation() -> ModuleType:
    path = SCRIPT.parent / "ablate_select.py"
    spec = importlib.util.spec_from_file_location("ablate_select", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ablation_replays_each_rule_on_the_same_candidates() -> None:
    """Greedy is candidate 1; first pass the first passing; consensus what ran."""
    ablation = load_ablation()

    def it(status: str, passed: int = 0) -> dict[str, object]:
        tests = [{"status": "passed"}] * passed + [{"status": "failed"}]
        return {"status": status, "tests": tests, "syntax_error": None}

    run = {
        "iterations": [it("failed"), it("passed"), it("passed")],
        "selected": {"iteration": 3},
    }
    assert ablation.choices(run, "consensus") == {
        "greedy": 0,
        "first_pass": 1,
        "consensus": 2,
    }
    assert ablation.choices(run, "asserts")["asserts"] == 2
    # Nothing passed: both selecting rules fall back to the most tests passed.
    none = {
        "iterations": [it("failed", 1), it("failed", 2), it("syntax_error")],
        "selected": {"iteration": 2},
    }
    assert ablation.choices(none, "consensus") == {
        "greedy": 0,
        "first_pass": 1,
        "consensus": 1,
    }


ABLATION_RULE = {
    "rate": 0.5,
    "ci": [0.2, 0.8],
    "mean_candidates": 1.5,
    "mean_tokens": 90,
}
"""One rule's row in an ablation file's summary."""


def select_bench(tmp_path: Path) -> Path:
    """A bench folder holding a `select` run of 3 tasks, all hidden passes."""
    bench = tmp_path / "bench"
    bench.mkdir()
    rows = [record(t, "select", True, 2.0) for t in range(1, 4)]
    (bench / "plus378-select.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )
    return bench


def test_ablation_table_appears_beside_its_group(tmp_path: Path) -> None:
    script = load_script()
    bench = select_bench(tmp_path)
    gain = {"wins": 2, "losses": 1, "gain_points": 33.3, "ci_points": [-20.0, 70.0]}
    summary = {
        "tasks": 3,
        "source": "plus378-select.jsonl",
        "rules": ["greedy", "first_pass", "consensus"],
        "greedy": ABLATION_RULE,
        "first_pass": ABLATION_RULE,
        "consensus": ABLATION_RULE,
        "consensus_vs_greedy": gain,
    }
    (bench / "plus378-ablation.json").write_text(json.dumps({"summary": summary}))
    page = script.build(bench)
    assert "### Ablation: what each ingredient of `select-consensus` adds" in page
    assert (
        "| consensus among passing candidates (`select-consensus`) | 50.0% [20-80] |"
        in page
    )
    assert "consensus vs greedy: +33.3 points (95% CI [-20.0, +70.0]" in page
    # A second ablation file, of select-asserts, gets its own table.
    asserts = {
        **{k: v for k, v in summary.items() if "consensus" not in k},
        "rules": ["greedy", "first_pass", "asserts"],
        "asserts": {**ABLATION_RULE, "rate": 0.75},
        "asserts_vs_first_pass": gain,
    }
    own = [{"task_id": t, "first_pass": {"hidden": t == 1}} for t in range(1, 4)]
    (bench / "plus378-ablation-asserts.json").write_text(
        json.dumps({"summary": asserts, "rows": own})
    )
    page = script.build(bench)
    assert "### Ablation: what each ingredient of `select-consensus` adds" in page
    assert "### Ablation: what each ingredient of `select-asserts` adds" in page
    assert "passing samples (`select-asserts`) | 75.0% [20-80] |" in page
    assert "asserts vs first pass: +33.3 points" in page
    # The separate select run (all 3 pass) against this run's own first passes (1).
    assert "The separate `select` run passes 3 of these 3 tasks, this run's" in page
    assert "own first visible pass 1: the same rule on different samples" in page


def test_select_s_own_ablation_names_select_and_skips_the_cross_run(
    tmp_path: Path,
) -> None:
    """An ablation of `select`'s own records: its edge-check row, no luck line."""
    script = load_script()
    bench = select_bench(tmp_path)
    gain = {"wins": 1, "losses": 0, "gain_points": 33.3, "ci_points": [-10.0, 70.0]}
    summary = {
        "pipeline": "select",
        "tasks": 3,
        "source": "plus378-select.jsonl",
        "rules": ["greedy", "first_pass", "edges"],
        "greedy": ABLATION_RULE,
        "first_pass": ABLATION_RULE,
        "edges": {**ABLATION_RULE, "rate": 2 / 3},
        "edges_vs_first_pass": gain,
    }
    own = [{"task_id": t, "first_pass": {"hidden": t == 1}} for t in range(1, 4)]
    (bench / "plus378-ablation-select.json").write_text(
        json.dumps({"summary": summary, "rows": own})
    )
    page = script.build(bench)
    assert "### Ablation: what each ingredient of `select` adds" in page
    assert "repaired where it crashes (`select`) | 66.7% [20-80] |" in page
    assert "edges vs first pass: +33.3 points (95% CI [-10.0, +70.0]" in page
    # The records are this run's own, so there is no separate run to compare.
    assert "The separate `select` run passes" not in page


def test_select_ablation_keeps_what_the_edge_check_kept() -> None:
    """For `select`, the run's choice is the repair kept after the first pass."""
    ablation = load_ablation()
    passed = {"status": "passed", "tests": [{"status": "passed"}]}
    failed = {"status": "failed", "tests": [{"status": "failed"}]}
    run = {"iterations": [failed, passed, passed], "selected": {"iteration": 3}}
    assert ablation.choices(run, "edges") == {"greedy": 0, "first_pass": 1, "edges": 2}
    assert ablation.RUN_RULES["select"] == "edges"


def test_select_is_paired_against_every_other_pipeline() -> None:
    """Each pipeline gets a row: select's wins and losses on the shared tasks."""
    module = load_script()
    rows = [record(t, "one-shot", t <= 2, 2.0) for t in range(1, 7)]
    rows += [record(t, "feedback", t in (1, 6), 4.0) for t in range(1, 7)]
    rows += [record(t, "select", t <= 4, 6.0) for t in range(1, 5)]
    lines = module.select_vs_each(rows, ["one-shot", "feedback", "select"])
    table = "\n".join(lines)
    # One-shot: select passes 3 and 4 that one-shot fails, and loses none (4 shared).
    assert "| one-shot | 4 | +50.0 pts |" in table and "| 2 / 0 |" in table
    # Feedback passes 1 (shared with select); select also passes 2, 3, 4.
    assert "| feedback | 4 | +75.0 pts |" in table and "| 3 / 0 |" in table
    assert "| 3.00x |" in table and "| 1.50x |" in table
    assert module.select_vs_each(rows, ["one-shot", "feedback"]) == []


def test_select_is_paired_against_an_anchor_run_its_later_files_replace() -> None:
    """An anchor's run recorded under `select` is relabelled, so the later select
    records (which replace it) can be paired against it."""
    module = load_script()
    first = Path("docs/bench/plus378-select.jsonl")
    anchor = [record(t, "select", t == 1, 3.0) for t in range(1, 5)]
    later = [record(t, "select", t in (1, 2, 3), 6.0) for t in range(1, 5)]
    anchors = module.anchor_runs({first: anchor, Path("plus378-selectb.jsonl"): later})
    title = module.ANCHOR_RUNS[first.name]
    assert list(anchors) == [title]
    assert {r["pipeline"] for r in anchors[title]} == {title}
    table = "\n".join(module.select_vs_each([*anchor, *later], ["select"], anchors))
    assert f"| {title} | 4 | +50.0 pts |" in table and "| 2 / 0 |" in table
    assert "| 2.00x |" in table


def test_select_sources_count_where_each_first_pass_came_from() -> None:
    """Greedy, a sample, the plan prompt or the repair round: read from the
    iterations' feedback and the first pass's number."""
    module = load_script()

    def select_row(task: int, first: int | None, hidden: bool, repaired: bool):
        row = record(task, "select", hidden, 3.0)
        iterations: list[dict[str, object]] = [{"feedback": None} for _ in range(10)]
        if repaired:
            iterations[6]["feedback"] = "Your code fails: ..."
        row["first_pass_iteration"] = first
        row["iterations"] = iterations
        return row

    rows = [
        select_row(1, 1, True, False),
        select_row(2, 1, False, False),
        select_row(3, 4, True, False),
        select_row(4, 8, True, True),
        select_row(5, None, False, True),
        select_row(7, 9, True, False),
        record(6, "one-shot", True, 1.0),
    ]
    table = "\n".join(module.select_sources(rows))
    assert "(6 tasks;" in table
    assert "| greedy candidate (iteration 1) | 6 | 2 | 1 |" in table
    assert "| a sample at T=0.8 (iterations 2-7) | 4 | 1 | 1 |" in table
    assert "| a sample at T=0.8 (iterations 8-13) | 3 | 1 | 1 |" in table
    assert "plan prompt" not in table  # no record reaches candidate 14
    assert (
        "| the repair round (raw error of the best failing candidate) | 2 | 1 | 1 |"
        in table
    )
    assert "| none passed | 1 | | |" in table
    assert module.select_sources([record(1, "one-shot", True, 1.0)]) == []
    # Without any repair round in the records, the table has no repair row.
    unrepaired = "\n".join(module.select_sources(rows[:3]))
    assert "repair" not in unrepaired and "| none passed | 0 | | |" in unrepaired
    # The edge check's repair turn follows a passing candidate: no repair row.
    edged = select_row(8, 1, True, False)
    edged["iterations"][0] = {"feedback": "these calls fail", "status": "passed"}
    assert "repair" not in "\n".join(module.select_sources([*rows[:3], edged]))
    # Records of at most 7 candidates have no row for the later samples.
    short = [{**r, "iterations": r["iterations"][:7]} for r in rows[:3]]
    assert "iterations 8-13" not in "\n".join(module.select_sources(short))
    # Candidates 14 on come from the plan prompt ([plan] after 13 task-prompt ones).
    planned = select_row(9, 15, True, False)
    planned["iterations"] = [{"feedback": None} for _ in range(17)]
    failed = {**planned, "task_id": 10, "first_pass_iteration": None}
    failed["hidden_passed"] = False
    table = "\n".join(module.select_sources([*rows[:3], planned, failed]))
    assert "| a sample from the plan prompt (iterations 14 on) | 2 | 1 | 1 |" in table
    assert "| none passed | 1 | | |" in table
    # Run with the code of NO_PLAN_COMMIT on, candidates 14 on are samples.
    late = "\n".join(module.select_sources([*rows[:3], planned, failed], {9, 10}))
    assert "from the plan prompt" not in late
    assert (
        "| a sample at T=0.8 (iterations 14 on, no plan prompt) | 2 | 1 | 1 |" in late
    )
    mixed = "\n".join(module.select_sources([*rows[:3], planned, failed], {10}))
    assert "(iterations 14 on) | 2 | 1 | 1 |" in mixed
    assert "(iterations 14 on, no plan prompt) | 1 | 0 | 0 |" in mixed


def test_split_runs_and_matched_times_are_stated(tmp_path: Path) -> None:
    """A pipeline spread over files is named; time at matched speed is tabled."""
    module = load_script()

    def greedy(row: dict[str, object], seconds: float) -> dict[str, object]:
        row["iterations"] = [
            {"code": f"c{row['task_id']}", "gen_tokens": 40, "gen_seconds": seconds}
        ]
        return row

    first = tmp_path / "plus378-select-a.jsonl"
    second = tmp_path / "plus378-select-b.jsonl"
    first.write_text(
        "".join(
            json.dumps(greedy(record(t, "one-shot", True, 2.0), 2.0)) + "\n"
            for t in range(1, 13)
        )
        + "".join(
            json.dumps(greedy(record(t, "select", True, 3.0), 1.0)) + "\n"
            for t in range(1, 12)
        )
    )
    second.write_text(json.dumps(greedy(record(12, "select", False, 3.0), 1.0)) + "\n")
    by_file = {path: module.read_records(path) for path in (first, second)}
    lines = "\n".join(module._split_runs(by_file))
    assert "`select`'s records come from 2 files" in lines
    assert "`one-shot`" not in lines
    matched = module.matched_times([by_file[first]])
    table = "\n".join(module.matched_time_lines(matched))
    assert "| select | 11 | 1.50x | 3.00x | 11 identical greedy candidates" in table
    # The second file's one task cannot calibrate its run: no figure, not a guess.
    assert module.matched_times(list(by_file.values())) == []
    assert module.matched_time_lines([]) == []


def test_a_run_on_a_chosen_subset_is_not_called_incomplete(tmp_path: Path) -> None:
    """The headline says a deliberate subset's gain holds on that subset only."""
    bench = tmp_path / "bench"
    bench.mkdir()
    full = [record(t, "one-shot", t <= 3, 2.0) for t in range(1, 7)]
    subset = [record(t, "feedback", t == 5, 4.0) for t in (4, 5)]
    for name, rows, ids, pipelines in (
        ("plus378-one-shot", full, [1, 2, 3, 4, 5, 6], ["one-shot"]),
        ("plus378-feedback", subset, [4, 5], ["feedback"]),
    ):
        (bench / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows)
        )
        meta = {"command": "lsc bench", "task_ids": ids, "pipelines": pipelines}
        (bench / f"{name}.summary.json").write_text(json.dumps({"meta": meta}))
    page = load_script().build(bench)
    assert "(run on a chosen subset of 2 of the 6 tasks; the gain holds" in page
    assert "INCOMPLETE: 2 of 6" not in page


def test_batched_samples_are_tabled_not_dumped(tmp_path: Path) -> None:
    module = load_script()
    row = {
        "k": 4,
        "sequential_s": 36.0,
        "batched_s": 15.0,
        "speedup": 2.4,
        "batch_cost_in_samples": 1.67,
    }
    data = {"model": "m.gguf", "tokens_per_sample": 96, "prompts": 3, "threads": 2}
    (tmp_path / "batched_samples.json").write_text(json.dumps({**data, "rows": [row]}))
    lines = "\n".join(module.overhead_section(tmp_path))
    assert "| 4 | 36.00 | 15.00 | 2.40x | 1.67 |" in lines
    assert "m.gguf, 96 tokens per sample, 2 threads, mean of 3 MBPP prompts" in lines
    assert "```json" not in lines


def test_edge_lines_count_checked_crashed_kept_and_dropped_repairs() -> None:
    module = load_script()

    def run(
        task: int, crashed: int, reason: str, hidden: bool, kept: int = 1
    ) -> dict[str, object]:
        row = record(task, "select", hidden, 3.0)
        edges = {"inputs": 20, "crashed": crashed, "shown": []}
        row["first_pass_iteration"] = 1
        row["iterations"] = [{"code": "c", "edges": edges}]
        row["selected"] = {"iteration": kept, "reason": reason}
        return row

    rows = [
        run(1, 0, "first candidate to pass every visible test", True),
        run(2, 1, "candidate 1 passes ...; its repair handles 1 of them", True, 2),
        run(6, 1, "candidate 1 passes ...; its repair turn 3 handles 1", False, 4),
        run(3, 2, "... not kept: it still crashes on all 2 inputs", False),
        run(4, 1, "... not kept: it fails the visible tests", True),
        record(5, "select", True, 3.0),  # a record from before the check
    ]
    [text, _] = module.edge_lines(rows)
    assert "first visible pass of 5 tasks in the records that carry it" in text
    assert "boundary inputs derived from the visible test on 4" in text
    assert "kept on 2 (1 of them from a sampled turn after the greedy one; " in text
    assert "1 of them pass the hidden tests) and none on 2" in text
    assert "(where the last turn's repair: 1 still crash, 1 fail the visible" in text


def test_select_time_is_also_stated_without_the_hidden_scoring(tmp_path: Path) -> None:
    """The re-timed scoring, scaled to one-shot's run, comes out of both times."""
    from lsc_tui.bench.speed import MatchedTime

    module = load_script()
    rows = []
    for task in (1, 2):
        base = record(task, "one-shot", True, 10.0)
        base["iterations"] = [{"gen_seconds": 8.0}]  # 2 s outside generation
        rows.append(base)
    matched = [MatchedTime("select", 2, 3.0, 3.0, 2, 1.0, (), {1: 30.0, 2: 30.0})]
    scoring = tmp_path / "hidden_scoring.json"
    timings = [
        {
            "task": t,
            "one_shot_check_s": 0.5,
            "one_shot_hidden_s": 0.5,
            "select_hidden_s": 1.0,
        }
        for t in (1, 2)
    ]
    scoring.write_text(json.dumps({"tasks": 2, "rows": timings}))
    text = " ".join(module.scoring_lines(scoring, rows, matched))
    # Today's check + scoring (1 s a task) scale to the 2 s outside generation:
    # scoring was 1 s of each one-shot task's 10, and 2 s of each select task's 30.
    assert "plus scoring: 2.00x), the scoring was 2 s of one-shot's 20 s (10%)" in text
    assert "takes 3.11x one-shot's time at matched speed, not 3.00x" in text
    assert module.scoring_lines(tmp_path / "missing.json", rows, matched) == []


def test_the_batch_stop_saving_is_applied_to_the_records_as_an_estimate(
    tmp_path: Path,
) -> None:
    """The share the observed runs saved comes off the records of their tasks only."""
    from lsc_tui.bench.speed import MatchedTime

    module = load_script()
    # select: 30 s on each of tasks 1-2 and 40 s on task 3, 3.00x one-shot's 100/3 s.
    matched = [MatchedTime("select", 3, 3.0, 3.0, 3, 1.0, (), {1: 30, 2: 30, 3: 40})]
    stop = tmp_path / "batch_stop.json"
    summary = {
        "seconds": 200.0,
        "saved": 20.0,
        "fired_batches": 3,
        "cut_batches": 2,
        "batches": 5,
    }
    runs = [{"task": 1}, {"task": 2}]
    stop.write_text(json.dumps({"summary": summary, "runs": runs, "batches": []}))
    text = " ".join(module.batch_stop_lines(stop, matched))
    assert "ran 2 tasks whose records end a batch in a pass" in text
    assert "found in 3 of 5 batches, and in 2 of them samples were still" in text
    assert "the stop saves 20 s of those runs' 200 s (10.0%)" in text
    # 10% of tasks 1-2's 60 s is 6 s off select's 100 s: 94 / (100 / 3) = 2.82x.
    assert "put `select` at 2.82x one-shot's time at matched speed, not 3.00x" in text
    assert module.batch_stop_lines(tmp_path / "missing.json", matched) == []
    # Task 1's record already stops batches: only task 2's 30 s gets the share,
    # 97 / (100 / 3) = 2.91x.
    text = " ".join(module.batch_stop_lines(stop, matched, {1}))
    assert "the 1 of those tasks whose records were made without the stop" in text
    assert "put `select` at 2.91x one-shot's time at matched speed" in text
    # Every such record stops batches: the saving is not counted twice.
    text = " ".join(module.batch_stop_lines(stop, matched, {1, 2}))
    assert "the stop saves 20 s of those runs' 200 s (10.0%)" in text
    assert "made with the stop, so their 3.00x" in text
    assert "estimate" not in text


def test_a_run_has_a_change_when_its_commit_descends_from_it(
    tmp_path: Path,
) -> None:
    """The bench code's commit, read with git, says whether a run has a change
    (stopping batches, no plan prompt)."""
    module = load_script()

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(tmp_path), *args],
            capture_output=True,
            text=True,
            check=True,
            env={
                **os.environ,
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@t",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@t",
            },
        )
        return done.stdout.strip()

    git("init", "-q")
    shas = []
    for n in range(3):
        git("commit", "-q", "--allow-empty", "-m", str(n))
        shas.append(git("rev-parse", "--short", "HEAD"))
    before, stop, after = shas

    def has(code: str) -> bool:
        meta = {"env": {"LSC_BENCH_CODE": code}}
        return bool(module.code_descends(meta, stop, tmp_path))

    assert has(f"git-{after}") and has(f"git-{stop}+working-tree")
    assert not has(f"git-{before}")
    assert not has("git-0000000") and not has("unknown")

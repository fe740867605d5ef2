"""Ablate `select`, `select-consensus` or `select-asserts` from one bench run.

`select`, `select-consensus` and `select-asserts` draw the same fixed sequence of
candidates (greedy first, then samples with seeds seed+2, seed+3, ...); the latter
two keep going after the first visible pass, until consensus settles or a sample
passes every extra assert, and `select` checks that pass on boundary inputs and
asks for repairs where it crashes (``[edges]``). So one of their runs holds, per
task, the candidates that simpler selection rules would have seen, and their
choices can be replayed exactly:

- greedy: the first candidate only. Same prompt and sampling as `one-shot`.
- first pass: the first candidate that passes the visible tests (`select`; also
  the "up to 6 extra samples" anchor), else the candidate passing most visible
  tests, as `select` falls back.
- edges (`select`), consensus (`select-consensus`) or asserts (`select-asserts`):
  what the run chose. For `select`, first pass against edges is the edge check's
  contribution: the first visible pass as it was, against its kept repair.

Hidden tests score each replayed choice after the fact, in the sandbox, exactly as
the bench scores final code; they never influence a choice. Tokens are the
generated tokens each rule would have spent (its candidates up to its stop; the
run's own rule also counts the tester's asserts).

Usage: LSC_HOME=... python scripts/ablate_select.py \
       docs/bench/plus378-select-consensus.jsonl --out docs/bench/plus378-ablation.json
       (or docs/bench/plus378-select-asserts.jsonl \
       docs/bench/plus378-select-asserts-rest.jsonl --out
       docs/bench/plus378-ablation-asserts.json; or every file of `select`'s
       runs in the page's order, since a later file's record of a task replaces an
       earlier one's, with --out docs/bench/plus378-ablation-select.json)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lsc_tui.bench.runner import read_records  # noqa: E402
from lsc_tui.bench.stats import paired_gain, proportion  # noqa: E402

BASE_RULES = ("greedy", "first_pass")
RUN_RULES = {
    "select": "edges",
    "select-consensus": "consensus",
    "select-asserts": "asserts",
}
"""The rule each pipeline's own choice stands for."""


def _fallback(iterations: Sequence[Mapping[str, Any]]) -> int:
    """Index of the candidate `select` keeps when none passes: most tests passed."""

    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[int, bool, int]:
        index, it = pair
        passed = sum(1 for t in it.get("tests") or [] if t.get("status") == "passed")
        return passed, it.get("syntax_error") is None, index

    return max(enumerate(iterations), key=key)[0]


def choices(record: Mapping[str, Any], run_rule: str) -> dict[str, int]:
    """Candidate index (0-based) each rule keeps for one `select` record."""
    iterations = record["iterations"]
    passing = [i for i, it in enumerate(iterations) if it.get("status") == "passed"]
    first = passing[0] if passing else _fallback(iterations)
    selected = (record.get("selected") or {}).get("iteration")
    chosen = selected - 1 if isinstance(selected, int) else first
    return {"greedy": 0, "first_pass": first, run_rule: chosen}


def candidate_code(iteration: Mapping[str, Any], task: Any, rule: str) -> str:
    """The code a rule would submit: `select` tests (and keeps) the harmonized
    name; greedy stands for one-shot, which submits the reply's code as it is."""
    from lsc_tui.loop.harmonize import harmonize

    code = str(iteration.get("code") or "")
    if rule != "greedy" and iteration.get("renamed"):
        renamed = harmonize(code, task.entry_point)
        if renamed is not None:
            code = renamed[0]
    return code


def hidden_passes(code: str, task: Any, known: dict[str, bool], sandbox: Any) -> bool:
    """Whether ``code`` passes ``task``'s hidden tests, scored once per code."""
    from lsc_tui.tasks.scoring import score_hidden

    if code not in known:
        score = score_hidden(task, code, sandbox) if code.strip() else None
        known[code] = bool(score and score.passed)
    return known[code]


def main() -> None:
    """Score each rule's choice on the hidden tests and write per-task rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jsonl", type=Path, nargs="+", help="one run, maybe split")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from lsc_tui.sandbox import Sandbox
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.mbpp import load_mbpp_task

    sandbox = Sandbox.from_settings(load_settings())
    latest: dict[int, dict[str, Any]] = {}
    for record in (r for path in args.jsonl for r in read_records(path)):
        if str(record.get("pipeline", "")).startswith("select") and (
            record.get("status") != "error"
        ):
            latest[int(record["task_id"])] = record
    pipelines = {str(r["pipeline"]) for r in latest.values()}
    if len(pipelines) != 1 or not pipelines <= set(RUN_RULES):
        sys.exit(f"want the records of one of {', '.join(RUN_RULES)}; got {pipelines}")
    pipeline = pipelines.pop()
    run_rule = RUN_RULES[pipeline]
    rules = (*BASE_RULES, run_rule)
    rows = []
    for number in sorted(latest):
        record = latest[number]
        if not record["iterations"] or record.get("hidden") is None:
            continue
        task = load_mbpp_task(number, sandbox=sandbox)
        picked = choices(record, run_rule)
        known = {record["final_code"]: bool(record["hidden"]["passed"])}

        iterations = record["iterations"]
        passing = [i for i, it in enumerate(iterations) if it.get("status") == "passed"]
        row: dict[str, Any] = {"task_id": number}
        for rule in rules:
            index = picked[rule]
            code = candidate_code(iterations[index], task, rule)
            stop = index if rule != run_rule else len(iterations) - 1
            if rule == "first_pass" and not passing:
                stop = len(iterations) - 1
            tokens = sum(it.get("gen_tokens", 0) for it in iterations[: stop + 1])
            row[rule] = {
                "candidate": index + 1,
                "hidden": hidden_passes(code, task, known, sandbox),
                "tokens": record.get("tokens", tokens) if rule == run_rule else tokens,
                "candidates": stop + 1,
            }
        # Upper bound for any selection among these candidates (peeks at hidden
        # tests, so it is a yardstick only): some passing candidate is right.
        row["oracle"] = {
            "hidden": any(
                hidden_passes(
                    candidate_code(iterations[i], task, "oracle"), task, known, sandbox
                )
                for i in passing
            ),
            "passing_candidates": len(passing),
        }
        rows.append(row)
        print(
            f"{number}: " + " ".join(f"{r}={int(row[r]['hidden'])}" for r in rules),
            file=sys.stderr,
        )
    summary: dict[str, Any] = {
        "pipeline": pipeline,
        "tasks": len(rows),
        "source": " ".join(str(path) for path in args.jsonl),
        "rules": list(rules),
    }
    first_wrong = [r for r in rows if not r["first_pass"]["hidden"]]
    summary["oracle"] = {
        "hidden_passed": sum(r["oracle"]["hidden"] for r in rows),
        "first_pass_wrong": len(first_wrong),
        "fixable_by_selection": sum(r["oracle"]["hidden"] for r in first_wrong),
    }
    for rule in rules:
        outcomes = [row[rule]["hidden"] for row in rows]
        p = proportion(sum(outcomes), len(outcomes))
        summary[rule] = {
            "hidden_passed": p.successes,
            "rate": round(p.rate, 4),
            "ci": [round(p.low, 4), round(p.high, 4)],
            "mean_tokens": round(
                sum(row[rule]["tokens"] for row in rows) / max(1, len(rows)), 1
            ),
            "mean_candidates": round(
                sum(row[rule]["candidates"] for row in rows) / max(1, len(rows)), 2
            ),
        }
    for rule, base in (
        ("first_pass", "greedy"),
        (run_rule, "greedy"),
        (run_rule, "first_pass"),
    ):
        gain = paired_gain(
            [row[rule]["hidden"] for row in rows], [row[base]["hidden"] for row in rows]
        )
        summary[f"{rule}_vs_{base}"] = {
            "wins": gain.candidate_only,
            "losses": gain.baseline_only,
            "gain_points": round(
                100 * (gain.candidate_only - gain.baseline_only) / max(1, gain.n), 1
            ),
            "ci_points": [round(100 * gain.low, 1), round(100 * gain.high, 1)],
        }
    text = json.dumps({"summary": summary, "rows": rows}, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

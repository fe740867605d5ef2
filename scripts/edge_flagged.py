"""List the tasks on which `select`'s edge check would act, from recorded runs.

`[edges]` (``lsc_tui/loop/edges.py``) changes a `select` run only after its first
visible pass, and only when that candidate crashes on the edge-check inputs.
Everywhere else the run is the recorded one. So a run with the check needs to be
re-run only on the tasks this prints: those whose recorded `select` candidate (the
last record of a task wins) passes the visible tests and crashes on those inputs,
run here in the sandbox. The hidden tests play no part in choosing them.

Usage: python scripts/edge_flagged.py docs/bench/plus378-select.jsonl \
       docs/bench/plus378-select13.jsonl docs/bench/plus378-selectb.jsonl
Prints the task numbers comma-separated (for ``lsc bench mbpp --tasks``), and
on stderr how many of the recorded ones checked and crashed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.bench.report import latest_records
from lsc_tui.bench.runner import mbpp_number, read_records
from lsc_tui.loop.edges import check_inputs, run_check
from lsc_tui.sandbox import Sandbox
from lsc_tui.tasks.mbpp import load_mbpp_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    records = latest_records(r for path in args.files for r in read_records(path))
    sandbox = Sandbox()
    checked: list[int] = []
    flagged: list[int] = []
    for record in records:
        if record.get("pipeline") != "select" or not record.get("visible_passed"):
            continue
        number = mbpp_number(record["task_id"])
        task = load_mbpp_task(number, sandbox=sandbox)
        inputs = check_inputs(task.visible_tests, task.entry_point)
        if not inputs or task.entry_point is None:
            continue
        checked.append(number)
        check = run_check(
            sandbox,
            record["final_code"],
            task.entry_point,
            inputs,
            setup=task.setup_code,
        )
        if check.crashes:
            flagged.append(number)
    print(
        f"{len(checked)} visible passes checked; {len(flagged)} crash", file=sys.stderr
    )
    print(",".join(str(n) for n in sorted(flagged)))


if __name__ == "__main__":
    main()

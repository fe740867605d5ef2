"""Print `select`'s hidden pass rate and cost at each sample budget.

The table comes from ``lsc_tui.bench.budget`` (the results page shows it for the
budgets its own records reach); this script also takes records kept out of the
page, such as an extension past the recipe's budget.

Usage: python scripts/budget_curve.py docs/bench/plus378-one-shot.jsonl \
       docs/bench/plus378-select.jsonl docs/bench/plus378-select13.jsonl \
       [more extensions ...] [--budgets 1 7 13 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsc_tui.bench.budget import budget_table
from lsc_tui.bench.runner import read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--budgets", type=int, nargs="+", default=[1, 4, 7, 10, 13])
    args = parser.parse_args()
    print("\n".join(budget_table([read_records(p) for p in args.files], args.budgets)))


if __name__ == "__main__":
    main()

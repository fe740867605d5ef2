"""Which MBPP tasks a bench run covers: ranges, lists, MBPP+, seeded samples, limits.

``--tasks 11-510`` or ``11,12,15`` (or both mixed, ``11-20,31``) names tasks;
``--plus`` keeps only the 378 MBPP+ tasks; ``--sample N --seed S`` draws N of them
reproducibly; ``--limit`` keeps the first N. The default pool is MBPP's test split.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lsc_tui.errors import ConfigError

FIRST_TASK = 1
LAST_TASK = 974
TEST_SPLIT = (11, 510)
"""MBPP's test split, the pool when no tasks are named (and the seed's)."""


def parse_task_spec(spec: str) -> list[int]:
    """Task numbers from ``11-510``, ``11,12,15`` or a mix, ascending and unique."""
    numbers: set[int] = set()
    parts = [part.strip() for part in spec.replace(" ", ",").split(",")]
    if not any(parts):
        raise ConfigError("--tasks is empty; give a range like 11-510 or a list 11,12")
    for part in parts:
        if not part:
            continue
        low_text, dash, high_text = part.partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if dash else low
        except ValueError:
            raise ConfigError(
                f"--tasks: {part!r} is not a task number or a range like 11-510"
            ) from None
        if low > high:
            raise ConfigError(
                f"--tasks: range {part!r} runs backwards; write {high}-{low}"
            )
        for number in (low, high):
            if not FIRST_TASK <= number <= LAST_TASK:
                raise ConfigError(
                    f"--tasks: MBPP task numbers run from {FIRST_TASK} to {LAST_TASK};"
                    f" got {number}"
                )
        numbers.update(range(low, high + 1))
    return sorted(numbers)


@dataclass(frozen=True, slots=True)
class TaskSelection:
    """How to choose tasks; ``resolve`` turns it into task numbers."""

    tasks: str | None = None
    plus: bool = False
    sample: int | None = None
    seed: int | None = None
    limit: int | None = None

    def describe(self) -> str:
        """A short human description, for summaries and the results page."""
        parts = [f"tasks {self.tasks}" if self.tasks else ""]
        if self.plus:
            parts.append("MBPP+ only")
        if not self.tasks and not self.plus:
            parts.append(f"MBPP test split {TEST_SPLIT[0]}-{TEST_SPLIT[1]}")
        if self.sample is not None:
            parts.append(f"sample {self.sample} with seed {self.seed}")
        if self.limit is not None:
            parts.append(f"first {self.limit}")
        return ", ".join(p for p in parts if p)

    def resolve(self, plus_ids: Callable[[], Iterable[int]]) -> list[int]:
        """The selected task numbers in run order; ``plus_ids`` lists MBPP+ tasks."""
        if self.sample is not None and self.sample < 1:
            raise ConfigError("--sample must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("--limit must be at least 1")
        if self.sample is not None and self.seed is None:
            raise ConfigError("--sample needs --seed so that the draw can be repeated")
        if self.tasks:
            pool = parse_task_spec(self.tasks)
        elif self.plus:
            pool = sorted(plus_ids())
        else:
            pool = list(range(TEST_SPLIT[0], TEST_SPLIT[1] + 1))
        if self.plus and self.tasks:
            in_plus = set(plus_ids())
            pool = [n for n in pool if n in in_plus]
        if not pool:
            raise ConfigError("no tasks selected; check --tasks and --plus")
        if self.sample is not None:
            if self.sample > len(pool):
                raise ConfigError(
                    f"--sample {self.sample} is more than the {len(pool)} tasks chosen"
                )
            pool = sorted(random.Random(self.seed).sample(pool, self.sample))
        if self.limit is not None:
            pool = pool[: self.limit]
        return pool

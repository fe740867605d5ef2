"""Probe inputs for execution-based consensus, derived from the visible tests.

A visible test such as ``assert f([3, 1, 2], 2) == 3`` shows which arguments the
entry point takes. Small, deterministic variations of those arguments (one
argument changed at a time: a list reversed or shortened, an int moved by one, a
string reversed...) make inputs on which candidates that all pass the visible test
can still behave differently. Nothing here knows the expected outputs: probes are
only ever used to compare candidates with each other, never to judge one, and
they are built from what the user (and the model) already sees.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any

MAX_PROBES = 16
"""Enough inputs to split behaviours apart; few enough to run in one process fast."""
_MAX_ELEMENTS = 200
"""Arguments larger than this (elements or characters) are not varied."""


def visible_arguments(tests: Sequence[str], entry_point: str) -> list[tuple[Any, ...]]:
    """Positional literal arguments of every ``entry_point(...)`` call in ``tests``."""
    found: list[tuple[Any, ...]] = []
    for source in tests:
        try:
            tree = ast.parse(source.strip())
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == entry_point
                and not node.keywords
                and not any(isinstance(a, ast.Starred) for a in node.args)
            ):
                continue
            try:
                args = tuple(ast.literal_eval(a) for a in node.args)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            found.append(args)
    return found


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict | set) else 1


def _variants(value: Any) -> Iterator[Any]:
    """Deterministic variations of one argument, same type, most telling first."""
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield value + 1
        yield value - 1
        yield value * 2 + 3
        yield 0
    elif isinstance(value, float):
        yield value * 2 + 0.5
        yield -value
        yield 0.0
    elif isinstance(value, str):
        yield value[::-1]
        yield value[1:]
        yield value + value[:1]
        yield value.swapcase()
        yield ""
    elif isinstance(value, list | tuple):
        kind = type(value)
        items = list(value)
        yield kind(items[::-1])
        yield kind(items[1:])
        yield kind(items + items[:1])
        yield kind(items[:-1])
        try:
            descending = sorted(items, reverse=True)
        except TypeError:
            descending = items[::-1]
        yield kind(descending)
        if items and all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            yield kind(i + 1 for i in items)
            yield kind(-i for i in items)
    elif isinstance(value, dict):
        keys = list(value)
        if keys:
            yield {k: value[k] for k in keys[1:]}
            yield {k: value[k] for k in reversed(keys)}


def _replaced(
    args: tuple[Any, ...], position: int, variants: Iterator[Any]
) -> Iterator[tuple[Any, ...]]:
    """``args`` with the argument at ``position`` replaced by each variant."""
    for variant in variants:
        yield (*args[:position], variant, *args[position + 1 :])


def probe_inputs(
    tests: Sequence[str], entry_point: str | None, limit: int = MAX_PROBES
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` argument tuples: the visible ones, then one-argument variants.

    Variants are interleaved across the visible calls and argument positions so a
    small ``limit`` still varies every argument. Duplicates are dropped.
    """
    if not entry_point:
        return []
    seeds = visible_arguments(tests, entry_point)
    chosen: list[tuple[Any, ...]] = []
    seen: set[str] = set()

    def add(args: tuple[Any, ...]) -> None:
        key = repr(args)
        if key not in seen and len(chosen) < limit:
            seen.add(key)
            chosen.append(args)

    for args in seeds:
        add(args)
    streams: list[Iterator[tuple[Any, ...]]] = []
    for args in seeds:
        for position, value in enumerate(args):
            if _size(value) > _MAX_ELEMENTS:
                continue
            streams.append(_replaced(args, position, _variants(value)))
    while streams and len(chosen) < limit:
        for stream in list(streams):
            try:
                add(next(stream))
            except StopIteration:
                streams.remove(stream)
    return chosen

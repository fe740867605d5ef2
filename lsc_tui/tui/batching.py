"""Merge streamed-text events before they cross from the run thread to the UI.

The loop emits a text event about 25 times a second, which suits a terminal that
prints. Every message posted to the app wakes its event loop, and on a 2-core
laptop each wake-up preempts one of llama.cpp's threads while the other waits at
a barrier, so wake-ups cost generation speed out of proportion to their own CPU.
The dashboard repaints streaming text only a few times a second anyway, so the
run thread merges consecutive text events of the same stream and hands one over
per ``interval``. Any other event flushes the pending text first, so order and
content are unchanged; only the batching is coarser. Pure Python (no textual).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator

from lsc_tui.events import CriticTokens, LoopEvent, TokensGenerated

TextEvent = TokensGenerated | CriticTokens

SPARE_CORE_REPAINT_S = 0.25
"""Repaint interval for streamed text when the UI has a CPU core of its own."""
SHARED_CORE_REPAINT_S = 1.0
"""Repaint interval when llama.cpp's threads take every core.

Each repaint then preempts one llama.cpp thread while the other spins at a barrier,
so it costs generation about twice its own CPU. Measured on 2 cores with the real
dashboard in tmux against `lsc solve` (``benchmarks/bench_tui_terminal.py``,
Qwen2.5-Coder-0.5B): 0.90 of headless tokens/s at 4 repaints a second, 0.92 at 2,
and 1.01 at 1 (once the code view's idle cursor-blink repaints were gone too)."""


def repaint_interval(logical_cpus: int | None, llama_threads: int) -> float:
    """How often streamed text is repainted: often only when a core is spare."""
    if (logical_cpus or 1) > llama_threads:
        return SPARE_CORE_REPAINT_S
    return SHARED_CORE_REPAINT_S


def _same_stream(a: TextEvent, b: TextEvent) -> bool:
    """Whether ``b`` continues the stream of ``a`` (same kind, iteration, source)."""
    if isinstance(a, TokensGenerated) and isinstance(b, TokensGenerated):
        return (a.run_id, a.iteration, a.candidate) == (
            b.run_id,
            b.iteration,
            b.candidate,
        )
    if isinstance(a, CriticTokens) and isinstance(b, CriticTokens):
        return (a.run_id, a.iteration, a.role) == (b.run_id, b.iteration, b.role)
    return False


def coalesce_text(
    events: Iterable[LoopEvent],
    *,
    interval: float,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[LoopEvent]:
    """Yield ``events`` with runs of text events merged, one per ``interval`` at most.

    A merged event keeps the first piece's fields and ``at`` of the last piece, and
    the concatenated text. The first piece of a stream is yielded at once so code
    appears as soon as the model starts writing.
    """
    pending: TextEvent | None = None
    pieces: list[str] = []
    last_yield = float("-inf")

    def merged() -> TextEvent:
        assert pending is not None
        return dataclasses.replace(pending, text="".join(pieces))

    for event in events:
        if isinstance(event, TokensGenerated | CriticTokens):
            if pending is not None and not _same_stream(pending, event):
                yield merged()
                pending, pieces = None, []
                last_yield = float("-inf")
            if pending is None:
                pending, pieces = event, [event.text]
            else:
                pending = dataclasses.replace(pending, at=event.at)
                pieces.append(event.text)
            now = clock()
            if now - last_yield >= interval:
                yield merged()
                pending, pieces, last_yield = None, [], now
            continue
        if pending is not None:
            yield merged()
            pending, pieces = None, []
        last_yield = float("-inf")
        yield event
    if pending is not None:
        yield merged()

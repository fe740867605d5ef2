"""Files the TUI writes for the user: copied code and exported runs, as JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from lsc_tui.errors import RunNotFoundError
from lsc_tui.events import LoopEvent, RunFinished, RunStarted, from_json, to_json


def exports_dir(data_dir: Path) -> Path:
    """Where exported runs and copied code go."""
    folder = data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_code(data_dir: Path, run_id: str, iteration: int, code: str) -> Path:
    """Write one iteration's code to a file and return its path."""
    path = exports_dir(data_dir) / f"{run_id or 'run'}-iter{iteration}.py"
    path.write_text(code if code.endswith("\n") else code + "\n", encoding="utf-8")
    return path


def write_events_jsonl(path: Path, events: Iterable[LoopEvent]) -> None:
    """Write events one JSON object per line (the replay format)."""
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(to_json(event), ensure_ascii=False) + "\n")


def read_events_jsonl(path: Path) -> list[LoopEvent]:
    """Read a JSONL event log written by :func:`write_events_jsonl`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RunNotFoundError(
            f"cannot read event log {path}: {exc.strerror}"
        ) from None
    events: list[LoopEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(from_json(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            raise RunNotFoundError(
                f"{path}:{number} is not a loop event ({exc}); is it an lsc event log?"
            ) from None
    return events


def export_run(data_dir: Path, events: list[LoopEvent]) -> Path:
    """Export a run as replayable JSONL plus its final code; return the JSONL path."""
    run_id = next(
        (event.run_id for event in events if isinstance(event, RunStarted)),
        events[0].run_id if events else "run",
    )
    folder = exports_dir(data_dir)
    path = folder / f"run-{run_id}.jsonl"
    write_events_jsonl(path, events)
    finished = next((e for e in reversed(events) if isinstance(e, RunFinished)), None)
    if finished is not None and finished.final_code:
        (folder / f"run-{run_id}.py").write_text(finished.final_code, encoding="utf-8")
    return path

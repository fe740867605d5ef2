"""Run history in SQLite: every event of every run, written as it happens.

A run row is created at ``RunStarted`` and finished at ``RunFinished``; every event
in between is appended (token batches are buffered and flushed with the next
non-token event). If the process dies or is interrupted, the row stays with status
``interrupted`` and everything up to the last finished step is kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lsc_tui.errors import RunNotFoundError
from lsc_tui.events import (
    CriticTokens,
    LoopEvent,
    RunFinished,
    RunStarted,
    TokensGenerated,
    from_json,
    to_json,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    task_id TEXT NOT NULL,
    description TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL,
    success INTEGER,
    first_attempt_passed INTEGER,
    first_pass_iteration INTEGER,
    hidden_passed INTEGER,
    iterations INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    final_code TEXT,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of the run list."""

    run_id: str
    started_at: str
    task_id: str
    description: str
    pipeline: str
    status: str
    success: bool | None
    iterations: int
    seconds: float | None
    hidden_passed: bool | None = None


class RunStore:
    """Reads and writes the run-history database."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(db_path, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def open_default(cls, settings: Any) -> RunStore:
        """The store at ``settings.paths.runs_db``."""
        return cls(settings.paths.runs_db)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    # -- writing -----------------------------------------------------------------

    def record(
        self, events: Iterable[LoopEvent], meta: dict[str, Any] | None = None
    ) -> Iterator[LoopEvent]:
        """Pass ``events`` through unchanged while saving each one.

        ``meta`` (models with sha256, sampling settings, the task) is stored with the
        run. A run that stops before RunFinished is marked ``interrupted``.
        """
        run_id: str | None = None
        seq = 0
        pending: list[tuple[str, int, str, int, str]] = []
        finished = False
        try:
            for event in events:
                if isinstance(event, RunStarted):
                    run_id = event.run_id
                    self._start(event, meta or {})
                if run_id is not None:
                    pending.append(
                        (
                            run_id,
                            seq,
                            type(event).__name__,
                            event.iteration,
                            json.dumps(to_json(event)),
                        )
                    )
                    seq += 1
                    if not isinstance(event, TokensGenerated | CriticTokens):
                        self._flush(pending, event)
                        pending = []
                if isinstance(event, RunFinished):
                    finished = True
                yield event
        finally:
            if run_id is not None:
                self._flush(pending, None)
                if not finished:
                    self._db.execute(
                        "UPDATE runs SET status='interrupted' WHERE run_id=?", (run_id,)
                    )
                    self._db.commit()

    def _start(self, event: RunStarted, meta: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO runs (run_id, started_at, task_id, description, pipeline,"
            " status, meta) VALUES (?, ?, ?, ?, ?, 'running', ?)",
            (
                event.run_id,
                datetime.now(UTC).isoformat(timespec="seconds"),
                event.task_id,
                event.description,
                event.pipeline,
                json.dumps(meta),
            ),
        )
        self._db.commit()

    def _flush(
        self, rows: list[tuple[str, int, str, int, str]], event: LoopEvent | None
    ) -> None:
        self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
        if event is not None and event.iteration:
            self._db.execute(
                "UPDATE runs SET iterations=MAX(iterations, ?) WHERE run_id=?",
                (event.iteration, event.run_id),
            )
        if isinstance(event, RunFinished):
            self._db.execute(
                "UPDATE runs SET status=?, success=?, first_attempt_passed=?,"
                " first_pass_iteration=?, hidden_passed=?, seconds=?, final_code=?"
                " WHERE run_id=?",
                (
                    event.status,
                    event.success,
                    event.first_attempt_passed,
                    event.first_pass_iteration,
                    None if event.hidden is None else event.hidden.passed,
                    event.seconds,
                    event.final_code,
                    event.run_id,
                ),
            )
        self._db.commit()

    # -- reading -----------------------------------------------------------------

    def list_runs(self, limit: int = 100) -> list[RunSummary]:
        """The most recent runs first."""
        rows = self._db.execute(
            "SELECT run_id, started_at, task_id, description, pipeline, status,"
            " success,"
            " iterations, seconds, hidden_passed FROM runs"
            " ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            RunSummary(
                run_id=r[0],
                started_at=r[1],
                task_id=r[2],
                description=r[3],
                pipeline=r[4],
                status=r[5],
                success=None if r[6] is None else bool(r[6]),
                iterations=r[7],
                seconds=r[8],
                hidden_passed=None if r[9] is None else bool(r[9]),
            )
            for r in rows
        ]

    def resolve_id(self, run_id: str) -> str:
        """Accept a unique prefix of a run id, as git does for commits."""
        rows = self._db.execute(
            "SELECT run_id FROM runs WHERE run_id LIKE ? LIMIT 2", (run_id + "%",)
        ).fetchall()
        if len(rows) != 1:
            hint = "is ambiguous" if rows else "is not in the history"
            raise RunNotFoundError(f"run {run_id!r} {hint}; see `lsc runs list`")
        return str(rows[0][0])

    def summary(self, run_id: str) -> RunSummary:
        """One run's summary row."""
        full_id = self.resolve_id(run_id)
        return next(r for r in self.list_runs(limit=1_000_000) if r.run_id == full_id)

    def meta(self, run_id: str) -> dict[str, Any]:
        """The metadata stored with a run (models, sampling, task)."""
        row = self._db.execute(
            "SELECT meta FROM runs WHERE run_id=?", (self.resolve_id(run_id),)
        ).fetchone()
        data: dict[str, Any] = json.loads(row[0])
        return data

    def load_events(self, run_id: str) -> list[LoopEvent]:
        """Every saved event of a run, in order (for replay and export)."""
        full_id = self.resolve_id(run_id)
        rows = self._db.execute(
            "SELECT body FROM events WHERE run_id=? ORDER BY seq", (full_id,)
        ).fetchall()
        return [from_json(json.loads(r[0])) for r in rows]

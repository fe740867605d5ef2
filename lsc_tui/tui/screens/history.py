"""The History screen: past runs from SQLite; open read-only, re-run or export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lsc_tui.errors import LscError
from lsc_tui.tasks.model import Task
from lsc_tui.tui.exports import export_run
from lsc_tui.tui.formatting import human_duration

if TYPE_CHECKING:
    from lsc_tui.runs.store import RunStore, RunSummary
    from lsc_tui.tui.app import LscApp


def status_text(summary: RunSummary) -> str:
    """``passed``/``failed``/``cancelled``… with a glyph."""
    glyph = {"passed": "✔", "failed": "✘", "cancelled": "■", "error": "✘"}.get(
        summary.status, "…"
    )
    return f"{glyph} {summary.status}"


def task_from_meta(meta: dict[str, Any], summary: RunSummary) -> Task:
    """Rebuild a typed task from a run's stored metadata."""
    stored = meta.get("task") or {}
    return Task(
        task_id=str(stored.get("task_id", summary.task_id)),
        description=str(stored.get("description", summary.description)),
        visible_tests=tuple(stored.get("visible_tests", ())),
        entry_point=stored.get("entry_point"),
        setup_code=str(stored.get("setup_code", "")),
        source="typed",
    )


class HistoryScreen(Screen[None]):
    """A table of past runs, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="history_back", tooltip="Back"),
        Binding("enter", "open_run", "Open", id="open_run", tooltip="Open read-only"),
        Binding("r", "rerun_run", "Re-run", id="rerun_run", tooltip="Run it again"),
        Binding(
            "e",
            "export_history_run",
            "Export",
            id="export_history_run",
            tooltip="Export as JSONL events and final code",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="history")
        self.summaries: list[RunSummary] = []
        """The runs in the table, in order."""
        self._store: RunStore | None = None

    @property
    def lsc_app(self) -> LscApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """The run table and the footer."""
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static("No runs yet: press n for a new task.", id="history-empty")
        yield Footer()

    def on_mount(self) -> None:
        """Read the run list (a local SQLite query)."""
        table = self.query_one(DataTable)
        table.border_title = "history"
        # The description goes last so that status and verdicts fit in 80 columns.
        table.add_columns(
            "Started",
            "Task",
            "Pipeline",
            "Status",
            "Iters",
            "Time",
            "Hidden",
            "Description",
        )
        from lsc_tui.runs.store import RunStore

        try:
            self._store = RunStore(self.lsc_app.settings.paths.runs_db)
            self.summaries = self._store.list_runs(limit=500)
        except (LscError, OSError) as error:
            self.notify(str(error), title="History", severity="error")
            self.summaries = []
        for summary in self.summaries:
            hidden = {True: "✔", False: "✘", None: ""}[summary.hidden_passed]
            description = " ".join(summary.description.split())
            table.add_row(
                summary.started_at.replace("T", " ")[5:16],
                summary.task_id,
                summary.pipeline,
                status_text(summary),
                str(summary.iterations),
                human_duration(summary.seconds),
                hidden,
                description[:60],
                key=summary.run_id,
            )
        self.query_one("#history-empty").display = not self.summaries
        table.focus()

    def on_unmount(self) -> None:
        """Close the database connection."""
        if self._store is not None:
            self._store.close()

    def selected(self) -> RunSummary | None:
        """The run under the cursor."""
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self.summaries):
            return self.summaries[row]
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Run actions need a selected run."""
        if action in ("open_run", "rerun_run", "export_history_run"):
            return bool(self.summaries) or None
        return True

    def on_data_table_row_selected(self) -> None:
        """Enter or a click on a row opens it."""
        self.action_open_run()

    def action_back(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

    def action_open_run(self) -> None:
        """Show the selected run in the dashboard, read-only."""
        summary = self.selected()
        if summary is None or self._store is None:
            return
        try:
            events = self._store.load_events(summary.run_id)
        except LscError as error:
            self.notify(str(error), title=error.title, severity="error")
            return
        self.lsc_app.open_events(events, mode="read-only")

    def action_rerun_run(self) -> None:
        """Run the selected run's task again with its pipeline."""
        summary = self.selected()
        if summary is None or self._store is None:
            return
        from lsc_tui.loop.session import RunRequest

        try:
            if summary.task_id.startswith("mbpp/"):
                task = self.lsc_app.load_mbpp(int(summary.task_id.split("/", 1)[1]))
            else:
                task = task_from_meta(self._store.meta(summary.run_id), summary)
        except (LscError, ValueError) as error:
            self.notify(str(error), title="Re-run", severity="error")
            return
        self.lsc_app.start_request(
            RunRequest(
                task=task,
                pipeline=summary.pipeline or None,
                roles=dict(self.lsc_app.roles),
            )
        )

    def action_export_history_run(self) -> None:
        """Export the selected run as JSONL and its final code."""
        summary = self.selected()
        if summary is None or self._store is None:
            return
        events = self._store.load_events(summary.run_id)
        path = export_run(self.lsc_app.settings.paths.data_dir, events)
        self.notify(f"exported to {path}", title="Export")

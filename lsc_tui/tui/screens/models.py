"""The Models screen: recipes x quants, pull with progress, import, remove, roles."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from lsc_tui.errors import ConfigError, LscError
from lsc_tui.settings import save_roles
from lsc_tui.tui.formatting import human_bytes, human_duration, role_label
from lsc_tui.tui.messages import DownloadFinished, DownloadProgressed, PullProgress
from lsc_tui.tui.model_rows import (
    DEFAULT_GENERATOR_REF,
    ModelRow,
    build_rows,
    effective_generator_ref,
    is_installed,
    memory_budget,
)

if TYPE_CHECKING:
    from lsc_tui.tui.app import LscApp

ROLE_KEYS = {"g": "generator", "y": "syntax_critic", "l": "logic_critic"}


class ModelsScreen(Screen[None]):
    """Browse recipes, pull or import GGUF files, remove them, assign roles."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="models_back", tooltip="Back"),
        Binding("p", "pull", "Pull", id="pull_model", tooltip="Download the model"),
        Binding(
            "x",
            "cancel_pull",
            "Cancel pull",
            id="cancel_pull",
            tooltip="Stop the download (the partial file is kept for resume)",
        ),
        Binding(
            "i", "import_model", "Import", id="import_model", tooltip="Import a GGUF"
        ),
        Binding(
            "delete",
            "remove_model",
            "Remove",
            id="remove_model",
            tooltip="Delete the installed file (press twice)",
        ),
        Binding(
            "g",
            "assign('generator')",
            "Generator",
            id="assign_generator",
            tooltip="Use this model as the generator",
        ),
        Binding(
            "y",
            "assign('syntax_critic')",
            "Syntax critic",
            id="assign_syntax_critic",
            tooltip="Use this model as the syntax critic",
        ),
        Binding(
            "l",
            "assign('logic_critic')",
            "Logic critic",
            id="assign_logic_critic",
            tooltip="Use this model as the logic critic",
        ),
    ]

    def __init__(self, *, first_start: bool = False) -> None:
        super().__init__(id="models")
        self.first_start = first_start
        self.rows: list[ModelRow] = []
        """The table's rows, in order."""
        self.pulling: str | None = None
        """The ref being downloaded, if any."""
        self._pull_cancel: threading.Event | None = None
        self._budget: int | None = None
        self._remove_armed: str | None = None

    @property
    def lsc_app(self) -> LscApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """Intro, table, pull progress and import row."""
        yield Static("", id="models-intro")
        yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="pull-row", classes="-idle"):
            yield Label("", id="pull-status")
            yield ProgressBar(id="pull-progress", show_eta=False)
        with Horizontal(id="import-row"):
            yield Input(placeholder="/path/to/model.gguf", id="import-path")
            yield Input(placeholder="RECIPE:QUANT", id="import-ref")
        yield Footer()

    def on_mount(self) -> None:
        """Set up the table and load rows in a worker (hardware probing can be slow)."""
        table = self.query_one(DataTable)
        table.add_columns("Model", "Quant", "Size", "Installed", "Fits", "Role")
        self.query_one(DataTable).border_title = "models"
        self._update_intro()
        if self.lsc_app.model_store is None:
            return
        self._load_rows(probe=True)

    # -- rows ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def _load_rows(self, probe: bool = False) -> None:
        """Build rows off the UI thread, then fill the table."""
        if probe:
            self._budget = memory_budget()
        store = self.lsc_app.model_store
        rows = build_rows(store, dict(self.lsc_app.roles), self._budget)
        self.app.call_from_thread(self._fill_table, rows)

    def reload(self) -> None:
        """Rebuild the rows (after a pull, import, removal or role change)."""
        if self.lsc_app.model_store is not None:
            self._load_rows()

    def _fill_table(self, rows: list[ModelRow]) -> None:
        selected = self.selected_ref()
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            fits = {True: "yes", False: "NO", None: "?"}[row.fits]
            installed = "✔ installed" if row.installed else ""
            if self.pulling == row.ref:
                installed = "downloading…"
            table.add_row(
                row.name + (" (default)" if row.is_default else ""),
                row.quant,
                human_bytes(row.size_bytes),
                installed,
                fits,
                ", ".join(role_label(r) for r in row.roles),
                key=row.ref,
            )
        if selected is not None:
            for index, row in enumerate(rows):
                if row.ref == selected:
                    table.move_cursor(row=index)
        elif self.first_start:
            for index, row in enumerate(rows):
                if row.ref == DEFAULT_GENERATOR_REF:
                    table.move_cursor(row=index)
        self._update_intro()

    def selected_row(self) -> ModelRow | None:
        """The row under the cursor."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def selected_ref(self) -> str | None:
        """The ref of the row under the cursor."""
        row = self.selected_row()
        return row.ref if row is not None else None

    def _update_intro(self) -> None:
        intro = self.query_one("#models-intro", Static)
        app = self.lsc_app
        store = app.model_store
        if store is None:
            intro.update(
                "Model management is unavailable (the recipes could not be loaded)."
            )
            return
        generator = effective_generator_ref(app.settings.pipeline, app.roles)
        if is_installed(store, generator) or (
            generator.endswith(".gguf") and Path(generator).expanduser().is_file()
        ):
            intro.set_class(not self.first_start, "-hidden")
            intro.update(Content(f"Ready: the generator is {generator}."))
            return
        default = next((r for r in self.rows if r.ref == DEFAULT_GENERATOR_REF), None)
        size = human_bytes(default.size_bytes) if default else "about 1.1 GB"
        fits = {True: "fits in memory", False: "may NOT fit in memory", None: ""}[
            default.fits if default else None
        ]
        offline = app.settings.offline
        lines = [
            f"No generator model installed (a run needs {generator}).",
            f"Default: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, {size}"
            + (f", {fits}" if fits else "")
            + ": select it and press p to pull it.",
            "Offline? Press i to import a .gguf file you already have;"
            " g makes the selected installed model the generator.",
        ]
        if offline:
            lines[1] = "Offline mode is on, so pulling is disabled."
        intro.remove_class("-hidden")
        intro.update(Content("\n".join(lines)))

    # -- actions -------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the previous screen (a download keeps going)."""
        if self.query_one("#import-row").has_class("-shown"):
            self.query_one("#import-row").remove_class("-shown")
            self.query_one(DataTable).focus()
            return
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out actions that do not apply to the selected row."""
        row = self.selected_row() if self.is_mounted else None
        if action == "pull":
            return (
                row is not None and not row.installed and self.pulling is None
            ) or None
        if action == "cancel_pull":
            return self.pulling is not None or None
        if action in ("remove_model", "assign"):
            return (row is not None and row.installed) or None
        return True

    @on(DataTable.RowHighlighted)
    def on_row_highlighted(self) -> None:
        """The available actions depend on the selected row."""
        self._remove_armed = None
        self.refresh_bindings()

    def action_pull(self) -> None:
        """Download the selected model in a worker, showing progress."""
        row = self.selected_row()
        app = self.lsc_app
        if row is None or row.installed or app.downloader is None:
            return
        if self.pulling is not None:
            self.notify(f"already downloading {self.pulling}", severity="warning")
            return
        self.pulling = row.ref
        cancel = threading.Event()
        self._pull_cancel = cancel
        status = self.query_one("#pull-status", Label)
        status.remove_class("-failed")
        status.update(Content(f"pulling {row.ref}…"))
        bar = self.query_one(ProgressBar)
        bar.update(total=row.size_bytes, progress=0)
        self.query_one("#pull-row").remove_class("-idle")
        self._pull(row.ref, cancel)
        self.refresh_bindings()

    @work(thread=True, group="download", exit_on_error=False, name="pull")
    def _pull(self, ref: str, cancel: threading.Event) -> None:
        """Run the downloader; progress goes out as coalescing messages."""

        def progress(snapshot: Any) -> None:
            self.post_message(
                DownloadProgressed(PullProgress.from_store(ref, snapshot))
            )

        result = self.lsc_app.downloader(ref, progress, cancel)  # type: ignore[misc]
        path = getattr(result, "path", result)
        self.post_message(DownloadFinished(ref, Path(path) if path else None))

    @on(DownloadProgressed)
    def on_download_progressed(self, message: DownloadProgressed) -> None:
        """Show bytes, speed and ETA."""
        progress = message.progress
        if progress.ref != self.pulling:
            return
        bar = self.query_one(ProgressBar)
        bar.update(total=progress.total_bytes, progress=progress.downloaded_bytes)
        total = human_bytes(progress.total_bytes) if progress.total_bytes else "?"
        eta = (
            human_duration(progress.eta_seconds)
            if progress.eta_seconds is not None
            else "?"
        )
        self.query_one("#pull-status", Label).update(
            Content(
                f"{progress.ref}: {human_bytes(progress.downloaded_bytes)} / {total}"
                f" · {human_bytes(progress.bytes_per_second)}/s · ETA {eta}"
            )
        )

    @on(DownloadFinished)
    def on_download_finished(self, message: DownloadFinished) -> None:
        """The model is installed: say so and refresh the table."""
        self.pulling = None
        self._pull_cancel = None
        self.query_one("#pull-status", Label).update(
            Content(f"✔ {message.ref} installed")
        )
        self.notify(f"{message.ref} is installed", title="Pull")
        self.reload()
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker outcomes go to the app's central handler."""
        self.lsc_app.on_worker_state_changed(event)

    def on_models_worker_changed(self, worker: Worker[Any], state: WorkerState) -> None:
        """Called by the app's central worker handler for this screen's workers."""
        if worker.group != "download" or state not in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        error = worker.error
        reason = str(error) if error is not None else "cancelled"
        if self._pull_cancel is not None and self._pull_cancel.is_set():
            reason = f"cancelled; the partial file is kept, p resumes ({reason})"
        status = self.query_one("#pull-status", Label)
        status.add_class("-failed")
        status.update(Content(f"✘ pull of {self.pulling} failed: {reason}"))
        self.pulling = None
        self._pull_cancel = None
        self.reload()
        self.refresh_bindings()

    def action_cancel_pull(self) -> None:
        """Ask the download to stop."""
        if self._pull_cancel is not None:
            self._pull_cancel.set()
            self.query_one("#pull-status", Label).update(
                Content(f"cancelling {self.pulling}…")
            )

    def action_import_model(self) -> None:
        """Show the path and name inputs for importing a local GGUF."""
        row = self.selected_row()
        self.query_one("#import-row").add_class("-shown")
        ref_input = self.query_one("#import-ref", Input)
        if row is not None and not ref_input.value:
            ref_input.value = row.ref
        self.query_one("#import-path", Input).focus()

    @on(Input.Submitted, "#import-path")
    @on(Input.Submitted, "#import-ref")
    def on_import_submitted(self) -> None:
        """Validate the path and name, then import in a worker."""
        path_text = self.query_one("#import-path", Input).value.strip()
        ref = self.query_one("#import-ref", Input).value.strip()
        path = Path(path_text).expanduser()
        problem = ""
        if not path_text:
            problem = "type the path of a .gguf file"
        elif path.suffix.lower() != ".gguf":
            problem = f"{path.name} is not a .gguf file"
        elif not path.is_file():
            problem = f"{path} does not exist"
        elif not ref:
            problem = "name it RECIPE:QUANT, e.g. qwen2.5-coder-0.5b-instruct:q4_k_m"
        status = self.query_one("#pull-status", Label)
        self.query_one("#pull-row").remove_class("-idle")
        if problem:
            status.add_class("-failed")
            status.update(Content(f"✘ import: {problem}"))
            return
        status.remove_class("-failed")
        status.update(Content(f"importing {path.name} as {ref}…"))
        self._import(path, ref)

    @work(thread=True, group="models", exit_on_error=False, name="import")
    def _import(self, path: Path, ref: str) -> None:
        """Import off the UI thread (hashing a large file takes seconds)."""
        store = self.lsc_app.model_store
        try:
            model = store.import_file(path, ref)
        except LscError as error:
            self.app.call_from_thread(self._import_done, ref, str(error))
            return
        self.app.call_from_thread(self._import_done, model.ref, "")

    def _import_done(self, ref: str, problem: str) -> None:
        status = self.query_one("#pull-status", Label)
        if problem:
            status.add_class("-failed")
            status.update(Content(f"✘ import failed: {problem}"))
            return
        status.update(Content(f"✔ imported {ref}"))
        self.query_one("#import-row").remove_class("-shown")
        self.notify(f"imported {ref}", title="Import")
        self.query_one(DataTable).focus()
        self.reload()

    def action_remove_model(self) -> None:
        """Delete the selected installed model (asks to press again first)."""
        row = self.selected_row()
        if row is None or not row.installed:
            return
        if self._remove_armed != row.ref:
            self._remove_armed = row.ref
            self.notify(
                f"press delete again to remove {row.ref}", title="Remove", timeout=4
            )
            return
        self._remove_armed = None
        try:
            self.lsc_app.model_store.remove(row.ref)
        except LscError as error:
            self.notify(str(error), title=error.title, severity="error")
            return
        for role, chosen in list(self.lsc_app.roles.items()):
            if chosen == row.ref:
                self.lsc_app.roles[role] = None
        self.notify(f"removed {row.ref}", title="Remove")
        self.reload()

    def action_assign(self, role: str) -> None:
        """Use the selected installed model for ``role`` now and in later sessions.

        The choice is saved to the config file; if that fails the user is told and
        the choice still holds until lsc exits.
        """
        row = self.selected_row()
        if row is None or not row.installed:
            return
        self.lsc_app.roles[role] = row.ref
        assigned = f"{role_label(role)}: {row.ref}"
        try:
            save_roles(self.lsc_app.settings.paths.config_file, {role: row.ref})
        except ConfigError as error:
            self.notify(
                f"{assigned} for this session only; {error}",
                title="Role not saved",
                severity="error",
            )
        else:
            self.notify(assigned, title="Role assigned")
        self.reload()

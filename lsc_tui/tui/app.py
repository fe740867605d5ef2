"""The Textual app: builds the screens, runs the loop in a worker, reports errors.

``make_app`` is the only way to construct it, for the CLI and for tests alike; every
dependency (session, model store, downloader, clock, memory probe) is injected there.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from lsc_tui.errors import LscError, ModelError
from lsc_tui.events import ROLES, LoopEvent
from lsc_tui.settings import Settings
from lsc_tui.tasks.model import Task
from lsc_tui.tui.batching import SPARE_CORE_REPAINT_S, coalesce_text, repaint_interval
from lsc_tui.tui.commands import app_commands
from lsc_tui.tui.exports import export_run, save_code
from lsc_tui.tui.messages import LoopEventPosted
from lsc_tui.tui.screens.dashboard import DashboardScreen
from lsc_tui.tui.screens.error_modal import ErrorModal
from lsc_tui.tui.screens.help import HelpScreen
from lsc_tui.tui.screens.new_task import NewTaskScreen, TaskChoice

if TYPE_CHECKING:
    from lsc_tui.loop.session import RunRequest, Session

Downloader = Callable[[str, Callable[[Any], None], threading.Event], Any]
"""(ref, progress callback, cancel event) -> installed path; raises LscError."""

GIL_SWITCH_INTERVAL_S = 0.001
"""While the app runs, hand the GIL over faster so the inference thread waits less
on the UI thread (CPython's default is 5 ms)."""


def default_memory_probe() -> int | None:
    """Resident memory of this process (the models live in it), in bytes."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # psutil can fail in odd sandboxes; RAM is then unknown
        return None


class LscApp(App[None]):
    """The lsc dashboard application."""

    CSS_PATH = "app.tcss"
    TITLE = "lsc"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_task", "New task", id="new_task", tooltip="Type a new task"),
        Binding(
            "t",
            "mbpp_task",
            "MBPP #",
            show=False,
            id="mbpp_task",
            tooltip="Pick an MBPP task by number",
        ),
        Binding(
            "r",
            "rerun",
            "Re-run",
            show=False,
            id="rerun",
            tooltip="Run the last task again",
        ),
        Binding(
            "s,escape",
            "stop_run",
            "Stop",
            id="stop_run",
            tooltip="Stop the run; the partial run is kept",
        ),
        Binding(
            "c",
            "copy_code",
            "Copy code",
            show=False,
            id="copy_code",
            tooltip="Copy the shown code to the clipboard and a file",
        ),
        Binding(
            "e",
            "export_run",
            "Export",
            show=False,
            id="export_run",
            tooltip="Export the run as JSONL events and the final code",
        ),
        Binding("m", "show_models", "Models", id="models", tooltip="Manage models"),
        Binding(
            "h",
            "show_history",
            "History",
            show=False,
            id="history",
            tooltip="Past runs",
        ),
        Binding(
            "question_mark,f1",
            "show_help",
            "Help",
            show=False,
            id="help",
            tooltip="Keys and glyphs",
        ),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit lsc"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        session: Session | None,
        session_factory: Callable[[], Session] | None = None,
        store: Any = None,
        downloader: Downloader | None = None,
        clock: Callable[[], float] = time.monotonic,
        memory_probe: Callable[[], int | None] = default_memory_probe,
        start_task: Task | None = None,
        replay_events: list[LoopEvent] | None = None,
        check_models: bool = False,
        repaint_s: float = SPARE_CORE_REPAINT_S,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._session = session
        self._session_factory = session_factory
        self.model_store = store
        """The ModelStore (None when model management is unavailable)."""
        self.downloader = downloader
        self.clock = clock
        self.memory_probe = memory_probe
        self._start_task = start_task
        self._replay_events = replay_events
        self._check_models = check_models
        self.roles: dict[str, str | None] = {
            role: getattr(settings, role, None) for role in ROLES
        }
        """Role -> RECIPE[:QUANT] or path chosen for new runs (None: the pipeline's)."""
        self.last_request: RunRequest | None = None
        """The request of the newest run, for re-run."""
        self._serial = 0
        self._cancel: threading.Event | None = None
        self._loop_worker: Worker[None] | None = None
        self.dashboard = DashboardScreen(
            clock=clock, memory_probe=memory_probe, repaint_s=repaint_s
        )
        """The one dashboard screen; runs always show there."""
        self._saved_switch_interval = sys.getswitchinterval()
        self.set_keymap(dict(settings.keymap))

    # -- life cycle ----------------------------------------------------------------

    def on_mount(self) -> None:
        """Apply the theme and show the dashboard; replay, start or ask for models."""
        self._saved_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        try:
            self.theme = self.settings.theme
        except Exception:
            self.notify(
                f"unknown theme {self.settings.theme!r}; using the default",
                title="Configuration",
                severity="warning",
            )
        self.push_screen(self.dashboard)
        if self._replay_events is not None:
            self.dashboard.show_events(self._replay_events, mode="replay")
        elif self._start_task is not None:
            self.start_choice(TaskChoice(self._start_task, None, None))
        elif self._check_models and not self.generator_available():
            self.action_show_models(first_start=True)

    def on_unmount(self) -> None:
        """Stop a run that is still going so its thread ends with the app."""
        if self._cancel is not None:
            self._cancel.set()
        sys.setswitchinterval(self._saved_switch_interval)

    @property
    def session_started(self) -> bool:
        """Whether a session exists (so it may hold loaded models to free)."""
        return self._session is not None

    @property
    def session(self) -> Session:
        """The session that runs tasks, built on first use."""
        if self._session is None:
            if self._session_factory is None:
                raise ModelError("no engine is configured; restart lsc")
            self._session = self._session_factory()
        return self._session

    def generator_available(self) -> bool:
        """Whether the generator a new run would use is installed (or a file)."""
        from lsc_tui.tui.model_rows import effective_generator_ref, is_installed

        ref = effective_generator_ref(self.settings.pipeline, self.roles)
        if ref.endswith(".gguf"):
            return Path(ref).expanduser().is_file()
        if self.model_store is None:
            return True
        return is_installed(self.model_store, ref)

    # -- runs ----------------------------------------------------------------------

    @property
    def run_in_progress(self) -> bool:
        """Whether a run worker is going."""
        worker = self._loop_worker
        return worker is not None and worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def start_choice(self, choice: TaskChoice) -> None:
        """Start the chosen task with the roles picked in the Models screen."""
        from lsc_tui.loop.session import RunRequest

        self.start_request(
            RunRequest(
                task=choice.task,
                pipeline=choice.pipeline,
                max_iters=choice.max_iters,
                roles=dict(self.roles),
            )
        )

    def start_request(self, request: RunRequest) -> None:
        """Cancel any run in progress and start ``request`` on the dashboard."""
        if self._cancel is not None:
            self._cancel.set()
        self.last_request = request
        self._serial += 1
        cancel = threading.Event()
        self._cancel = cancel
        while self.screen is not self.dashboard and len(self.screen_stack) > 1:
            self.pop_screen()
        self.dashboard.begin_run(self._serial)
        self._loop_worker = self._run_loop(request, cancel, self._serial)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="loop", name="run")
    def _run_loop(
        self, request: RunRequest, cancel: threading.Event, serial: int
    ) -> None:
        """Iterate the session's events in a thread and post them to the dashboard.

        Streamed text is merged to the dashboard's repaint rate first: each post
        wakes the UI thread, and wake-ups slow llama.cpp (see ``tui.batching``).
        """
        worker = get_current_worker()
        dashboard = self.dashboard
        events = self.session.run(request, cancel)
        for event in coalesce_text(events, interval=dashboard.repaint_s):
            dashboard.post_message(LoopEventPosted(event, serial))
            if worker.is_cancelled:
                cancel.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes are handled, by worker group."""
        if not self.screen_stack:
            return
        worker = event.worker
        match worker.group:
            case "loop":
                if worker is not self._loop_worker:
                    return
                if event.state == WorkerState.ERROR and worker.error is not None:
                    self.report_error(worker.error)
                    self.dashboard.show_failure(worker.error)
                if event.state in (
                    WorkerState.SUCCESS,
                    WorkerState.ERROR,
                    WorkerState.CANCELLED,
                ):
                    self.dashboard.end_run()
                self.refresh_bindings()
            case "download" | "models":
                handler = getattr(worker.node, "on_models_worker_changed", None)
                if event.state == WorkerState.ERROR and worker.error is not None:
                    self.report_error(worker.error)
                if handler is not None:
                    handler(worker, event.state)
            case _:
                if event.state == WorkerState.ERROR and worker.error is not None:
                    self.report_error(worker.error)

    def report_error(self, error: BaseException) -> None:
        """Show an LscError as a notification, anything else in a copyable modal."""
        if isinstance(error, LscError):
            hint = " (press m for models)" if isinstance(error, ModelError) else ""
            self.notify(
                f"{error}{hint}", title=error.title, severity="error", timeout=10
            )
            return
        details = "".join(traceback.format_exception(error))
        self.push_screen(
            ErrorModal(
                "Unexpected error",
                f"{type(error).__name__}: {error}".splitlines()[0],
                details,
            )
        )

    # -- actions -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out actions that do not apply right now."""
        if action == "stop_run":
            return True if self.run_in_progress else None
        if action == "rerun":
            return True if self.last_request is not None else None
        if action in ("copy_code", "export_run"):
            return True if self.dashboard.view.run_id else None
        return True

    def action_new_task(self, tab: str = "typed") -> None:
        """Open the New task screen."""
        self.push_screen(self._new_task_screen(tab), self._on_task_chosen)

    def action_mbpp_task(self) -> None:
        """Open the New task screen on the MBPP tab."""
        self.action_new_task("mbpp")

    def _on_task_chosen(self, choice: TaskChoice | None) -> None:
        if choice is not None:
            self.start_choice(choice)

    def _new_task_screen(self, tab: str) -> NewTaskScreen:
        return NewTaskScreen(
            build_task=build_typed_task,
            load_mbpp=self.load_mbpp,
            pipelines=pipeline_descriptions(),
            default_pipeline=self.settings.pipeline,
            default_max_iters=self.settings.max_iters,
            initial_tab=tab,
        )

    def load_mbpp(self, number: int) -> Task:
        """MBPP task ``number`` with the configured visible tests."""
        from lsc_tui.tasks.mbpp import load_mbpp_task

        all_visible = self.settings.mbpp_visible == "all"
        task: Task = load_mbpp_task(number, visible="all" if all_visible else "first")
        return task

    def action_rerun(self) -> None:
        """Run the last task again."""
        if self.last_request is not None:
            self.start_request(self.last_request)

    def action_stop_run(self) -> None:
        """Ask the run to stop; it ends with a cancelled verdict and is kept."""
        if self._cancel is not None and self.run_in_progress:
            self._cancel.set()
            self.notify("stopping…", title="Run", timeout=2)

    def action_copy_code(self) -> None:
        """Copy the shown code to the clipboard, and save it to a file as a fallback."""
        record = self.dashboard.shown_record()
        view = self.dashboard.view
        code = record.code if record is not None else ""
        if view.finished is not None and (record is None or record is view.current):
            code = view.finished.final_code or code
        if not code.strip():
            self.notify("no code to copy yet", title="Copy", severity="warning")
            return
        number = record.number if record is not None else 0
        path = save_code(self.settings.paths.data_dir, view.run_id, number, code)
        self.copy_to_clipboard(code)
        self.notify(
            f"copied {len(code.splitlines())} lines; also saved to {path}",
            title="Copy code",
        )

    def action_export_run(self) -> None:
        """Write the run's events (replayable JSONL) and final code to the data dir."""
        if not self.dashboard.events:
            self.notify("no run to export", title="Export", severity="warning")
            return
        path = export_run(self.settings.paths.data_dir, self.dashboard.events)
        self.notify(f"exported to {path}", title="Export")

    def action_show_models(self, first_start: bool = False) -> None:
        """Open the Models screen."""
        from lsc_tui.tui.screens.models import ModelsScreen

        if isinstance(self.screen, ModelsScreen):
            return
        self.push_screen(ModelsScreen(first_start=first_start))

    def action_show_history(self) -> None:
        """Open the run history."""
        from lsc_tui.tui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            return
        self.push_screen(HistoryScreen())

    def action_show_help(self) -> None:
        """Show the key reference."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_events(self, events: list[LoopEvent], *, mode: str = "read-only") -> None:
        """Show a saved run in the dashboard without running anything."""
        while self.screen is not self.dashboard and len(self.screen_stack) > 1:
            self.pop_screen()
        self.dashboard.show_events(events, mode=mode)
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action in the command palette, next to Textual's own."""
        yield from super().get_system_commands(screen)
        yield from app_commands(self, screen)


def build_typed_task(description: str, tests_text: str) -> Task:
    """A typed task from the form's text areas (TaskError on an invalid test)."""
    from lsc_tui.tasks.typed import typed_task

    tests = (tests_text,) if tests_text.strip() else ()
    return typed_task(description, tests)


def pipeline_descriptions() -> dict[str, str]:
    """Pipeline name -> one-line description, from the recipes when they load."""
    try:
        from lsc_tui.loop.pipelines import load_pipelines

        return {
            name: pipeline.description for name, pipeline in load_pipelines().items()
        }
    except (LscError, ImportError, OSError):
        from lsc_tui.loop.pipelines import PIPELINE_NAMES

        return dict.fromkeys(PIPELINE_NAMES, "")


def load_replay(settings: Settings, replay: str) -> list[LoopEvent]:
    """Events of a saved run id (or prefix), or of a recorded JSONL file."""
    from lsc_tui.tui.exports import read_events_jsonl

    candidate = Path(replay).expanduser()
    if candidate.suffix in (".jsonl", ".json") or candidate.is_file():
        return read_events_jsonl(candidate)
    from lsc_tui.runs.store import RunStore

    store = RunStore(settings.paths.runs_db)
    try:
        return store.load_events(replay)
    finally:
        store.close()


def make_app(
    settings: Settings,
    *,
    session: Session | None = None,
    store: Any = None,
    downloader: Downloader | None = None,
    clock: Callable[[], float] | None = None,
    mbpp: int | None = None,
    replay: str | None = None,
    memory_probe: Callable[[], int | None] | None = None,
    roles: Mapping[str, str | None] | None = None,
    repaint_s: float | None = None,
) -> LscApp:
    """Build the app with every dependency injected.

    Args:
        settings: resolved settings (theme, keymap, defaults, paths).
        session: runs tasks; None builds a real Session (llama.cpp) on first use and
            opens on the Models screen when no generator is installed.
        store: the ModelStore for the Models screen; None builds the default one.
        downloader: pulls a model, ``(ref, progress, cancel) -> path``; None uses
            ``store.pull``.
        clock: time source for elapsed times (fix it for snapshots).
        mbpp: start MBPP task N at once.
        replay: a run id or JSONL file to replay instead of running.
        memory_probe: bytes of RAM in use (fix it for snapshots).
        roles: role -> model overrides from the command line.
        repaint_s: how often streamed text is repainted; None picks it from the
            cores left over by llama.cpp's threads (``tui.batching``).

    Raises:
        LscError: the MBPP task or the replayed run cannot be loaded.
    """
    real_engine = session is None
    if store is None:
        store = default_model_store(settings)
    if downloader is None and store is not None:
        downloader = store_downloader(store)
    replay_events = load_replay(settings, replay) if replay else None
    app = LscApp(
        settings,
        session=session,
        session_factory=(lambda: default_session(settings)) if real_engine else None,
        store=store,
        downloader=downloader,
        clock=clock or time.monotonic,
        memory_probe=memory_probe or default_memory_probe,
        replay_events=replay_events,
        check_models=real_engine and mbpp is None and replay is None,
        repaint_s=repaint_s if repaint_s is not None else default_repaint_s(settings),
    )
    for role, ref in (roles or {}).items():
        if ref:
            app.roles[role] = ref
    if mbpp is not None:
        app._start_task = app.load_mbpp(mbpp)
    return app


def default_repaint_s(settings: Settings) -> float:
    """The repaint interval for this machine and the configured llama.cpp threads."""
    from lsc_tui.engine.llama import physical_cores

    return repaint_interval(os.cpu_count(), settings.n_threads or physical_cores())


def default_session(settings: Settings) -> Session:
    """A real Session: models resolved from the store and loaded with llama.cpp."""
    from lsc_tui.loop.session import Session

    return Session(settings)


def default_model_store(settings: Settings) -> Any:
    """The ModelStore over the recipes catalog, or None if recipes cannot load."""
    try:
        from lsc_tui.recipes.catalog import load_catalog
        from lsc_tui.recipes.store import ModelStore

        return ModelStore(settings.paths.models_dir, load_catalog())
    except (LscError, ImportError):
        return None


def store_downloader(store: Any) -> Downloader:
    """Adapt ``store.pull`` to the downloader signature."""

    def pull(ref: str, progress: Callable[[Any], None], cancel: threading.Event) -> Any:
        return store.pull(ref, progress=progress, cancel=cancel)

    return pull


__all__ = ["LscApp", "make_app"]

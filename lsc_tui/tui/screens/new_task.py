"""The New task screen: a typed task with tests, or an MBPP task by number."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import Worker, get_current_worker

from lsc_tui.errors import LscError
from lsc_tui.tasks.model import Task

TaskBuilder = Callable[[str, str], Task]
"""(description, tests text) -> Task; raises TaskError for an invalid test."""
MbppLoader = Callable[[int], Task]
"""MBPP task number -> Task; raises TaskError when out of range or missing."""


@dataclass(frozen=True, slots=True)
class TaskChoice:
    """What the user chose to run."""

    task: Task
    pipeline: str | None
    max_iters: int | None


class NewTaskScreen(Screen[TaskChoice | None]):
    """Collects a task, a pipeline and the iteration limit for the app to start."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="back", tooltip="Back without starting"),
        Binding(
            "ctrl+s",
            "start",
            "Start",
            id="start_task",
            tooltip="Start the task in the dashboard",
        ),
    ]

    def __init__(
        self,
        *,
        build_task: TaskBuilder,
        load_mbpp: MbppLoader,
        pipelines: Mapping[str, str],
        default_pipeline: str,
        default_max_iters: int | None,
        initial_tab: str = "typed",
    ) -> None:
        super().__init__(id="new-task")
        self._build_task = build_task
        self._load_mbpp = load_mbpp
        self._pipelines = dict(pipelines)
        self._default_pipeline = default_pipeline
        self._default_max_iters = default_max_iters
        self._initial_tab = initial_tab
        self.mbpp_task: Task | None = None
        """The MBPP task previewed, ready to start."""

    def compose(self) -> ComposeResult:
        """Tabs for typed and MBPP tasks, and the shared run options."""
        options = [(name, name) for name in self._pipelines]
        default = (
            self._default_pipeline
            if self._default_pipeline in self._pipelines
            else Select.NULL
        )
        with Vertical(id="new-task-form"):
            with TabbedContent(initial=self._initial_tab, id="task-tabs"):
                with TabPane("Typed task", id="typed"):
                    yield Label("Description")
                    yield TextArea(id="description", soft_wrap=True)
                    yield Label("Tests (one assert per line; optional)")
                    yield TextArea(id="tests", soft_wrap=False)
                    yield Static("", id="tests-error", classes="inline-error")
                with TabPane("MBPP task #", id="mbpp"):
                    with Horizontal(classes="form-row"):
                        yield Label("Task number", classes="form-label")
                        yield Input(
                            placeholder="e.g. 11",
                            type="integer",
                            id="mbpp-number",
                        )
                    with VerticalScroll(id="mbpp-preview-box"):
                        yield Static(
                            "type a task number to preview it", id="mbpp-preview"
                        )
            with Horizontal(classes="form-row"):
                yield Label("Pipeline", classes="form-label")
                yield Select(options, value=default, allow_blank=True, id="pipeline")
                yield Label("Max iterations", classes="form-label")
                yield Input(
                    ""
                    if self._default_max_iters is None
                    else str(self._default_max_iters),
                    placeholder="auto",
                    type="integer",
                    id="max-iters",
                )
                yield Button("Start", id="start", variant="primary")
            yield Static("", id="pipeline-help")
        yield Footer()

    @on(Select.Changed, "#pipeline")
    def on_pipeline_changed(self, event: Select.Changed) -> None:
        """Describe the chosen pipeline under the selector."""
        description = self._pipelines.get(str(event.value), "")
        self.query_one("#pipeline-help", Static).update(Content(description))

    def on_mount(self) -> None:
        """Focus the first field of the chosen tab."""
        target = "#mbpp-number" if self._initial_tab == "mbpp" else "#description"
        self.query_one(target).focus()

    def action_cancel(self) -> None:
        """Leave without starting anything."""
        self.dismiss(None)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        """Validate the active tab's task and hand it to the app."""
        pipeline_value = self.query_one("#pipeline", Select).value
        pipeline = pipeline_value if isinstance(pipeline_value, str) else None
        max_iters_text = self.query_one("#max-iters", Input).value.strip()
        max_iters: int | None = None
        if max_iters_text:
            max_iters = int(max_iters_text)
            if max_iters < 1:
                self._show_error("max iterations must be at least 1")
                return
        active = self.query_one(TabbedContent).active
        if active == "mbpp":
            if self.mbpp_task is None:
                self.query_one("#mbpp-preview", Static).update(
                    "type a valid MBPP task number first"
                )
                self.query_one("#mbpp-number").focus()
                return
            self.dismiss(TaskChoice(self.mbpp_task, pipeline, max_iters))
            return
        description = self.query_one("#description", TextArea).text
        tests = self.query_one("#tests", TextArea).text
        try:
            task = self._build_task(description, tests)
        except LscError as error:
            self._show_error(str(error))
            return
        self._show_error("")
        self.dismiss(TaskChoice(task, pipeline, max_iters))

    def _show_error(self, message: str) -> None:
        error = self.query_one("#tests-error", Static)
        error.update(Content(message))
        error.set_class(bool(message), "-shown")

    @on(Input.Changed, "#mbpp-number")
    def on_mbpp_number_changed(self, event: Input.Changed) -> None:
        """Preview the MBPP task as its number is typed."""
        self.mbpp_task = None
        text = event.value.strip()
        if not text:
            self.query_one("#mbpp-preview", Static).update("type a task number")
            return
        self.query_one("#mbpp-preview", Static).update("loading…")
        self._preview_mbpp(int(text))

    @on(Input.Submitted, "#mbpp-number")
    def on_mbpp_number_submitted(self) -> None:
        """Enter in the number field starts the previewed task."""
        if self.mbpp_task is not None:
            self.action_start()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker outcomes go to the app's central handler."""
        handler = getattr(self.app, "on_worker_state_changed", None)
        if handler is not None:
            handler(event)

    @work(thread=True, exclusive=True, group="mbpp-preview", exit_on_error=False)
    def _preview_mbpp(self, number: int) -> None:
        """Load the task off the UI thread (the dataset may take a moment)."""
        worker = get_current_worker()
        try:
            task: Task | None = self._load_mbpp(number)
            message = ""
        except LscError as error:
            task, message = None, str(error)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_mbpp_preview, number, task, message)

    def _show_mbpp_preview(self, number: int, task: Task | None, message: str) -> None:
        current = self.query_one("#mbpp-number", Input).value.strip()
        if current != str(number):
            return
        self.mbpp_task = task
        preview = self.query_one("#mbpp-preview", Static)
        if task is None:
            preview.update(Content(f"✘ {message}"))
            preview.add_class("-error")
            return
        preview.remove_class("-error")
        lines = [f"MBPP #{number}: {task.description}", "", "Visible tests:"]
        lines += [f"  {test}" for test in task.visible_tests] or ["  (none)"]
        preview.update(Content("\n".join(lines)))

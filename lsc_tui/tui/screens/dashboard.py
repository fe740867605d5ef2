"""The dashboard: watch a run live, or a replayed one, iteration by iteration."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from lsc_tui.events import (
    AssertsChecked,
    AssertsWritten,
    AssertWriterStarted,
    CandidateSelected,
    CriticFinished,
    CriticStarted,
    CriticTokens,
    EdgesChecked,
    FeedbackPrepared,
    GenerationFinished,
    IterationFinished,
    IterationStarted,
    LoopEvent,
    ModelLoaded,
    ModelLoading,
    NameHarmonized,
    RunFailed,
    RunFinished,
    RunStarted,
    SyntaxChecked,
    TestsFinished,
    TokensGenerated,
)
from lsc_tui.tui.batching import SPARE_CORE_REPAINT_S
from lsc_tui.tui.messages import LoopEventPosted
from lsc_tui.tui.run_view import IterationRecord, RunView
from lsc_tui.tui.widgets.code_pane import CodePane
from lsc_tui.tui.widgets.header_strip import HeaderStrip
from lsc_tui.tui.widgets.iteration_timeline import IterationTimeline
from lsc_tui.tui.widgets.result_panes import CompilerPane, CriticPane, VisibleTestsPane
from lsc_tui.tui.widgets.verdict_banner import VerdictBanner

NARROW_WIDTH = 120
"""Below this many columns the side panes move under the code pane."""
HEADER_REFRESH_S = 1.0
"""The header's clock, speed and RAM are redrawn about this often."""


class DashboardScreen(Screen[None]):
    """Header, timeline, code, compiler, tests, critic and verdict of one run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "previous_iteration",
            "Prev iter",
            key_display="[",
            id="previous_iteration",
            tooltip="Show the previous iteration (stops following the newest)",
        ),
        Binding(
            "right_square_bracket",
            "next_iteration",
            "Next iter",
            key_display="]",
            id="next_iteration",
            tooltip="Show the next iteration (the newest resumes following)",
        ),
        Binding(
            "d",
            "toggle_diff",
            "Diff",
            show=False,
            id="toggle_diff",
            tooltip="Toggle a diff of the code against the previous iteration",
        ),
    ]

    mode: reactive[str] = reactive("idle")
    """``idle``, ``running``, ``finished``, ``replay`` or ``read-only``."""
    show_diff: reactive[bool] = reactive(False)
    """Whether the code pane shows a diff against the previous iteration."""
    shown_number: reactive[int | None] = reactive(None)
    """The iteration number on screen (None before the first iteration)."""
    following: reactive[bool] = reactive(True)
    """Whether the newest iteration is shown automatically as it arrives."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        memory_probe: Callable[[], int | None],
        repaint_s: float = SPARE_CORE_REPAINT_S,
    ) -> None:
        super().__init__(id="dashboard")
        self._clock = clock
        self._memory_probe = memory_probe
        self.repaint_s = repaint_s
        """Streaming text is repainted at most this often (see ``tui.batching``)."""
        self.view = RunView()
        """The state of the run on screen."""
        self.events: list[LoopEvent] = []
        """Every event of the run on screen, for export."""
        self.run_serial = 0
        """Serial of the live run whose events are accepted (stale ones are dropped)."""
        self._run_started_clock: float | None = None
        self._composed = False
        self._live_refresh_pending = False
        self._dirty_panes: set[str] = set()
        self._last_live_refresh = float("-inf")
        self._header_drawn_at = float("-inf")

    def compose(self) -> ComposeResult:
        """Header strip, the pane grid, the verdict banner and the footer."""
        yield HeaderStrip(id="header-strip")
        with Container(id="panes"):
            yield IterationTimeline(id="timeline")
            yield CodePane(id="code-pane")
            with Vertical(id="side"):
                yield CompilerPane(
                    id="compiler-pane", max_lines=200, wrap=True, min_width=20
                )
                yield VisibleTestsPane(
                    id="tests-pane", max_lines=500, wrap=True, min_width=20
                )
                yield CriticPane(id="critic-pane")
        yield VerdictBanner(id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        """Label the panes and start the once-a-second header refresh."""
        self.query_one("#timeline").border_title = "iterations"
        self.query_one("#compiler-pane").border_title = "compiler"
        self.query_one("#tests-pane").border_title = "tests"
        self._composed = True
        self.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")
        self.render_all()
        self.set_interval(HEADER_REFRESH_S, self._tick_header, name="header-clock")

    def on_resize(self, event: Resize) -> None:
        """Rearrange the panes when the terminal gets narrow or wide."""
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    # -- starting, replaying -------------------------------------------------------

    def begin_run(self, serial: int) -> None:
        """Clear the screen for a new live run whose messages carry ``serial``."""
        self.run_serial = serial
        self.view = RunView()
        self.events = []
        self.shown_number = None
        self.following = True
        self.show_diff = False
        self._run_started_clock = self._clock()
        self.mode = "running"
        self.render_all()

    def end_run(self) -> None:
        """The run worker stopped; freeze the elapsed time."""
        if self.mode == "running":
            self.mode = "finished"
        self.refresh_header()

    def show_events(self, events: Iterable[LoopEvent], *, mode: str = "replay") -> None:
        """Show a recorded run at once (replay, history), with no engine."""
        self.run_serial = -1
        self.view = RunView()
        self.events = list(events)
        for event in self.events:
            self.view.apply(event)
        self.following = True
        self.show_diff = False
        self.shown_number = self.view.current.number if self.view.current else None
        self._run_started_clock = None
        self.mode = mode
        self.render_all()

    def show_failure(self, error: BaseException) -> None:
        """The run worker crashed before the loop could report it; say so."""
        title = getattr(error, "title", "Error")
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        iteration = self.view.current.number if self.view.current else 0
        self.view.failed = RunFailed(
            self.view.run_id, iteration, self.view.last_at or 0.0, message, title
        )
        self.mode = "finished"
        self.render_all()

    # -- the single event handler --------------------------------------------------

    @on(LoopEventPosted)
    def handle_loop_event(self, message: LoopEventPosted) -> None:
        """Fold one event into the view and refresh only the panes it touches."""
        if message.serial != self.run_serial:
            return
        event = message.event
        self.events.append(event)
        self.view.apply(event)
        if (
            self.following
            and self.view.current is not None
            and self.shown_number != self.view.current.number
        ):
            self.shown_number = self.view.current.number
            self.render_all()
            return
        is_shown = event.iteration == self.shown_number
        match event:
            case ModelLoaded():
                self.refresh_header()
                # llama.cpp silences fd 2 while a model loads, so frames drawn
                # meanwhile were lost: repaint the whole screen once.
                self.app.refresh(repaint=True, layout=True)
            case RunStarted() | ModelLoading():
                self.refresh_header()
            case IterationStarted():
                self.refresh_timeline()
                self.refresh_bindings()
            case TokensGenerated():
                if is_shown:
                    self._schedule_live_refresh("code")
            case GenerationFinished() | NameHarmonized():
                if is_shown:
                    self.refresh_code()
                    self.refresh_compiler()
                self.refresh_header()
            case SyntaxChecked():
                if is_shown:
                    self.refresh_code()
                    self.refresh_compiler()
            case TestsFinished() | AssertsChecked() | EdgesChecked():
                if is_shown:
                    self.refresh_tests()
            case AssertWriterStarted() | AssertsWritten():
                self.refresh_header()
            case CriticTokens():
                if is_shown:
                    self._schedule_live_refresh("critic")
            case CriticStarted() | CriticFinished() | FeedbackPrepared():
                if is_shown:
                    self.refresh_critic()
                self.refresh_header()
            case CandidateSelected():
                # The kept candidate is the final code: show it (and why) when
                # the user is following the run.
                if self.following:
                    newest = self.view.current
                    self.following = newest is not None and (
                        newest.number == event.candidate
                    )
                    self.shown_number = event.candidate
                self.render_all()
            case IterationFinished():
                self.refresh_timeline()
            case RunFinished() | RunFailed():
                self.mode = "finished"
                self.render_all()

    # -- rendering -----------------------------------------------------------------

    def _schedule_live_refresh(self, pane: str) -> None:
        """Repaint streaming ``pane`` now, or when ``repaint_s`` has passed since the
        last streaming repaint, so text is never held back longer than that."""
        self._dirty_panes.add(pane)
        if self._live_refresh_pending:
            return
        wait = self._last_live_refresh + self.repaint_s - time.monotonic()
        if wait <= 0:
            self._live_refresh()
        else:
            self._live_refresh_pending = True
            self.set_timer(wait, self._live_refresh)

    def _live_refresh(self) -> None:
        self._live_refresh_pending = False
        self._last_live_refresh = now = time.monotonic()
        dirty, self._dirty_panes = self._dirty_panes, set()
        # While text streams the header rides along in these frames, so one
        # compositor pass draws both (the clock's own tick then stands aside).
        if now - self._header_drawn_at >= HEADER_REFRESH_S - self.repaint_s / 2:
            self.refresh_header()
        if "code" in dirty:
            self.refresh_code()
        if "critic" in dirty:
            self.refresh_critic()

    def shown_record(self) -> IterationRecord | None:
        """The iteration on screen."""
        if self.shown_number is None:
            return None
        position = self.view.index_of(self.shown_number)
        return self.view.iterations[position] if position >= 0 else None

    def previous_record(self) -> IterationRecord | None:
        """The iteration before the one on screen."""
        if self.shown_number is None:
            return None
        position = self.view.index_of(self.shown_number)
        return self.view.iterations[position - 1] if position > 0 else None

    def elapsed(self) -> float:
        """Seconds the run has taken: live clock while running, else from events."""
        if self.mode == "running" and self._run_started_clock is not None:
            if self.view.is_over:
                return self.view.elapsed_from_events
            return max(0.0, self._clock() - self._run_started_clock)
        return self.view.elapsed_from_events

    def _tick_header(self) -> None:
        """The header clock, unless streaming repaints are already drawing it."""
        if time.monotonic() - self._last_live_refresh > HEADER_REFRESH_S:
            self.refresh_header()

    def refresh_header(self) -> None:
        """Re-render the header strip (also about once a second while running)."""
        if not self._composed:
            return
        self._header_drawn_at = time.monotonic()
        self.query_one(HeaderStrip).show(
            self.view,
            elapsed=self.elapsed(),
            ram_bytes=self._memory_probe(),
            mode=self.mode,
        )

    def refresh_timeline(self) -> None:
        """Re-render the iteration timeline."""
        self.query_one(IterationTimeline).sync(
            self.view.iterations, self.shown_number, run_over=self.view.is_over
        )

    def refresh_code(self) -> None:
        """Re-render the code pane for the shown iteration."""
        self.query_one(CodePane).show(
            self.shown_record(), self.previous_record(), diff=self.show_diff
        )

    def refresh_compiler(self) -> None:
        """Re-render the compiler pane."""
        record = self.shown_record()
        self.query_one(CompilerPane).show(record.shown if record else None)

    def refresh_tests(self) -> None:
        """Re-render the tests pane."""
        record = self.shown_record()
        self.query_one(VisibleTestsPane).show(
            record.shown if record else None, self.view.visible_tests
        )

    def refresh_critic(self) -> None:
        """Re-render the critic pane."""
        self.query_one(CriticPane).show(
            self.shown_record(), follow=self.following and self.mode == "running"
        )

    def render_all(self) -> None:
        """Re-render every pane."""
        if not self._composed:
            return
        self.refresh_header()
        self.refresh_timeline()
        self.refresh_code()
        self.refresh_compiler()
        self.refresh_tests()
        self.refresh_critic()
        self.query_one(VerdictBanner).show(self.view.finished, self.view.failed)
        for state in ("-running", "-passed", "-failed"):
            self.set_class(False, state)
        if self.mode == "running" and not self.view.is_over:
            self.set_class(True, "-running")
        elif self.view.finished is not None and self.view.finished.success:
            self.set_class(True, "-passed")
        elif self.view.is_over:
            self.set_class(True, "-failed")

    def watch_mode(self) -> None:
        """Grey out or enable bindings that depend on whether a run is going."""
        self.refresh_bindings()
        if self._composed:
            self.set_class(self.mode == "running", "-running")

    # -- navigation ----------------------------------------------------------------

    def show_iteration(self, number: int) -> None:
        """Show iteration ``number``; following resumes only on the newest."""
        if self.view.index_of(number) < 0:
            return
        newest = self.view.current
        self.following = newest is not None and number == newest.number
        self.shown_number = number
        self.render_all()

    @on(IterationTimeline.IterationChosen)
    def on_iteration_chosen(self, message: IterationTimeline.IterationChosen) -> None:
        """The user picked an iteration in the timeline."""
        self.show_iteration(message.number)

    def action_previous_iteration(self) -> None:
        """Show the iteration before the shown one."""
        previous = self.previous_record()
        if previous is not None:
            self.show_iteration(previous.number)

    def action_next_iteration(self) -> None:
        """Show the iteration after the shown one."""
        if self.shown_number is None:
            return
        position = self.view.index_of(self.shown_number)
        if 0 <= position < len(self.view.iterations) - 1:
            self.show_iteration(self.view.iterations[position + 1].number)

    def action_toggle_diff(self) -> None:
        """Switch the code pane between code and a diff to the previous iteration."""
        self.show_diff = not self.show_diff
        self.refresh_code()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out iteration navigation that has nowhere to go."""
        if action == "previous_iteration":
            return self.previous_record() is not None or None
        if action == "next_iteration":
            if self.shown_number is None:
                return None
            position = self.view.index_of(self.shown_number)
            return position < len(self.view.iterations) - 1 or None
        return True

    def watch_shown_number(self) -> None:
        """Navigation availability changes with the shown iteration."""
        self.refresh_bindings()

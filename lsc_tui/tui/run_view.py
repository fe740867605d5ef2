"""The dashboard's state: loop events folded into per-iteration records.

This module is pure Python (no textual) so the folding logic is unit-testable and the
same for live runs, replays and history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lsc_tui.events import (
    ROLES,
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
    Role,
    RunFailed,
    RunFinished,
    RunStarted,
    SyntaxChecked,
    TestsFinished,
    TokensGenerated,
)
from lsc_tui.loop.prompts import EDGE_INSTRUCTION, PLAN_SYSTEM
from lsc_tui.sandbox.result import CompileError, TestResult

CHARS_PER_TOKEN = 3.5
"""Rough characters per token, for the live tokens/s estimate while streaming."""

_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")
_PARTIAL_FENCE = re.compile(r"^\s*`{1,3}[\w+-]*$")


def strip_fences(stream: str) -> str:
    """Drop Markdown fence lines (and a half-written one at the end) from raw text."""
    lines = stream.split("\n")
    if lines and _PARTIAL_FENCE.match(lines[-1]):
        lines[-1] = ""
    return "\n".join(line for line in lines if not _FENCE_LINE.match(line)).lstrip("\n")


def prompt_source(prompt: str) -> str:
    """``repair`` or ``plan`` when a rendered generator prompt is an edge-case
    repair turn or ``select``'s plan prompt, else empty."""
    if EDGE_INSTRUCTION in prompt:
        return "repair"
    return "plan" if PLAN_SYSTEM in prompt else ""


@dataclass
class CandidateRecord:
    """One generated candidate inside an iteration."""

    index: int
    stream: str = ""
    """Raw generator text as it streamed in."""
    code: str | None = None
    """Extracted code, once generation finished."""
    tokens: int = 0
    seconds: float = 0.0
    first_token_at: float | None = None
    last_token_at: float | None = None
    renamed: tuple[str, str] | None = None
    syntax_ok: bool | None = None
    syntax_error: CompileError | None = None
    tests: tuple[TestResult, ...] = ()
    tests_passed: int = 0
    tests_total: int = 0
    tests_ran: bool = False
    stdout: str = ""
    stderr: str = ""
    extra: tuple[TestResult, ...] = ()
    """Its results on the tester's extra asserts (``select-asserts``); empty when
    it was not run on them (a run always has at least one)."""
    edges: EdgesChecked | None = None
    """Its edge check (``select`` with ``[edges]``), once run."""

    @property
    def display_code(self) -> str:
        """The code to show: extracted code when known, else the stream unfenced."""
        return self.code if self.code is not None else strip_fences(self.stream)


@dataclass
class CriticRecord:
    """One critic's feedback within an iteration."""

    role: Role
    model_id: str
    text: str = ""
    reflection: str | None = None
    tokens: int = 0
    seconds: float = 0.0


@dataclass
class IterationRecord:
    """Everything that happened in one iteration of the loop."""

    number: int
    started_at: float
    candidates: list[CandidateRecord] = field(default_factory=list)
    kept: bool = False
    """A selecting pipeline chose this iteration's candidate as the final code."""
    source: str = ""
    """What prompted its candidate when not the task alone: ``repair`` (an
    edge-case repair turn) or ``plan`` (``select``'s plan prompt)."""
    selection_reason: str = ""
    critics: list[CriticRecord] = field(default_factory=list)
    feedback: str = ""
    status: str | None = None
    """``passed``, ``failed``, ``syntax_error`` or ``no_code`` once finished."""
    passed: int = 0
    total: int = 0
    seconds: float | None = None

    def candidate(self, index: int) -> CandidateRecord:
        """The candidate with ``index``, created on first use."""
        for record in self.candidates:
            if record.index == index:
                return record
        record = CandidateRecord(index=index)
        self.candidates.append(record)
        return record

    @property
    def shown(self) -> CandidateRecord | None:
        """The candidate the dashboard shows: the newest."""
        return self.candidates[-1] if self.candidates else None

    @property
    def code(self) -> str:
        """The shown candidate's code (empty before any token)."""
        shown = self.shown
        return shown.display_code if shown is not None else ""


@dataclass
class RoleState:
    """Which model serves a role and what it is doing now."""

    model_id: str = ""
    activity: str = "idle"
    """``idle``, ``loading``, ``generating``, ``critiquing`` or ``writing asserts``."""


@dataclass
class RunView:
    """A run as the dashboard sees it, built by applying events in order."""

    run_id: str = ""
    task_id: str = ""
    description: str = ""
    visible_tests: tuple[str, ...] = ()
    pipeline: str = ""
    max_iters: int = 0
    started_at: float | None = None
    last_at: float | None = None
    roles: dict[str, RoleState] = field(default_factory=dict)
    iterations: list[IterationRecord] = field(default_factory=list)
    finished: RunFinished | None = None
    failed: RunFailed | None = None
    last_tokens_per_second: float | None = None

    @property
    def is_over(self) -> bool:
        """Whether the run has finished or failed."""
        return self.finished is not None or self.failed is not None

    @property
    def current(self) -> IterationRecord | None:
        """The newest iteration."""
        return self.iterations[-1] if self.iterations else None

    @property
    def elapsed_from_events(self) -> float:
        """Seconds between the first and the last event seen."""
        if self.finished is not None:
            return self.finished.seconds
        if self.started_at is None or self.last_at is None:
            return 0.0
        return max(0.0, self.last_at - self.started_at)

    def iteration(self, number: int) -> IterationRecord:
        """The record of iteration ``number``, created when first seen."""
        for record in self.iterations:
            if record.number == number:
                return record
        record = IterationRecord(number=number, started_at=self.last_at or 0.0)
        self.iterations.append(record)
        return record

    def index_of(self, number: int) -> int:
        """Position of iteration ``number`` in ``iterations`` (-1 if absent)."""
        for position, record in enumerate(self.iterations):
            if record.number == number:
                return position
        return -1

    def tokens_per_second(self) -> float | None:
        """Generation speed: estimated while streaming, exact after a generation."""
        current = self.current
        shown = current.shown if current is not None else None
        if (
            shown is not None
            and shown.code is None
            and shown.first_token_at is not None
            and shown.last_token_at is not None
            and shown.last_token_at > shown.first_token_at
        ):
            estimated_tokens = len(shown.stream) / CHARS_PER_TOKEN
            return estimated_tokens / (shown.last_token_at - shown.first_token_at)
        return self.last_tokens_per_second

    def _role(self, role: str) -> RoleState:
        return self.roles.setdefault(role, RoleState())

    def _set_activity(self, active_role: str | None, activity: str) -> None:
        for role, state in self.roles.items():
            if role == active_role:
                state.activity = activity
            elif state.activity != "loading":
                state.activity = "idle"

    def apply(self, event: LoopEvent) -> None:
        """Fold one event into the view."""
        if self.started_at is None:
            self.started_at = event.at
        self.last_at = event.at
        match event:
            case RunStarted():
                self.run_id = event.run_id
                self.task_id = event.task_id
                self.description = event.description
                self.visible_tests = event.visible_tests
                self.pipeline = event.pipeline
                self.max_iters = event.max_iters
                self.started_at = event.at
                for role_model in event.models:
                    self._role(role_model.role).model_id = role_model.model_id
            case ModelLoading():
                state = self._role(event.role)
                state.model_id = event.model_id
                state.activity = "loading"
            case ModelLoaded():
                state = self._role(event.role)
                state.model_id = event.model_id
                state.activity = "idle"
            case IterationStarted():
                self.iteration(event.iteration).started_at = event.at
            case TokensGenerated():
                candidate = self.iteration(event.iteration).candidate(event.candidate)
                if candidate.first_token_at is None:
                    candidate.first_token_at = event.at
                candidate.last_token_at = event.at
                candidate.stream += event.text
                self._set_activity("generator", "generating")
            case GenerationFinished():
                self.iteration(event.iteration).source = prompt_source(event.prompt)
                candidate = self.iteration(event.iteration).candidate(event.candidate)
                candidate.code = event.code
                if not candidate.stream:
                    candidate.stream = event.raw
                candidate.tokens = event.tokens
                candidate.seconds = event.seconds
                if event.seconds > 0:
                    self.last_tokens_per_second = event.tokens / event.seconds
                self._set_activity(None, "idle")
            case NameHarmonized():
                candidate = self.iteration(event.iteration).candidate(event.candidate)
                candidate.renamed = (event.old_name, event.new_name)
            case SyntaxChecked():
                candidate = self.iteration(event.iteration).candidate(event.candidate)
                candidate.syntax_ok = event.ok
                candidate.syntax_error = event.error
            case TestsFinished():
                candidate = self.iteration(event.iteration).candidate(event.candidate)
                candidate.tests = event.results
                candidate.tests_passed = event.passed
                candidate.tests_total = event.total
                candidate.tests_ran = True
                candidate.stdout = event.stdout
                candidate.stderr = event.stderr
            case CriticStarted():
                record = self.iteration(event.iteration)
                record.critics.append(CriticRecord(event.role, event.model_id))
                self._role(event.role).model_id = event.model_id
                self._set_activity(event.role, "critiquing")
            case CriticTokens():
                critic = self._critic(event.iteration, event.role)
                critic.text += event.text
            case CriticFinished():
                critic = self._critic(event.iteration, event.role)
                critic.text = event.raw or critic.text
                critic.reflection = event.reflection
                critic.tokens = event.tokens
                critic.seconds = event.seconds
                self._set_activity(None, "idle")
            case FeedbackPrepared():
                self.iteration(event.iteration).feedback = event.feedback
            case AssertWriterStarted():
                self._set_activity("generator", "writing asserts")
            case AssertsWritten():
                self._set_activity(None, "idle")
            case EdgesChecked():
                checked = self.iteration(event.iteration).shown
                if checked is not None:
                    checked.edges = event
            case AssertsChecked():
                vetted = self.iteration(event.iteration).shown
                if vetted is not None:
                    vetted.extra = event.results
            case CandidateSelected():
                # `select` draws one candidate per iteration: candidate N is
                # iteration N's.
                for record in self.iterations:
                    record.kept = record.number == event.candidate
                self.iteration(event.candidate).selection_reason = event.reason
            case IterationFinished():
                record = self.iteration(event.iteration)
                record.status = event.status
                record.passed = event.passed
                record.total = event.total
                record.seconds = event.seconds
            case RunFinished():
                self.finished = event
                self._set_activity(None, "idle")
            case RunFailed():
                self.failed = event
                self._set_activity(None, "idle")

    def _critic(self, iteration: int, role: Role) -> CriticRecord:
        record = self.iteration(iteration)
        for critic in reversed(record.critics):
            if critic.role == role:
                return critic
        critic = CriticRecord(role=role, model_id=self._role(role).model_id)
        record.critics.append(critic)
        return critic

    def role_names(self) -> tuple[str, ...]:
        """Roles in display order: the three known roles first."""
        known = [role for role in ROLES if role in self.roles]
        return tuple(known + [role for role in self.roles if role not in ROLES])

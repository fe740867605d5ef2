"""The loop's event stream: small frozen dataclasses and their JSON form.

``run_loop`` yields these; the CLI, the TUI, the run store and replay all consume
the same values. Every event carries ``run_id``, ``iteration`` (0 before the first
iteration) and ``at`` (seconds from the injected clock). ``to_json`` adds a
``"type"`` field holding the class name and ``from_json`` inverts it exactly.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from lsc_tui.sandbox.result import CompileError, TestResult

Role = Literal["generator", "syntax_critic", "logic_critic"]
ROLES: tuple[Role, ...] = ("generator", "syntax_critic", "logic_critic")
IterationStatus = Literal["passed", "failed", "syntax_error", "no_code"]
RunStatus = Literal["passed", "failed", "cancelled", "error"]


@dataclass(frozen=True, slots=True)
class HiddenScore:
    """The hidden-test result, scored after the loop; never shown to a model."""

    passed: bool
    passed_count: int
    total: int


@dataclass(frozen=True, slots=True)
class RoleModel:
    """Which model serves a role in a run."""

    role: Role
    model_id: str
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run began."""

    run_id: str
    iteration: int
    at: float
    task_id: str
    description: str
    visible_tests: tuple[str, ...]
    pipeline: str
    max_iters: int
    models: tuple[RoleModel, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelLoading:
    """A role's model is being loaded (can take seconds)."""

    run_id: str
    iteration: int
    at: float
    role: Role
    model_id: str


@dataclass(frozen=True, slots=True)
class ModelLoaded:
    """A role's model is ready."""

    run_id: str
    iteration: int
    at: float
    role: Role
    model_id: str
    seconds: float


@dataclass(frozen=True, slots=True)
class IterationStarted:
    """An iteration of the loop began."""

    run_id: str
    iteration: int
    at: float


@dataclass(frozen=True, slots=True)
class TokensGenerated:
    """A batch of generator text (about 25 batches per second at most)."""

    run_id: str
    iteration: int
    at: float
    text: str
    candidate: int = 0


@dataclass(frozen=True, slots=True)
class GenerationFinished:
    """The generator finished one candidate; ``code`` is what was extracted."""

    run_id: str
    iteration: int
    at: float
    raw: str
    code: str
    tokens: int
    seconds: float
    prompt_tokens: int = 0
    cached_tokens: int = 0
    candidate: int = 0
    prompt: str = ""
    """The rendered conversation the generator was given (for run history)."""


@dataclass(frozen=True, slots=True)
class NameHarmonized:
    """The candidate's function was renamed to the name the tests call."""

    run_id: str
    iteration: int
    at: float
    old_name: str
    new_name: str
    candidate: int = 0


@dataclass(frozen=True, slots=True)
class SyntaxChecked:
    """The syntax stage's result for a candidate."""

    run_id: str
    iteration: int
    at: float
    ok: bool
    error: CompileError | None = None
    candidate: int = 0


@dataclass(frozen=True, slots=True)
class TestsFinished:
    """The visible tests ran against a candidate in the sandbox."""

    __test__ = False  # not a pytest test class

    run_id: str
    iteration: int
    at: float
    results: tuple[TestResult, ...]
    passed: int
    total: int
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    candidate: int = 0


@dataclass(frozen=True, slots=True)
class CriticStarted:
    """A critic began reading the failing candidate."""

    run_id: str
    iteration: int
    at: float
    role: Role
    model_id: str


@dataclass(frozen=True, slots=True)
class CriticTokens:
    """A batch of critic text."""

    run_id: str
    iteration: int
    at: float
    role: Role
    text: str


@dataclass(frozen=True, slots=True)
class CriticFinished:
    """A critic finished; ``reflection`` is the cleaned feedback for the generator."""

    run_id: str
    iteration: int
    at: float
    role: Role
    raw: str
    reflection: str
    tokens: int
    seconds: float
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class FeedbackPrepared:
    """The feedback that goes back to the generator for the next iteration."""

    run_id: str
    iteration: int
    at: float
    feedback: str


@dataclass(frozen=True, slots=True)
class CandidateSelected:
    """A selecting pipeline chose one of several candidates, and why."""

    run_id: str
    iteration: int
    at: float
    candidate: int
    reason: str
    scores: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class SamplesDiscarded:
    """Samples drawn side by side with the candidate that ended the run, after it
    in order (``[sampling] batch``): never checked, but their tokens and time were
    spent all the same, so a run's cost counts them."""

    run_id: str
    iteration: int
    at: float
    count: int
    tokens: int
    seconds: float


@dataclass(frozen=True, slots=True)
class EdgesChecked:
    """A candidate that passed the visible tests, run on boundary inputs derived
    from their arguments (``loop.edges``): how many it raised on or hung on."""

    run_id: str
    iteration: int
    at: float
    inputs: int
    crashed: int
    shown: tuple[str, ...] = ()
    """The first crashing calls with their errors, as the generator is told them."""


@dataclass(frozen=True, slots=True)
class AssertWriterStarted:
    """The generator model began writing extra asserts (``loop.tester``)."""

    run_id: str
    iteration: int
    at: float


@dataclass(frozen=True, slots=True)
class AssertsWritten:
    """The extra asserts, written once per run from the task text alone."""

    run_id: str
    iteration: int
    at: float
    asserts: tuple[str, ...]
    raw: str
    tokens: int
    seconds: float
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class AssertsChecked:
    """A candidate that passed the visible tests, run on the extra asserts."""

    run_id: str
    iteration: int
    at: float
    passed: int
    total: int
    results: tuple[TestResult, ...] = ()


@dataclass(frozen=True, slots=True)
class IterationFinished:
    """An iteration ended with a status for its (chosen) candidate."""

    run_id: str
    iteration: int
    at: float
    status: IterationStatus
    passed: int
    total: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run ended; ``success`` means every visible test passed."""

    run_id: str
    iteration: int
    at: float
    status: RunStatus
    success: bool
    first_attempt_passed: bool
    first_pass_iteration: int | None
    final_code: str
    seconds: float
    hidden: HiddenScore | None = None
    hidden_seconds: float = 0.0
    """Of ``seconds``, the time spent scoring the final code on the hidden tests:
    a benchmark's cost, not the loop's, so time ratios can leave it out."""


@dataclass(frozen=True, slots=True)
class RunFailed:
    """An unexpected error stopped the run; ``message`` is one line."""

    run_id: str
    iteration: int
    at: float
    message: str
    title: str = "Error"


LoopEvent = Union[  # noqa: UP007 - a runtime alias, used by isinstance and from_json
    RunStarted,
    ModelLoading,
    ModelLoaded,
    IterationStarted,
    TokensGenerated,
    GenerationFinished,
    NameHarmonized,
    SyntaxChecked,
    TestsFinished,
    CriticStarted,
    CriticTokens,
    CriticFinished,
    FeedbackPrepared,
    CandidateSelected,
    SamplesDiscarded,
    EdgesChecked,
    AssertWriterStarted,
    AssertsWritten,
    AssertsChecked,
    IterationFinished,
    RunFinished,
    RunFailed,
]

EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in typing.get_args(LoopEvent)
}
_NESTED: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (HiddenScore, RoleModel, CompileError, TestResult)
}


def _encode(value: Any) -> Any:
    """Turn dataclasses and tuples into JSON-ready dicts and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def to_json(event: LoopEvent) -> dict[str, Any]:
    """Serialise an event to a JSON-ready dict with a ``type`` field."""
    data: dict[str, Any] = {"type": type(event).__name__}
    data.update(_encode(event))
    return data


def _decode(hint: Any, value: Any) -> Any:
    """Rebuild a value of type ``hint`` from its JSON form."""
    origin = typing.get_origin(hint)
    if value is None:
        return None
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is not type(None):
                return _decode(arg, value)
    if origin is tuple:
        (item_hint, *_rest) = typing.get_args(hint)
        return tuple(_decode(item_hint, v) for v in value)
    if isinstance(hint, type) and hint.__name__ in _NESTED:
        return _build(hint, value)
    return value


def _build(cls: type[Any], data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {
        f.name: _decode(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)
        if f.name in data
    }
    return cls(**kwargs)


def from_json(data: dict[str, Any]) -> LoopEvent:
    """Inverse of :func:`to_json`; raises ValueError for an unknown ``type``."""
    type_name = data.get("type")
    cls = EVENT_TYPES.get(str(type_name))
    if cls is None:
        raise ValueError(f"unknown event type {type_name!r}")
    event: LoopEvent = _build(cls, data)
    return event

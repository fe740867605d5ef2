"""Human progress for headless commands, written to stderr as events arrive.

On a terminal one status line is redrawn in place while tokens stream; otherwise
each stage gets one plain line, so logs stay readable. Results never go here.
"""

from __future__ import annotations

from typing import TextIO

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
    SamplesDiscarded,
    SyntaxChecked,
    TestsFinished,
    TokensGenerated,
)

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class ConsoleProgress:
    """Renders loop events as progress lines on a text stream."""

    def __init__(self, stream: TextIO, *, live: bool = True) -> None:
        self.stream = stream
        self.live = live and stream.isatty()
        self._chars = 0
        self._frame = 0
        self._status_shown = False
        self._max_iters = 0

    def _line(self, text: str) -> None:
        if self._status_shown:
            self.stream.write("\r\x1b[2K")
            self._status_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def _status(self, text: str) -> None:
        if not self.live:
            return
        self._frame = (self._frame + 1) % len(_SPINNER)
        self.stream.write(f"\r\x1b[2K{_SPINNER[self._frame]} {text}")
        self.stream.flush()
        self._status_shown = True

    def show(self, event: LoopEvent) -> None:
        """Render one event."""
        match event:
            case RunStarted():
                self._max_iters = event.max_iters
                models = ", ".join(f"{m.role}={m.model_id}" for m in event.models)
                self._line(f"run {event.run_id} · {event.pipeline} · {models}")
            case ModelLoading():
                self._line(f"loading {event.role} model {event.model_id} ...")
            case ModelLoaded():
                self._line(f"loaded {event.model_id} in {event.seconds:.1f}s")
            case IterationStarted():
                self._chars = 0
                self._line(f"iteration {event.iteration}/{self._max_iters}")
            case TokensGenerated() | CriticTokens():
                self._chars += len(event.text)
                who = "critic" if isinstance(event, CriticTokens) else "generating"
                self._status(f"{who} · {self._chars} chars")
            case GenerationFinished():
                speed = event.tokens / event.seconds if event.seconds else 0.0
                self._line(
                    f"  generated {event.tokens} tokens in {event.seconds:.1f}s "
                    f"({speed:.1f} tok/s, {event.cached_tokens} prompt tokens reused)"
                )
                self._chars = 0
            case NameHarmonized():
                self._line(f"  renamed {event.old_name} -> {event.new_name}")
            case SyntaxChecked():
                if event.error is None:
                    self._line("  syntax ok")
                else:
                    err = event.error
                    self._line(
                        f"  syntax error: {err.type}: {err.message} "
                        f"(line {err.line}, col {err.col})"
                    )
            case TestsFinished():
                self._line(f"  tests {event.passed}/{event.total} passed")
                for test in event.results:
                    if test.status != "passed":
                        self._line(f"    ✗ {test.source.strip()}  [{test.status}]")
            case CriticStarted():
                self._line(f"  {event.role.replace('_', ' ')} ({event.model_id}) ...")
            case CriticFinished():
                first = event.reflection.splitlines()[0] if event.reflection else ""
                self._line(f"  critic: {first[:100]}")
            case AssertWriterStarted():
                self._line("  a sample passed; writing extra asserts to vet it ...")
            case AssertsWritten():
                self._line(
                    f"  wrote {len(event.asserts)} extra asserts "
                    f"({event.tokens} tokens in {event.seconds:.1f}s)"
                )
            case AssertsChecked():
                self._line(f"  extra asserts {event.passed}/{event.total} passed")
            case FeedbackPrepared() | IterationFinished():
                pass
            case EdgesChecked():
                if not event.crashed:
                    self._line(f"  edge check: no crash on {event.inputs} inputs")
                else:
                    self._line(
                        f"  edge check: crashes on {event.crashed} of "
                        f"{event.inputs} inputs"
                    )
                    for crash in event.shown:
                        self._line(f"    ✗ {crash[:120]}")
            case SamplesDiscarded():
                noun = "sample" if event.count == 1 else "samples"
                self._line(
                    f"{event.count} {noun} drawn in the same batch went unchecked "
                    f"({event.tokens} tokens)"
                )
            case CandidateSelected():
                self._line(f"selected iteration {event.candidate}: {event.reason}")
            case RunFailed():
                self._line(f"error: {event.message}")
            case RunFinished():
                verdict = "PASSED" if event.success else event.status.upper()
                hidden = ""
                if event.hidden is not None:
                    hidden = (
                        f" · hidden {event.hidden.passed_count}/{event.hidden.total}"
                        f" {'passed' if event.hidden.passed else 'failed'}"
                    )
                self._line(f"{verdict} in {event.seconds:.1f}s{hidden}")
            case _:
                pass

    def finish(self) -> None:
        """Clear a pending status line."""
        if self._status_shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._status_shown = False

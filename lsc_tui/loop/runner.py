"""``run_loop``: the generate, check, test, critique loop as a generator of events.

One function serves every pipeline kind; the recipe's ``kind`` picks what happens
after a failed iteration (nothing, raw feedback, a critic, or a fresh sample). The
loop is blocking and never prints; consumers (CLI, TUI, bench, run history) read
the events. Visible tests drive it; hidden tests are scored once, after it ends,
through a callback the caller supplies, and no prompt ever contains them.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lsc_tui.engine.base import (
    ChatMessage,
    EngineProvider,
    GenerationStats,
    SampleBatchEngine,
    SampleDone,
    SamplingParams,
)
from lsc_tui.errors import LscError
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
    HiddenScore,
    IterationFinished,
    IterationStarted,
    IterationStatus,
    LoopEvent,
    ModelLoaded,
    ModelLoading,
    NameHarmonized,
    Role,
    RoleModel,
    RunFailed,
    RunFinished,
    RunStarted,
    SamplesDiscarded,
    SyntaxChecked,
    TestsFinished,
    TokensGenerated,
)
from lsc_tui.loop import prompts
from lsc_tui.loop.consensus import Consensus, Vote, group_votes, outcome_key, settled
from lsc_tui.loop.critic import clean_reflection
from lsc_tui.loop.edges import (
    CHANGES_RESULTS,
    FAILS_VISIBLE,
    STILL_CRASHES,
    EdgeCheck,
    check_inputs,
    repair_keeps,
    run_check,
)
from lsc_tui.loop.extract import extract_code
from lsc_tui.loop.harmonize import harmonize
from lsc_tui.loop.pipelines import Pipeline
from lsc_tui.loop.probes import probe_inputs
from lsc_tui.loop.tester import TESTER_MAX_TOKENS, assert_messages, parse_asserts
from lsc_tui.sandbox.result import CheckResult, CompileError
from lsc_tui.tasks.expected import BatchCaller
from lsc_tui.tasks.model import Task

FLUSH_SECONDS = 0.04
FLUSH_CHARS = 64
NO_CODE = CompileError("NoCodeError", "the reply contains no Python code", None, None)
PROBE_CALL_TIMEOUT_S = 1.0
"""A probe is a comparison, not a verdict: a slow call just counts as 'timeout'."""
PROBE_TOTAL_TIMEOUT_S = 4.0


class SandboxLike(BatchCaller, Protocol):
    """The part of the sandbox the loop uses (``call_batch`` runs consensus probes)."""

    def check_syntax(self, code: str) -> CompileError | None: ...

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult: ...


HiddenScorer = Callable[[Task, str], HiddenScore | None]


@dataclass(slots=True)
class _Attempt:
    """What one iteration produced, for choosing the final code."""

    iteration: int
    code: str
    passed: int
    total: int
    ok: bool
    compiles: bool
    raw: str = ""
    """The generator's whole reply, for a repair round's conversation."""
    feedback: str = ""
    """The raw error this attempt got, kept only when a repair round may use it."""
    extra: int | None = None
    """How many of the tester's extra asserts it passed; None when not run on them."""


class _Cancelled(Exception):
    """Raised inside the loop when the cancel event is set."""


def _passes(error: CompileError | None, result: CheckResult | None) -> bool:
    """Whether a checked candidate passes: it compiles and fails no visible test."""
    return error is None and (result is None or result.verdict == "passed")


@dataclass(frozen=True, slots=True)
class _Verdict:
    """One code's syntax check and visible-test run, and how long the tests took."""

    error: CompileError | None
    result: CheckResult | None
    seconds: float


def _sample_seconds(stats: GenerationStats) -> float:
    """A batched sample's time: its share of the batch's steps, plus the prompt's
    for the first sample (``LlamaEngine.stream_samples``)."""
    return stats.prompt_seconds + stats.gen_seconds


class _Loop:
    """State of one run; ``events()`` drives it."""

    def __init__(
        self,
        task: Task,
        pipeline: Pipeline,
        engines: EngineProvider,
        sandbox: SandboxLike,
        cancel: threading.Event,
        run_id: str,
        max_iters: int,
        clock: Callable[[], float],
        families: Mapping[str, str],
        score_hidden: HiddenScorer | None,
    ) -> None:
        self.task = task
        self.pipeline = pipeline
        self.engines = engines
        self.sandbox = sandbox
        self.cancel = cancel
        self.run_id = run_id
        self.max_iters = max_iters
        self.clock = clock
        self.families = families
        self.score_hidden = score_hidden
        self.started = clock()
        self.iteration = 0
        self.attempts: list[_Attempt] = []
        self.votes: list[Vote] = []
        """Passing candidates' behaviour on the probes (select with consensus)."""
        self.probes = (
            probe_inputs(task.visible_tests, task.entry_point)
            if pipeline.kind == "select" and pipeline.consensus_support
            else []
        )
        self.chosen: int | None = None
        """The candidate consensus picked, when it picked one."""
        self.repairs: dict[int, int] = {}
        """``select``'s repair iterations -> the candidate each one repaired."""
        self.asserts: list[str] | None = None
        """The tester's extra asserts once written (``select`` with a tester)."""
        self.drawn: dict[int, tuple[str, GenerationStats]] = {}
        """Samples drawn ahead in a batch, by the iteration that will take them."""
        self.edge_target: tuple[int, EdgeCheck] | None = None
        """The passing candidate an edge-case repair turn works on, and its check."""
        self.edge_verdict = ""
        """Why that repair was kept or not, for the selection's reason."""
        self.verdicts: dict[str, _Verdict] = {}
        """Each code's check, run once: a batch checks its samples as they end."""
        self.edge_checks: dict[str, EdgeCheck | None] = {}
        """Each code's edge check, run once, for the same reason."""

    # -- helpers -----------------------------------------------------------------

    def at(self) -> float:
        """Seconds since the run started, from the injected clock."""
        return round(self.clock() - self.started, 6)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise _Cancelled

    def engine_for(self, role: Role) -> Generator[LoopEvent, None, None]:
        """Load ``role``'s model if needed, yielding loading events around it."""
        if self.engines.is_loaded(role):
            return
        model_id = self.engines.model_id(role)
        yield ModelLoading(self.run_id, self.iteration, self.at(), role, model_id)
        begun = self.clock()
        self.engines.get(role)
        yield ModelLoaded(
            self.run_id, self.iteration, self.at(), role, model_id, self.clock() - begun
        )

    def stream(
        self,
        role: Role,
        messages: list[ChatMessage],
        params: SamplingParams,
        make_event: Callable[[str], LoopEvent] | None,
    ) -> Generator[LoopEvent, None, tuple[str, GenerationStats | None, float]]:
        """Stream one generation as batched text events (none when ``make_event`` is
        None); return text and stats."""
        yield from self.engine_for(role)
        engine = self.engines.get(role)
        begun = self.clock()
        text = yield from self.relay(
            engine.stream(messages, params, self.cancel), make_event
        )
        return text, engine.last_stats, self.clock() - begun

    def relay(
        self,
        pieces: Iterator[str],
        make_event: Callable[[str], LoopEvent] | None,
    ) -> Generator[LoopEvent, None, str]:
        """Pass streamed text on as events, batched to at most ~25 a second;
        return the whole text."""
        text: list[str] = []
        pending: list[str] = []
        pending_chars = 0
        last_flush = self.clock()
        try:
            for piece in pieces:
                text.append(piece)
                pending.append(piece)
                pending_chars += len(piece)
                now = self.clock()
                if make_event is None:
                    continue
                if pending_chars >= FLUSH_CHARS or now - last_flush >= FLUSH_SECONDS:
                    yield make_event("".join(pending))
                    pending, pending_chars, last_flush = [], 0, now
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        if pending and make_event is not None:
            yield make_event("".join(pending))
        return "".join(text)

    def sample(
        self,
        messages: list[ChatMessage],
        params: SamplingParams,
        make_event: Callable[[str], LoopEvent],
        first: SamplingParams | None = None,
    ) -> Generator[LoopEvent, None, tuple[str, GenerationStats | None, float]]:
        """One ``select`` sample, drawn side by side with the next ones
        (``[sampling] batch``) when the engine can; later calls take those.
        ``first`` replaces this iteration's own settings (the greedy edge-case
        repair turn heading the sampled ones); the others keep ``params``."""
        iteration = self.iteration
        if iteration in self.drawn:
            raw, stats = self.drawn.pop(iteration)
            if raw:
                yield make_event(raw)
            return raw, stats, _sample_seconds(stats)
        yield from self.engine_for("generator")
        engine = self.engines.get("generator")
        count = min(self.pipeline.sample_batch, self.samples_left())
        if not isinstance(engine, SampleBatchEngine) or count < 2:
            own = first or params
            return (yield from self.stream("generator", messages, own, make_event))
        draw = engine.stream_samples
        batch = [
            dataclasses.replace(params, seed=params.seed + i) for i in range(count)
        ]
        if first is not None:
            batch[0] = first
        texts: list[list[str]] = [[] for _ in batch]

        def first_sample() -> Iterator[str]:
            pieces = draw(messages, batch, self.cancel, self.batch_stop())
            try:
                for index, piece in pieces:
                    texts[index].append(piece)
                    if index == 0:
                        yield piece
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()

        raw = yield from self.relay(first_sample(), make_event)
        drawn = engine.last_sample_stats
        for index in range(1, count):
            self.drawn[iteration + index] = ("".join(texts[index]), drawn[index])
        return raw, drawn[0], _sample_seconds(drawn[0])

    def batch_stop(self) -> SampleDone | None:
        """A ``done`` callback that stops a batch once, taking its samples in order,
        one is known to end the sampling (``ends_sampling``): the samples after it
        would be discarded, so they stop decoding. None where a visible pass does
        not end the sampling (consensus, the tester's asserts).

        The checks it runs are the loop's own, remembered by code (``verdict``,
        ``edge_check``), so the loop reaches the same verdicts when the iterations
        take these samples, and never reaches a sample cut short."""
        if self.probes or self.pipeline.tester_asserts:
            return None
        ended: dict[int, str] = {}
        upto = 0  # the first sample not yet judged

        def done(index: int, text: str) -> bool:
            nonlocal upto
            ended[index] = text
            while upto in ended:
                if self.ends_sampling(ended.pop(upto)):
                    return True
                upto += 1
            return False

        return done

    def ends_sampling(self, raw: str) -> bool:
        """Whether the loop stops at this sample: it passes the visible tests and,
        on an edge-case repair turn, the repair is kept."""
        code, _ = self.harmonized(extract_code(raw, self.task.entry_point))
        verdict = self.verdict(code)
        if not _passes(verdict.error, verdict.result):
            return False
        if self.edge_target is None:
            return True
        after = self.edge_check(code)
        return after is not None and repair_keeps(self.edge_target[1], after)

    def harmonized(self, code: str) -> tuple[str, tuple[str, str] | None]:
        """The code with its function renamed to the task's entry point where the
        pipeline does so (``loop.harmonize``), and (old, new) when it was."""
        if self.pipeline.kind not in ("three-stage", "select"):
            return code, None
        renamed = harmonize(code, self.task.entry_point)
        if renamed is None:
            return code, None
        code, old, new = renamed
        return code, (old, new)

    def samples_left(self) -> int:
        """How many samples, this iteration's included, the run may still draw
        from the prompt it samples now."""
        left = self.max_iters - self.iteration + 1
        if self.edge_target is not None:  # the repair turns still allowed
            return min(left, self.pipeline.edge_repair - self.edge_turn() + 1)
        if self.planning():
            return left
        # Samples up to the budget, less the repair rounds or plan samples ending it.
        return left - self.pipeline.repair_rounds - self.pipeline.plan_samples

    @property
    def first_plan(self) -> int:
        """The first iteration drawn from the plan prompt (``[plan]``); past the
        budget when the recipe has none."""
        return self.max_iters - self.pipeline.plan_samples + 1

    def planning(self) -> bool:
        """Whether this iteration is one of the plan prompt's."""
        return self.iteration >= self.first_plan

    def edge_turn(self) -> int:
        """Which edge-case repair turn this iteration is (1 = the greedy one);
        0 before the turns begin."""
        return self.iteration - self.edge_target[0] if self.edge_target else 0

    def discard_drawn(self) -> Iterator[LoopEvent]:
        """Account for samples drawn in a batch that the run never reached."""
        if self.drawn:
            left = list(self.drawn.values())
            self.drawn.clear()
            yield SamplesDiscarded(
                self.run_id,
                self.iteration,
                self.at(),
                count=len(left),
                tokens=sum(stats.completion_tokens for _, stats in left),
                seconds=sum(_sample_seconds(stats) for _, stats in left),
            )

    def role_params(self, role: str) -> SamplingParams:
        return self.pipeline.roles[role].sampling

    # -- stages ------------------------------------------------------------------

    def generate(
        self, previous_reply: str | None, feedback: str | None
    ) -> Generator[LoopEvent, None, tuple[str, str]]:
        """Generator stage: returns (raw reply, extracted code)."""
        family = self.families.get("generator", "")
        params = self.role_params("generator")
        sampling = (
            self.pipeline.kind == "select" and self.iteration > 1 and not feedback
        )
        # Edge-case repair turns after the first (greedy) one are samples of it,
        # drawn in one batch headed by the greedy turn: the batch stops once a
        # repair is kept, so the greedy turn costs no extra prompt or pass when
        # it is not.
        greedy = params
        repair_turn = self.edge_turn()
        if sampling or repair_turn:
            params = dataclasses.replace(
                params,
                temperature=self.pipeline.sample_temperature,
                top_p=self.pipeline.sample_top_p,
                seed=params.seed + self.iteration,
            )
        elif self.iteration > 1 and self.pipeline.retry_temperature > 0:
            params = dataclasses.replace(
                params,
                temperature=self.pipeline.retry_temperature,
                top_p=self.pipeline.sample_top_p,
                seed=params.seed + self.iteration,
            )
        concise = self.pipeline.concise_samples
        if sampling and self.planning():
            messages = prompts.plan_messages(self.task, family, concise)
        elif sampling:
            messages = prompts.generator_messages(self.task, family, concise=concise)
        else:
            instruction = (
                prompts.edge_instruction(self.pipeline.concise_repairs)
                if self.edge_target is not None
                else prompts.RETRY_INSTRUCTION
            )
            messages = prompts.generator_messages(
                self.task, family, previous_reply, feedback, instruction
            )
        iteration = self.iteration

        def tokens(text: str) -> LoopEvent:
            return TokensGenerated(self.run_id, iteration, self.at(), text)

        if sampling or repair_turn:
            first = greedy if repair_turn == 1 else None
            raw, stats, seconds = yield from self.sample(
                messages, params, tokens, first
            )
        else:
            raw, stats, seconds = yield from self.stream(
                "generator", messages, params, tokens
            )
        code = extract_code(raw, self.task.entry_point)
        yield GenerationFinished(
            self.run_id,
            iteration,
            self.at(),
            raw=raw,
            code=code,
            tokens=stats.completion_tokens if stats else 0,
            seconds=seconds,
            prompt_tokens=stats.prompt_tokens if stats else 0,
            cached_tokens=stats.cached_tokens if stats else 0,
            prompt=prompts.render(messages),
        )
        self.check_cancel()
        return raw, code

    def critique(
        self,
        role: Role,
        messages: list[ChatMessage],
    ) -> Generator[LoopEvent, None, str]:
        """Critic stage: stream the critic and return its cleaned reflection."""
        iteration = self.iteration
        yield from self.engine_for(role)
        yield CriticStarted(
            self.run_id, iteration, self.at(), role, self.engines.model_id(role)
        )
        raw, stats, seconds = yield from self.stream(
            role,
            messages,
            self.role_params(role),
            lambda text: CriticTokens(self.run_id, iteration, self.at(), role, text),
        )
        reflection = clean_reflection(raw)
        yield CriticFinished(
            self.run_id,
            iteration,
            self.at(),
            role,
            raw=raw,
            reflection=reflection,
            tokens=stats.completion_tokens if stats else 0,
            seconds=seconds,
            prompt=prompts.render(messages),
        )
        self.check_cancel()
        return reflection

    def feedback_for(
        self, code: str, error: CompileError | None, result: CheckResult | None
    ) -> Generator[LoopEvent, None, str | None]:
        """What the next iteration's generator is told, per pipeline kind."""
        kind = self.pipeline.kind
        if kind == "feedback":
            return prompts.raw_feedback(error, result)
        if kind not in ("two-stage", "three-stage"):
            return None
        role: Role = "syntax_critic"
        if kind == "three-stage" and error is None:
            role = "logic_critic"
        family = self.families.get(role, "")
        if error is not None and error is not NO_CODE:
            messages = prompts.syntax_critic_messages(code, error, family)
        elif error is NO_CODE:
            return prompts.raw_feedback(error, None)
        else:
            assert result is not None
            messages = prompts.logic_critic_messages(self.task, code, result, family)
        reflection = yield from self.critique(role, messages)
        return prompts.critic_feedback(reflection, error, result)

    def check(
        self, code: str
    ) -> Generator[LoopEvent, None, tuple[CompileError | None, CheckResult | None]]:
        """Syntax stage, then (if it compiles) the visible tests."""
        iteration = self.iteration
        verdict = self.verdict(code)
        error, result = verdict.error, verdict.result
        yield SyntaxChecked(
            self.run_id, iteration, self.at(), ok=error is None, error=error
        )
        if result is None:
            return error, None
        yield TestsFinished(
            self.run_id,
            iteration,
            self.at(),
            results=result.tests,
            passed=result.passed,
            total=result.total,
            stdout=result.stdout,
            stderr=result.stderr,
            seconds=verdict.seconds,
        )
        self.check_cancel()
        return None, result

    def verdict(self, code: str) -> _Verdict:
        """The syntax check, then (if it compiles) the visible tests, of one code;
        run once per code in a run (``verdicts``)."""
        if (known := self.verdicts.get(code)) is not None:
            return known
        error = self.sandbox.check_syntax(code) if code.strip() else NO_CODE
        self.check_cancel()
        result, seconds = None, 0.0
        if error is None and self.task.visible_tests:
            begun = self.clock()
            result = self.sandbox.run_tests(
                code,
                self.task.visible_tests,
                setup=self.task.setup_code,
                entry_point=self.task.entry_point,
            )
            seconds = self.clock() - begun
        verdict = self.verdicts[code] = _Verdict(error, result, seconds)
        return verdict

    # -- the run -----------------------------------------------------------------

    def iterations(self) -> Generator[LoopEvent, None, int | None]:
        """Run iterations until the visible tests pass; return the passing iteration."""
        previous_reply: str | None = None
        feedback: str | None = None
        for iteration in range(1, self.max_iters + 1):
            self.check_cancel()
            self.iteration = iteration
            begun = self.clock()
            yield IterationStarted(self.run_id, iteration, self.at())
            raw, code = yield from self.generate(previous_reply, feedback)
            code, renamed = self.harmonized(code)
            if renamed is not None:
                yield NameHarmonized(self.run_id, iteration, self.at(), *renamed)
            error, result = yield from self.check(code)
            passed = result.passed if result else 0
            total = result.total if result else 0
            ok = _passes(error, result)
            status: IterationStatus = "passed" if ok else "failed"
            if error is NO_CODE:
                status = "no_code"
            elif error is not None:
                status = "syntax_error"
            repairable = not ok and self.pipeline.repair_rounds > 0
            self.attempts.append(
                _Attempt(
                    iteration,
                    code,
                    passed,
                    total,
                    ok,
                    error is None,
                    raw,
                    prompts.raw_feedback(error, result) if repairable else "",
                )
            )
            yield IterationFinished(
                self.run_id,
                iteration,
                self.at(),
                status,
                passed,
                total,
                self.clock() - begun,
            )
            if self.edge_target is not None:
                if (yield from self.judge_edge_repair(ok, code)):
                    return self.first_pass()
                # Another repair turn of the same candidate, sampled.
                assert feedback is not None  # the edge feedback that began the turns
                yield FeedbackPrepared(self.run_id, iteration, self.at(), feedback)
                continue
            if ok and self.probes:
                if self.vote(iteration, code):
                    return self.first_pass()
            elif ok and self.pipeline.tester_asserts and iteration > 1:
                if (yield from self.vet(code)):
                    return self.first_pass()
            elif ok:
                feedback = yield from self.edge_feedback(iteration, code)
                if feedback is None:
                    return iteration
                previous_reply = raw
                yield FeedbackPrepared(self.run_id, iteration, self.at(), feedback)
                continue
            if iteration == self.max_iters or self.pipeline.kind == "one-shot":
                break
            if self.pipeline.kind == "select":
                previous_reply, feedback = self.repair_source(iteration)
            else:
                feedback = yield from self.feedback_for(code, error, result)
                previous_reply = raw
            if feedback:
                yield FeedbackPrepared(self.run_id, iteration, self.at(), feedback)
        return self.first_pass()

    def repair_source(self, iteration: int) -> tuple[str | None, str | None]:
        """For ``select``: what the next iteration repairs, or (None, None) to sample.

        The last ``repair_rounds`` iterations repair instead of sampling: the first
        feeds the best failing candidate's raw error back (most visible tests
        passed, compiling, earliest: the greedy one when it compiles), each later
        one the previous repair's."""
        first_repair = self.max_iters - self.pipeline.repair_rounds + 1
        if iteration + 1 < first_repair or self.first_pass() is not None:
            return None, None
        best = self.attempts[-1]
        if iteration + 1 == first_repair:
            best = max(
                self.attempts, key=lambda a: (a.passed, a.compiles, -a.iteration)
            )
        self.repairs[iteration + 1] = best.iteration
        return best.raw, best.feedback

    def edges(self, code: str) -> Generator[LoopEvent, None, EdgeCheck | None]:
        """Run a passing candidate on the edge-check inputs; None when it has none."""
        check = self.edge_check(code)
        if check is None:
            return None
        yield EdgesChecked(
            self.run_id,
            self.iteration,
            self.at(),
            inputs=len(check.behaviour),
            crashed=len(check.crashes),
            shown=tuple(str(crash) for crash in check.shown),
        )
        self.check_cancel()
        return check

    def edge_check(self, code: str) -> EdgeCheck | None:
        """A code's run on the edge-check inputs, once per code in a run; None when
        the task gives it none."""
        if code in self.edge_checks:
            return self.edge_checks[code]
        entry = self.task.entry_point
        inputs = check_inputs(self.task.visible_tests, entry) if entry else []
        check = None
        if entry and inputs:
            check = run_check(
                self.sandbox, code, entry, inputs, setup=self.task.setup_code
            )
        self.edge_checks[code] = check
        return check

    def edge_feedback(
        self, iteration: int, code: str
    ) -> Generator[LoopEvent, None, str | None]:
        """For ``select`` with ``[edges]``: run a passing candidate on boundary
        inputs; the repair turn's feedback when it crashes on some, else None."""
        if not self.pipeline.edge_repair or iteration >= self.max_iters:
            return None
        check = yield from self.edges(code)
        if check is None or not check.crashes:
            return None
        self.edge_target = (iteration, check)
        # Samples a batch drew ahead of this candidate are of the task, not of
        # the repair: the repair turns draw their own.
        yield from self.discard_drawn()
        return prompts.edge_feedback(check.shown)

    def judge_edge_repair(
        self, ok: bool, code: str
    ) -> Generator[LoopEvent, None, bool]:
        """Keep the edge-case repair just checked only if it fixes a crash of the
        candidate and returns the same on every other check input. True when the
        repair turns are over: this one was kept, or none is left."""
        assert self.edge_target is not None
        target, before = self.edge_target
        self.chosen = target
        turn = self.edge_turn()
        over = turn >= self.pipeline.edge_repair or self.iteration >= self.max_iters
        crashed = len(before.crashes)
        if not ok:
            self.edge_verdict = FAILS_VISIBLE
            return over
        after = yield from self.edges(code)
        assert after is not None  # the inputs the candidate itself was checked on
        if repair_keeps(before, after):
            self.chosen = self.iteration
            fixed = sum(1 for index in before.crashes if index not in after.crashes)
            which = "its repair" if turn == 1 else f"its repair turn {turn}"
            self.edge_verdict = (
                f"candidate {target} passes every visible test but crashed on "
                f"{crashed} of {len(after.behaviour)} check inputs; {which} "
                f"handles {fixed} of them and returns the same on all the others"
            )
            return True
        if all(index in after.crashes for index in before.crashes):
            self.edge_verdict = f"{STILL_CRASHES} on all {crashed} inputs"
        else:
            self.edge_verdict = CHANGES_RESULTS
        return over

    def vet(self, code: str) -> Generator[LoopEvent, None, bool]:
        """Run the latest candidate, a passing sample, on the tester's extra asserts.

        Returns True when sampling can stop: it passes them all, or no assert could
        be written, or (before any is written) no later candidate could compete.
        Keeps ``chosen`` on the passing candidate that passes most, earliest."""
        if self.asserts is None:
            if self.iteration == self.max_iters and self.first_pass() == self.iteration:
                return True
            self.asserts = yield from self.write_asserts()
        if not self.asserts:
            return True
        attempt = self.attempts[-1]
        result = self.sandbox.run_tests(
            code,
            self.asserts,
            setup=self.task.setup_code,
            entry_point=self.task.entry_point,
        )
        attempt.extra = result.passed
        yield AssertsChecked(
            self.run_id,
            self.iteration,
            self.at(),
            result.passed,
            result.total,
            result.tests,
        )
        self.check_cancel()
        vetted = [a for a in self.attempts if a.extra is not None]
        self.chosen = max(vetted, key=lambda a: (a.extra or 0, -a.iteration)).iteration
        return result.passed == result.total

    def write_asserts(self) -> Generator[LoopEvent, None, list[str]]:
        """The tester stage: the generator model writes asserts from the task alone."""
        yield AssertWriterStarted(self.run_id, self.iteration, self.at())
        params = dataclasses.replace(
            self.role_params("generator"),
            temperature=0.0,
            max_tokens=TESTER_MAX_TOKENS,
        )
        messages = assert_messages(self.task, self.pipeline.tester_asserts)
        raw, stats, seconds = yield from self.stream(
            "generator", messages, params, None
        )
        asserts = parse_asserts(
            raw, self.task.visible_tests, self.pipeline.tester_asserts
        )
        yield AssertsWritten(
            self.run_id,
            self.iteration,
            self.at(),
            asserts=tuple(asserts),
            raw=raw,
            tokens=stats.completion_tokens if stats else 0,
            seconds=seconds,
            prompt=prompts.render(messages),
        )
        self.check_cancel()
        return asserts

    def first_pass(self) -> int | None:
        """The first iteration whose candidate passed every visible test."""
        return next((a.iteration for a in self.attempts if a.ok), None)

    def vote(self, iteration: int, code: str) -> bool:
        """Run a passing candidate on the probes; True once consensus settles."""
        assert self.task.entry_point is not None
        outcomes = self.sandbox.call_batch(
            code,
            self.task.entry_point,
            self.probes,
            setup=self.task.setup_code,
            per_call_timeout_s=PROBE_CALL_TIMEOUT_S,
            total_timeout_s=PROBE_TOTAL_TIMEOUT_S,
        )
        behaviour = tuple(outcome_key(o.status, o.value, o.message) for o in outcomes)
        self.votes.append(Vote(iteration, behaviour))
        consensus = group_votes(self.votes)
        self.chosen = consensus.winner
        return settled(consensus, self.pipeline.consensus_support)

    def consensus(self) -> Consensus:
        return group_votes(self.votes)

    def final_attempt(self, first_pass: int | None) -> _Attempt | None:
        """The passing attempt, else the best: most tests passed, compiling, latest."""
        if not self.attempts:
            return None
        if self.chosen is not None:
            return self.attempts[self.chosen - 1]
        if first_pass is not None:
            return self.attempts[first_pass - 1]
        return max(self.attempts, key=lambda a: (a.passed, a.compiles, a.iteration))

    def selection(self, final: _Attempt, first_pass: int | None) -> CandidateSelected:
        """Why ``final`` was chosen; scores are group sizes under consensus."""
        scores = tuple(float(a.passed) for a in self.attempts)
        if first_pass is None:
            reason = "no candidate passed; kept the one passing most visible tests"
        elif self.edge_target is not None and self.chosen not in (None, first_pass):
            reason = self.edge_verdict
        elif self.edge_target is not None:
            turns = self.edge_turn()
            dropped = (
                "its repair was not kept"
                if turns <= 1
                else f"none of its {turns} repair turns was kept; the last"
            )
            reason = (
                "first candidate to pass every visible test; it crashed on "
                f"{len(self.edge_target[1].crashes)} check inputs, and {dropped}: "
                f"{self.edge_verdict or 'the run ended first'}"
            )
        elif first_pass in self.repairs:
            reason = (
                f"no sample passed; the raw-error repair of candidate "
                f"{self.repairs[first_pass]} passes every visible test"
            )
        elif self.asserts and final.extra is not None:
            vetted = sum(1 for a in self.attempts if a.extra is not None)
            reason = (
                f"passes {final.extra} of the {len(self.asserts)} extra asserts the "
                f"model wrote, most of the {vetted} samples passing the visible tests"
            )
            if vetted == 1:
                reason = (
                    f"the only sample to pass the visible tests; passes "
                    f"{final.extra} of the {len(self.asserts)} extra asserts"
                )
            scores = tuple(float(a.extra or 0) for a in self.attempts)
        elif first_pass >= self.first_plan:
            reason = (
                "no candidate of the task prompt passed; this one, drawn from the "
                "plan prompt, is the first to pass every visible test"
            )
        elif not self.votes:
            reason = "first candidate to pass every visible test"
        else:
            consensus = self.consensus()
            passing = len(self.votes)
            reason = (
                f"{consensus.support} of {passing} candidates passing the visible "
                f"tests agree on {len(self.probes)} probe inputs"
            )
            if consensus.support == 1 and passing == 1:
                reason = (
                    "the only candidate to pass the visible tests "
                    f"(checked on {len(self.probes)} probe inputs)"
                )
            scores = tuple(
                float(consensus.group_size(a.iteration)) for a in self.attempts
            )
        return CandidateSelected(
            self.run_id,
            self.iteration,
            self.at(),
            candidate=final.iteration,
            reason=reason,
            scores=scores,
        )

    def events(self) -> Iterator[LoopEvent]:
        status = "failed"
        first_pass: int | None = None
        try:
            first_pass = yield from self.iterations()
            status = "passed" if first_pass is not None else "failed"
        except _Cancelled:
            status = "cancelled"
        except LscError as exc:
            status = "error"
            yield RunFailed(self.run_id, self.iteration, self.at(), str(exc), exc.title)
        except (
            Exception
        ) as exc:  # an engine or sandbox crash must not kill the front end
            status = "error"
            message = f"{type(exc).__name__}: {exc}".splitlines()[0]
            yield RunFailed(
                self.run_id, self.iteration, self.at(), message, "Unexpected error"
            )
        yield from self.discard_drawn()
        final = self.final_attempt(first_pass)
        final_code = final.code if final else ""
        if self.pipeline.kind == "select" and final is not None:
            yield self.selection(final, first_pass)
        hidden = None
        scoring = self.clock()
        if (
            self.score_hidden is not None
            and status != "cancelled"
            and final_code.strip()
        ):
            hidden = self.score_hidden(self.task, final_code)
        hidden_seconds = self.clock() - scoring if hidden is not None else 0.0
        yield RunFinished(
            self.run_id,
            self.iteration,
            self.at(),
            status=status,  # type: ignore[arg-type]
            success=first_pass is not None,
            first_attempt_passed=first_pass == 1,
            first_pass_iteration=first_pass,
            final_code=final_code,
            seconds=self.at(),
            hidden=hidden,
            hidden_seconds=round(hidden_seconds, 6),
        )


def new_run_id() -> str:
    """A short unique run id."""
    return uuid.uuid4().hex[:12]


def run_loop(
    task: Task,
    pipeline: Pipeline,
    engines: EngineProvider,
    sandbox: SandboxLike,
    cancel: threading.Event | None = None,
    *,
    run_id: str | None = None,
    max_iters: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    families: Mapping[str, str] | None = None,
    score_hidden: HiddenScorer | None = None,
    models: tuple[RoleModel, ...] = (),
) -> Iterator[LoopEvent]:
    """Run ``task`` through ``pipeline``, yielding every event until RunFinished.

    Args:
        task: what to solve; only its visible tests reach models.
        pipeline: the recipe whose ``kind`` decides what follows a failure.
        engines: gives the engine per role, loading on first use.
        sandbox: compiles and tests candidates out of process.
        cancel: set it to stop within a fraction of a second (RunFinished "cancelled").
        max_iters: overrides the pipeline's maximum of iterations.
        clock: the time source for every event's ``at`` (inject for determinism).
        families: model family per role, for family-specific prompt tweaks.
        score_hidden: called once with the final code to score hidden tests.
        models: role -> model descriptions recorded in RunStarted.
    """
    run_id = run_id or new_run_id()
    loop = _Loop(
        task,
        pipeline,
        engines,
        sandbox,
        cancel or threading.Event(),
        run_id,
        max_iters or pipeline.max_iters,
        clock,
        families or {},
        score_hidden,
    )
    yield RunStarted(
        run_id,
        0,
        loop.at(),
        task_id=task.task_id,
        description=task.description,
        visible_tests=task.visible_tests,
        pipeline=pipeline.name,
        max_iters=loop.max_iters,
        models=models,
    )
    yield from loop.events()

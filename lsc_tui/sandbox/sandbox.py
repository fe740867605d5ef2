"""The Sandbox: syntax checks, assert tests and batched calls in contained processes.

Verdict rules of :meth:`Sandbox.run_tests` (the trusted parent decides them all;
exit codes, stdout, stderr and files the candidate writes never count):

- ``passed`` iff there is at least one test and every test passed;
- else ``syntax_error`` if the candidate did not compile (every test ``not_run``);
- else ``crashed`` if the candidate crashed or raised at import, so that no test
  could run;
- else ``timeout`` if some test timed out and none failed, errored or crashed;
- else ``failed``.

With zero tests the verdict is never ``passed``: it is ``failed`` (or
``syntax_error``) with a note, and callers check syntax with :meth:`check_syntax`.

Each test runs in a fresh interpreter. Asserts are parsed in the parent; only the
entry point's calls (with literal arguments sent as data) run in the sandbox,
values come back as exact built-in types, and the parent evaluates the rest of the
assert. Tests that cannot be judged that way run whole in the sandbox and are
marked ``weak``. :meth:`Sandbox.call_batch` runs many inputs in one process, the
parent comparing every output itself.
"""

from __future__ import annotations

import ast
import re
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from lsc_tui.errors import SandboxError
from lsc_tui.sandbox import judge, plan, tiers, wire
from lsc_tui.sandbox.limits import Limits
from lsc_tui.sandbox.process import ChildOutput, decode_output, run_child
from lsc_tui.sandbox.result import (
    CheckResult,
    CompileError,
    TestResult,
    TestStatus,
    Verdict,
)
from lsc_tui.sandbox.tiers import TierStatus

if TYPE_CHECKING:
    from lsc_tui.settings import Settings

CallStatus = Literal["ok", "error", "timeout", "crashed", "not_run"]
_STARTUP_MARGIN_S = 2.0
_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_TIER_ALIASES = {
    "unsafe": tiers.UNSAFE,
    "landlock": tiers.LANDLOCK,
    "bwrap": tiers.BUBBLEWRAP,
}


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """The result of one input of :meth:`Sandbox.call_batch`."""

    status: CallStatus
    value: Any = None
    """The return value rebuilt in the parent as exact built-in types."""
    message: str = ""


def source_problem(code: str) -> CompileError | None:
    """Reject source that is not clean UTF-8 or that declares another encoding."""
    try:
        data = code.encode("utf-8")
    except UnicodeEncodeError as exc:
        return CompileError("SyntaxError", f"(unicode error) {exc.reason}", None, None)
    lines = data.splitlines()[:2]
    for number, line in enumerate(lines, 1):
        match = _CODING_RE.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace").lower().replace("_", "-")
            if name not in {"utf-8", "utf8", "utf-8-sig"}:
                return CompileError(
                    "SyntaxError",
                    f"source declares encoding {name!r}; only UTF-8 is accepted",
                    number,
                    1,
                    line.decode("utf-8", "replace"),
                )
            break
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def decode_source(data: bytes) -> str | CompileError:
    """Decode file bytes strictly as UTF-8, or describe why not like Python does."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return CompileError("SyntaxError", f"(unicode error) {exc}", line, None)


def _exit_detail(out: ChildOutput) -> str:
    code = out.returncode
    if code is None:
        return "it did not exit"
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"exit status {code}"
    return f"exit status {code}"


class Sandbox:
    """Runs candidate code in the strongest available containment tier."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        allow_unsafe: bool = False,
        tier: str | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.allow_unsafe = allow_unsafe
        self._requested = _TIER_ALIASES.get(tier, tier) if tier else None
        self._tier: TierStatus | None = None
        self._compiled: tuple[str, CompileError | None, tuple[str, ...]] | None = None
        """The last code the child compiled and its verdict: the loop checks a
        candidate's syntax and then runs its tests, which would compile it again
        in a second process."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Sandbox:
        """A sandbox with the user's limits and unsafe-mode choice."""
        limits = Limits(
            test_timeout_s=settings.test_timeout_s,
            total_timeout_s=settings.total_timeout_s,
            memory_mb=settings.memory_mb,
            output_limit_bytes=settings.output_limit_bytes,
        )
        return cls(limits, allow_unsafe=settings.allow_unsafe_sandbox)

    @property
    def tier(self) -> TierStatus:
        """The active tier; raises SandboxError when none may be used."""
        if self._tier is None:
            self._tier = self._choose_tier()
        return self._tier

    def _choose_tier(self) -> TierStatus:
        statuses = {s.name: s for s in tiers.probe_tiers()}
        if self._requested is not None:
            status = statuses.get(self._requested)
            if status is None:
                names = ", ".join(tiers.TIER_NAMES)
                raise SandboxError(
                    f"unknown sandbox tier {self._requested!r}; use {names}"
                )
            if status.name == tiers.UNSAFE and not self.allow_unsafe:
                raise SandboxError("the unsafe tier needs allow_unsafe_sandbox = true")
            if not status.available:
                raise SandboxError(
                    f"sandbox tier {status.name} is unavailable: {status.reason}"
                )
            return status
        for name in (tiers.BUBBLEWRAP, tiers.LANDLOCK):
            if statuses[name].available:
                return statuses[name]
        if self.allow_unsafe:
            return statuses[tiers.UNSAFE]
        why = "; ".join(
            f"{s.name}: {s.reason}" for s in statuses.values() if not s.available
        )
        raise SandboxError(
            f"no containment tier works here ({why}); install bubblewrap, "
            "or set allow_unsafe_sandbox = true to run code without isolation"
        )

    # --- running one process ------------------------------------------------

    def _rlimits(self, wall_s: float) -> dict[str, int]:
        limits = self.limits
        values = {
            "as": limits.memory_mb << 20,
            "cpu": limits.cpu_seconds(wall_s),
            "fsize": limits.file_size_mb << 20,
            "nofile": limits.open_files,
            "core": 0,
        }
        if self.tier.name == tiers.BUBBLEWRAP:
            values["nproc"] = limits.processes
        return values

    def _spawn(
        self,
        job: dict[str, Any],
        *,
        wall_s: float,
        first_deadline: float,
        next_deadline: Callable[[dict[str, Any], float], float] | None = None,
        output_limit: int | None = None,
    ) -> ChildOutput:
        launch = tiers.launch(self.tier.name, tmpfs_bytes=self.limits.tmpfs_mb << 20)
        full_job = {**job, "rlimits": self._rlimits(wall_s), **launch.job_extras}
        try:
            out = run_child(
                launch.spawn,
                full_job,
                first_deadline=first_deadline,
                next_deadline=next_deadline,
                output_limit=(
                    self.limits.output_limit_bytes
                    if output_limit is None
                    else output_limit
                ),
                result_limit=self.limits.result_limit_bytes,
            )
        except OSError as exc:
            raise SandboxError(
                f"cannot start the sandbox ({self.tier.name}): {exc.strerror or exc}"
            ) from None
        finally:
            tiers.close_launch(launch)
        kinds = [r.get("k") for r in out.records]
        if "confine_failed" in kinds:
            record = out.records[kinds.index("confine_failed")]
            raise SandboxError(
                f"the {self.tier.name} sandbox failed to confine itself: "
                f"{record.get('m', '')}"
            )
        if "ready" not in kinds and not out.timed_out:
            tail = out.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise SandboxError(
                f"the {self.tier.name} sandbox did not start ({_exit_detail(out)}"
                f"{': ' + tail[0][:200] if tail else ''}); run `lsc doctor`"
            )
        return out

    # --- syntax ---------------------------------------------------------------

    def _syntax(self, code: str) -> tuple[CompileError | None, list[str]]:
        problem = source_problem(code)
        if problem is not None:
            return problem, []
        compiled = self._compiled  # read once: threads may share a sandbox
        if compiled is not None and compiled[0] == code:
            return compiled[1], list(compiled[2])
        wall = self.limits.test_timeout_s
        out = self._spawn(
            {"mode": "syntax", "code": code},
            wall_s=wall,
            first_deadline=time.monotonic() + wall + _STARTUP_MARGIN_S,
            output_limit=4096,
        )
        for record in out.records:
            if record.get("k") == "syntax":
                ok = bool(record.get("ok"))
                error = None if ok else _compile_error(record.get("error"))
                listed = record.get("names", []) if ok else []
                names = [n for n in listed if isinstance(n, str)]
                self._compiled = (code, error, tuple(names))  # not a timeout or crash
                return error, names
        if out.timed_out:
            return CompileError(
                "TimeoutError", f"compiling took longer than {wall:g} s", None, None
            ), []
        return CompileError(
            "SystemError", f"the compiler crashed ({_exit_detail(out)})", None, None
        ), []

    def check_syntax(self, code: str) -> CompileError | None:
        """Compile ``code`` inside the sandbox; the first error, or None."""
        return self._syntax(code)[0]

    # --- tests ----------------------------------------------------------------

    def run_tests(
        self,
        code: str,
        tests: Sequence[str],
        *,
        setup: str = "",
        entry_point: str | None = None,
    ) -> CheckResult:
        """Run each test in a fresh sandboxed interpreter; see the module docstring."""
        started = time.monotonic()
        deadline = started + self.limits.total_timeout_s
        tier_name = self.tier.name
        test_sources, imports = _separate_imports(tests)
        compile_error, names = self._syntax(code)
        if compile_error is not None:
            not_run = tuple(
                TestResult(t, "not_run", "the code does not compile")
                for t in test_sources
            )
            return CheckResult(
                "syntax_error",
                compile_error,
                not_run,
                duration_s=time.monotonic() - started,
                tier=tier_name,
            )
        entry = entry_point or plan.guess_entry_point(test_sources, names)
        notes: list[str] = []
        if not test_sources:
            notes.append(
                "there were no tests to run; a check without tests never passes"
            )
        if entry is None and test_sources:
            notes.append(
                "no entry point found; every test ran inside the sandbox (weak)"
            )
        preamble = "\n".join(imports)
        results: list[TestResult] = []
        import_crashes = 0
        stdout_parts: list[bytes] = []
        stderr_parts: list[bytes] = []
        truncated = False
        for source in test_sources:
            now = time.monotonic()
            if now >= deadline:
                results.append(
                    TestResult(source, "not_run", "the total time limit was reached")
                )
                continue
            test_plan = plan.plan_test(source, entry)
            wall = min(self.limits.test_timeout_s, deadline - now)
            out = self._spawn(
                {
                    "mode": "ops",
                    "code": code,
                    "setup": setup,
                    "preamble": preamble,
                    "ops": list(test_plan.ops),
                },
                wall_s=wall,
                first_deadline=now + wall,
            )
            result, crashed_at_import = _judge_test(test_plan, out, wall)
            results.append(result)
            import_crashes += crashed_at_import
            stdout_parts.append(out.stdout)
            stderr_parts.append(out.stderr)
            truncated = truncated or out.output_truncated
        verdict = _verdict(results, import_crashes)
        limit = self.limits.output_limit_bytes
        stdout = b"".join(stdout_parts)
        stderr = b"".join(stderr_parts)
        if entry and any(r.weak for r in results):
            notes.append(
                "tests marked weak ran inside the sandbox and are weaker evidence"
            )
        return CheckResult(
            verdict,
            None,
            tuple(results),
            stdout=decode_output(stdout[:limit], truncated or len(stdout) > limit),
            stderr=decode_output(stderr[:limit], truncated or len(stderr) > limit),
            duration_s=time.monotonic() - started,
            tier=tier_name,
            notes=tuple(notes),
        )

    # --- batches ----------------------------------------------------------------

    def call_batch(
        self,
        code: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        setup: str = "",
        per_call_timeout_s: float | None = None,
        total_timeout_s: float | None = None,
    ) -> list[CallOutcome]:
        """Call ``entry_point(*args)`` for every input, many per process.

        A timeout or crash ends the process; the remaining inputs continue in a
        fresh one. Inputs must be plain data (raises ValueError otherwise).
        """
        per_call = per_call_timeout_s or self.limits.test_timeout_s
        total = total_timeout_s or self.limits.total_timeout_s
        deadline = time.monotonic() + total
        problem = source_problem(code)
        if problem is not None:
            return [
                CallOutcome("error", None, f"{problem.type}: {problem.message}")
            ] * len(inputs)
        try:
            ops = [
                {
                    "t": "apply",
                    "fn": entry_point,
                    "args": wire.encode(list(args), strict=True),
                }
                for args in inputs
            ]
        except wire.WireError as exc:
            raise ValueError(f"call_batch inputs must be plain data: {exc}") from None
        outcomes: list[CallOutcome | None] = [None] * len(ops)
        start = 0
        while start < len(ops):
            now = time.monotonic()
            if now >= deadline:
                break

            def next_deadline(record: dict[str, Any], at: float) -> float:
                return min(at + per_call, deadline)

            out = self._spawn(
                {
                    "mode": "ops",
                    "code": code,
                    "setup": setup,
                    "ops": ops,
                    "start": start,
                },
                wall_s=max(0.0, deadline - now),
                first_deadline=min(now + per_call + _STARTUP_MARGIN_S, deadline),
                next_deadline=next_deadline,
                output_limit=0,
            )
            parsed = _read_records(out.records, start)
            if parsed.import_failure is not None and not parsed.tampered:
                for i in range(start, len(ops)):
                    outcomes[i] = CallOutcome("crashed", None, parsed.import_failure)
                break
            if parsed.tampered or out.protocol_error:
                # Forged records cannot be told from real ones: trust none of them.
                message = out.protocol_error or "the result channel was tampered with"
                for i in range(start, len(ops)):
                    outcomes[i] = CallOutcome("crashed", None, message)
                break
            imported = parsed.imported
            index = start
            for record in parsed.ops:
                outcomes[index] = _call_outcome(record)
                index += 1
            if index >= len(ops):
                break
            if not imported and out.timed_out and time.monotonic() >= deadline:
                break
            if not imported:
                status: CallStatus = "timeout" if out.timed_out else "crashed"
                message = (
                    f"import took longer than {per_call:g} s"
                    if out.timed_out
                    else f"the process died at import ({_exit_detail(out)})"
                )
                for i in range(start, len(ops)):
                    outcomes[i] = CallOutcome(status, None, message)
                break
            elif out.timed_out:
                outcomes[index] = CallOutcome(
                    "timeout", None, f"took longer than {per_call:g} s"
                )
            else:
                outcomes[index] = CallOutcome(
                    "crashed",
                    None,
                    f"the process died during the call ({_exit_detail(out)})",
                )
            start = index + 1
        return [
            o or CallOutcome("not_run", None, "the total time limit was reached")
            for o in outcomes
        ]


@dataclass(slots=True)
class _Records:
    """A runner's records checked against the protocol order."""

    imported: bool = False
    import_failure: str | None = None
    ops: list[dict[str, Any]] = field(default_factory=list)
    tampered: bool = False


def _read_records(records: Sequence[dict[str, Any]], start: int = 0) -> _Records:
    """Check ready, imported|import_failed, ops in order, done; else it is tampering."""
    parsed = _Records()
    state = "ready"
    for record in records:
        kind = record.get("k")
        if state == "ready" and kind == "ready":
            state = "import"
        elif state == "import" and kind == "imported":
            parsed.imported = True
            state = "ops"
        elif state == "import" and kind == "import_failed":
            parsed.import_failure = str(record.get("m", "failed at import"))[:500]
            state = "end"
        elif (
            state == "ops"
            and kind == "op"
            and record.get("i") == start + len(parsed.ops)
        ):
            parsed.ops.append(record)
        elif state in {"ops", "end"} and kind == "done":
            state = "closed"
        else:
            parsed.tampered = True
            break
    return parsed


def _call_outcome(record: dict[str, Any]) -> CallOutcome:
    status = record.get("s")
    message = str(record.get("m", ""))[:500]
    if status == "ok":
        try:
            return CallOutcome("ok", wire.decode(record.get("v")))
        except wire.WireError as exc:
            return CallOutcome("error", None, str(exc))
    if status == "crashed":
        return CallOutcome("crashed", None, message)
    return CallOutcome("error", None, message)


def _compile_error(raw: Any) -> CompileError:
    if not isinstance(raw, dict):
        return CompileError("SystemError", "malformed compile result", None, None)

    def as_int(value: Any) -> int | None:
        return value if type(value) is int else None

    return CompileError(
        type=str(raw.get("type", "SyntaxError"))[:100],
        message=str(raw.get("message", ""))[:500],
        line=as_int(raw.get("line")),
        col=as_int(raw.get("col")),
        text=str(raw.get("text", ""))[:500],
    )


def _separate_imports(tests: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pull pure import statements out of the tests: they are a preamble, not tests."""
    sources: list[str] = []
    imports: list[str] = []
    for source in tests:
        try:
            tree = ast.parse(source.strip(), "<test>", "exec")
        except SyntaxError:
            sources.append(source)
            continue
        if tree.body and all(
            isinstance(n, ast.Import | ast.ImportFrom) for n in tree.body
        ):
            imports.append(source.strip())
        else:
            sources.append(source)
    return sources, imports


def _judge_test(
    test: plan.TestPlan, out: ChildOutput, wall: float
) -> tuple[TestResult, bool]:
    """One test process's records as a TestResult, and whether it died at import."""
    source, weak = test.source, test.weak
    parsed = _read_records(out.records)
    if parsed.import_failure is not None and not parsed.tampered:
        return TestResult(source, "crashed", parsed.import_failure, weak), True
    imported = parsed.imported
    op_records = parsed.ops[: len(test.ops)]
    if parsed.tampered or len(parsed.ops) > len(test.ops):
        message = "the result channel was tampered with"
        return TestResult(source, "crashed", message, weak), False
    if len(op_records) < len(test.ops):
        if out.protocol_error:
            return TestResult(source, "crashed", out.protocol_error, weak), not imported
        if out.timed_out:
            where = "" if imported else " at import"
            return TestResult(
                source, "timeout", f"timed out{where} after {wall:g} s", weak
            ), False
        where = "during the test" if imported else "at import"
        detail = f"the process died {where} ({_exit_detail(out)})"
        return TestResult(source, "crashed", detail, weak), not imported
    if test.expression is None:
        record = op_records[0]
        reported = record.get("s")
        message = str(record.get("m", ""))[:500]
        if reported == "passed":
            return TestResult(source, "passed", message, weak), False
        if reported == "failed":
            return TestResult(source, "failed", message, weak), False
        if reported == "error":
            return TestResult(source, "error", message, weak), False
        if reported == "crashed":
            return TestResult(source, "crashed", message, weak), False
        return TestResult(source, "crashed", "malformed result", weak), False
    values: dict[str, Any] = {}
    for number, record in enumerate(op_records):
        outcome = _call_outcome(record)
        if outcome.status != "ok":
            status: TestStatus = "crashed" if outcome.status == "crashed" else "error"
            return TestResult(source, status, outcome.message, weak), False
        values[plan.PLACEHOLDER.format(number)] = outcome.value
    try:
        verdict = bool(judge.evaluate(test.expression, values))
    except judge.JudgeError as exc:
        return TestResult(source, "error", str(exc), weak), False
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return TestResult(source, "error", message[:300], weak), False
    if verdict:
        return TestResult(source, "passed", "", weak), False
    return TestResult(
        source, "failed", plan.failure_message(test.expression, values), weak
    ), False


def _verdict(results: Sequence[TestResult], import_crashes: int) -> Verdict:
    statuses = [r.status for r in results]
    if statuses and all(s == "passed" for s in statuses):
        return "passed"
    ran = [s for s in statuses if s != "not_run"]
    if ran and import_crashes == len(ran):
        return "crashed"
    if "timeout" in statuses and not {"failed", "error", "crashed"} & set(statuses):
        return "timeout"
    return "failed"

"""Plain result values of the sandbox: what a check found, per test and overall.

These are the shapes of ``lsc check --json`` and of the test results inside loop
events, so they are pure data with no behaviour beyond JSON conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["passed", "failed", "syntax_error", "timeout", "crashed"]
TestStatus = Literal["passed", "failed", "error", "timeout", "crashed", "not_run"]


@dataclass(frozen=True, slots=True)
class CompileError:
    """The first compile error, in the shape Python's compiler reports it."""

    type: str
    message: str
    line: int | None
    col: int | None
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        """The contract's ``compile.error`` object."""
        return {
            "type": self.type,
            "message": self.message,
            "line": self.line,
            "col": self.col,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one test statement, as judged by the trusted parent."""

    __test__ = False  # not a pytest test class

    source: str
    status: TestStatus
    message: str = ""
    weak: bool = False
    """True when the assert ran inside the sandbox instead of being judged by the
    parent (non-literal arguments or setup objects), which is weaker evidence."""

    def to_json(self) -> dict[str, Any]:
        """One entry of the contract's ``tests`` list."""
        return {
            "source": self.source,
            "status": self.status,
            "message": self.message,
            "weak": self.weak,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything one sandbox check of a candidate produced."""

    verdict: Verdict
    compile_error: CompileError | None
    tests: tuple[TestResult, ...] = ()
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    tier: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> int:
        """How many tests passed."""
        return sum(1 for t in self.tests if t.status == "passed")

    @property
    def total(self) -> int:
        """How many tests there were."""
        return len(self.tests)

    def to_json(self) -> dict[str, Any]:
        """The object ``lsc check --json`` prints (DESIGN.md contract)."""
        compile_obj: dict[str, Any] = {"ok": self.compile_error is None}
        if self.compile_error is not None:
            compile_obj["error"] = self.compile_error.to_json()
        return {
            "verdict": self.verdict,
            "passed": self.passed,
            "total": self.total,
            "compile": compile_obj,
            "tests": [t.to_json() for t in self.tests],
            "stdout": self.stdout,
            "stderr": self.stderr,
            "duration_s": round(self.duration_s, 4),
            "tier": self.tier,
        }

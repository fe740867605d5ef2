"""Verdict rules, compile errors, setup code, tiers and call_batch on real processes."""

from __future__ import annotations

import pytest

from lsc_tui.errors import SandboxError
from lsc_tui.sandbox import CallOutcome, Limits, Sandbox, probe_tiers
from lsc_tui.sandbox.sandbox import decode_source, source_problem
from lsc_tui.settings import Settings


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    """The default sandbox (strongest tier here) with short limits."""
    return Sandbox(Limits(test_timeout_s=3.0, total_timeout_s=20.0))


def test_probe_lists_every_tier_with_a_reason() -> None:
    """`lsc doctor` gets one line per tier, strongest first."""
    statuses = probe_tiers()
    assert [s.name for s in statuses] == [
        "bubblewrap",
        "landlock-seccomp",
        "rlimits-only (unsafe)",
    ]
    assert all(s.reason for s in statuses)


def test_all_passed(sandbox: Sandbox) -> None:
    """Every test passing is the only way to get `passed`."""
    result = sandbox.run_tests(
        "def add(a, b):\n    return a + b\n",
        ["assert add(1, 2) == 3", "assert add('a', 'b') == 'ab'"],
    )
    assert (result.verdict, result.passed, result.total) == ("passed", 2, 2)
    assert result.tier == sandbox.tier.name
    assert result.to_json()["compile"] == {"ok": True}


def test_zero_tests_never_pass(sandbox: Sandbox) -> None:
    """Tests that never ran are not a pass."""
    result = sandbox.run_tests("def f():\n    return 1\n", [])
    assert result.verdict == "failed"
    assert result.total == 0
    assert any("no tests" in note for note in result.notes)


def test_syntax_error_shape(sandbox: Sandbox) -> None:
    """The first error comes back as Python's compiler reports it; tests not_run."""
    result = sandbox.run_tests("def f(x):\n    return (x +\n", ["assert f(1) == 1"])
    assert result.verdict == "syntax_error"
    error = result.compile_error
    assert error is not None
    assert (error.type, error.line) == ("SyntaxError", 2)
    assert "never closed" in error.message
    assert error.text.strip() == "return (x +"
    assert [t.status for t in result.tests] == ["not_run"]


def test_indentation_error_type(sandbox: Sandbox) -> None:
    """Subclasses of SyntaxError keep their own type name."""
    error = sandbox.check_syntax("def f():\nreturn 1\n")
    assert error is not None
    assert error.type == "IndentationError"
    assert error.line == 2


def test_compile_time_errors_from_the_code_generator(sandbox: Sandbox) -> None:
    """Errors found after parsing ('return' outside function) are syntax errors too."""
    error = sandbox.check_syntax("x = 1\nreturn x\n")
    assert error is not None
    assert error.type == "SyntaxError"
    assert error.line == 2
    assert error.text == "return x"


def test_source_encoding_rules() -> None:
    """Only UTF-8 is accepted, declared or not."""
    assert source_problem("# -*- coding: utf-8 -*-\nx = 1\n") is None
    latin = source_problem("#!/usr/bin/env python\n# coding=latin-1\nx = 1\n")
    assert latin is not None
    assert latin.line == 2
    assert isinstance(decode_source(b"x = '\xc3\xa9'\n"), str)
    bad = decode_source(b"x = 1\ny = '\xff'\n")
    assert not isinstance(bad, str)
    assert bad.line == 2
    assert "utf-8" in bad.message


def test_timeout_verdict_when_nothing_failed(sandbox: Sandbox) -> None:
    """A timeout with the rest passing is `timeout`; with a failure, `failed`."""
    code = "def f(x):\n    while x == 0:\n        pass\n    return x\n"
    result = sandbox.run_tests(code, ["assert f(1) == 1", "assert f(0) == 0"])
    assert result.verdict == "timeout"
    assert [t.status for t in result.tests] == ["passed", "timeout"]
    result = sandbox.run_tests(code, ["assert f(2) == 1", "assert f(0) == 0"])
    assert result.verdict == "failed"


def test_total_timeout_marks_the_rest_not_run() -> None:
    """Once the total budget is spent, remaining tests are not_run, never passed."""
    sandbox = Sandbox(Limits(test_timeout_s=1.0, total_timeout_s=1.5))
    code = "import time\ndef f(x):\n    time.sleep(10)\n"
    result = sandbox.run_tests(code, [f"assert f({i}) is None" for i in range(4)])
    statuses = [t.status for t in result.tests]
    assert statuses[0] == "timeout"
    assert statuses[-1] == "not_run"
    assert "passed" not in statuses
    assert result.verdict == "timeout"


def test_setup_runs_after_candidate_and_before_tests(sandbox: Sandbox) -> None:
    """MBPP 367/927 style: setup builds objects from the candidate's classes."""
    code = (
        "class Node:\n"
        "    def __init__(self, data):\n"
        "        self.data, self.left, self.right = data, None, None\n"
        "def depth(node):\n"
        "    if node is None:\n        return 0\n"
        "    return 1 + max(depth(node.left), depth(node.right))\n"
    )
    setup = "root = Node(1)\nroot.left = Node(2)\nroot.left.left = Node(3)\n"
    result = sandbox.run_tests(
        code, ["assert depth(root) == 3", "assert depth(None) == 0"], setup=setup
    )
    assert result.verdict == "passed", result
    assert [t.weak for t in result.tests] == [True, False]


def test_explicit_entry_point_and_weak_fallback(sandbox: Sandbox) -> None:
    """A helper-only test runs in the sandbox (weak); the entry point is judged."""
    code = "def helper(x):\n    return x\ndef main(x):\n    return helper(x) * 2\n"
    result = sandbox.run_tests(
        code, ["assert helper(2) == 2", "assert main(2) == 4"], entry_point="main"
    )
    assert result.verdict == "passed"
    assert [t.weak for t in result.tests] == [True, False]


def test_failed_weak_assert_still_explains(sandbox: Sandbox) -> None:
    """An in-sandbox `==` assert still reports expected and actual."""
    result = sandbox.run_tests(
        "def f(x):\n    return x\n", ["assert f(x=1) + 0 == 2"], entry_point="g"
    )
    assert result.tests[0].status == "failed"
    assert result.tests[0].weak
    assert result.tests[0].message == "expected 2, got 1"


def test_call_batch_values_are_plain(sandbox: Sandbox) -> None:
    """call_batch returns exact built-in values for the parent to compare."""
    code = "def f(x, y):\n    return {'sum': x + y, 'pair': (x, y), 'set': {x}}\n"
    outcomes = sandbox.call_batch(code, "f", [(1, 2), (3.5, 1j)])
    assert outcomes[0] == CallOutcome("ok", {"sum": 3, "pair": (1, 2), "set": {1}}, "")
    assert outcomes[1].value["sum"] == 3.5 + 1j


def test_call_batch_import_failure_and_missing_function(sandbox: Sandbox) -> None:
    """A candidate that fails at import, or lacks the function, fails every input."""
    crashed = sandbox.call_batch("raise ValueError('boom')\n", "f", [(1,), (2,)])
    assert [o.status for o in crashed] == ["crashed", "crashed"]
    assert "ValueError: boom" in crashed[0].message
    missing = sandbox.call_batch("def g(x):\n    return x\n", "f", [(1,)])
    assert missing[0].status == "error"
    assert "NameError" in missing[0].message


def test_call_batch_rejects_non_plain_inputs(sandbox: Sandbox) -> None:
    """Inputs must be plain data; anything else is a caller bug."""
    with pytest.raises(ValueError, match="plain data"):
        sandbox.call_batch("def f(x):\n    return x\n", "f", [(object(),)])


def test_call_batch_total_timeout(sandbox: Sandbox) -> None:
    """Inputs after the total budget are not_run."""
    code = "import time\ndef f(x):\n    time.sleep(x)\n    return x\n"
    outcomes = sandbox.call_batch(
        code, "f", [(0,), (5,), (5,), (5,)], per_call_timeout_s=1.0, total_timeout_s=1.5
    )
    statuses = [o.status for o in outcomes]
    assert statuses[:2] == ["ok", "timeout"]
    assert statuses[-1] == "not_run"
    assert "ok" not in statuses[1:]


def test_from_settings_uses_the_limits() -> None:
    """Settings carry the limits and the unsafe opt-in."""
    settings = Settings(test_timeout_s=2.0, memory_mb=300, allow_unsafe_sandbox=True)
    sandbox = Sandbox.from_settings(settings)
    assert sandbox.limits.test_timeout_s == 2.0
    assert sandbox.limits.memory_mb == 300
    assert sandbox.allow_unsafe


def test_unsafe_tier_needs_opt_in() -> None:
    """The rlimits-only tier is refused without the explicit unsafe flag."""
    with pytest.raises(SandboxError, match="allow_unsafe"):
        _ = Sandbox(tier="unsafe").tier
    with pytest.raises(SandboxError, match="unknown sandbox tier"):
        _ = Sandbox(tier="nope").tier
    unsafe = Sandbox(Limits(test_timeout_s=3.0), tier="unsafe", allow_unsafe=True)
    result = unsafe.run_tests("def f():\n    return 1\n", ["assert f() == 1"])
    assert result.verdict == "passed"
    assert result.tier == "rlimits-only (unsafe)"


def test_no_tier_without_opt_in_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no containment tier and no opt-in, the error says what to do."""
    from lsc_tui.sandbox import sandbox as sandbox_module
    from lsc_tui.sandbox.tiers import TierStatus

    fake = [
        TierStatus("bubblewrap", False, "bwrap not found"),
        TierStatus("landlock-seccomp", False, "no Landlock"),
        TierStatus("rlimits-only (unsafe)", True, "unsafe"),
    ]
    monkeypatch.setattr(sandbox_module.tiers, "probe_tiers", lambda: fake)
    with pytest.raises(SandboxError, match="install bubblewrap"):
        _ = Sandbox().tier
    assert Sandbox(allow_unsafe=True).tier.name == "rlimits-only (unsafe)"


def test_a_checked_candidate_is_not_compiled_again_for_its_tests() -> None:
    """The loop checks syntax, then runs the tests: one compile process, not two."""
    sandbox = Sandbox(Limits(test_timeout_s=3.0, total_timeout_s=20.0))
    modes: list[str] = []
    spawn = sandbox._spawn

    def counting(request, **kwargs):  # type: ignore[no-untyped-def]
        modes.append(request["mode"])
        return spawn(request, **kwargs)

    sandbox._spawn = counting  # type: ignore[method-assign]
    code = "def add(a, b):\n    return a + b\n"
    assert sandbox.check_syntax(code) is None
    result = sandbox.run_tests(code, ["assert add(1, 2) == 3"])
    assert result.verdict == "passed"
    assert modes.count("syntax") == 1
    broken = "def f(:\n"
    first = sandbox.check_syntax(broken)
    assert first is not None and sandbox.check_syntax(broken) == first
    assert sandbox.run_tests(broken, ["assert f()"]).verdict == "syntax_error"
    assert modes.count("syntax") == 2
    # Other code is compiled afresh.
    assert sandbox.check_syntax("x = 1\n") is None and modes.count("syntax") == 3

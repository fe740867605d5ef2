"""`lsc check`: run a code file against a file of assert tests in the sandbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.exit_codes import ExitCode
from lsc_tui.errors import TaskError
from lsc_tui.sandbox.result import CheckResult, TestResult

_STATUS_LABELS = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "timeout": "TIMEOUT",
    "crashed": "CRASH",
    "not_run": "SKIP",
}


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TaskError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _read_text(path: Path, what: str) -> str:
    data = _read_bytes(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TaskError(f"{what} {path} is not UTF-8 text") from None


def load_tests(path: Path) -> tuple[list[str], list[str]]:
    """The tests file's statements as (tests, import lines), or TaskError."""
    from lsc_tui.sandbox.plan import split_tests

    text = _read_text(path, "tests file")
    try:
        tests, imports = split_tests(text)
    except SyntaxError as exc:
        raise TaskError(
            f"tests file {path} is not valid Python: line {exc.lineno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise TaskError(f"tests file {path} is not valid Python: {exc}") from None
    if not tests:
        raise TaskError(f"tests file {path} has no tests; add assert statements")
    return tests, imports


def render_report(result: CheckResult) -> str:
    """The readable per-test report printed without --json."""
    lines: list[str] = []
    error = result.compile_error
    if error is not None:
        where = f"line {error.line}" if error.line is not None else "unknown line"
        if error.col is not None:
            where += f", col {error.col}"
        lines.append(f"compile: {error.type}: {error.message} ({where})")
        if error.text:
            lines.append(f"    {error.text}")
    for test in result.tests:
        label = _STATUS_LABELS.get(test.status, test.status.upper())
        weak = " (weak)" if test.weak else ""
        first, *rest = test.source.strip().splitlines() or [""]
        lines.append(f"{label:<8}{first}{' ...' if rest else ''}{weak}")
        if test.message:
            lines.append(f"        {test.message}")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append(
        f"verdict: {result.verdict} ({result.passed}/{result.total} passed) "
        f"in {result.duration_s:.2f} s [sandbox: {result.tier}]"
    )
    return "\n".join(lines)


@click.command("check")
@click.argument("code_file", metavar="CODE.py", type=click.Path(path_type=Path))
@click.option(
    "--tests",
    "tests_file",
    required=True,
    metavar="TESTS.py",
    type=click.Path(path_type=Path),
    help="Assert tests; each top-level statement is one test (imports are shared).",
)
@click.option(
    "--setup",
    "setup_file",
    metavar="SETUP.py",
    type=click.Path(path_type=Path),
    default=None,
    help="Code run after the candidate and before each test.",
)
@click.option(
    "--entry-point",
    metavar="NAME",
    default=None,
    help="Function the tests call (default: the first called name the code defines).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="S",
    help="Seconds per test (default from settings, 5).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(
    code_file: Path,
    tests_file: Path,
    setup_file: Path | None,
    entry_point: str | None,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Run CODE.py against the asserts in TESTS.py inside the sandbox.

    Exit status 0 only when every test passed, 1 when tests failed, 2 for
    unreadable files or tests that are not valid Python.
    """
    from lsc_tui.sandbox import Sandbox
    from lsc_tui.sandbox.sandbox import decode_source
    from lsc_tui.settings import load_settings

    with friendly_errors():
        code_bytes = _read_bytes(code_file, "code file")
        tests, imports = load_tests(tests_file)
        setup = _read_text(setup_file, "setup file") if setup_file else ""
        settings = load_settings(cli={"test_timeout_s": timeout})
        sandbox = Sandbox.from_settings(settings)
        decoded = decode_source(code_bytes)
        if isinstance(decoded, str):
            result = sandbox.run_tests(
                decoded, imports + tests, setup=setup, entry_point=entry_point
            )
        else:
            result = CheckResult(
                "syntax_error",
                decoded,
                tests=tuple(
                    TestResult(t, "not_run", "the code is not valid UTF-8")
                    for t in tests
                ),
                tier=sandbox.tier.name,
            )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        click.echo(render_report(result))
        if result.stdout or result.stderr:
            click.echo(
                "(candidate output was captured; use --json to see it)", err=True
            )
    sys.exit(ExitCode.OK if result.verdict == "passed" else ExitCode.FAILED)

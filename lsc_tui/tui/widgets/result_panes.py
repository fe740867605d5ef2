"""The compiler, tests and critic panes of the dashboard."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import RichLog, Static

from lsc_tui.tui.formatting import role_label
from lsc_tui.tui.run_view import CandidateRecord, IterationRecord

TEST_GLYPHS = {
    "passed": "✔",
    "failed": "✘",
    "error": "✘",
    "timeout": "⏱",
    "crashed": "✘",
    "not_run": "·",
}


class CompilerPane(RichLog):
    """The syntax stage's outcome: the error with line and column, or OK."""

    def show(self, candidate: CandidateRecord | None) -> None:
        """Render the compile result of ``candidate``."""
        self.clear()
        if candidate is None or candidate.syntax_ok is None:
            self.write(Text("waiting for code…", style="dim"))
            self.set_class(False, "-failed")
            self.set_class(False, "-passed")
            return
        if candidate.renamed is not None:
            old, new = candidate.renamed
            self.write(Text(f"renamed {old} → {new} to match the tests", style="dim"))
        error = candidate.syntax_error
        self.set_class(not candidate.syntax_ok, "-failed")
        self.set_class(candidate.syntax_ok, "-passed")
        if candidate.syntax_ok or error is None:
            self.write(Text("✔ compiles", style="bold"))
            return
        where = f"line {error.line}" if error.line is not None else "unknown line"
        if error.col is not None:
            where += f", col {error.col}"
        self.write(Text.assemble(("✘ ", "bold"), (error.type, "bold"), f" at {where}"))
        self.write(Text(error.message))
        if error.text:
            self.write(Text(error.text.rstrip("\n")))
            if error.col is not None and error.col > 0:
                self.write(Text(" " * (error.col - 1) + "^", style="bold"))


class VisibleTestsPane(RichLog):
    """Each visible test with passed or failed and its message."""

    def show(
        self, candidate: CandidateRecord | None, visible_tests: tuple[str, ...]
    ) -> None:
        """Render the test results of ``candidate`` (or the pending tests)."""
        self.clear()
        if candidate is None or not candidate.tests_ran:
            self.set_class(False, "-failed")
            self.set_class(False, "-passed")
            if candidate is not None and candidate.syntax_ok is False:
                self.write(Text("not run: the code does not compile", style="bold"))
            if not visible_tests:
                self.write(Text("no visible tests", style="dim"))
            for source in visible_tests:
                self.write(Text.assemble(("· ", "dim"), (source, "dim")))
            return
        all_passed = candidate.tests_passed == candidate.tests_total
        self.set_class(not all_passed, "-failed")
        self.set_class(all_passed, "-passed")
        self.write(
            Text(
                f"{candidate.tests_passed}/{candidate.tests_total} passed", style="bold"
            )
        )
        for result in candidate.tests:
            glyph = TEST_GLYPHS.get(result.status, "?")
            line = Text.assemble((f"{glyph} ", "bold"), result.source)
            if result.status != "passed":
                line.append(f"  [{result.status}]", style="bold")
            self.write(line)
            if result.message and result.status != "passed":
                self.write(Text(f"    {result.message}", style="italic"))
        if candidate.extra:
            extra_passed = sum(1 for r in candidate.extra if r.status == "passed")
            self.write(
                Text(
                    f"extra asserts the model wrote: {extra_passed}/"
                    f"{len(candidate.extra)} passed (they rank samples, not verdicts)",
                    style="bold",
                )
            )
            for result in candidate.extra:
                glyph = TEST_GLYPHS.get(result.status, "?")
                self.write(Text.assemble((f"{glyph} ", "dim"), (result.source, "dim")))
        edges = candidate.edges
        if edges is not None:
            verdict = (
                f"crashes on {edges.crashed} of {edges.inputs}"
                if edges.crashed
                else f"no crash on {edges.inputs}"
            )
            self.write(
                Text(
                    f"edge check: {verdict} boundary inputs from the visible test",
                    style="bold",
                )
            )
            for crash in edges.shown:
                self.write(Text.assemble(("✗ ", "dim"), (crash, "dim")))
        for label, output in (
            ("stdout", candidate.stdout),
            ("stderr", candidate.stderr),
        ):
            if output.strip():
                self.write(Text(f"{label}:", style="dim"))
                self.write(Text(output.rstrip()[-2000:]))


class CriticPane(VerticalScroll):
    """The critics' feedback as it streams, and the reflection sent back."""

    def compose(self):  # type: ignore[no-untyped-def]
        """A single static that holds the whole text."""
        yield Static(id="critic-text")

    def show(self, record: IterationRecord | None, *, follow: bool = False) -> None:
        """Render iteration ``record``'s feedback; ``follow`` keeps the end in view."""
        body = Text()
        if record is not None:
            for critic in record.critics:
                if body:
                    body.append("\n\n")
                body.append(f"{role_label(critic.role).capitalize()}", style="bold")
                body.append(f" ({critic.model_id})\n", style="dim")
                body.append(critic.text.strip() or "…")
                if critic.reflection is not None:
                    body.append("\nReflection → generator:\n", style="bold")
                    body.append(critic.reflection.strip() or "(empty)")
            if record.feedback and not any(c.reflection for c in record.critics):
                if body:
                    body.append("\n\n")
                body.append("Feedback → generator:\n", style="bold")
                body.append(record.feedback.strip())
            if record.selection_reason:
                if body:
                    body.append("\n\n")
                body.append("Selection: ", style="bold")
                body.append(record.selection_reason)
        if not body:
            body = Text("no critic feedback for this iteration", style="dim")
        self.query_one("#critic-text", Static).update(body)
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)
        else:
            self.scroll_home(animate=False)
        self.border_title = (
            role_label(record.critics[-1].role)
            if record is not None and record.critics
            else "critic"
        )

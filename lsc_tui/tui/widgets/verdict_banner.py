"""The banner that states the run's verdict once it ends."""

from __future__ import annotations

from textual.widgets import Static

from lsc_tui.events import RunFailed, RunFinished

VERDICT_CLASSES = ("-passed", "-failed", "-cancelled", "-error")


def verdict_text(
    finished: RunFinished | None, failed: RunFailed | None
) -> tuple[str, str]:
    """The banner's text and state class for a finished or failed run."""
    if failed is not None:
        return f"✘ {failed.title}: {failed.message}", "-error"
    if finished is None:
        return "", ""
    if finished.status == "cancelled":
        state, headline = "-cancelled", "■ Stopped: partial run kept"
    elif finished.success:
        state, headline = "-passed", "✔ PASSED visible tests"
    else:
        state, headline = "-failed", "✘ FAILED visible tests"
    details: list[str] = []
    if finished.first_pass_iteration is not None:
        details.append(f"first passed at iteration {finished.first_pass_iteration}")
    details.append(
        f"first attempt {'passed' if finished.first_attempt_passed else 'failed'}"
    )
    if finished.hidden is not None:
        hidden = finished.hidden
        verdict = "passed" if hidden.passed else "FAILED"
        details.append(f"hidden tests {verdict} {hidden.passed_count}/{hidden.total}")
    details.append(f"{finished.seconds:.1f}s")
    return f"{headline} · {' · '.join(details)}", state


class VerdictBanner(Static):
    """Hidden while a run is going; states the verdict when it ends."""

    def show(self, finished: RunFinished | None, failed: RunFailed | None) -> None:
        """Show the verdict of the run, or hide the banner."""
        text, state = verdict_text(finished, failed)
        for name in VERDICT_CLASSES:
            self.set_class(name == state, name)
        self.display = bool(text)
        self.update(text)

"""Small text formatters shared by the widgets (sizes, durations, glyphs)."""

from __future__ import annotations

from lsc_tui.tui.run_view import IterationRecord

STATUS_GLYPHS = {
    "passed": "✔",
    "failed": "✘",
    "syntax_error": "⚠",
    "no_code": "∅",
    None: "…",
}


def human_bytes(count: float | None) -> str:
    """``1.1 GB`` style sizes (decimal units, as download pages use)."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def human_duration(seconds: float | None) -> str:
    """``4.2s``, ``1m05s`` or ``1h02m`` style durations."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def iteration_summary(record: IterationRecord, *, run_over: bool = False) -> str:
    """One timeline line: glyph, number, outcome, duration, what prompted it
    (``repair``/``plan``) and a star on the kept candidate."""
    glyph = STATUS_GLYPHS.get(record.status, "?")
    if record.status is None and run_over:
        glyph, outcome = "■", "ended"
    elif record.status is None:
        outcome = "running"
    elif record.status == "syntax_error":
        outcome = "syntax"
    elif record.status == "no_code":
        outcome = "no code"
    else:
        outcome = f"{record.passed}/{record.total}"
    duration = human_duration(record.seconds) if record.seconds is not None else ""
    kept = " ★" if record.kept else ""
    source = f" {record.source}" if record.source else ""
    return f"{glyph} {record.number} {outcome:<6} {duration}{source}{kept}".rstrip()


def role_label(role: str) -> str:
    """``syntax_critic`` -> ``syntax critic``."""
    return role.replace("_", " ")

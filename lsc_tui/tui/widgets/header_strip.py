"""The dashboard's header strip: task, pipeline, role states, speed, RAM, elapsed."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from lsc_tui.tui.formatting import human_bytes, human_duration, role_label
from lsc_tui.tui.run_view import RunView


class HeaderStrip(Static):
    """Two lines summarising the run shown in the dashboard."""

    def show(
        self,
        view: RunView,
        *,
        elapsed: float,
        ram_bytes: int | None,
        mode: str,
    ) -> None:
        """Render ``view``; ``mode`` is idle, running, finished, replay or read-only."""
        if not view.run_id:
            task_line = Content.assemble(
                ("lsc", "bold"),
                "  no run yet: press ",
                ("n", "bold"),
                " for a new task or ",
                ("t", "bold"),
                " for an MBPP task",
            )
        else:
            description = " ".join(view.description.split())
            task_line = Content.assemble((view.task_id, "bold"), "  ", description)
        speed = view.tokens_per_second()
        parts: list[Content | str | tuple[str, str]] = [
            (mode, "bold"),
            ("  ⏱ ", "dim"),
            human_duration(elapsed),
            "  ",
            (f"{speed:.1f} tok/s" if speed is not None else "- tok/s", "bold"),
            ("  RAM ", "dim"),
            human_bytes(ram_bytes) if ram_bytes is not None else "?",
        ]
        if view.pipeline:
            parts.extend([("  pipeline ", "dim"), view.pipeline])
        for role in view.role_names():
            state = view.roles[role]
            parts.extend(["  ", (f"{role_label(role)} ", "dim"), state.model_id or "?"])
            if state.activity != "idle":
                parts.append((f" ({state.activity})", "bold"))
        # Fixed height: skip the (screen-wide) layout pass on every refresh.
        self.update(
            Content("\n").join([task_line, Content.assemble(*parts)]), layout=False
        )

"""The iteration timeline: one entry per iteration with its status and duration."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lsc_tui.tui.formatting import iteration_summary
from lsc_tui.tui.run_view import IterationRecord


class IterationTimeline(OptionList):
    """Lists iterations; choosing one asks the dashboard to show it."""

    class IterationChosen(Message):
        """The user picked an iteration in the timeline."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    def sync(
        self, records: list[IterationRecord], shown: int | None, *, run_over: bool
    ) -> None:
        """Make the entries match ``records`` and highlight iteration ``shown``."""
        for position, record in enumerate(records):
            prompt = iteration_summary(record, run_over=run_over)
            option_id = str(record.number)
            if position < self.option_count:
                if str(self.get_option_at_index(position).prompt) != prompt:
                    self.replace_option_prompt_at_index(position, prompt)
            else:
                self.add_option(Option(prompt, id=option_id))
        while self.option_count > len(records):
            self.remove_option_at_index(self.option_count - 1)
        if shown is not None:
            for position, record in enumerate(records):
                if record.number == shown and self.highlighted != position:
                    with self.prevent(OptionList.OptionHighlighted):
                        self.highlighted = position

    def on_option_list_option_highlighted(
        self, event: OptionList.OptionHighlighted
    ) -> None:
        """Moving through the list with focus shows that iteration."""
        event.stop()
        if self.has_focus and event.option.id is not None:
            self.post_message(self.IterationChosen(int(event.option.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click shows that iteration."""
        event.stop()
        if event.option.id is not None:
            self.post_message(self.IterationChosen(int(event.option.id)))

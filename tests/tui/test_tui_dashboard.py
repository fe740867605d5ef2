"""Pilot tests of the dashboard: replayed runs, navigation, diff, layout, palette."""

from __future__ import annotations

from pathlib import Path

from lsc_tui.events import RunFinished, TokensGenerated
from lsc_tui.loop.pipelines import Pipeline
from lsc_tui.settings import Settings
from lsc_tui.tasks.model import Task
from lsc_tui.tui.app import make_app
from lsc_tui.tui.exports import read_events_jsonl
from lsc_tui.tui.messages import LoopEventPosted
from lsc_tui.tui.widgets.code_view import CodeView
from lsc_tui.tui.widgets.iteration_timeline import IterationTimeline
from lsc_tui.tui.widgets.result_panes import CompilerPane, CriticPane, VisibleTestsPane
from lsc_tui.tui.widgets.verdict_banner import VerdictBanner
from tests.tui.tui_helpers import THREE_STAGE_LOG, THREE_STAGE_MIDRUN_LOG, wait_until


def log_text(pane: CompilerPane | VisibleTestsPane) -> str:
    """Plain text of a RichLog pane."""
    return "\n".join(strip.text for strip in pane.lines)


def fixed_app(settings: Settings, replay: str) -> object:
    """An app replaying ``replay`` with a fixed clock and RAM figure."""
    return make_app(
        settings,
        replay=replay,
        clock=lambda: 100.0,
        memory_probe=lambda: 1_500_000_000,
        store=None,
    )


def scripted_run_app(
    settings: Settings,
    tmp_path: Path,
    task: Task,
    pipeline: Pipeline,
    replies: list[str],
) -> object:
    """The dashboard replaying a loop run of ``task`` on scripted ``replies``."""
    from lsc_tui.engine.fake import FakeProvider, ScriptedEngine
    from lsc_tui.loop.runner import run_loop
    from lsc_tui.tui.exports import write_events_jsonl
    from tests.unit.loop_fakes import FakeSandbox

    engines = FakeProvider(ScriptedEngine(replies))
    events = run_loop(task, pipeline, engines, FakeSandbox(), run_id="r1")
    log = tmp_path / "run.jsonl"
    write_events_jsonl(log, events)
    return fixed_app(settings, str(log))


async def test_replay_shows_every_pane(settings: Settings) -> None:
    """A replayed three-stage run fills timeline, code, tests, verdict."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(160, 48)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        timeline = screen.query_one(IterationTimeline)
        assert timeline.option_count == 3
        prompts = [str(timeline.get_option_at_index(i).prompt) for i in range(3)]
        assert prompts[0].startswith("⚠ 1 syntax")
        assert prompts[1].startswith("✘ 2 1/3")
        assert prompts[2].startswith("✔ 3 3/3")
        assert screen.shown_number == 3
        code = screen.query_one(CodeView)
        assert code.text == "def add_nums(a, b):\n    return a + b\n"
        assert "3/3 passed" in log_text(screen.query_one(VisibleTestsPane))
        banner = screen.query_one(VerdictBanner)
        assert banner.display
        assert banner.has_class("-passed")
        assert "PASSED visible tests" in str(banner.render())
        assert "first attempt failed" in str(banner.render())
        assert screen.has_class("-passed")
        assert not screen.has_class("-running")


async def test_iteration_navigation_and_compiler_mark(settings: Settings) -> None:
    """[ and ] move between iterations; a syntax error marks its line."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(160, 48)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        code = screen.query_one(CodeView)
        await pilot.press("left_square_bracket")
        assert screen.shown_number == 2
        assert not screen.following
        assert "return a - b" in code.text
        tests_text = log_text(screen.query_one(VisibleTestsPane))
        assert "1/3 passed" in tests_text
        assert "✘ assert add_nums(1, 2) == 3" in tests_text
        critic = screen.query_one(CriticPane)
        assert critic.border_title == "logic critic"
        await pilot.press("left_square_bracket")
        assert screen.shown_number == 1
        compiler_text = log_text(screen.query_one(CompilerPane))
        assert "SyntaxError at line 1" in compiler_text
        assert screen.query_one(CompilerPane).has_class("-failed")
        assert code.marked_line == 0
        assert screen.query_one(CriticPane).border_title == "syntax critic"
        await pilot.press("left_square_bracket")
        assert screen.shown_number == 1
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.shown_number == 3
        assert screen.following


async def test_diff_toggle_against_previous_iteration(settings: Settings) -> None:
    """d shows a unified diff of the code against the previous iteration."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(160, 48)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        code = screen.query_one(CodeView)
        await pilot.press("d")
        assert code.code_language == "diff"
        assert "-    return a - b" in code.text
        assert "+    return a + b" in code.text
        await pilot.press("d")
        assert code.code_language == "python"
        assert code.text == "def add_nums(a, b):\n    return a + b\n"


async def test_midrun_replay_streams_into_code_pane(settings: Settings) -> None:
    """Token events append to the code pane without a verdict yet."""
    app = fixed_app(settings, str(THREE_STAGE_MIDRUN_LOG))
    async with app.run_test(size=(80, 24)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        assert screen.has_class("-narrow")
        assert not screen.query_one(VerdictBanner).display
        code = screen.query_one(CodeView)
        partial = code.text
        assert partial.startswith("def add_nums(a, b):")
        assert "```" not in partial
        record = screen.view.current
        assert record is not None and record.status is None
        # Feed one more token batch as a live run would and watch it append.
        screen.run_serial = 7
        last = screen.events[-1]
        more = TokensGenerated(last.run_id, 2, last.at + 0.1, "  # more")
        screen.post_message(LoopEventPosted(more, 7))
        await wait_until(pilot, lambda: code.text == partial + "  # more")
        # A message from a stale run is ignored.
        screen.post_message(LoopEventPosted(more, 3))
        await pilot.pause()
        assert code.text == partial + "  # more"


async def test_streamed_text_is_repainted_at_most_once_per_interval(
    settings: Settings,
) -> None:
    """A token batch after a quiet spell shows at once; the next waits its turn."""
    app = make_app(
        settings,
        replay=str(THREE_STAGE_MIDRUN_LOG),
        clock=lambda: 100.0,
        memory_probe=lambda: 1_500_000_000,
        store=None,
        repaint_s=2.0,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.dashboard
        code = screen.query_one(CodeView)
        partial = code.text
        screen.run_serial = 7
        last = screen.events[-1]

        def post(text: str, at: float) -> None:
            event = TokensGenerated(last.run_id, 2, last.at + at, text)
            screen.post_message(LoopEventPosted(event, 7))

        post("  # one", 0.1)
        await pilot.pause()
        assert code.text == partial + "  # one"  # no repaint for a while: at once
        post("  # two", 0.2)
        await pilot.pause()
        assert code.text == partial + "  # one"  # held back: one repaint per 2 s
        await wait_until(pilot, lambda: code.text.endswith("  # one  # two"))


async def test_palette_lists_every_action(settings: Settings) -> None:
    """The command palette offers each app action by name."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}  # type: ignore[attr-defined]
        for title in (
            "New task",
            "MBPP task by number",
            "Re-run",
            "Stop run",
            "Previous iteration",
            "Next iteration",
            "Toggle diff",
            "Copy code",
            "Export run",
            "Models",
            "History",
            "Help",
        ):
            assert title in titles


async def test_stop_is_greyed_out_when_idle(settings: Settings) -> None:
    """check_action disables stop and re-run without a run."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.check_action("stop_run", ()) is None  # type: ignore[attr-defined]
        assert app.check_action("rerun", ()) is None  # type: ignore[attr-defined]
        assert app.check_action("copy_code", ()) is True  # type: ignore[attr-defined]


async def test_export_and_copy_write_files(settings: Settings) -> None:
    """e exports replayable JSONL and code; c saves the shown code to a file."""
    app = fixed_app(settings, str(THREE_STAGE_LOG))
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("e")
        await pilot.press("c")
        await pilot.pause()
    exports = settings.paths.data_dir / "exports"
    jsonl = sorted(exports.glob("run-*.jsonl"))
    assert len(jsonl) == 1
    replayed = read_events_jsonl(jsonl[0])
    assert replayed == read_events_jsonl(THREE_STAGE_LOG)
    assert isinstance(replayed[-1], RunFinished)
    copied = sorted(exports.glob("*-iter3.py"))
    assert copied
    assert copied[0].read_text() == "def add_nums(a, b):\n    return a + b\n"


async def test_extra_asserts_show_in_the_tests_pane(
    settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A select-asserts run: the vetted sample's tests pane lists the extra asserts."""
    from tests.unit.loop_fakes import GOOD, HACK, TASK, WRONG, make_pipeline
    from tests.unit.test_loop_tester import ASSERTS

    app = scripted_run_app(
        settings,
        tmp_path,
        TASK,
        make_pipeline("select", 4, tester_asserts=5),
        [WRONG, HACK, ASSERTS, GOOD],
    )
    async with app.run_test(size=(160, 48)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        assert screen.shown_number == 3
        text = log_text(screen.query_one(VisibleTestsPane))
        assert "extra asserts the model wrote: 2/2 passed" in text
        assert "assert add(-4, 0) == -4" in text
        await pilot.press("[")
        await pilot.pause()
        assert screen.shown_number == 2
        text = log_text(screen.query_one(VisibleTestsPane))
        assert "1/1 passed" in text and "0/2 passed" in text


async def test_edge_check_and_kept_repair_show_in_the_dashboard(
    settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A select run with [edges]: the crashing pass's tests pane names the crash,
    and the repair it got is the kept, shown candidate."""
    from tests.unit.loop_fakes import make_pipeline
    from tests.unit.test_loop_edges import CRASHY, FIXED, ROTATE

    app = scripted_run_app(
        settings,
        tmp_path,
        ROTATE,
        make_pipeline("select", 4, edge_repair=1),
        [CRASHY, FIXED],
    )
    async with app.run_test(size=(160, 48)) as pilot:  # type: ignore[attr-defined]
        await pilot.pause()
        screen = app.dashboard  # type: ignore[attr-defined]
        assert screen.shown_number == 2
        timeline = screen.query_one(IterationTimeline)
        prompts = [str(timeline.get_option_at_index(i).prompt) for i in range(2)]
        assert "repair" not in prompts[0] and not prompts[0].endswith("★")
        assert prompts[1].endswith("repair ★")
        text = log_text(screen.query_one(VisibleTestsPane))
        assert "edge check: no crash on" in text
        await pilot.press("[")
        await pilot.pause()
        assert screen.shown_number == 1
        text = log_text(screen.query_one(VisibleTestsPane))
        assert "edge check: crashes on 1 of" in text
        assert "rotate([], 1): ZeroDivisionError" in text

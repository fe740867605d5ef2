"""A read-only code view with Python (or diff) highlighting that needs no tree-sitter.

Textual's TextArea highlights through tree-sitter, which is an optional binary extra;
this subclass fills the same highlight map from Pygments (a Rich dependency) instead,
and can mark one line, such as the line a compile error points at.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import (  # type: ignore[import-untyped]
    DiffLexer,
    PythonLexer,
)
from pygments.token import (  # type: ignore[import-untyped]
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    _TokenType,
)
from rich.style import Style
from textual.color import Color
from textual.geometry import Size
from textual.reactive import Reactive, reactive
from textual.widget import Widget
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

CodeLanguage = Literal["python", "diff", "text"]
ERROR_HIGHLIGHT = "lsc.error"
INSERTED_HIGHLIGHT = "lsc.inserted"
DELETED_HIGHLIGHT = "lsc.deleted"
THEME_NAME = "lsc-code"

_TOKEN_NAMES: tuple[tuple[_TokenType, str], ...] = (
    (Keyword.Constant, "boolean"),
    (Keyword.Namespace, "include"),
    (Keyword, "keyword"),
    (Name.Builtin, "type.builtin"),
    (Name.Function, "function"),
    (Name.Class, "class"),
    (Name.Decorator, "function"),
    (String.Doc, "string.documentation"),
    (String, "string"),
    (Number, "number"),
    (Comment, "comment"),
    (Operator.Word, "keyword.operator"),
    (Operator, "operator"),
    (Generic.Inserted, INSERTED_HIGHLIGHT),
    (Generic.Deleted, DELETED_HIGHLIGHT),
    (Generic.Subheading, "comment"),
    (Generic.Heading, "comment"),
)


def _highlight_name(token_type: _TokenType) -> str | None:
    for parent, name in _TOKEN_NAMES:
        if token_type in parent:
            return name
    return None


def highlight_ranges(
    text: str, lexer: Lexer
) -> dict[int, list[tuple[int, int | None, str]]]:
    """Map line index -> (start byte, end byte, highlight name) for ``text``."""
    ranges: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    line = 0
    column = 0
    for _index, token_type, value in lexer.get_tokens_unprocessed(text):
        name = _highlight_name(token_type)
        pieces = value.split("\n")
        for number, piece in enumerate(pieces):
            if number:
                line += 1
                column = 0
            width = len(piece.encode("utf-8"))
            if name is not None and width:
                ranges[line].append((column, column + width, name))
            column += width
    return ranges


class CodeView(TextArea):
    """A read-only TextArea that highlights Python or a diff and can mark a line."""

    cursor_blink: Reactive[bool] = reactive(False, init=False)
    """Off: no cursor is shown, but TextArea's blink timer would still repaint the
    cursor line twice a second while the view has focus, a compositor pass each
    time, CPU taken from llama.cpp while a model streams."""

    DEFAULT_CSS = """
    CodeView {
        border: none;
        padding: 0;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        self.code_language: CodeLanguage = "python"
        """How the text is highlighted."""
        self.marked_line: int | None = None
        """Zero-based line to mark as erroneous, or None."""
        self._relex_from_line: int | None = None
        self._rendered_gutter = 0
        self._lexers: dict[str, Lexer] = {
            "python": PythonLexer(stripnl=False, ensurenl=False),
            "diff": DiffLexer(stripnl=False, ensurenl=False),
        }
        super().__init__(
            "",
            read_only=True,
            show_line_numbers=True,
            soft_wrap=False,
            highlight_cursor_line=False,
            show_cursor=False,
            id=id,
            classes=classes,
        )

    def on_mount(self) -> None:
        """Register a theme whose extra styles derive from the app theme."""
        self._register_code_theme()

    def _app_theme_changed(self) -> None:
        self._register_code_theme()
        super()._app_theme_changed()

    def _register_code_theme(self) -> None:
        base = TextAreaTheme.get_builtin_theme("css")
        syntax = dict(base.syntax_styles) if base is not None else {}
        app_theme = self.app.current_theme
        background = Color.parse(app_theme.background or "black")
        for name, colour in (
            (ERROR_HIGHLIGHT, app_theme.error),
            (INSERTED_HIGHLIGHT, app_theme.success),
            (DELETED_HIGHLIGHT, app_theme.error),
        ):
            tint = Color.parse(colour or "red")
            if name == ERROR_HIGHLIGHT:
                syntax[name] = Style(
                    bgcolor=background.blend(tint, 0.45).rich_color, bold=True
                )
            else:
                syntax[name] = Style(color=tint.rich_color)
        self.register_theme(TextAreaTheme(name=THEME_NAME, syntax_styles=syntax))
        if self.theme == THEME_NAME:
            self._set_theme(THEME_NAME)
        else:
            self.theme = THEME_NAME

    def _refresh_size(self) -> None:
        """Track the document's size without a screen-wide layout pass per new line.

        TextArea assigns ``virtual_size``, a reactive that re-lays out the whole
        screen; while code streams in that happened for every new line and cost
        more CPU than drawing (CPU taken from llama.cpp on small machines). The
        size only decides scrolling here, so it is set quietly and the scrollbars
        are updated the way Textual's own layout does; a layout pass still happens
        when a scrollbar appears or disappears (that reactive asks for one).
        """
        width, height = self.document.get_size(self.indent_width)
        size = Size(width + self.gutter_width + 1, height)
        if size == self.virtual_size:
            return
        self.set_reactive(Widget.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _build_highlight_map(self) -> None:
        highlights = self._highlights
        first_line = self._relex_from_line or 0
        self._relex_from_line = None
        gutter = self.gutter_width
        if first_line and gutter == self._rendered_gutter:
            # Streaming append: earlier lines are unchanged, so re-lex only the
            # tail and keep their rendered strips (the cache key's third item is
            # the document line).
            for line in [n for n in highlights if n >= first_line]:
                del highlights[line]
            cache = self._line_cache
            # LRUCache has no __iter__, hence .keys().
            for key in [k for k in cache.keys() if k[2] >= first_line]:  # noqa: SIM118
                cache.discard(key)
        else:
            highlights.clear()
            self._line_cache.clear()
            first_line = 0
        self._rendered_gutter = gutter
        lexer = self._lexers.get(self.code_language)
        if lexer is not None:
            document = self.document
            tail = "\n".join(
                document.get_line(n) for n in range(first_line, document.line_count)
            )
            for line, spans in highlight_ranges(tail, lexer).items():
                highlights[first_line + line].extend(spans)
        if self.marked_line is not None:
            highlights[self.marked_line].insert(0, (0, None, ERROR_HIGHLIGHT))

    def show(
        self,
        text: str,
        *,
        language: CodeLanguage = "python",
        marked_line: int | None = None,
    ) -> None:
        """Replace the text, highlighting and marked line."""
        changed = (
            text != self.text
            or language != self.code_language
            or marked_line != self.marked_line
        )
        if not changed:
            return
        current = self.text
        if (
            current
            and language == self.code_language
            and marked_line == self.marked_line
            and text.startswith(current)
        ):
            self.append(text[len(current) :])
            return
        self.code_language = language
        self.marked_line = marked_line
        if text != self.text:
            self.load_text(text)
        else:
            self._build_highlight_map()
        # load_text only repaints when the virtual size changes; an iteration with
        # the same shape of code would otherwise keep showing the previous one.
        self.refresh()
        if marked_line is not None:
            self.scroll_to(y=max(0, marked_line - 2), animate=False)

    def append(self, text: str) -> None:
        """Append streamed text at the end, keeping the view on the newest line."""
        if not text:
            return
        self._relex_from_line = self.document.end[0]
        self.insert(text, self.document.end, maintain_selection_offset=True)
        self.scroll_end(animate=False, immediate=False)

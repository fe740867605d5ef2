"""Pure pieces of the llama.cpp engine that need no native library or model file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsc_tui.engine.batch import shared_chunks
from lsc_tui.engine.llama import (
    CHATML_TEMPLATE,
    DEEPSEEK_CODER_TEMPLATE,
    PHI3_TEMPLATE,
    PROMPT_CHUNK,
    _fallback_template,
    _fold_system_into_user,
    _split_at_stop,
    check_gguf_header,
)
from lsc_tui.engine.stderr_guard import captured_stderr
from lsc_tui.errors import ModelError


@pytest.mark.parametrize(
    ("text", "stops", "expected"),
    [
        ("hello world", ("```",), ("hello world", "", False)),
        ("code\n``", ("```",), ("code\n", "``", False)),
        ("code\n```tail", ("```",), ("code\n", "", True)),
        ("ab<|im", ("<|im_end|>",), ("ab", "<|im", False)),
        ("x STOP y", ("STOP", "x"), ("", "", True)),
        ("no stops", (), ("no stops", "", False)),
        ("ends with #", ("###", "#!"), ("ends with ", "#", False)),
    ],
)
def test_split_at_stop(
    text: str, stops: tuple[str, ...], expected: tuple[str, str, bool]
) -> None:
    assert _split_at_stop(text, stops) == expected


def test_split_at_stop_never_leaks_a_stop_string_across_pieces() -> None:
    stops = ("</code>",)
    emitted = ""
    pending = ""
    for piece in ["def f():", " return 1", "</", "co", "de>", "junk"]:
        pending += piece
        out, pending, hit = _split_at_stop(pending, stops)
        emitted += out
        if hit:
            break
    assert emitted == "def f(): return 1"


def test_reuse_keeps_whole_shared_chunks_of_the_prompt() -> None:
    chunk = PROMPT_CHUNK
    prompt = list(range(500))
    assert shared_chunks([], prompt, chunk) == 0
    assert shared_chunks(prompt[: chunk - 1], prompt, chunk) == 0
    assert shared_chunks(prompt[: chunk + 10], prompt, chunk) == chunk
    # Held tokens past the first difference do not count.
    assert (
        shared_chunks(
            [*prompt[: 2 * chunk + 3], -1, *prompt[2 * chunk + 4 :]], prompt, chunk
        )
        == 2 * chunk
    )
    assert shared_chunks(prompt, prompt[: 3 * chunk], chunk) == 3 * chunk
    assert shared_chunks([7, *prompt[1:]], prompt, chunk) == 0


def test_fold_system_into_user_keeps_the_instructions() -> None:
    turns = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Fix it."},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "Again."},
    ]
    folded = _fold_system_into_user(turns)
    assert folded == [
        {"role": "user", "content": "Be terse.\n\nFix it."},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "Again."},
    ]
    assert turns[1]["content"] == "Fix it."  # the input is not mutated
    assert _fold_system_into_user([{"role": "system", "content": "S"}]) == [
        {"role": "user", "content": "S"}
    ]


def test_fallback_template_by_family() -> None:
    assert _fallback_template("deepseek-coder", {}) is DEEPSEEK_CODER_TEMPLATE
    assert _fallback_template("", {"general.name": "Phi3"}) is PHI3_TEMPLATE
    assert _fallback_template("", {"general.name": "deepseek-ai"}) is (
        DEEPSEEK_CODER_TEMPLATE
    )
    assert _fallback_template("qwen2", {}) is CHATML_TEMPLATE


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"does not exist.*lsc models pull gen"):
        check_gguf_header(tmp_path / "nope.gguf", "gen")


def test_non_gguf_file_is_a_one_line_model_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(ModelError) as info:
        check_gguf_header(path, "qwen2.5-coder-0.5b-instruct")
    message = str(info.value)
    assert "fake.gguf is not a valid GGUF file" in message
    assert "lsc models pull qwen2.5-coder-0.5b-instruct" in message
    assert "\n" not in message


def test_gguf_magic_passes_the_header_check(tmp_path: Path) -> None:
    path = tmp_path / "ok.gguf"
    path.write_bytes(b"GGUF" + bytes(20))
    check_gguf_header(path, "ok")


def test_captured_stderr_hides_and_returns_fd2_writes() -> None:
    before = os.fstat(2)
    with captured_stderr() as captured:
        inside = os.fstat(2)
        os.write(2, b"llama_model_load: error loading model\n")
    after = os.fstat(2)
    assert (inside.st_dev, inside.st_ino) != (before.st_dev, before.st_ino)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
    assert captured.text == "llama_model_load: error loading model\n"
    assert captured.last_line() == "llama_model_load: error loading model"

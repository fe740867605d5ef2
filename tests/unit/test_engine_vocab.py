"""Chat formatting and stop tokens on real tokenizers, from vocab-only GGUFs.

The DeepSeek-Coder and Phi-3 weights cannot be fetched here, but llama.cpp ships their
vocabularies (tests/fixtures/vocab/, from the llama-cpp-python 0.3.36 sdist), which is
all that prompt rendering, tokenisation and end-of-turn detection depend on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.engine.base import ChatMessage
from lsc_tui.engine.llama import DEEPSEEK_CODER_TEMPLATE, ChatFormat, load_chat_format
from lsc_tui.errors import ModelError

VOCAB_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "vocab"
CONVERSATION = (
    ChatMessage("system", "You review Python code."),
    ChatMessage("user", "Find the bug."),
)


@pytest.fixture(scope="module")
def deepseek() -> ChatFormat:
    return load_chat_format(
        VOCAB_DIR / "ggml-vocab-deepseek-coder.gguf", family="deepseek-coder"
    )


@pytest.fixture(scope="module")
def phi3() -> ChatFormat:
    return load_chat_format(VOCAB_DIR / "ggml-vocab-phi-3.gguf", family="phi-3")


@pytest.fixture(scope="module")
def qwen2() -> ChatFormat:
    return load_chat_format(VOCAB_DIR / "ggml-vocab-qwen2.gguf", family="qwen2")


def _single_token(chat: ChatFormat, text: str) -> int:
    ids = chat._llama.tokenize(text.encode(), add_bos=False, special=True)
    assert len(ids) == 1, f"{text!r} is {len(ids)} tokens"
    return int(ids[0])


def test_deepseek_uses_the_instruction_response_format(deepseek: ChatFormat) -> None:
    assert not deepseek.from_gguf  # this vocab carries no template: family fallback
    assert deepseek.template == DEEPSEEK_CODER_TEMPLATE
    prompt = deepseek.render(CONVERSATION)
    assert prompt == (
        f"{deepseek.bos_token}You review Python code.\n"
        "### Instruction:\nFind the bug.\n### Response:\n"
    )


def test_deepseek_prompt_has_exactly_one_bos(deepseek: ChatFormat) -> None:
    tokens = deepseek.tokenize(CONVERSATION)
    assert tokens[0] == deepseek.bos_id
    assert tokens.count(deepseek.bos_id) == 1
    assert tokens[1] != deepseek.bos_id


def test_deepseek_stops_on_eot_and_eos(deepseek: ChatFormat) -> None:
    eot = _single_token(deepseek, "<|EOT|>")
    assert deepseek.is_stop_token(eot)
    assert deepseek.is_stop_token(deepseek.eos_id)
    assert not deepseek.is_stop_token(_single_token(deepseek, "def"))
    assert "<|EOT|>" in deepseek.stop_strings


def test_phi3_uses_its_own_template_and_keeps_the_system_text(phi3: ChatFormat) -> None:
    assert phi3.from_gguf
    assert not phi3.supports_system  # Phi-3-mini's template drops system turns
    prompt = phi3.render(CONVERSATION)
    assert prompt == (
        "<s><|user|>\nYou review Python code.\n\nFind the bug.<|end|>\n<|assistant|>\n"
    )


def test_phi3_prompt_tokens_and_stop_tokens(phi3: ChatFormat) -> None:
    tokens = phi3.tokenize(CONVERSATION)
    assert tokens[0] == phi3.bos_id
    assert tokens.count(phi3.bos_id) == 1
    end = _single_token(phi3, "<|end|>")
    assert end in tokens  # the special marker is one token, not its characters
    assert phi3.is_stop_token(end)
    assert not phi3.is_stop_token(_single_token(phi3, "<|assistant|>"))
    assert phi3.strips_first_space  # SentencePiece: the reply's leading space goes


def test_qwen2_chatml_from_gguf(qwen2: ChatFormat) -> None:
    assert qwen2.from_gguf
    prompt = qwen2.render(CONVERSATION)
    assert prompt.startswith("<|im_start|>system\nYou review Python code.<|im_end|>\n")
    assert prompt.endswith(
        "<|im_start|>user\nFind the bug.<|im_end|>\n<|im_start|>assistant\n"
    )
    im_end = _single_token(qwen2, "<|im_end|>")
    assert qwen2.is_stop_token(im_end)
    assert not qwen2.is_stop_token(_single_token(qwen2, "<|im_start|>"))
    assert not qwen2.strips_first_space


def test_vocab_load_of_a_broken_file_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes((VOCAB_DIR / "ggml-vocab-phi-3.gguf").read_bytes()[:4096])
    with pytest.raises(ModelError, match=r"broken\.gguf is not a valid GGUF file"):
        load_chat_format(broken)


def test_a_template_jinja_cannot_compile_falls_back_to_the_family(
    phi3: ChatFormat,
) -> None:
    llama = phi3._llama
    saved = dict(llama.metadata)
    llama.metadata["tokenizer.chat_template"] = "{% if messages %}unclosed"
    try:
        chat = ChatFormat(llama, family="phi-3")
    finally:
        llama.metadata.clear()
        llama.metadata.update(saved)
    assert not chat.from_gguf
    assert chat.render(CONVERSATION).endswith("<|end|>\n<|assistant|>\n")

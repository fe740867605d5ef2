"""The GGUF header reader: real facts from valid files, clear refusals otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.errors import ModelError
from lsc_tui.recipes.gguf import ArraySummary, read_gguf_header, write_gguf

QWEN_LIKE = {
    "general.architecture": "qwen2",
    "general.name": "Tiny Qwen",
    "general.file_type": 15,
    "qwen2.context_length": 32768,
    "qwen2.block_count": 24,
    "qwen2.embedding_length": 896,
    "qwen2.attention.head_count": 14,
    "qwen2.attention.head_count_kv": 2,
    "tokenizer.chat_template": "{{ messages }}",
    "tokenizer.ggml.tokens": [f"t{i}" for i in range(500)],
}
TENSORS = (("token_embd.weight", (896, 64), 12), ("output_norm.weight", (896,), 0))


def test_reads_metadata_tensors_and_kv_size(tmp_path: Path) -> None:
    """Architecture, name, quant, shape facts and per-token KV bytes come back."""
    path = tmp_path / "tiny.gguf"
    size = write_gguf(path, QWEN_LIKE, TENSORS)
    header = read_gguf_header(path)
    assert header.architecture == "qwen2"
    assert header.name == "Tiny Qwen"
    assert header.quant_name == "Q4_K_M"
    assert header.context_length == 32768
    assert header.version == 3
    assert [t.name for t in header.tensors] == [
        "token_embd.weight",
        "output_norm.weight",
    ]
    # Q4_K: 256 elements per 144-byte block.
    assert header.tensors[0].n_bytes == 896 * 64 // 256 * 144
    assert header.expected_size == header.file_size == size
    # 24 layers x 2 KV heads x (64 + 64) dims x 2 bytes (f16).
    assert header.kv_bytes_per_token() == 24 * 2 * 128 * 2
    tokens = header.metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, ArraySummary)
    assert tokens.length == 500
    assert tokens.head[0] == "t0"
    assert header.summary()["has_chat_template"] is True


def test_refuses_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    """A safetensors/zip/text file is refused with a hint, not a traceback."""
    path = tmp_path / "model.gguf"
    path.write_bytes(b"PK\x03\x04 not a model at all")
    with pytest.raises(ModelError, match="not a GGUF file"):
        read_gguf_header(path)


def test_refuses_truncated_tensor_data(tmp_path: Path) -> None:
    """A download cut short is caught: the tensors promise more bytes than exist."""
    path = tmp_path / "cut.gguf"
    size = write_gguf(path, QWEN_LIKE, TENSORS)
    with path.open("r+b") as handle:
        handle.truncate(size - 1)
    with pytest.raises(ModelError, match="truncated"):
        read_gguf_header(path)


def test_refuses_truncated_header(tmp_path: Path) -> None:
    """A file cut inside its metadata is reported as truncated."""
    path = tmp_path / "cut.gguf"
    write_gguf(path, QWEN_LIKE, TENSORS)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelError, match="truncated inside its GGUF header"):
        read_gguf_header(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """Paths that are not files give ModelErrors that say so."""
    with pytest.raises(ModelError, match="does not exist"):
        read_gguf_header(tmp_path / "nope.gguf")
    with pytest.raises(ModelError, match="directory"):
        read_gguf_header(tmp_path)


def test_vocab_only_file_without_tensors(tmp_path: Path) -> None:
    """A vocab-only GGUF (no tensors) is valid and has no weights."""
    path = tmp_path / "vocab.gguf"
    size = write_gguf(path, {"general.architecture": "phi3", "phi3.block_count": 32})
    header = read_gguf_header(path)
    assert header.tensors == ()
    assert header.expected_size == size
    assert header.weights_bytes == 0
    assert header.kv_bytes_per_token() is None

"""A small, dependency-free reader for GGUF file headers.

It reads the metadata key/values and the tensor table, which is enough to tell a
real GGUF from anything else, to spot a truncated download (the tensor data must
reach the end the table promises), and to size the KV cache. Large arrays such as
the tokenizer vocabulary are skipped, not loaded.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lsc_tui.errors import ModelError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
_MAX_STRING = 64 * 1024 * 1024
_MAX_COUNT = 1 << 40
_KEEP_ARRAY_ITEMS = 64

# GGUF metadata value types.
_U8, _I8, _U16, _I16, _U32, _I32, _F32, _BOOL, _STR, _ARR, _U64, _I64, _F64 = range(13)
_SCALAR_FORMATS = {
    _U8: "<B",
    _I8: "<b",
    _U16: "<H",
    _I16: "<h",
    _U32: "<I",
    _I32: "<i",
    _F32: "<f",
    _BOOL: "<?",
    _U64: "<Q",
    _I64: "<q",
    _F64: "<d",
}

# ggml tensor type -> (elements per block, bytes per block), from ggml's type traits.
GGML_BLOCK_SIZES: Mapping[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    16: (256, 66),  # IQ2_XXS
    17: (256, 74),  # IQ2_XS
    18: (256, 98),  # IQ3_XXS
    19: (256, 50),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (256, 110),  # IQ3_S
    22: (256, 82),  # IQ2_S
    23: (256, 136),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (256, 56),  # IQ1_M
    30: (1, 2),  # BF16
    34: (256, 54),  # TQ1_0
    35: (256, 66),  # TQ2_0
    39: (32, 17),  # MXFP4
}

# llama.cpp's llama_ftype (general.file_type) -> the quant name people use.
FILE_TYPE_NAMES: Mapping[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
}


@dataclass(frozen=True, slots=True)
class ArraySummary:
    """A metadata array too long to keep: its element type, length and first items."""

    item_type: int
    length: int
    head: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One entry of the tensor table."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int

    @property
    def n_elements(self) -> int:
        """Number of scalar elements."""
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def n_bytes(self) -> int | None:
        """Bytes the tensor occupies, or None for a ggml type we do not know."""
        block = GGML_BLOCK_SIZES.get(self.ggml_type)
        if block is None:
            return None
        elements_per_block, bytes_per_block = block
        return -(-self.n_elements // elements_per_block) * bytes_per_block


@dataclass(frozen=True, slots=True)
class GGUFHeader:
    """What a GGUF file says about itself."""

    path: Path
    version: int
    metadata: Mapping[str, Any]
    tensors: tuple[TensorInfo, ...]
    data_offset: int
    file_size: int
    expected_size: int | None
    """Where the last tensor ends, or None if a tensor type is unknown."""

    @property
    def architecture(self) -> str:
        """``general.architecture`` (e.g. qwen2, llama, phi3), or ''."""
        return str(self.metadata.get("general.architecture", ""))

    @property
    def name(self) -> str:
        """``general.name``, or ''."""
        return str(self.metadata.get("general.name", ""))

    @property
    def file_type(self) -> int | None:
        """``general.file_type`` (llama_ftype), or None."""
        value = self.metadata.get("general.file_type")
        return int(value) if isinstance(value, int) else None

    @property
    def quant_name(self) -> str:
        """The quant named by ``general.file_type`` (e.g. Q4_K_M), or ''."""
        file_type = self.file_type
        return FILE_TYPE_NAMES.get(file_type, "") if file_type is not None else ""

    @property
    def chat_template(self) -> str:
        """``tokenizer.chat_template``, or ''."""
        return str(self.metadata.get("tokenizer.chat_template", ""))

    def arch_value(self, key: str) -> Any:
        """The architecture-scoped value ``<arch>.<key>``, or None."""
        return self.metadata.get(f"{self.architecture}.{key}")

    @property
    def context_length(self) -> int | None:
        """The model's training context length."""
        value = self.arch_value("context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def vocab_size(self) -> int | None:
        """Number of tokens in the vocabulary, or None if the file does not say."""
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, ArraySummary):
            return tokens.length
        if isinstance(tokens, list):
            return len(tokens)
        value = self.arch_value("vocab_size")
        return int(value) if isinstance(value, int) else None

    @property
    def weights_bytes(self) -> int:
        """Bytes of tensor data (the file minus its header)."""
        end = self.expected_size if self.expected_size is not None else self.file_size
        return max(end - self.data_offset, 0)

    def kv_bytes_per_token(self, bytes_per_element: int = 2) -> int | None:
        """KV-cache bytes one token takes (K and V, all layers), or None if unknown."""
        n_layer = self.arch_value("block_count")
        n_embd = self.arch_value("embedding_length")
        n_head = self.arch_value("attention.head_count")
        if not all(isinstance(v, int) and v > 0 for v in (n_layer, n_embd, n_head)):
            return None
        n_head_kv = self.arch_value("attention.head_count_kv")
        if not isinstance(n_head_kv, int) or n_head_kv <= 0:
            n_head_kv = n_head
        key_length = self.arch_value("attention.key_length")
        value_length = self.arch_value("attention.value_length")
        head_dim = n_embd // n_head
        k_dim = key_length if isinstance(key_length, int) else head_dim
        v_dim = value_length if isinstance(value_length, int) else head_dim
        return int(n_layer * n_head_kv * (k_dim + v_dim) * bytes_per_element)

    def summary(self) -> dict[str, Any]:
        """The facts `lsc models info` shows, as plain JSON-able values."""
        return {
            "architecture": self.architecture,
            "name": self.name,
            "quant": self.quant_name,
            "file_type": self.file_type,
            "gguf_version": self.version,
            "tensors": len(self.tensors),
            "context_length": self.context_length,
            "block_count": self.arch_value("block_count"),
            "embedding_length": self.arch_value("embedding_length"),
            "head_count": self.arch_value("attention.head_count"),
            "head_count_kv": self.arch_value("attention.head_count_kv"),
            "kv_bytes_per_token": self.kv_bytes_per_token(),
            "vocab_size": self.vocab_size,
            "file_size": self.file_size,
            "has_chat_template": bool(self.chat_template),
        }


class _Reader:
    """Sequential little-endian reads that fail as 'truncated' at end of file."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self.handle = handle
        self.path = path

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise ModelError(
                f"{self.path} is truncated inside its GGUF header; "
                "download or copy it again"
            )
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self, what: str) -> int:
        value = int(self.unpack("<Q"))
        if value > _MAX_COUNT:
            raise ModelError(
                f"{self.path} has an implausible {what} ({value}); not GGUF"
            )
        return value

    def string(self) -> str:
        length = self.count("string length")
        if length > _MAX_STRING:
            raise ModelError(f"{self.path} has an implausible string length; not GGUF")
        return self.take(length).decode("utf-8", errors="replace")

    def skip(self, size: int) -> None:
        self.handle.seek(size, 1)

    def value(self, value_type: int) -> Any:
        if value_type in _SCALAR_FORMATS:
            return self.unpack(_SCALAR_FORMATS[value_type])
        if value_type == _STR:
            return self.string()
        if value_type == _ARR:
            item_type = int(self.unpack("<I"))
            length = self.count("array length")
            if length <= _KEEP_ARRAY_ITEMS:
                return [self.value(item_type) for _ in range(length)]
            head = tuple(self.value(item_type) for _ in range(_KEEP_ARRAY_ITEMS // 4))
            remaining = length - len(head)
            if item_type in _SCALAR_FORMATS:
                self.skip(remaining * struct.calcsize(_SCALAR_FORMATS[item_type]))
            else:
                for _ in range(remaining):
                    self.value(item_type)
            return ArraySummary(item_type=item_type, length=length, head=head)
        raise ModelError(f"{self.path} has an unknown GGUF value type {value_type}")


def read_gguf_header(path: Path) -> GGUFHeader:
    """Read the header of ``path``; ModelError if it is not GGUF or is truncated."""
    try:
        file_size = path.stat().st_size
        handle = path.open("rb")
    except FileNotFoundError:
        raise ModelError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ModelError(f"{path} is a directory, not a GGUF file") from None
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = _Reader(handle, path)
        magic = handle.read(4)
        if magic != GGUF_MAGIC:
            raise ModelError(
                f"{path} is not a GGUF file (it does not start with 'GGUF'); "
                "convert it with llama.cpp or pick a .gguf file"
            )
        version = int(reader.unpack("<I"))
        if version not in (2, 3):
            raise ModelError(
                f"{path} uses GGUF version {version}; only 2 and 3 are read"
            )
        n_tensors = reader.count("tensor count")
        n_kv = reader.count("metadata count")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string()
            metadata[key] = reader.value(int(reader.unpack("<I")))
        tensors = []
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = int(reader.unpack("<I"))
            if n_dims > 8:
                raise ModelError(
                    f"{path}: tensor {name} has {n_dims} dimensions; not GGUF"
                )
            shape = tuple(int(reader.unpack("<Q")) for _ in range(n_dims))
            ggml_type = int(reader.unpack("<I"))
            offset = int(reader.unpack("<Q"))
            tensors.append(TensorInfo(name, shape, ggml_type, offset))
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0:
            alignment = DEFAULT_ALIGNMENT
        position = handle.tell()
        data_offset = -(-position // alignment) * alignment
    expected_size = _expected_size(tensors, data_offset) if tensors else position
    header = GGUFHeader(
        path=path,
        version=version,
        metadata=metadata,
        tensors=tuple(tensors),
        data_offset=data_offset,
        file_size=file_size,
        expected_size=expected_size,
    )
    if expected_size is not None and file_size < expected_size:
        raise ModelError(
            f"{path} is truncated: {file_size} bytes, its tensors need "
            f"{expected_size}; download or copy it again"
        )
    if (
        expected_size is None
        and tensors
        and file_size < data_offset + tensors[-1].offset
    ):
        raise ModelError(f"{path} is truncated; download or copy it again")
    return header


def _expected_size(tensors: list[TensorInfo], data_offset: int) -> int | None:
    """The byte offset where the last tensor's data ends."""
    end = 0
    for tensor in tensors:
        size = tensor.n_bytes
        if size is None:
            return None
        end = max(end, tensor.offset + size)
    return data_offset + end


def _encode_value(value: Any) -> tuple[int, bytes]:
    """GGUF type id and bytes of a Python metadata value."""
    if isinstance(value, bool):
        return _BOOL, struct.pack("<?", value)
    if isinstance(value, int):
        if 0 <= value < 1 << 32:
            return _U32, struct.pack("<I", value)
        if -(1 << 31) <= value < 0:
            return _I32, struct.pack("<i", value)
        return _I64, struct.pack("<q", value)
    if isinstance(value, float):
        return _F32, struct.pack("<f", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _STR, struct.pack("<Q", len(raw)) + raw
    if isinstance(value, list | tuple):
        encoded = [_encode_value(item) for item in value]
        item_type = encoded[0][0] if encoded else _U32
        payload = b"".join(data for _, data in encoded)
        return _ARR, struct.pack("<IQ", item_type, len(encoded)) + payload
    raise TypeError(f"cannot store {type(value).__name__} in GGUF metadata")


def write_gguf(
    path: Path,
    metadata: Mapping[str, Any],
    tensors: tuple[tuple[str, tuple[int, ...], int], ...] = (),
    *,
    alignment: int = DEFAULT_ALIGNMENT,
) -> int:
    """Write a small, valid GGUF v3 file with zeroed tensor data; returns its size.

    Meant for tests and demos (fake models for the store, the downloader and the
    TUI); ``tensors`` are ``(name, shape, ggml_type)``.
    """
    header = bytearray(GGUF_MAGIC)
    header += struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value in metadata.items():
        raw_key = key.encode("utf-8")
        value_type, data = _encode_value(value)
        header += struct.pack("<Q", len(raw_key)) + raw_key
        header += struct.pack("<I", value_type) + data
    offset = 0
    data_bytes = 0
    for name, shape, ggml_type in tensors:
        info = TensorInfo(name, tuple(shape), ggml_type, offset)
        size = info.n_bytes
        if size is None:
            raise ValueError(f"unknown ggml type {ggml_type}")
        raw_name = name.encode("utf-8")
        header += struct.pack("<Q", len(raw_name)) + raw_name
        header += struct.pack("<I", len(shape))
        header += b"".join(struct.pack("<Q", dim) for dim in shape)
        header += struct.pack("<IQ", ggml_type, offset)
        data_bytes = offset + size
        offset += -(-size // alignment) * alignment
    if tensors:
        header += b"\0" * (-len(header) % alignment)
    data_end = len(header) + data_bytes
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(data_end)
    return data_end

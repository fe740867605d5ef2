"""A safe, bounded encoding of plain Python data for crossing the sandbox boundary.

Values travel as tagged JSON, never pickle: decoding can only ever build exact
built-in types (None, bool, int, float, complex, str, bytes, list, tuple, dict, set,
frozenset), so a candidate cannot smuggle an always-equal object or an ``int``
subclass into the trusted parent. Subclasses of built-ins are read through the
base type's own methods, so overridden methods never run. Iterators, generators
and views become :class:`OpaqueIterator`, which iterates like the original but is
only equal to itself, as in Python; any other object becomes an
:class:`OpaqueObject` (type name and truthiness only, equal to nothing else).
Containers larger than ``MAX_NODES`` travel as a :class:`ValueDigest` (sha256 of
their marshal form), still compared exactly.
This module is stdlib-only because the sandbox runner imports it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting a value may have (cycles are caught by this bound too)."""
MAX_NODES = 200_000
"""Most elements (counted with repetition) one encoded value may hold; larger
values travel as a :class:`ValueDigest`."""


class WireError(ValueError):
    """A value cannot be encoded, or a message is malformed."""


class OpaqueIterator:
    """The items an iterator produced; iterable, but equal only to itself."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<iterator over {len(self.items)} items>"


class OpaqueObject:
    """A returned object that is not plain data: only its type name and truthiness.

    It is never equal to anything but itself, so an always-equal object cannot
    pass, while ``is not None`` and ``assert f(x)`` behave as in Python.
    """

    __slots__ = ("kind", "truthy")

    def __init__(self, kind: str, truthy: bool) -> None:
        self.kind = kind
        self.truthy = truthy

    def __bool__(self) -> bool:
        return self.truthy

    def __repr__(self) -> str:
        return f"<{self.kind} object>"


class ValueDigest:
    """A value too large to transfer, known by the sha256 of its marshal form.

    Equal only to a digest of identical data (or to a plain value with that
    digest), so a huge output can still be compared exactly; equal values can
    compare unequal (set or dict order), never the reverse.
    """

    __slots__ = ("kind", "length", "sha256")

    def __init__(self, sha256: str, kind: str, length: int) -> None:
        self.sha256 = sha256
        self.kind = kind
        self.length = length

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ValueDigest):
            return self.sha256 == other.sha256
        return digest_of(other) == self.sha256

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"<{self.kind} of {self.length} items, sha256 {self.sha256[:12]}>"


def digest_of(value: Any) -> str | None:
    """The sha256 of ``value``'s marshal bytes (exact built-in types only), or None."""
    import hashlib
    import marshal

    try:
        return hashlib.sha256(marshal.dumps(value, 2)).hexdigest()
    except (ValueError, TypeError, MemoryError, RecursionError):
        return None


def encode_digest(value: Any) -> Any:
    """Tagged data for a value too large to transfer whole, or raise WireError."""
    if type(value) not in {list, tuple, dict, set, frozenset, str, bytes}:
        raise WireError("return value is too large to transfer")
    sha = digest_of(value)
    if sha is None:
        raise WireError("return value is too large to transfer")
    return ["h", sha, type(value).__name__, len(value)]


class _Budget:
    """Counts nodes so a wide or self-sharing value cannot blow up the encoding."""

    __slots__ = ("left", "strict")

    def __init__(self, nodes: int, strict: bool = False) -> None:
        self.left = nodes
        self.strict = strict

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise WireError("value is too large to transfer")


_ITERATOR_TYPES: tuple[type, ...] = (
    type(iter([])),
    type(iter(())),
    type(iter("")),
    type(iter(range(0))),
    type(iter({})),
    type({}.keys()),
    type({}.values()),
    type({}.items()),
    range,
    map,
    filter,
    zip,
    enumerate,
    reversed,
)


def _is_iterator(value: Any) -> bool:
    """True for generators, map/filter/zip objects, ranges and dict views."""
    if isinstance(value, _ITERATOR_TYPES):
        return True
    kind = type(value)
    return kind.__name__ in {"generator", "itertools_chain"} or (
        hasattr(kind, "__next__") and hasattr(kind, "__iter__")
    )


def encode(value: Any, *, max_nodes: int = MAX_NODES, strict: bool = False) -> Any:
    """Turn ``value`` into tagged JSON-ready data, or raise WireError.

    With ``strict`` (inputs from the parent) objects that are not plain data are
    refused instead of becoming opaque.
    """
    if type(value) in {list, tuple, dict, set, frozenset} and len(value) > max_nodes:
        raise WireError("value is too large to transfer")
    return _encode(value, 0, _Budget(max_nodes, strict))


def _encode(value: Any, depth: int, budget: _Budget) -> Any:
    budget.take()
    if depth > MAX_DEPTH:
        raise WireError("value is nested too deeply to transfer")
    if value is None:
        return None
    if value is True or value is False:
        return value
    if isinstance(value, bool):  # pragma: no cover - bool cannot be subclassed
        return bool.__bool__(value)
    if isinstance(value, int):
        return ["i", int.__format__(value, "x")]
    if isinstance(value, float):
        return ["f", float.hex(value)]
    if isinstance(value, complex):
        return ["c", float.hex(complex.real.__get__(value)), float.hex(value.imag)]
    if isinstance(value, str):
        return ["s", str.__str__(value)]
    if isinstance(value, bytes | bytearray):
        return ["b", bytes(value).hex()]
    if isinstance(value, list):
        return ["l", [_encode(v, depth + 1, budget) for v in list.__iter__(value)]]
    if isinstance(value, tuple):
        return ["t", [_encode(v, depth + 1, budget) for v in tuple.__iter__(value)]]
    if isinstance(value, dict):
        return [
            "d",
            [
                [_encode(k, depth + 1, budget), _encode(v, depth + 1, budget)]
                for k, v in dict.items(value)
            ],
        ]
    if isinstance(value, frozenset):
        return ["F", [_encode(v, depth + 1, budget) for v in frozenset.__iter__(value)]]
    if isinstance(value, set):
        return ["S", [_encode(v, depth + 1, budget) for v in set.__iter__(value)]]
    if _is_iterator(value):
        items = []
        for item in value:
            items.append(_encode(item, depth + 1, budget))
        return ["it", items]
    if budget.strict:
        raise WireError(f"a {type(value).__name__} is not plain data")
    return ["o", str(type(value).__name__)[:60], bool(value)]


def decode(data: Any) -> Any:
    """Rebuild exact built-in values from tagged data, or raise WireError."""
    try:
        return _decode(data, 0)
    except WireError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, RecursionError) as exc:
        raise WireError(f"malformed value: {type(exc).__name__}") from None


def _decode(data: Any, depth: int) -> Any:
    if depth > MAX_DEPTH + 1:
        raise WireError("malformed value: too deep")
    if data is None or data is True or data is False:
        return data
    if type(data) is not list or not data or type(data[0]) is not str:
        raise WireError("malformed value")
    tag = data[0]
    if tag == "i":
        return int(_text(data[1]), 16)
    if tag == "f":
        return float.fromhex(_text(data[1]))
    if tag == "c":
        return complex(float.fromhex(_text(data[1])), float.fromhex(_text(data[2])))
    if tag == "s":
        return _text(data[1])
    if tag == "b":
        return bytes.fromhex(_text(data[1]))
    if tag == "o":
        if type(data[2]) is not bool:
            raise WireError("malformed value")
        return OpaqueObject(_text(data[1])[:60], data[2])
    if tag == "h":
        if type(data[3]) is not int or len(_text(data[1])) != 64:
            raise WireError("malformed value")
        return ValueDigest(_text(data[1]), _text(data[2])[:20], data[3])
    if tag in {"l", "t", "S", "F", "it"}:
        if type(data[1]) is not list:
            raise WireError("malformed value")
        items = [_decode(item, depth + 1) for item in data[1]]
        if tag == "l":
            return items
        if tag == "t":
            return tuple(items)
        if tag == "S":
            return set(items)
        if tag == "F":
            return frozenset(items)
        return OpaqueIterator(tuple(items))
    if tag == "d":
        if type(data[1]) is not list:
            raise WireError("malformed value")
        result = {}
        for pair in data[1]:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed value")
            result[_decode(pair[0], depth + 1)] = _decode(pair[1], depth + 1)
        return result
    raise WireError(f"malformed value: unknown tag {tag!r}")


def _text(item: Any) -> str:
    if type(item) is not str:
        raise WireError("malformed value")
    return item

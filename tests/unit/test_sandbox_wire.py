"""The wire format: exact built-in types only, bounded, and robust to forged data."""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, defaultdict
from typing import Any

import pytest

from lsc_tui.sandbox import wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -(10**5000),
        2**200,
        1.5,
        -0.0,
        math.inf,
        complex(1.5, -2),
        "text with \udcff lone surrogate and ünïcode",
        b"\x00\xff",
        [1, [2, [3]]],
        (1, (2,), ()),
        {"a": [1, 2], (1, 2): {3}},
        {1, 2, frozenset({3})},
        frozenset({"x"}),
    ],
    ids=lambda value: type(value).__name__,
)
def test_round_trip_is_exact(value: Any) -> None:
    """Decoding gives back an equal value of exactly the same types."""
    decoded = wire.decode(wire.encode(value))
    assert decoded == value
    assert type(decoded) is type(value)


def test_nan_round_trips() -> None:
    """NaN survives (as a float that is NaN)."""
    assert math.isnan(wire.decode(wire.encode(math.nan)))


def test_subclasses_become_their_base_type_with_true_value() -> None:
    """An int subclass that claims equality with everything arrives as a plain int."""

    class Liar(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

        def __format__(self, spec: str) -> str:
            return "ff"

    decoded = wire.decode(wire.encode(Liar(7)))
    assert type(decoded) is int
    assert decoded == 7
    assert decoded != 5


def test_dict_subclasses_become_dicts() -> None:
    """Counter, OrderedDict and defaultdict arrive as plain dicts with their items."""
    for value in (Counter("aab"), OrderedDict(a=1), defaultdict(int, {"k": 2})):
        decoded = wire.decode(wire.encode(value))
        assert type(decoded) is dict
        assert decoded == dict(value)


def test_iterators_are_opaque() -> None:
    """A generator's items come through, but it only equals itself, as in Python."""
    decoded = wire.decode(wire.encode(x * 2 for x in range(3)))
    assert isinstance(decoded, wire.OpaqueIterator)
    assert list(decoded) == [0, 2, 4]
    assert decoded != [0, 2, 4]


def test_arbitrary_objects_are_opaque() -> None:
    """Other objects keep only type name and truthiness and equal nothing else."""

    class Yes:
        def __eq__(self, other: object) -> bool:
            return True

        def __bool__(self) -> bool:
            return False

    decoded = wire.decode(wire.encode(Yes()))
    assert isinstance(decoded, wire.OpaqueObject)
    assert decoded != 5
    assert decoded != decoded.__class__("Yes", False)
    assert not decoded
    assert decoded is not None
    assert repr(decoded) == "<Yes object>"


def test_cycles_and_size_are_bounded() -> None:
    """Self-references and huge values fail cleanly instead of hanging."""
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.encode(loop)
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(list(range(100)), max_nodes=50)


@pytest.mark.parametrize(
    "forged",
    [
        ["i", 5],
        ["zz", []],
        ["S", [["l", []]]],
        ["d", [["i", "1"]]],
        ["f", "not-hex"],
        {"k": 1},
        [],
    ],
    ids=repr,
)
def test_malformed_data_is_rejected(forged: Any) -> None:
    """Decoding forged or malformed data raises WireError, never anything else."""
    with pytest.raises(wire.WireError):
        wire.decode(forged)


def test_digest_compares_exactly() -> None:
    """Huge values travel as digests that equal only identical data."""
    big = [(i, str(i)) for i in range(1000)]
    digest = wire.decode(wire.encode_digest(big))
    assert isinstance(digest, wire.ValueDigest)
    assert digest == wire.decode(wire.encode_digest(list(big)))
    assert digest == big
    assert digest != big[:-1]
    assert digest != [*big[:-1], (999, "998")]
    assert "list of 1000 items" in repr(digest)


def test_digest_refuses_objects() -> None:
    """Only plain containers of plain data can be digested."""

    class Thing:
        pass

    with pytest.raises(wire.WireError):
        wire.encode_digest([Thing()])
    with pytest.raises(wire.WireError):
        wire.encode_digest(Thing())

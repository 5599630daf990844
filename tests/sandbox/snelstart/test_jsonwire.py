"""Decimal-exact JSON of the SnelStart sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppel.sandbox.snelstart.jsonwire import coerce_decimal, dumps, loads


def test_dumps_writes_decimals_as_exact_numbers():
    text = dumps({"a": Decimal("12.50"), "b": [Decimal("-0.01"), 1, "x"]})
    assert text == '{"a":12.50,"b":[-0.01,1,"x"]}'
    assert loads(text) == {"a": Decimal("12.50"), "b": [Decimal("-0.01"), 1, "x"]}


def test_dumps_leaves_strings_that_look_tagged_alone():
    data = {"s": "\x00dec:1", "t": "12.50"}
    assert loads(dumps(data)) == data


def test_dumps_refuses_unknown_types():
    with pytest.raises(TypeError):
        dumps({"x": object()})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" 3 ", Decimal("3")),
        (7, Decimal("7")),
        (Decimal("1.1"), Decimal("1.1")),
        (True, None),
        ("abc", None),
        ("NaN", None),
        (None, None),
    ],
)
def test_coerce_decimal(value, expected):
    assert coerce_decimal(value) == expected

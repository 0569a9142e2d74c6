"""Canonical encodings: framing, ratios, text rules, canonical JSON."""

from __future__ import annotations

from fractions import Fraction

import pytest

from suiji_draw import DrawInputError
from suiji_draw.encoding import (
    canonical_json,
    check_text,
    decimal_text,
    frame,
    parse_multiplier,
    parse_ratio,
    tagged_hash,
)


def test_framing_prefixes_each_field_with_its_length_so_boundaries_cannot_shift():
    assert frame([b"ab", b"c"]) != frame([b"a", b"bc"])
    assert frame([b"ab"]) == b"\x00\x00\x00\x00\x00\x00\x00\x02ab"


def test_tags_separate_domains():
    assert tagged_hash("pool", b"x") != tagged_hash("params", b"x")


@pytest.mark.parametrize(
    ("text", "value"), [("0.05", Fraction(1, 20)), ("1", Fraction(1)), ("1.000", Fraction(1)), ("0.5", Fraction(1, 2))]
)
def test_it_parses_exact_decimal_ratios(text, value):
    assert parse_ratio(text) == value


@pytest.mark.parametrize("text", ["0", "0.0", "1.5", "2"])
def test_it_refuses_a_ratio_outside_zero_to_one(text):
    with pytest.raises(DrawInputError) as err:
        parse_ratio(text)
    assert err.value.code in ("ratio_out_of_range", "bad_ratio")


@pytest.mark.parametrize("text", [".05", "5%", "0,05", "1e-2", " 0.05", "0.0000000001", 0.05])
def test_it_refuses_a_ratio_that_is_not_a_plain_decimal_string(text):
    with pytest.raises(DrawInputError) as err:
        parse_ratio(text)
    assert err.value.code == "bad_ratio"
    assert err.value.message_zh and err.value.message_en


def test_decimal_text_is_the_shortest_exact_form():
    assert decimal_text(Fraction(1, 20)) == "0.05"
    assert decimal_text(Fraction(1)) == "1"
    assert decimal_text(Fraction(123, 1000)) == "0.123"


def test_it_refuses_a_weight_multiplier_above_one_or_with_four_decimals():
    with pytest.raises(DrawInputError):
        parse_multiplier("1.5")
    with pytest.raises(DrawInputError):
        parse_multiplier("0.1234")
    assert parse_multiplier("0.25") == Fraction(1, 4)


@pytest.mark.parametrize("text", ["", "a,b", 'a"b', " a", "a ", "a\nb", "a\tb", "x" * 200, "\u200bx"])
def test_it_refuses_malformed_names(text):
    with pytest.raises(DrawInputError):
        check_text(text, "名称", "name")


def test_it_normalises_names_to_nfc():
    assert check_text("e\u0301", "名称", "name") == "\u00e9"


def test_canonical_json_sorts_keys_and_refuses_floats():
    assert canonical_json({"b": 1, "a": ["中", None]}) == '{"a":["中",null],"b":1}'.encode()
    with pytest.raises(TypeError):
        canonical_json({"a": 0.5})

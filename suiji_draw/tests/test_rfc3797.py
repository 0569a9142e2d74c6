"""RFC 3797 mode for small pools (inspectors, experts)."""

from __future__ import annotations

import pytest

import verify_draw
from suiji_draw import DrawInputError, rfc3797

RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]


def test_the_key_string_follows_the_rfc():
    assert rfc3797.key_string(RFC_SOURCES) == "9319./2.5.8.10.12./9.18.26.34.41.45./"


def test_it_reproduces_the_rfc_worked_example():
    assert rfc3797.select(25, 10, RFC_SOURCES) == [17, 7, 2, 16, 25, 23, 8, 24, 19, 13]


def test_the_verifier_implementation_agrees_with_the_engine():
    for pool, count in ((25, 10), (1, 1), (300, 300), (65535, 5)):
        assert verify_draw.rfc3797(pool, count, RFC_SOURCES) == rfc3797.select(pool, count, RFC_SOURCES)


def test_leading_zeros_and_source_order_within_a_source_do_not_matter():
    assert rfc3797.select(25, 10, ["09319", "12 8 10 2 5", "45 41 34 26 18 9"]) == rfc3797.select(25, 10, RFC_SOURCES)


def test_selecting_everyone_is_a_permutation():
    assert sorted(rfc3797.select(40, 40, RFC_SOURCES)) == list(range(1, 41))


@pytest.mark.parametrize("sources", [[], ["12a"], [""], ["1.5"]])
def test_it_refuses_sources_that_are_not_integers(sources):
    with pytest.raises(DrawInputError):
        rfc3797.select(10, 2, sources)


@pytest.mark.parametrize(("pool", "count"), [(0, 0), (65536, 1), (5, 6), (5, -1)])
def test_it_refuses_impossible_sizes(pool, count):
    with pytest.raises(DrawInputError):
        rfc3797.select(pool, count, RFC_SOURCES)

"""Commit-reveal, witness inputs and the seed."""

from __future__ import annotations

import pytest

from suiji_draw import VERSION, DrawInputError, commitment, form_seed, new_secret, witness_inputs

SECRET = bytes(range(32))
POOL = "11" * 32
PARAMS = "22" * 32


def test_a_commitment_is_a_known_hash_of_the_secret():
    assert commitment(SECRET) == "cc2a4adbad3e226f1a315f3a56c1e6d25b4c7051108fd0ec146759c453cb9578"
    assert commitment(SECRET) == commitment(SECRET.hex())


def test_new_secrets_are_32_random_bytes():
    a, b = new_secret(), new_secret()
    assert len(a) == 32 and a != b


def test_it_refuses_a_secret_that_does_not_match_the_commitment():
    with pytest.raises(DrawInputError) as err:
        form_seed(VERSION, POOL, PARAMS, commitment(SECRET), bytes(32), [("w", "1")])
    assert err.value.code == "commitment_mismatch"
    assert "承诺" in err.value.message_zh and "commitment" in err.value.message_en


def test_it_refuses_a_secret_of_the_wrong_length():
    with pytest.raises(DrawInputError):
        form_seed(VERSION, POOL, PARAMS, commitment(SECRET), b"short", [("w", "1")])


def test_witness_values_are_canonicalised_to_integers_in_order():
    (w,) = witness_inputs([("彩票", " 07, 19，023、0 ")])
    assert w.value == "7 19 23 0"


@pytest.mark.parametrize("value", ["12a", "３", "1.5", "", "   ", "1+2"])
def test_it_refuses_malformed_witness_input_with_messages_in_both_languages(value):
    with pytest.raises(DrawInputError) as err:
        witness_inputs([("w", value)])
    assert err.value.code == "bad_witness"
    assert "见证" in err.value.message_zh and "witness" in err.value.message_en


def test_it_refuses_a_draw_without_witness_input():
    with pytest.raises(DrawInputError) as err:
        witness_inputs([])
    assert err.value.code == "no_witness"


def test_the_seed_depends_on_every_input_and_on_witness_order():
    base = form_seed(VERSION, POOL, PARAMS, commitment(SECRET), SECRET, [("a", "1"), ("b", "2")])
    assert len(base) == 32
    assert base == form_seed(VERSION, POOL, PARAMS, commitment(SECRET), SECRET, [("a", "01"), ("b", "2")])
    variants = [
        form_seed(VERSION, "12" * 32, PARAMS, commitment(SECRET), SECRET, [("a", "1"), ("b", "2")]),
        form_seed(VERSION, POOL, "23" * 32, commitment(SECRET), SECRET, [("a", "1"), ("b", "2")]),
        form_seed(VERSION, POOL, PARAMS, commitment(SECRET), SECRET, [("b", "2"), ("a", "1")]),
        form_seed(VERSION, POOL, PARAMS, commitment(SECRET), SECRET, [("a", "1"), ("b", "3")]),
        form_seed(VERSION, POOL, PARAMS, commitment(SECRET), SECRET, [("a", "1 2")]),
    ]
    assert len({base, *variants}) == 6


def test_it_refuses_an_unknown_algorithm_version():
    with pytest.raises(DrawInputError) as err:
        form_seed("suiji-draw-v0", POOL, PARAMS, commitment(SECRET), SECRET, [("a", "1")])
    assert err.value.code == "bad_version"

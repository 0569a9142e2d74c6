"""The frozen pool, CANDIDATES.csv and candidate digests."""

from __future__ import annotations

import random

import numpy as np
import pytest

from suiji_draw import (
    CSV_HEADER,
    Candidate,
    DrawInputError,
    Pool,
    candidate_digest,
    candidate_digest_unsigned,
    freeze_pool,
    pool_digest,
    read_candidates_csv,
)

from .helpers import sample_candidates


def test_the_pool_digest_does_not_depend_on_input_order():
    cands = sample_candidates(30)
    shuffled = cands[:]
    random.Random(1).shuffle(shuffled)
    assert pool_digest(cands) == pool_digest(shuffled)


def test_the_pool_digest_changes_with_any_field():
    base = [Candidate("A1", "x", 1), Candidate("B2", "y", 2)]
    variants = [
        [Candidate("A1", "x", 1), Candidate("B2", "y", 3)],
        [Candidate("A1", "x", 1), Candidate("B2", "x", 2)],
        [Candidate("A1", "x", 1, recent=True), Candidate("B2", "y", 2)],
        [Candidate("A1", "x", 1, forced="complaint"), Candidate("B2", "y", 2)],
        [Candidate("A1", "x", 1, excluded="cap"), Candidate("B2", "y", 2)],
        [Candidate("A1", "x", 1), Candidate("B3", "y", 2)],
    ]
    digests = {pool_digest(base)} | {pool_digest(v) for v in variants}
    assert len(digests) == 7


def test_the_csv_is_sorted_by_key_and_round_trips():
    pool = freeze_pool([Candidate("Z9", "甲", 2, forced="complaint"), Candidate("A1", "乙", 0, True, excluded="cap")])
    data = pool.csv_bytes()
    assert data.decode() == f"{CSV_HEADER}\nA1,乙,0,1,,cap\nZ9,甲,2,0,complaint,\n"
    again = read_candidates_csv(data)
    assert again.digest == pool.digest
    assert again.keys == ["A1", "Z9"]


@pytest.mark.parametrize(
    "data",
    [
        b"key,stratum,weight,recent,forced,excluded\nB,x,1,0,,\nA,x,1,0,,\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,01,0,,\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,1,0,,\r\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,1,2,,\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,1,0,,",
        b"key,stratum,weight\nA,x,1\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,1,0,Complaint,\n",
        b"key,stratum,weight,recent,forced,excluded\nA,x,-1,0,,\n",
    ],
)
def test_it_refuses_a_csv_that_is_not_canonical(data):
    with pytest.raises(DrawInputError) as err:
        read_candidates_csv(data)
    assert err.value.code in ("bad_csv", "bad_reason")


def test_it_refuses_duplicate_keys():
    with pytest.raises(DrawInputError) as err:
        freeze_pool([Candidate("A1"), Candidate("B2"), Candidate("A1")])
    assert err.value.code == "duplicate_key"


def test_keys_equal_after_nfc_normalisation_are_duplicates():
    with pytest.raises(DrawInputError) as err:
        freeze_pool([Candidate("caf\u00e9"), Candidate("cafe\u0301")])
    assert err.value.code == "duplicate_key"


@pytest.mark.parametrize("key", ["", "a,b", "a\nb", " lead", 'q"uote', "x" * 129])
def test_it_refuses_malformed_keys(key):
    with pytest.raises(DrawInputError):
        freeze_pool([Candidate(key)])


def test_it_refuses_a_negative_weight():
    with pytest.raises(DrawInputError) as err:
        freeze_pool([Candidate("A1", weight=-1)])
    assert err.value.code == "negative_weight"


def test_it_refuses_a_fractional_weight():
    with pytest.raises(DrawInputError):
        freeze_pool([Candidate("A1", weight=1.5)])  # type: ignore[arg-type]


def test_it_refuses_a_candidate_both_forced_and_excluded():
    with pytest.raises(DrawInputError) as err:
        freeze_pool([Candidate("A1", forced="complaint", excluded="cap")])
    assert err.value.code == "forced_and_excluded"


def test_the_stored_digest_is_the_signed_form_of_the_first_8_bytes():
    key = "91110108MA01ABCD2X"
    unsigned = candidate_digest_unsigned(key)
    signed = candidate_digest(key)
    assert -(1 << 63) <= signed < 1 << 63
    assert signed & ((1 << 64) - 1) == unsigned


def test_stored_digests_are_checked_unless_trusted():
    keys = ["A1", "B2", "C3"]
    good = [candidate_digest(k) for k in keys]
    pool = Pool.from_columns(keys, "x", digests=np.array(good, dtype=np.int64))
    assert pool.digests.tolist() == [candidate_digest_unsigned(k) for k in keys]
    with pytest.raises(DrawInputError) as err:
        Pool.from_columns(keys, "x", digests=[good[0], good[2], good[1]])
    assert err.value.code == "bad_digest"


def test_source_index_maps_pool_positions_back_to_input_rows():
    pool = Pool.from_columns(["C3", "A1", "B2"], ["x", "y", "z"], [3, 1, 2])
    assert pool.keys == ["A1", "B2", "C3"]
    assert pool.source_index.tolist() == [1, 2, 0]
    assert pool.weights.tolist() == [1, 2, 3]


def test_forced_and_excluded_maps_must_name_pool_keys():
    with pytest.raises(DrawInputError) as err:
        Pool.from_columns(["A1"], "x", forced={"B2": "complaint"})
    assert err.value.code == "unknown_key"


def test_reading_the_csv_can_reuse_stored_digests_and_checks_them():
    pool = freeze_pool([Candidate("A1"), Candidate("B2"), Candidate("C3")])
    again = read_candidates_csv(pool.csv_bytes(), pool.digests)
    assert again.digests.tolist() == pool.digests.tolist() and again.digest == pool.digest
    with pytest.raises(DrawInputError) as err:
        read_candidates_csv(pool.csv_bytes(), pool.digests[::-1].copy())
    assert err.value.code == "bad_digest"

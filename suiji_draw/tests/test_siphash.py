"""The keyed ticket function: reference, scalar and vectorised SipHash-2-4 agree bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import verify_draw
from suiji_draw.siphash import siphash24, siphash24_u64, siphash24_u64_array, split_key

PAPER_KEY = bytes(range(16))

u64 = st.integers(min_value=0, max_value=(1 << 64) - 1)


def test_it_matches_the_published_vector_for_the_empty_message():
    assert siphash24(PAPER_KEY, b"") == 0x726FDB47DD0E0E31


def test_it_matches_the_published_vector_for_a_15_byte_message():
    assert siphash24(PAPER_KEY, bytes(range(15))) == 0xA129CA6149BE45E5


@given(key=st.binary(min_size=16, max_size=16), m=u64)
def test_the_scalar_form_equals_the_reference_on_8_byte_messages(key, m):
    k0, k1 = split_key(key)
    assert siphash24_u64(k0, k1, m) == siphash24(key, m.to_bytes(8, "little"))


@given(key=st.binary(min_size=16, max_size=16), m=u64)
def test_the_verifier_form_equals_the_reference(key, m):
    k0, k1 = split_key(key)
    assert verify_draw.sip24(k0, k1, m) == siphash24(key, m.to_bytes(8, "little"))


@settings(max_examples=50)
@given(k0=u64, k1=u64, ms=st.lists(u64, min_size=0, max_size=300))
def test_the_vectorised_form_equals_the_scalar_form(k0, k1, ms):
    out = siphash24_u64_array(k0, k1, np.array(ms, dtype=np.uint64))
    assert out.tolist() == [siphash24_u64(k0, k1, m) for m in ms]


def test_threads_and_signed_input_give_the_same_tickets_on_a_large_array():
    rng = np.random.default_rng(5)
    signed = rng.integers(-(1 << 63), (1 << 63) - 1, size=300_000, dtype=np.int64)
    one = siphash24_u64_array(11, 22, signed, workers=1)
    two = siphash24_u64_array(11, 22, signed.view(np.uint64), workers=2)
    assert np.array_equal(one, two)
    for i in (0, 1, 65_535, 65_536, 299_999):
        assert int(one[i]) == verify_draw.sip24(11, 22, int(signed[i]) & ((1 << 64) - 1))

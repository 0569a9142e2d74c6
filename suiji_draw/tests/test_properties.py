"""Property tests: random pools and parameters; the engine's invariants and the verifier's agreement."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verify_draw
from suiji_draw import (
    Allocation,
    Candidate,
    DrawInputError,
    DrawParams,
    Part,
    build_manifest,
    build_manifest_text,
    draw_with_seed,
    freeze_pool,
    manifest_json,
    run_draw,
)

from .helpers import inputs

STRATA = ["A", "B", "甲"]


@st.composite
def pools(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    keys = draw(st.lists(st.text("0123456789ABXY", min_size=1, max_size=6), min_size=n, max_size=n, unique=True))
    cands = []
    for key in keys:
        flag = draw(st.sampled_from(["", "", "", "", "", "", "", "forced", "excluded", "excluded"]))
        cands.append(
            Candidate(
                key=key,
                stratum=draw(st.sampled_from(STRATA)),
                weight=draw(st.integers(min_value=0, max_value=6)),
                recent=draw(st.booleans()),
                forced="complaint" if flag == "forced" else "",
                excluded="cap" if flag == "excluded" else "",
            )
        )
    return cands


allocations = st.one_of(
    st.builds(Allocation, count=st.integers(0, 6), min=st.integers(0, 2)),
    st.builds(
        Allocation,
        ratio=st.sampled_from(["0.05", "0.1", "0.25", "0.5", "0.999", "1"]),
        min=st.integers(0, 3),
        max=st.one_of(st.none(), st.integers(3, 10)),
    ),
)


@st.composite
def part_specs(draw, name):
    method = draw(st.sampled_from(["uniform", "weighted"]))
    recent = draw(st.sampled_from(["keep", "exclude", "0.5", "0.125"]))
    if draw(st.booleans()):
        return Part(name, method, overall=draw(allocations), recent=recent)
    names = draw(st.lists(st.sampled_from(STRATA), min_size=2, max_size=3, unique=True))
    return Part(name, method, strata={s: draw(allocations) for s in names}, recent=recent)


@st.composite
def params(draw):
    n = draw(st.integers(1, 3))
    return DrawParams(tuple(draw(part_specs(f"p{i}")) for i in range(n)))


COMMON = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(cands=pools(), p=params(), seed=st.binary(min_size=32, max_size=32))
def test_every_draw_has_no_duplicates_the_right_sizes_forced_in_and_excluded_out(cands, p, seed):
    pool = freeze_pool(cands)
    try:
        result = draw_with_seed(pool, p, seed)
    except DrawInputError:
        return
    assert len(set(result.order)) == len(result.order)
    excluded = {c.key for c in cands if c.excluded}
    assert not excluded & set(result.order)
    for part in result.parts:
        assert len(set(part.selected)) == len(part.selected)
        assert set(part.selected) == set(part.forced) | set(part.certain) | set(part.drawn)
        assert sum(g.k for g in part.groups) == len(part.certain) + len(part.drawn)
        assert not {k for k, _ in part.excluded} & set(part.selected)
        for g in part.groups:
            assert g.certain + g.drawn == g.k <= g.eligible
    forced_keys = {c.key for c in cands if c.forced}
    assert forced_keys <= set(result.order)
    union = set().union(*(set(p.selected) for p in result.parts))
    assert union == set(result.order)
    again = draw_with_seed(pool, p, seed)
    assert again.order == result.order


@COMMON
@given(cands=pools(), p=params(), seed=st.binary(min_size=32, max_size=32))
def test_the_verifier_recomputes_every_draw_or_refuses_the_same_inputs(cands, p, seed):
    pool = freeze_pool(cands)
    vpool = verify_draw.read_csv(pool.csv_bytes())
    assert vpool.digest == pool.digest
    vparams = verify_draw.canon_params(p.to_dict())
    assert vparams == p.to_dict()
    try:
        result = draw_with_seed(pool, p, seed)
    except DrawInputError:
        with pytest.raises(verify_draw.Mismatch):
            verify_draw.recompute(vpool, vparams, seed)
        return
    from suiji_draw.manifest import result_section

    assert verify_draw.recompute(vpool, vparams, seed) == result_section(result)


@settings(max_examples=25, deadline=None)
@given(
    cands=pools(),
    p=params(),
    witness=st.lists(st.from_regex(r"[0-9]{1,4}( [0-9]{1,3}){0,3}", fullmatch=True), min_size=1, max_size=3),
)
def test_full_manifests_verify_ok(cands, p, witness):
    pool = freeze_pool(cands)
    seed_inputs = inputs(witness=[(f"w{i}", v) for i, v in enumerate(witness)])
    try:
        result = run_draw(pool, p, seed_inputs)
    except DrawInputError:
        return
    manifest = build_manifest(result, seed_inputs, {"task": "T"})
    verify_draw.verify(manifest, pool.csv_bytes())


@st.composite
def odd_key_pools(draw):
    """Pools whose keys may need escaping in JSON (a backslash) or are not ASCII."""
    cands = draw(pools())
    odd = draw(st.lists(st.text("0123456789AB\\甲 -", min_size=1, max_size=5), max_size=6, unique=True))
    taken = {c.key for c in cands}
    for key in odd:
        if key.strip() == key and key not in taken:
            taken.add(key)
            cands.append(Candidate(key=key, stratum=draw(st.sampled_from(STRATA)), weight=draw(st.integers(1, 6))))
    return cands


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cands=st.one_of(pools(), odd_key_pools()), p=params(), context=st.sampled_from([None, {"task": "T"}]))
def test_the_manifest_text_is_exactly_the_canonical_json_of_the_manifest(cands, p, context):
    pool = freeze_pool(cands)
    seed_inputs = inputs()
    try:
        result = run_draw(pool, p, seed_inputs)
    except DrawInputError:
        return
    manifest = build_manifest(result, seed_inputs, context)
    text, digest = build_manifest_text(result, seed_inputs, context)
    assert text.encode("utf-8") == manifest_json(manifest)
    assert digest == manifest["digest"]

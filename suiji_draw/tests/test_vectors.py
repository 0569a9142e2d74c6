"""Known-answer vectors. These values are frozen: if one changes, the algorithm changed and every
published draw would stop verifying. Change them only together with a new algorithm version."""

from __future__ import annotations

from suiji_draw import (
    Allocation,
    Candidate,
    DrawParams,
    Part,
    SeedInputs,
    build_manifest,
    candidate_digest,
    candidate_digest_unsigned,
    commitment,
    freeze_pool,
    run_draw,
)
from suiji_draw.seed import derived_key

SECRET = bytes(range(32))


def vector_draw():
    cands = [
        Candidate("91110108MA01ABCD2X", "A", 3),
        Candidate("92440300L12345678K", "B", 1, recent=True),
        Candidate("310115000123456", "A", 2, forced="complaint"),
        Candidate("项目-2024-001", "C", 5, excluded="cap"),
    ] + [Candidate(f"9133010000000{i:04d}Q", "ABC"[i % 3], 1 + i % 4, recent=i % 5 == 0) for i in range(60)]
    params = DrawParams(
        (
            Part(
                "市场监管",
                "weighted",
                strata={"A": Allocation(ratio="0.1", min=1), "B": Allocation(count=3), "C": Allocation(ratio="0.2")},
                recent="0.5",
            ),
            Part("税务", "uniform", Allocation(ratio="0.05"), recent="exclude"),
        )
    )
    inputs = SeedInputs.of(commitment(SECRET), SECRET, [("公证员", "3 6 1 4"), ("lottery", "07 19 23")])
    pool = freeze_pool(cands)
    result = run_draw(pool, params, inputs)
    return pool, params, result, build_manifest(result, inputs, {"task": "KAT"})


def test_candidate_digests_are_frozen():
    assert candidate_digest_unsigned("91110108MA01ABCD2X") == 7634022482848142510
    assert candidate_digest("91110108MA01ABCD2X") == 7634022482848142510
    assert candidate_digest("项目-2024-001") == -4211098769036057321


def test_digests_seed_and_keys_are_frozen():
    pool, params, result, manifest = vector_draw()
    assert commitment(SECRET) == "cc2a4adbad3e226f1a315f3a56c1e6d25b4c7051108fd0ec146759c453cb9578"
    assert pool.digest == "f1de1aa7123818072c39c02601d1e6b22ce0e16e13fcd61082a20057fbc96ae6"
    assert params.digest == "3b76e5b8c44ac6c9138b3be2bb45ba522fa3257b8e39dc0af7e5be951f02279d"
    assert result.seed_hex == "1a74c073b4f0a64b245fb0ccd89d6bea5fece2cd928d3eab1a7afafe3768cac9"
    assert derived_key(result.seed, "ticket-key").hex() == "620796021737428fd4b43633403673a6"
    assert result.ticket("91110108MA01ABCD2X") == 16973354777420074385


def test_the_selection_and_order_are_frozen():
    _, _, result, manifest = vector_draw()
    assert result.order == (
        "91330100000000041Q",
        "91330100000000019Q",
        "310115000123456",
        "91330100000000038Q",
        "91330100000000014Q",
        "91330100000000034Q",
        "91330100000000017Q",
        "91330100000000027Q",
        "91330100000000039Q",
        "91330100000000022Q",
        "91330100000000042Q",
    )
    assert result.parts[1].drawn == ("91330100000000042Q", "91330100000000017Q", "91330100000000038Q")
    assert manifest["digest"] == "eab9ac90a5a8e3eb3425c134d5dadcc0719441a3403fb3cd537a19fe5609a88f"

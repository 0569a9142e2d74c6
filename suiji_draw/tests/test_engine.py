"""Behaviour of the selection: sizes, forced, exclusions, take-all, cut-offs, order, coordination."""

from __future__ import annotations

from fractions import Fraction

import pytest

from suiji_draw import (
    Allocation,
    Candidate,
    DrawInputError,
    DrawParams,
    Part,
    draw_with_seed,
    freeze_pool,
    run_draw,
)

from .helpers import draw, inputs, sample_candidates, seed_of


def test_the_same_inputs_give_the_same_draw():
    cands = sample_candidates(60)
    params = DrawParams.simple(ratio="0.2")
    _, a, ma = draw(cands, params)
    _, b, mb = draw(list(reversed(cands)), params)
    assert a.order == b.order
    assert ma == mb


def test_a_different_witness_input_gives_a_different_draw():
    cands = sample_candidates(200)
    params = DrawParams.simple(ratio="0.1")
    _, a, _ = draw(cands, params, witness=[("w", "1 2 3")])
    _, b, _ = draw(cands, params, witness=[("w", "1 2 4")])
    assert a.order != b.order


def test_a_simple_draw_takes_the_smallest_tickets():
    pool = freeze_pool(sample_candidates(50))
    result = draw_with_seed(pool, DrawParams.simple(count=7), seed_of(1))
    tickets = sorted((result.ticket(k), k) for k in pool.keys)
    assert set(result.order) == {k for _, k in tickets[:7]}
    assert result.parts[0].drawn == tuple(k for _, k in tickets[:7])


def test_the_visit_order_is_a_random_permutation_by_order_key():
    pool = freeze_pool(sample_candidates(80))
    result = draw_with_seed(pool, DrawParams.simple(count=20), seed_of(2))
    okeys = [result.order_key(k) for k in result.order]
    assert okeys == sorted(okeys)
    assert list(result.order) != list(result.parts[0].drawn)


def test_stratified_sizes_follow_each_allocation():
    cands = sample_candidates(100, strata="AB")
    params = DrawParams.simple(strata={"A": Allocation(ratio="0.1"), "B": Allocation(count=3)})
    _, result, _ = draw(cands, params)
    groups = {g.stratum: g for g in result.parts[0].groups}
    assert groups["A"].k == 5 and groups["B"].k == 3
    by_stratum = {c.key: c.stratum for c in cands}
    assert sorted(by_stratum[k] for k in result.order) == ["A"] * 5 + ["B"] * 3


def test_strata_not_named_by_a_part_are_outside_its_frame():
    cands = sample_candidates(40, strata="ABC")
    _, result, _ = draw(cands, DrawParams.simple(strata={"A": Allocation(ratio="1")}))
    assert {k for k in result.order} == {c.key for c in cands if c.stratum == "A"}


def test_forced_candidates_are_included_and_listed_apart_from_the_random_part():
    cands = sample_candidates(40)
    cands[3] = Candidate(cands[3].key, cands[3].stratum, forced="complaint")
    _, result, manifest = draw(cands, DrawParams.simple(count=4))
    part = result.parts[0]
    assert part.forced == (cands[3].key,)
    assert cands[3].key in result.order and cands[3].key not in part.drawn
    assert len(part.drawn) == 4 and len(result.order) == 5
    assert manifest["result"]["parts"][0]["forced"] == [cands[3].key]


def test_excluded_candidates_are_never_drawn_and_are_listed():
    cands = [Candidate(f"K{i:03d}", excluded="cap" if i < 30 else "") for i in range(40)]
    _, result, manifest = draw(cands, DrawParams.simple(ratio="1"))
    assert set(result.order) == {f"K{i:03d}" for i in range(30, 40)}
    assert result.excluded[0] == ("K000", "cap")
    assert manifest["result"]["counts"] == {"pool": 40, "excluded": 30, "selected": 10}


def test_recently_inspected_candidates_can_be_excluded_per_part():
    cands = sample_candidates(60)
    _, result, _ = draw(cands, DrawParams.simple(ratio="1", recent="exclude"))
    recent = {c.key for c in cands if c.recent}
    assert recent and not recent & set(result.order)
    assert {k for k, reason in result.parts[0].excluded if reason == "recent"} == recent


def test_recently_inspected_candidates_can_be_down_weighted():
    cands = sample_candidates(60)
    _, result, _ = draw(cands, DrawParams.simple(ratio="0.1", recent="0.5"))
    recent_key = next(c.key for c in cands if c.recent)
    other_key = next(c.key for c in cands if not c.recent)
    assert result.inclusion_probability(recent_key) * 2 == result.inclusion_probability(other_key)


def test_zero_weight_candidates_are_excluded_from_weighted_parts_only():
    cands = [Candidate(f"K{i}", weight=0 if i < 5 else 1) for i in range(10)]
    _, weighted, _ = draw(cands, DrawParams.simple(ratio="1", method="weighted"))
    _, uniform, _ = draw(cands, DrawParams.simple(ratio="1"))
    assert len(weighted.order) == 5 and len(uniform.order) == 10
    assert {r for _, r in weighted.parts[0].excluded} == {"zero-weight"}


def test_heavy_candidates_whose_probability_reaches_one_are_taken_with_certainty():
    cands = [Candidate(f"K{i:02d}", weight=1000 if i < 2 else 1) for i in range(40)]
    pool = freeze_pool(cands)
    for n in range(5):
        result = draw_with_seed(pool, DrawParams.simple(count=4, method="weighted"), seed_of(n))
        group = result.parts[0].groups[0]
        assert set(result.parts[0].certain) == {"K00", "K01"}
        assert group.certain == 2 and group.certain_min_weight == 1000
        assert group.pi_factor == Fraction(2, 38)
        assert len(result.order) == 4


def test_taking_every_eligible_candidate_marks_them_all_certain():
    _, result, _ = draw(sample_candidates(12), DrawParams.simple(ratio="1", method="weighted"))
    assert len(result.parts[0].certain) == 12 and result.parts[0].drawn == ()


def test_any_candidate_can_check_its_case_against_the_cut_off():
    cands = sample_candidates(120, strata="AB")
    pool = freeze_pool(cands)
    params = DrawParams.simple(method="weighted", strata={"A": Allocation(ratio="0.1"), "B": Allocation(ratio="0.2")})
    result = draw_with_seed(pool, params, seed_of(3))
    cutoffs = {g.stratum: g.cutoff for g in result.parts[0].groups}
    for c in cands:
        explained = result.explain(c.key)["parts"][0]
        cut = cutoffs[c.stratum]
        assert explained["rank"] == result.ticket(c.key) // c.weight
        below = (explained["rank"], result.ticket(c.key), c.key) <= (cut.rank, cut.ticket, cut.key)
        assert below == (explained["status"] == "drawn") == (c.key in result.order)


def test_ties_in_rank_are_broken_by_ticket_then_key():
    import numpy as np

    from suiji_draw.engine import _smallest

    positions = np.arange(8, dtype=np.int64)  # pool positions follow key order
    ranks = np.array([5, 3, 3, 3, 9, 3, 1, 3], dtype=np.uint64)
    tickets = np.array([50, 31, 30, 31, 90, 30, 10, 31], dtype=np.uint64)
    assert _smallest(positions, ranks, tickets, 4).tolist() == [6, 2, 5, 1]
    assert _smallest(positions, ranks, tickets, 6).tolist() == [6, 2, 5, 1, 3, 7]


def test_parts_of_a_joint_task_share_tickets_so_their_samples_nest():
    cands = sample_candidates(200)
    params = DrawParams(
        (Part("市场监管", overall=Allocation(ratio="0.1")), Part("税务", overall=Allocation(ratio="0.2")))
    )
    _, result, _ = draw(cands, params)
    small, large = (set(p.selected) for p in result.parts)
    assert small < large
    assert len(result.order) == len(large)
    assert set(result.order_parts) == {("市场监管", "税务"), ("税务",)}


def test_weighted_and_uniform_parts_of_one_task_overlap_more_than_independent_draws():
    cands = sample_candidates(400)
    params = DrawParams(
        (
            Part("a", "weighted", overall=Allocation(ratio="0.1")),
            Part("b", "uniform", overall=Allocation(ratio="0.1")),
        )
    )
    pool = freeze_pool(cands)
    overlap = 0
    for n in range(10):
        result = draw_with_seed(pool, params, seed_of(n))
        overlap += len(set(result.parts[0].selected) & set(result.parts[1].selected))
    # Independent samples of 40 out of 400 would share about 4 candidates per draw.
    assert overlap / 10 > 15


def test_the_result_reports_input_rows_for_the_caller():
    from suiji_draw import Pool

    pool = Pool.from_columns(["C3", "A1", "B2", "D4"], "x")
    result = draw_with_seed(pool, DrawParams.simple(ratio="1"), seed_of(0))
    rows = result.order_rows.tolist()
    assert [["C3", "A1", "B2", "D4"][r] for r in rows] == list(result.order)


def test_an_empty_pool_draws_nothing_with_a_ratio():
    _, result, manifest = draw([], DrawParams.simple(ratio="0.5"))
    assert result.order == ()
    assert manifest["result"]["parts"][0]["groups"][0]["k"] == 0


def test_it_refuses_a_count_larger_than_the_eligible_candidates():
    with pytest.raises(DrawInputError) as err:
        draw(sample_candidates(10), DrawParams.simple(count=11))
    assert err.value.code == "count_exceeds_pool"


def test_it_refuses_an_empty_stratum_that_is_asked_for():
    with pytest.raises(DrawInputError) as err:
        draw(sample_candidates(10, strata="AB"), DrawParams.simple(strata={"C": Allocation(count=1)}))
    assert err.value.code == "empty_stratum"
    assert "C" in err.value.message_zh


def test_it_refuses_a_weighted_group_whose_weights_are_all_zero():
    cands = [Candidate(f"K{i}", weight=0) for i in range(5)]
    with pytest.raises(DrawInputError) as err:
        draw(cands, DrawParams.simple(ratio="0.5", method="weighted"))
    assert err.value.code == "all_zero_weights"


def test_it_refuses_a_forced_candidate_outside_every_frame():
    cands = [Candidate("A1", "A"), Candidate("B1", "B", forced="complaint")]
    with pytest.raises(DrawInputError) as err:
        draw(cands, DrawParams.simple(strata={"A": Allocation(count=1)}))
    assert err.value.code == "forced_outside_frame"


def test_it_refuses_a_secret_that_does_not_match_the_commitment():
    good = inputs()
    bad = type(good)(good.commitment, bytes(32), good.witness)
    with pytest.raises(DrawInputError) as err:
        run_draw(freeze_pool(sample_candidates(5)), DrawParams.simple(count=1), bad)
    assert err.value.code == "commitment_mismatch"


def test_inclusion_probabilities_are_exact_fractions():
    cands = sample_candidates(40, strata="A")
    _, result, manifest = draw(cands, DrawParams.simple(ratio="0.1"))
    assert result.inclusion_probability(cands[0].key) == Fraction(4, 40)
    assert manifest["result"]["parts"][0]["groups"][0]["pi_factor"] == "1/10"
    _, weighted, _ = draw(cands, DrawParams.simple(ratio="0.1", method="weighted"))
    total = sum(c.weight for c in cands)
    assert weighted.inclusion_probability(cands[1].key) == Fraction(4 * cands[1].weight, total)

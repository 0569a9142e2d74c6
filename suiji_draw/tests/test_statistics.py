"""Statistical checks: observed inclusion frequencies over many seeds match the stated probabilities.

Each test runs the engine with a FIXED list of seeds (``seed_of(0..S-1)``), so it is deterministic:
it either always passes or always fails for a given implementation. Each computes a chi-square
statistic and requires its p-value to be at least ALPHA = 0.001, i.e. a documented false-alarm
rate of 0.1 % per test for a correct sampler (the fixed seeds were not chosen to pass).
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

from suiji_draw import Allocation, Candidate, DrawParams, draw_with_seed, freeze_pool

from .helpers import seed_of

ALPHA = 0.001
SEEDS = 2000


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of chi-square: 1 - P(df/2, x/2), P the regularised lower incomplete gamma
    function summed by its power series (accurate to ~1e-12 for the sizes used here)."""
    if x <= 0:
        return 1.0
    a, z = df / 2.0, x / 2.0
    term = 1.0 / a
    total = term
    n = 1
    while term > total * 1e-17:
        term *= z / (a + n)
        total += term
        n += 1
    return max(0.0, 1.0 - math.exp(a * math.log(z) - z - math.lgamma(a)) * total)


def test_the_chi_square_tail_matches_tabulated_values():
    assert abs(chi2_sf(10.828, 1) - 0.001) < 2e-6
    assert abs(chi2_sf(29.588, 10) - 0.001) < 2e-6
    assert abs(chi2_sf(16.266, 3) - 0.001) < 2e-6
    assert abs(chi2_sf(3.0, 2) - math.exp(-1.5)) < 1e-12


def test_stratified_simple_random_sampling_gives_each_candidate_its_stated_probability():
    cands = [Candidate(f"A{i:03d}", "A") for i in range(40)] + [Candidate(f"B{i:03d}", "B") for i in range(20)]
    pool = freeze_pool(cands)
    params = DrawParams.simple(strata={"A": Allocation(ratio="0.25"), "B": Allocation(count=5)})
    counts: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for n in range(SEEDS):
        result = draw_with_seed(pool, params, seed_of(n), workers=1)
        counts.update(result.order)
        first[result.order[0]] += 1
    stated = {c.key: draw_with_seed(pool, params, seed_of(0)).inclusion_probability(c.key) for c in cands}
    assert stated["A000"] == Fraction(1, 4) and stated["B000"] == Fraction(1, 4)

    # For a simple random sample of k from N, Var(O_i) = S p (1 - p) and the standardised sum
    # over one stratum is (N / (N - 1)) times a chi-square with N - 1 degrees of freedom.
    statistic, df = 0.0, 0
    for prefix, size in (("A", 40), ("B", 20)):
        p = 0.25
        s = sum((counts[c.key] - SEEDS * p) ** 2 / (SEEDS * p * (1 - p)) for c in cands if c.key[0] == prefix)
        statistic += s * (size - 1) / size
        df += size - 1
    assert chi2_sf(statistic, df) >= ALPHA, (statistic, df)

    # The visit order is uniform too: every candidate is first with probability 1/60 here.
    expected = SEEDS / 60
    order_stat = sum((first[c.key] - expected) ** 2 / expected for c in cands)
    assert chi2_sf(order_stat, 59) >= ALPHA, order_stat


def test_weighted_sampling_selects_each_weight_class_in_proportion_to_its_weight():
    cands = [Candidate(f"K{i:03d}", "all", weight=1 + i % 4) for i in range(120)]
    pool = freeze_pool(cands)
    params = DrawParams.simple(count=12, method="weighted")
    by_weight: Counter[int] = Counter()
    weight_of = {c.key: c.weight for c in cands}
    for n in range(SEEDS):
        result = draw_with_seed(pool, params, seed_of(n), workers=1)
        by_weight.update(weight_of[k] for k in result.order)
    probe = draw_with_seed(pool, params, seed_of(0))
    # Stated target probabilities: 12 * w / 300 for w in 1..4 (no take-all units here).
    for w in range(1, 5):
        assert probe.inclusion_probability(f"K{w - 1:03d}") == Fraction(12 * w, 300)
    # Counts per weight class over a fixed-size design: Pearson's statistic against 3 degrees of
    # freedom (conservative: sampling without replacement has less variance than multinomial).
    statistic = 0.0
    for w in range(1, 5):
        expected = SEEDS * 30 * 12 * w / 300
        statistic += (by_weight[w] - expected) ** 2 / expected
    assert chi2_sf(statistic, 3) >= ALPHA, (statistic, by_weight)


def test_down_weighting_recent_inspections_halves_their_stated_and_observed_rate():
    cands = [Candidate(f"K{i:03d}", recent=i % 2 == 0) for i in range(100)]
    pool = freeze_pool(cands)
    params = DrawParams.simple(count=10, recent="0.5")
    recent_hits = 0
    for n in range(SEEDS // 2):
        result = draw_with_seed(pool, params, seed_of(n), workers=1)
        recent_hits += sum(1 for k in result.order if int(k[1:]) % 2 == 0)
    # Stated: recent candidates weight 1, others 2, total 150, so recent share = 50/150 = 1/3.
    probe = draw_with_seed(pool, params, seed_of(0))
    assert probe.inclusion_probability("K000") == Fraction(10, 150)
    total = (SEEDS // 2) * 10
    expected_recent = total / 3
    statistic = (recent_hits - expected_recent) ** 2 / expected_recent + (
        (total - recent_hits) - (total - expected_recent)
    ) ** 2 / (total - expected_recent)
    assert chi2_sf(statistic, 1) >= ALPHA, (statistic, recent_hits)

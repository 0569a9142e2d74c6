"""The fast paths that freeze a pool: key ordering and the aggregated read give what the plain ones give."""

import random

import numpy as np
import pytest

from directory.models import Target
from draws import columns, services
from draws.tests.helpers import make_firms, make_task
from suiji_draw import candidate_digest
from suiji_draw.pool import MAX_WEIGHT

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _keys(rng, n):
    keys = set()
    while len(keys) < n:
        length = rng.choice([15, 18, 18, 18, 3, 1])
        keys.add("".join(rng.choice(ALPHABET) for _ in range(length)))
    keys = sorted(keys)  # a set's order follows the string hash seed; the test must not
    keys += sorted({k[:-1] for k in keys[:20] if len(k) > 1} - set(keys))  # prefixes sort first
    rng.shuffle(keys)
    return keys


def test_the_packed_order_is_code_point_order():
    rng = random.Random(5)
    for _ in range(20):
        keys = _keys(rng, 500)
        ordered, order, checked = services._key_order("\n".join(keys), len(keys))
        assert [keys[i] for i in order] == sorted(keys) == list(ordered)
        assert checked == services.ALNUM_CHECKED
        assert isinstance(ordered, columns.KeyColumn)


def test_the_packed_order_of_the_joined_keys_is_code_point_order():
    rng = random.Random(11)
    alphabet = ALPHABET + "abcxyz"
    for size in (1, 2, 7, 500, 3000):
        keys = set()
        while len(keys) < size:
            keys.add("".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 9, 10, 11, 15, 17, 18]))))
        keys = sorted(keys)
        keys += sorted({k[:-1] for k in keys[:30] if len(k) > 1} - set(keys))  # prefixes sort first
        rng.shuffle(keys)
        found = columns.sort_alnum_keys("\n".join(keys), len(keys))
        assert [keys[i] for i in found.order.tolist()] == sorted(keys) == list(found.keys)
        assert found.distinct is True
        # The padded rows are the keys' bytes, zero-filled to 18.
        assert [bytes(row).rstrip(b"\0").decode() for row in found.keys.padded] == sorted(keys)
        assert found.keys[1:3] == sorted(keys)[1:3] and found.keys[-1] == sorted(keys)[-1]


@pytest.mark.parametrize("packed_bits", [64, 8])  # 8: too few for the ranks, the three stable sorts
def test_the_rows_are_ordered_by_all_three_words_whichever_way(monkeypatch, packed_bits):
    monkeypatch.setattr(columns, "_PACKED_BITS", packed_bits)
    rng = random.Random(23)
    stem = "91330100MA2" + "".join(rng.choice(ALPHABET) for _ in range(5))  # 16 characters
    keys = {stem + a + b for a in "0Z" for b in "19AY"}  # the same first two words, the third differs
    keys |= {stem[:8] + k for k in ("ZZZZZZZZZZ", "0000000000", "A", "A1", "")}  # the second word decides
    keys |= {"".join(rng.choice(ALPHABET) for _ in range(rng.choice([1, 8, 9, 16, 17, 18]))) for _ in range(400)}
    keys = sorted(keys)
    shuffled = keys[:]
    rng.shuffle(shuffled)
    found = columns.sort_alnum_keys("\n".join(shuffled), len(shuffled))
    assert list(found.keys) == keys and [shuffled[i] for i in found.order.tolist()] == keys
    assert found.distinct is True
    repeated = columns.sort_alnum_keys("\n".join([*shuffled, keys[7]]), len(keys) + 1)
    assert list(repeated.keys) == sorted([*keys, keys[7]]) and repeated.distinct is False


def test_the_packed_order_refuses_what_it_cannot_vouch_for():
    packed = columns.sort_alnum_keys
    assert packed("B\nA\nB", 3).distinct is False  # a repeated key: sorted, not distinct
    assert packed("B\n\nA", 3) is None  # an empty key
    assert packed("A" * 19 + "\nB", 2) is None  # too long to pack
    assert packed("A-1\nB", 2) is None  # not a letter or digit
    assert packed("甲\nB", 2) is None
    assert packed("A\nB", 3) is None  # the count does not match


def _engine_pool(keys, labels, weights, forced, digests):
    """The engine's own pool of the same columns, complaints forced in, for comparison."""
    from suiji_draw import Pool

    forced_keys = {keys[i]: "complaint" for i in np.flatnonzero(forced).tolist()}
    return Pool.from_columns(keys, labels, weights, forced=forced_keys, digests=digests, trust_digests=True)


def test_the_assembled_pool_is_the_engines_own_whatever_the_caller_vouched_for():

    rng = random.Random(23)
    for size in (1, 3, 400):
        keys = sorted(
            {"".join(rng.choice(ALPHABET + "xyz") for _ in range(rng.choice([1, 15, 18]))) for _ in range(size)}
        )
        n = len(keys)
        for strata in (["A", "B", "C", "D"], ["411722", "411723"], ["甲类", "乙"]):
            labels = [rng.choice(strata) for _ in range(n)]
            weights = np.array([rng.choice([0, 1, 2, 4, 8, 1000]) for _ in range(n)], dtype=np.int64)
            forced = np.array([rng.random() < 0.1 for _ in range(n)], dtype=bool)
            digests = np.array([candidate_digest(k) for k in keys], dtype=np.int64)
            expected = _engine_pool(keys, labels, weights, forced, digests)
            column = services._key_order("\n".join(keys), n)[0]  # slices of the text, with padded rows
            assert isinstance(column, columns.KeyColumn) and column.padded is not None
            coded = columns.one_char_values("\n".join(labels), n)
            assert (coded is not None) is (strata == ["A", "B", "C", "D"])
            for checked, given, given_strata in (
                (services.UNCHECKED, list(keys), labels),
                (services.ALNUM_CHECKED, list(keys), labels),
                (services.ALNUM_CHECKED, column, labels),
                (services.ALNUM_CHECKED, column, coded or labels),
            ):
                pool = services._assemble_pool(given, given_strata, weights, forced, digests, checked)
                assert pool is not None
                assert pool.csv_bytes() == expected.csv_bytes() and pool.digest == expected.digest
                assert list(pool.keys) == list(expected.keys) and pool.strata_names == expected.strata_names
                assert np.array_equal(pool.codes, expected.codes) and np.array_equal(pool.weights, expected.weights)
                assert pool.forced == expected.forced


def test_duplicates_empty_long_and_non_ascii_keys_are_not_vouched_for():
    for keys in (["B", "A", "B"], ["B", "", "A"], ["A" * 19, "B", "A"], ["甲", "B", "A"], ["A-1", "B", "A"]):
        ordered, order, checked = services._key_order("\n".join(keys), len(keys))
        assert [keys[i] for i in order.tolist()] == sorted(keys) == list(ordered) and checked == services.UNCHECKED


@pytest.mark.django_db
def test_the_aggregated_read_equals_the_row_by_row_read(world):
    firms = make_firms(world.county, 120)
    task = make_task(world, scope={}, stratify_by="credit_class", force_complaints=5)
    weights = services.check_weights({"class": {"A": 1, "B": 2, "C": 4, "D": 8}, "abnormal": 3, "per_complaint": 7})
    weight, forced = services._weight_expression(weights, task.force_complaints)
    qs = (
        services.scope_queryset(task)
        .order_by()
        .annotate(draw_weight=weight, draw_forced=forced)
        .values_list("key", "draw_digest", "draw_weight", "credit_class", "draw_forced")
    )
    sql, params = qs.query.sql_with_params()
    assert services._fetch_aggregated(sql, params, "credit_class") is None  # a missing digest: read row by row
    for t in firms:
        Target.objects.filter(key=t.key).update(draw_digest=candidate_digest(t.key))
    rows = services._fetch_rows(sql, params)
    agg = services._fetch_aggregated(sql, params, "credit_class")
    assert agg is not None
    assert list(agg[0]) == list(rows[0]) and list(agg[3]) == list(rows[3])
    assert np.array_equal(agg[1], np.array(rows[1], dtype=np.int64))
    assert np.array_equal(agg[2], np.array(rows[2], dtype=np.int64))
    assert np.array_equal(agg[4], np.array(rows[4], dtype=bool))
    assert agg[5] == services.ALNUM_CHECKED and rows[5] == services.UNCHECKED
    assert isinstance(agg[0], columns.KeyColumn) and isinstance(agg[3], columns.CharColumn)


def test_one_character_values_are_coded_and_anything_else_is_left_to_the_split():
    column = columns.one_char_values("A\nC\nA\nD", 4)
    assert list(column) == ["A", "C", "A", "D"] and column[1] == "C" and column[1:3] == ["C", "A"]
    assert column.distinct() == {"A", "C", "D"}
    assert column.codes(("A", "C", "D"), np.uint16).tolist() == [0, 1, 0, 2]
    for text, n in (("A\nBC\nD", 3), ("A\n\nD", 3), ("A\n甲\nD", 3), ("A,B,C", 3), ("A\nB", 3), ("\n\n\n", 2)):
        assert columns.one_char_values(text, n) is None, text


@pytest.mark.django_db
def test_a_broad_scope_is_read_by_a_whole_table_scan_on_sqlite_and_a_narrow_one_as_planned(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    firms = make_firms(world.county, 60)
    for t in firms:
        Target.objects.filter(key=t.key).update(draw_digest=candidate_digest(t.key))
    broad = make_task(world, scope={"credit_classes": ["A", "B", "C", "D"]}, stratify_by="credit_class")
    Target.objects.filter(key__in=[t.key for t in firms[:10]]).update(complaint_count=3)
    narrow = make_task(world, scope={"min_complaints": 3}, stratify_by="credit_class")
    weights = services.check_weights({})
    reads = {}
    for name, task in (("broad", broad), ("narrow", narrow)):
        with CaptureQueriesContext(connection) as ctx:
            fetched = services._fetch_columns(task, weights)
        aggregated = [q["sql"] for q in ctx.captured_queries if "group_concat" in q["sql"] or "string_agg" in q["sql"]]
        assert len(aggregated) == 1
        reads[name] = (fetched, aggregated[0])
        expected = sorted(services.scope_queryset(task).values_list("key", flat=True))
        assert list(fetched[0]) == expected and expected
    scanned = "NOT INDEXED" in reads["broad"][1]
    assert scanned is (connection.vendor == "sqlite")
    assert "NOT INDEXED" not in reads["narrow"][1]
    # The subtree is looked up once; the firms are not joined to their organisations.
    assert "orgs_organisation" not in reads["broad"][1] and "orgs_organisation" not in reads["narrow"][1]


def test_factorising_the_line_endings_gives_what_sorting_gives():
    rng = np.random.default_rng(7)
    for codes, weights in ((4, [1, 2, 4, 8]), (300, list(range(0, 2000, 7))), (2, [1, 1 << 40])):
        n = 5000
        combo = (
            (rng.integers(0, codes, n).astype(np.int64) << 42)
            | (rng.choice(np.array(weights, dtype=np.int64), n) << 1)
            | rng.integers(0, 2, n).astype(np.int64)
        )
        distinct, which = services._factorise(combo)
        expected, inverse = np.unique(combo, return_inverse=True)
        assert np.array_equal(distinct, expected) and np.array_equal(which, inverse)
        assert np.array_equal(distinct[which], combo)


def _frozen_pools():
    """Canonical candidate lists of every shape the ceremony may read back."""
    from suiji_draw import Pool

    rng = random.Random(31)
    for size, strata, reasons in (
        (1, ["A"], False),
        (300, ["A", "B", "C", "D"], True),
        (300, ["411722", "411723", "none"], True),
        (200, ["甲类", "乙"], False),
        (250, ["A", "C", "Z"], True),
    ):
        keys = sorted({"".join(rng.choice(ALPHABET) for _ in range(rng.choice([1, 15, 18]))) for _ in range(size)})
        forced = {k: "complaint" for k in keys if reasons and rng.random() < 0.05}
        excluded = {k: "cap" for k in keys if reasons and k not in forced and rng.random() < 0.05}
        yield Pool.from_columns(
            keys,
            [rng.choice(strata) for _ in keys],
            [rng.choice([0, 1, 3, 8, 1000, 999_983, MAX_WEIGHT]) for _ in keys],
            recent=[rng.random() < 0.2 for _ in keys],
            forced=forced,
            excluded=excluded,
        )


def test_the_frozen_list_is_read_back_as_the_engine_reads_it():
    from suiji_draw import read_candidates_csv

    for expected in _frozen_pools():
        data = expected.csv_bytes()
        stored = expected.digests.view(np.int64).copy()
        for digests in (stored, None):
            pool = services.pool_from_frozen(data, expected.digest, digests)
            parsed = read_candidates_csv(data)
            for p in (pool, parsed):
                assert list(p.keys) == list(expected.keys) and p.strata_names == expected.strata_names
                assert np.array_equal(p.codes, expected.codes) and np.array_equal(p.weights, expected.weights)
                assert np.array_equal(p.recent, expected.recent)
                assert p.forced == expected.forced and p.excluded == expected.excluded
                assert np.array_equal(p.digests, expected.digests)
                assert p.digest == expected.digest and p.csv_bytes() == data
        # A stored digest that does not match its key sends the reading to the full parse, which is right.
        wrong = stored.copy()
        wrong[0] ^= 1
        assert np.array_equal(services.pool_from_frozen(data, expected.digest, wrong).digests, expected.digests)


def test_the_frozen_list_of_one_character_strata_is_split_as_columns():
    """The whole-column split reads every list of one-character ASCII strata itself (its result
    equal to the engine's parse), and leaves any other list to the plain reading."""
    read = 0
    for expected in _frozen_pools():
        split = columns.split_frozen(expected.csv_bytes())
        if not all(len(name) == 1 and name.isascii() for name in expected.strata_names):
            assert split is None
            continue
        read += 1
        assert split is not None and list(split.keys) == list(expected.keys)
        assert split.strata_names == expected.strata_names and np.array_equal(split.codes, expected.codes)
        assert np.array_equal(split.weights, expected.weights) and np.array_equal(split.recent, expected.recent)
        assert split.forced == expected.forced and split.excluded == expected.excluded
    assert read == 3
    from suiji_draw import Pool

    good = Pool.from_columns(["K1", "K2", "K3"], ["A", "B", "A"], [1, 20, 3], forced={"K2": "complaint"}).csv_bytes()
    assert columns.split_frozen(good) is not None
    for bad in (
        good[:-1],  # no last line end
        good + b"K4,A,1,0,,",  # a line cut short
        good.replace(b"K2,B,20,", b"K2,B,2x,"),  # a weight that is not a number
        good.replace(b"K2,B,20,", b"K2,B,,"),  # no weight
        good.replace(b"K2,B,20,", b"K2,BC,20,"),  # a longer stratum: the plain reading's
        good.replace(b"K2,B,20,0,", b"K2,B,20,2,"),  # recent is 0 or 1
        good.replace(b"K2,B,20,0,complaint,", b"K2,B,20,0,complaint"),  # five fields
        good.replace(b"K2,B,", "K2,甲,".encode()),  # not ASCII: the plain reading's
    ):
        assert columns.split_frozen(bad) is None, bad


def test_a_frozen_list_that_changed_is_refused():
    expected = next(_frozen_pools())
    data = expected.csv_bytes().replace(b",A,", b",B,", 1)
    with pytest.raises(services.WorkflowError) as refused:
        services.pool_from_frozen(data, expected.digest, expected.digests.view(np.int64))
    assert refused.value.code == "pool_changed"


def test_the_selection_rows_text_reads_as_the_rows():
    import json

    rng = random.Random(41)
    for keys, strata, forced in (
        (["A1", "B2", "C3"], ["A", "甲类", "D"], ["", "complaint", ""]),
        (["K"], ["back\\slash"], ["reason"]),
        (['A"1', "B"], ["A", "B"], ["", ""]),  # a key that needs escaping: the whole is json.dumps'
        (["A\n1", "B"], ["A", "B"], ["", ""]),
        (
            ["".join(rng.choice(ALPHABET) for _ in range(18)) for _ in range(300)],
            [rng.choice(["A", "B", "411722", "乙"]) for _ in range(300)],
            [rng.choice(["", "complaint"]) for _ in range(300)],
        ),
    ):
        text = services._json_rows(keys, strata, forced)
        assert json.loads(text) == [list(row) for row in zip(keys, strata, forced, strict=True)]


def test_a_key_column_takes_the_keys_at_positions():
    found = columns.sort_alnum_keys("C3\nA1\nB22\nD", 4)
    assert found.keys.take(np.array([3, 0, 2], dtype=np.int64)) == ["D", "A1", "C3"]
    assert found.keys.take(np.array([], dtype=np.int64)) == []


def test_a_draw_from_key_columns_is_the_draw_from_the_engines_own_pool():
    """Strata as byte codes and keys as slices of one text (read through ``take``) give the same
    draw, keys in every list of the result, and the same manifest, as the engine's own pool."""
    import suiji_draw as sd

    rng = random.Random(53)
    keys = sorted({"".join(rng.choice(ALPHABET) for _ in range(rng.choice([15, 18]))) for _ in range(3000)})
    n = len(keys)
    labels = [rng.choice("ABCD") for _ in keys]
    weights = np.array([rng.choice([1, 2, 4, 8]) for _ in keys], dtype=np.int64)
    forced = np.array([rng.random() < 0.01 for _ in keys], dtype=bool)
    digests = np.array([candidate_digest(k) for k in keys], dtype=np.int64)
    column = services._key_order("\n".join(keys), n)[0]
    pool = services._assemble_pool(
        column, columns.one_char_values("\n".join(labels), n), weights, forced, digests, services.ALNUM_CHECKED
    )
    expected = _engine_pool(keys, labels, weights, forced, digests)
    assert isinstance(pool.keys, columns.KeyColumn) and pool.digest == expected.digest
    params = sd.DrawParams.from_dict(
        {
            "parts": [
                {
                    "name": "main",
                    "method": "weighted",
                    "overall": None,
                    "strata": [{"stratum": c, "ratio": r} for c, r in (("A", "0.05"), ("B", "0.1"), ("C", "0.2"))]
                    + [{"stratum": "D", "count": 40}],
                    "recent": "keep",
                }
            ]
        }
    )
    inputs = sd.SeedInputs.of(sd.commitment(bytes(32)), bytes(32).hex(), [("lottery", "12345")])
    ours, theirs = sd.run_draw(pool, params, inputs), sd.run_draw(expected, params, inputs)
    assert ours.order == theirs.order and len(ours.order) > 100
    for mine, other in zip(ours.parts, theirs.parts, strict=True):
        assert (mine.selected, mine.forced, mine.drawn) == (other.selected, other.forced, other.drawn)
    assert sd.build_manifest_text(ours, inputs) == sd.build_manifest_text(theirs, inputs)

"""Selection parameters: validation, canonical form and digest."""

from __future__ import annotations

import pytest

from suiji_draw import Allocation, DrawInputError, DrawParams, Part, params_digest


def test_the_canonical_form_has_every_field_and_sorted_strata():
    params = DrawParams.simple(method="weighted", strata={"B": Allocation(count=2), "A": Allocation(ratio="0.050")})
    assert params.to_dict() == {
        "algorithm": "suiji-draw-v1",
        "parts": [
            {
                "name": "main",
                "method": "weighted",
                "recent": "keep",
                "overall": None,
                "strata": [
                    {"stratum": "A", "count": None, "ratio": "0.05", "min": 0, "max": None},
                    {"stratum": "B", "count": 2, "ratio": None, "min": 0, "max": None},
                ],
            }
        ],
    }


def test_equal_parameters_written_differently_have_one_digest():
    a = DrawParams.simple(ratio="0.10", recent="1.0")
    b = DrawParams.from_dict({"parts": [{"overall": {"ratio": "0.1"}}]})
    assert params_digest(a) == params_digest(b) == params_digest(a.to_dict())


def test_the_dict_form_round_trips():
    params = DrawParams(
        (
            Part("市场监管", "weighted", strata={"A": Allocation(ratio="0.03", min=1, max=9)}, recent="0.5"),
            Part("税务", "uniform", Allocation(count=5), recent="exclude"),
        )
    )
    assert DrawParams.from_dict(params.to_dict()) == params


@pytest.mark.parametrize(
    "build",
    [
        lambda: Allocation(),
        lambda: Allocation(count=1, ratio="0.5"),
        lambda: Allocation(count=-1),
        lambda: Allocation(ratio="0.5", min=3, max=2),
        lambda: Part(method="random"),
        lambda: Part(overall=Allocation(count=1), strata={"A": Allocation(count=1)}),
        lambda: Part(),
        lambda: DrawParams(()),
        lambda: DrawParams((Part(overall=Allocation(count=1)), Part(overall=Allocation(count=2)))),
        lambda: DrawParams.from_dict({"parts": [{"overall": {"count": 1}, "colour": "red"}]}),
        lambda: DrawParams.from_dict({"algorithm": "other", "parts": []}),
        lambda: Part(overall=Allocation(count=1), recent="2"),
    ],
)
def test_it_refuses_malformed_parameters(build):
    with pytest.raises(DrawInputError):
        build()


@pytest.mark.parametrize("ratio", ["0", "1.01", "-0.1"])
def test_it_refuses_a_ratio_outside_zero_exclusive_to_one(ratio):
    with pytest.raises(DrawInputError):
        Allocation(ratio=ratio)


@pytest.mark.parametrize(
    ("alloc", "eligible", "k"),
    [
        (Allocation(ratio="0.05"), 100, 5),
        (Allocation(ratio="0.05"), 101, 6),
        (Allocation(ratio="0.05"), 1, 1),
        (Allocation(ratio="0.05"), 0, 0),
        (Allocation(ratio="0.05", min=3), 10, 3),
        (Allocation(ratio="0.05", min=3), 2, 2),
        (Allocation(ratio="0.5", max=4), 100, 4),
        (Allocation(count=7), 7, 7),
        (Allocation(ratio="1"), 9, 9),
    ],
)
def test_the_size_rule_is_ceiling_then_min_then_max_then_available(alloc, eligible, k):
    assert alloc.size(eligible) == k


def test_it_refuses_a_count_larger_than_the_pool():
    with pytest.raises(DrawInputError) as err:
        Allocation(count=8).size(7)
    assert err.value.code == "count_exceeds_pool"
    assert "8" in err.value.message_zh and "8" in err.value.message_en

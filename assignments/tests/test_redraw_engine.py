"""The pure redraw function (suiji-match-redraw-v1): deterministic, constrained, uniform by tickets."""

import hashlib
from collections import Counter

import pytest

from suiji_draw import matching as sm
from suiji_draw.errors import DrawInputError

SEED = hashlib.sha256(b"suiji-redraw-test").digest()
PEOPLE = [
    sm.Inspector("A1", unit="u1", department="market", area="411722", expertise=frozenset({"food"}), leader=True),
    sm.Inspector("A2", unit="u1", department="market", area="411722", expertise=frozenset({"food"})),
    sm.Inspector("A3", unit="u2", department="market", area="411721", expertise=frozenset({"food"})),
    sm.Inspector("A4", unit="u2", department="market", area="411721"),
    sm.Inspector("T1", unit="u3", department="taxation", area="411722"),
    sm.Inspector("T2", unit="u3", department="taxation", area="411721"),
    sm.Inspector("T3", unit="u3", department="taxation", area="411721"),
]
TARGET = sm.MatchTarget(
    "91411722MA00000001",
    area="411722",
    departments=frozenset({"market", "taxation"}),
    expertise=frozenset({"food"}),
    excluded=frozenset({"T2"}),
)
PARAMS = sm.MatchParams("pool", team_size=2)


def redraw(slot=1, number=1, team=("A1", "T1"), params=PARAMS, **kw):
    return sm.redraw_slot(PEOPLE, TARGET, list(team), "A1", slot, params, SEED, number, **kw)


def test_the_same_inputs_give_the_same_replacement():
    assert redraw() == redraw()
    r = redraw()
    assert r.old == "T1" and r.new == "T3"  # T2 recused, only T3 of taxation is left
    assert r.members == ("A1", "T3") and r.leader == "A1" and r.eligible == 1


def test_requirements_the_rest_of_the_team_no_longer_meets_bind_the_replacement():
    params = sm.MatchParams("pool", team_size=2, leader=False)
    r = redraw(slot=0, params=params)  # the market inspector with the food expertise leaves
    assert r.new in {"A2", "A3"} and r.eligible == 2  # A4 lacks the expertise, T* the department
    # a leader is required and A1 was the only leader-eligible one: no replacement at all
    with pytest.raises(DrawInputError) as exc:
        redraw(slot=0)
    assert exc.value.code == "no_replacement"


def test_the_leader_moves_when_the_leader_is_replaced_and_leadership_is_optional():
    params = sm.MatchParams("pool", team_size=2, leader=False)
    r = redraw(slot=0, params=params)
    assert r.new in {"A2", "A3"} and r.leader == r.members[0] == r.new


def test_cross_mode_keeps_the_replacement_out_of_the_targets_area():
    params = sm.MatchParams("cross", team_size=2, leader=False)
    target = sm.MatchTarget("K", area="411722", departments=frozenset({"taxation"}))
    r = sm.redraw_slot(PEOPLE, target, ["A3", "T2"], "A3", 1, params, SEED, 1)
    assert r.new == "T3" and r.eligible == 1  # T1 lives in the target's area


def test_choices_spread_uniformly_over_redraw_numbers():
    team = ("A1", "T1")
    params = sm.MatchParams("pool", team_size=2, leader=False)
    target = sm.MatchTarget("K", departments=frozenset())
    counts = Counter(sm.redraw_slot(PEOPLE, target, list(team), "A1", 1, params, SEED, n).new for n in range(1, 2001))
    assert set(counts) == {"A2", "A3", "A4", "T2", "T3"}
    assert all(300 <= c <= 500 for c in counts.values()), counts


def test_bad_slots_and_numbers_are_refused():
    with pytest.raises(DrawInputError):
        redraw(slot=5)
    with pytest.raises(DrawInputError):
        redraw(number=0)
    with pytest.raises(DrawInputError):
        sm.redraw_slot(PEOPLE, TARGET, ["A1", "ZZ"], "A1", 1, PARAMS, SEED, 1)

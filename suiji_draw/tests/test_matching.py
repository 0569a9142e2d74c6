"""Inspector matching (suiji-match-v1): known answers, properties, reasons, errors, verifier."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verify_draw
from suiji_draw import DrawInputError, canonical_json
from suiji_draw.matching import (
    MODES,
    Expert,
    Inspector,
    MatchParams,
    MatchTarget,
    build_match_manifest,
    inspectors_csv,
    person_digest,
    run_match,
    targets_csv,
)

from .conftest import REPO_ROOT

SEED = hashlib.sha256(b"suiji-match-test").digest()
VERIFIER = REPO_ROOT / "verify_draw.py"


def fs(*items: str) -> frozenset[str]:
    return frozenset(items)


def small_case():
    inspectors = [
        Inspector(
            f"ZF{i:03d}",
            unit=f"U{i % 2}",
            department="市场监管" if i % 3 else "卫生健康",
            area=f"A{i % 3}",
            expertise=fs("食品", "特种设备") if i % 4 == 0 else fs("食品"),
            leader=i % 2 == 0,
        )
        for i in range(12)
    ]
    experts = [Expert("ZJ001", fs("特种设备")), Expert("ZJ002", fs("药品"))]
    targets = [
        MatchTarget(
            f"9133010000000000{j:02d}",
            area=f"A{j % 3}",
            unit=f"U{j % 2}",
            departments=fs("市场监管", "卫生健康") if j % 5 == 0 else fs(),
            expertise=fs("特种设备") if j % 4 == 1 else fs(),
            needs_expert=j == 1,
            excluded=fs("ZF000") if j % 2 else fs(),
        )
        for j in range(10)
    ]
    return inspectors, experts, targets


def verify(result, inspectors, experts, targets):
    manifest = json.loads(canonical_json(build_match_manifest(result, {"task": "2024-001"})))
    verify_draw.verify_match(manifest, inspectors_csv(inspectors, experts), targets_csv(targets))
    return manifest


# --- known answers ---------------------------------------------------------------------------


def test_person_digest_vector():
    assert person_digest("ZF001") == int.from_bytes(
        hashlib.sha256(
            (len(b"suiji-draw-v1/match-person")).to_bytes(8, "big")
            + b"suiji-draw-v1/match-person"
            + (5).to_bytes(8, "big")
            + b"ZF001"
        ).digest()[:8],
        "big",
    )


def test_known_answer_pool_mode():
    inspectors, experts, targets = small_case()
    result = run_match(inspectors, targets, MatchParams("pool"), SEED, experts=experts)
    manifest = verify(result, inspectors, experts, targets)
    first = result.assignments[0]
    assert (first.target, first.members, first.leader) == KNOWN_POOL_FIRST
    assert result.assignments[1].expert == "ZJ001"
    assert manifest["digest"] == KNOWN_POOL_DIGEST


def test_known_answer_teams_mode():
    inspectors, experts, targets = small_case()
    result = run_match(inspectors, targets, MatchParams("teams", 3), SEED, experts=experts)
    verify(result, inspectors, experts, targets)
    assert [t.members for t in result.teams] == KNOWN_TEAMS


KNOWN_POOL_FIRST = ("913301000000000000", ("ZF006", "ZF011"), "ZF006")
KNOWN_POOL_DIGEST = "a1b2105a19b3148d308c8885a04ba346f2ddba540c17f640a06e60ee97525541"
KNOWN_TEAMS = [
    ("ZF006", "ZF000", "ZF003"),
    ("ZF004", "ZF002", "ZF005"),
    ("ZF008", "ZF001", "ZF007"),
    ("ZF010", "ZF011", "ZF009"),
]


def test_deterministic_and_independent_of_input_order():
    inspectors, experts, targets = small_case()
    a = run_match(inspectors, targets, MatchParams("cross"), SEED, experts=experts)
    b = run_match(list(reversed(inspectors)), targets, MatchParams("cross"), SEED, experts=experts[::-1])
    assert build_match_manifest(a) == build_match_manifest(b)
    c = run_match(inspectors, targets, MatchParams("cross"), bytes(32), experts=experts)
    assert build_match_manifest(a)["result"] != build_match_manifest(c)["result"]


# --- reasons ---------------------------------------------------------------------------------


def test_reasons_are_specific():
    ins = [Inspector(f"ZF{i}", unit="U1", department="市场监管", area="A1", leader=True) for i in range(3)]
    targets = [
        MatchTarget("K1", area="A1", expertise=fs("特种设备")),
        MatchTarget("K2", area="A1", departments=fs("卫生健康")),
        MatchTarget("K3", area="A1", excluded=fs("ZF0", "ZF1")),
        MatchTarget("K4", area="A1", needs_expert=True),
        MatchTarget("K5", area="A1"),
    ]
    r = run_match(ins, targets, MatchParams("pool"), SEED)
    got = {u.target: (u.code, u.item, u.cause) for u in r.unmatched}
    assert got == {
        "K1": ("no_expertise", "特种设备", "pool"),
        "K2": ("no_department_member", "卫生健康", "pool"),
        "K3": ("too_few_after_recusal", None, None),
        "K4": ("no_expert", None, "pool"),
    }
    k1 = r.unmatched[0]
    assert k1.message_zh == "无具备“特种设备”专长的检查人员"
    assert "特种设备" in k1.message_en
    cross = run_match(ins, [MatchTarget("K5", area="A1")], MatchParams("cross"), SEED)
    assert cross.unmatched[0].code == "no_cross_area_inspector"
    assert "A1" in cross.unmatched[0].message_zh
    unit = run_match(ins, [MatchTarget("K6", unit="U2")], MatchParams("unit"), SEED)
    assert unit.unmatched[0].code == "no_unit_inspector"
    u3 = [Inspector("ZF7", unit="U3"), Inspector("ZF8", unit="U3")]
    unit = run_match(ins + u3, [MatchTarget("K6", unit="U3")], MatchParams("unit"), SEED)
    assert (unit.unmatched[0].code, unit.unmatched[0].cause) == ("no_leader", "mode")
    assert unit.unmatched[0].message_zh == "无可担任组长的检查人员（须属“U3”单位）"
    capped = run_match(ins, [MatchTarget(f"K{j}") for j in range(3)], MatchParams("pool", cap=1), SEED)
    assert [u.code for u in capped.unmatched] == ["workload_cap", "workload_cap"]
    recused = run_match(
        ins + [Inspector("ZF9", expertise=fs("特种设备"))],
        [MatchTarget("K7", expertise=fs("特种设备"), excluded=fs("ZF9"))],
        MatchParams("pool"),
        SEED,
    )
    assert (recused.unmatched[0].code, recused.unmatched[0].cause) == ("no_expertise", "recusal")
    assert recused.unmatched[0].message_zh == "无具备“特种设备”专长的检查人员（回避后）"


def test_joint_task_team_grows_to_cover_departments():
    ins = [Inspector(f"D{d}-{i}", department=f"部门{d}", leader=True) for d in range(3) for i in range(3)]
    target = MatchTarget("K1", departments=fs("部门0", "部门1", "部门2"))
    r = run_match(ins, [target], MatchParams("pool", 2), SEED)
    (a,) = r.assignments
    assert len(a.members) == 3
    assert {m.split("-")[0] for m in a.members} == {"D0", "D1", "D2"}


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"team_size": 1}, "bad_team_size"), ({"mode": "random"}, "bad_mode"), ({"cap": 0}, "bad_cap")],
)
def test_bad_params(kwargs, code):
    with pytest.raises(DrawInputError) as err:
        MatchParams(**kwargs)
    assert err.value.code == code


def test_bad_inputs():
    a = Inspector("ZF1", leader=True)
    cases = [
        (dict(inspectors=[a, Inspector("ZF1")], targets=[]), "duplicate_id"),
        (dict(inspectors=[a], targets=[], experts=[Expert("ZF1")]), "duplicate_id"),
        (dict(inspectors=[a], targets=[MatchTarget("K"), MatchTarget("K")]), "duplicate_key"),
        (dict(inspectors=[Inspector("ZF,1")], targets=[]), "bad_text"),
        (dict(inspectors=[Inspector("ZF1", expertise=fs("a|b"))], targets=[]), "bad_text"),
        (dict(inspectors=[a], targets=[MatchTarget("K")], params=MatchParams("unit")), "missing_unit"),
        (dict(inspectors=[a], targets=[MatchTarget("K")], params=MatchParams("cross")), "missing_area"),
    ]
    for kwargs, code in cases:
        params = kwargs.pop("params", MatchParams())
        with pytest.raises(DrawInputError) as err:
            run_match(kwargs["inspectors"], kwargs["targets"], params, SEED, experts=kwargs.get("experts", ()))
        assert err.value.code == code
    with pytest.raises(DrawInputError) as err:
        run_match([a], [], MatchParams(), b"short")
    assert err.value.code == "bad_hex"


# --- properties ------------------------------------------------------------------------------

NAMES = st.sampled_from(["食品", "特种设备", "药品", "计量"])
DEPTS = st.sampled_from(["市场监管", "卫生健康", "应急管理"])


@st.composite
def instances(draw):
    n = draw(st.integers(0, 24))
    inspectors = [
        Inspector(
            f"ZF{i:03d}",
            unit=draw(st.sampled_from(["U1", "U2"])),
            department=draw(DEPTS),
            area=draw(st.sampled_from(["A1", "A2", "A3"])),
            expertise=frozenset(draw(st.lists(NAMES, max_size=2))),
            leader=draw(st.booleans()),
        )
        for i in range(n)
    ]
    experts = [Expert(f"ZJ{i}", frozenset(draw(st.lists(NAMES, max_size=2)))) for i in range(draw(st.integers(0, 3)))]
    ids = [p.id for p in inspectors] + [e.id for e in experts] + ["OTHER"]
    targets = [
        MatchTarget(
            f"K{j:03d}",
            area=draw(st.sampled_from(["A1", "A2", "A3"])),
            unit=draw(st.sampled_from(["U1", "U2"])),
            departments=frozenset(draw(st.lists(DEPTS, max_size=2))),
            expertise=frozenset(draw(st.lists(NAMES, max_size=2))),
            needs_expert=draw(st.booleans()),
            excluded=frozenset(draw(st.lists(st.sampled_from(ids), max_size=3))),
        )
        for j in range(draw(st.integers(0, 15)))
    ]
    params = MatchParams(
        draw(st.sampled_from(MODES)),
        draw(st.integers(2, 4)),
        draw(st.one_of(st.none(), st.integers(1, 6))),
        draw(st.booleans()),
    )
    return inspectors, experts, targets, params, draw(st.binary(min_size=32, max_size=32))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_properties_and_verifier_agreement(case):
    inspectors, experts, targets, params, seed = case
    r = run_match(inspectors, targets, params, seed, experts=experts)
    by_id = {p.id: p for p in inspectors}
    by_target = {t.key: t for t in targets}
    done = [a.target for a in r.assignments] + [u.target for u in r.unmatched]
    assert sorted(done) == sorted(by_target)
    assert [a.target for a in r.assignments] == [t.key for t in targets if t.key in {a.target for a in r.assignments}]
    for a in r.assignments:
        t = by_target[a.target]
        members = [by_id[m] for m in a.members]
        assert len(members) >= 2 and len(set(a.members)) == len(a.members)
        assert not set(a.members) & t.excluded
        assert a.expert is None or a.expert not in t.excluded
        assert (a.expert is not None) == t.needs_expert
        if params.mode == "cross":
            assert all(p.area != t.area for p in members)
        if params.mode == "unit":
            assert all(p.unit == t.unit for p in members)
        assert t.departments <= {p.department for p in members}
        assert t.expertise <= frozenset().union(*(p.expertise for p in members))
        assert a.leader in a.members
        if params.leader:
            assert by_id[a.leader].leader
    if params.cap is not None:
        assert all(load <= params.cap for pid, load in r.workload.items() if pid in by_id)
    for u in r.unmatched:
        assert u.code and u.message_zh and u.message_en
    verify(r, inspectors, experts, targets)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 60), st.integers(2, 4), st.binary(min_size=32, max_size=32))
def test_workload_is_even_without_constraints(n, m, size, seed):
    inspectors = [Inspector(f"ZF{i:03d}", leader=True) for i in range(n)]
    targets = [MatchTarget(f"K{j}") for j in range(m)]
    r = run_match(inspectors, targets, MatchParams("pool", size), seed)
    loads = [r.workload[p.id] for p in inspectors]
    if n >= size:
        assert len(r.assignments) == m
        assert max(loads) - min(loads) <= 1
        assert sum(loads) == m * size


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(2, 4), st.booleans(), st.binary(min_size=32, max_size=32))
def test_teams_are_a_partition_with_leaders(n, size, need_leader, seed):
    inspectors = [Inspector(f"ZF{i:03d}", leader=i % 3 == 0) for i in range(n)]
    r = run_match(inspectors, [MatchTarget("K1")], MatchParams("teams", size, leader=need_leader), seed)
    members = [m for t in r.teams for m in t.members]
    if r.teams:
        assert sorted(members) == sorted(p.id for p in inspectors)
        assert all(len(t.members) >= size for t in r.teams)
        assert max(len(t.members) for t in r.teams) - min(len(t.members) for t in r.teams) <= 1
        if need_leader:
            assert all(t.leader is not None and t.leader in t.members for t in r.teams)


# --- tampering and the command line ------------------------------------------------------------


def published(tmp_path, mode="pool"):
    inspectors, experts, targets = small_case()
    result = run_match(inspectors, targets, MatchParams(mode), SEED, experts=experts)
    manifest = build_match_manifest(result)
    paths = tmp_path / "MATCH_MANIFEST.json", tmp_path / "INSPECTORS.csv", tmp_path / "TARGETS.csv"
    paths[0].write_bytes(canonical_json(manifest))
    paths[1].write_bytes(inspectors_csv(inspectors, experts))
    paths[2].write_bytes(targets_csv(targets))
    return manifest, paths


def run_cli(*args) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("mode", MODES)
def test_cli_reproduces_a_match(tmp_path, mode):
    _, paths = published(tmp_path, mode)
    out = run_cli("match", *paths)
    assert (out.returncode, out.stdout.strip()) == (0, "OK")


def test_cli_reports_the_first_difference(tmp_path):
    manifest, paths = published(tmp_path)
    bad = copy.deepcopy(manifest)
    bad["result"]["assignments"][0]["leader"] = "ZF999"
    bad["digest"] = verify_draw.th(
        "match-manifest", canonical_json({k: v for k, v in bad.items() if k != "digest"})
    ).hex()
    paths[0].write_bytes(canonical_json(bad))
    out = run_cli("match", *paths)
    assert out.returncode == 1
    assert out.stdout.startswith("MISMATCH: result.assignments[0]")
    paths[0].write_bytes(canonical_json(manifest))
    paths[2].write_bytes(paths[2].read_bytes().replace(b"ZF000", b"ZF001", 1))
    out = run_cli("match", *paths)
    assert out.returncode == 1 and "targets.digest" in out.stdout
    paths[1].write_bytes(b"id,kind\n")
    assert run_cli("match", *paths).returncode == 2


def test_cli_draw_forms_unchanged():
    out = run_cli(
        "rfc3797",
        "--pool",
        "25",
        "--select",
        "10",
        "--source",
        "9319",
        "--source",
        "2 5 12 8 10",
        "--source",
        "9 18 26 34 41 45",
    )
    assert out.stdout.split() == ["17", "7", "2", "16", "25", "23", "8", "24", "19", "13"]

"""Benchmark of inspector matching (suiji-match-v1).

Run from the repository root::

    .venv/bin/python bench/bench_matching.py                       # 50,000 targets, 3,000 inspectors
    .venv/bin/python bench/bench_matching.py --targets 5000 --inspectors 300 --verify

Synthetic data from a fixed seed (numpy's generator is used only to build the test data, never in
the matching): inspectors in 20 units and 16 areas, one of 3 departments, 1 to 3 of 12 expertise
items (the last ones rarer), one in three leader-eligible; 200 experts; targets with an area and
unit, 0 to 2 required expertise items, a joint-task department pair on one target in ten, an
expert on one in twenty, and 0 to 3 recused inspectors (declared conflicts, last time's checkers).
Timed: ``run_match`` for each requested mode (input validation, digests, matching), and with
``--verify`` the standard-library verifier on the published files.

For comparison (``--naive``, on by default), in the same process on the same data: a naive
per-target random choice with retries (``random.Random`` seeded; for each target pick
``team_size`` inspectors uniformly among those the mode allows, retry up to ``--retries`` times
while a constraint fails, keep the last pick when every retry failed; experts likewise). The
constraint violations of both results are counted by one checker: a recused person on the team,
a department or expertise item not covered, no leader-eligible member, a member outside the
mode (other unit; own area in cross mode), a team smaller than the team size or with a repeated
member, an expert missing or without a required item. Ours must have none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from suiji_draw import canonical_json  # noqa: E402
from suiji_draw.matching import (  # noqa: E402
    Expert,
    Inspector,
    MatchParams,
    MatchTarget,
    build_match_manifest,
    inspectors_csv,
    run_match,
    targets_csv,
)

EXPERTISE = [f"专长{n:02d}" for n in range(12)]
DEPARTMENTS = ("市场监管", "卫生健康", "应急管理")


def make_data(n_targets: int, n_inspectors: int, n_experts: int = 200, seed: int = 20240601):
    rng = np.random.default_rng(seed)
    p = np.linspace(2.0, 0.5, len(EXPERTISE))
    p /= p.sum()
    inspectors = []
    for i in range(n_inspectors):
        k = int(rng.integers(1, 4))
        items = frozenset(EXPERTISE[j] for j in rng.choice(len(EXPERTISE), size=k, replace=False, p=p))
        inspectors.append(
            Inspector(
                f"ZF{i:08d}",
                unit=f"单位{i % 20:02d}",
                department=DEPARTMENTS[i % 3],
                area=f"3301{i % 16:02d}",
                expertise=items,
                leader=i % 3 == 0,
            )
        )
    experts = [Expert(f"ZJ{i:06d}", frozenset({EXPERTISE[i % len(EXPERTISE)]})) for i in range(n_experts)]
    ids = [p.id for p in inspectors]
    targets = []
    for j in range(n_targets):
        k = int(rng.integers(0, 3))
        need = frozenset(EXPERTISE[x] for x in rng.choice(len(EXPERTISE), size=k, replace=False, p=p))
        recused = frozenset(ids[x] for x in rng.integers(0, n_inspectors, size=int(rng.integers(0, 4))))
        targets.append(
            MatchTarget(
                f"91330100{j:010d}",
                area=f"3301{j % 16:02d}",
                unit=f"单位{j % 20:02d}",
                departments=frozenset(DEPARTMENTS[:2]) if j % 10 == 0 else frozenset(),
                expertise=need,
                needs_expert=j % 20 == 0,
                excluded=recused,
            )
        )
    return inspectors, experts, targets


def violations(assignments, targets, inspectors, experts, params) -> dict[str, int]:
    """Constraint violations of a result given as (target key, member ids, expert id or None) rows."""
    by_id = {p.id: p for p in inspectors}
    ex = {e.id: e for e in experts}
    tg = {t.key: t for t in targets}
    out: dict[str, int] = {}

    def bad(kind: str) -> None:
        out[kind] = out.get(kind, 0) + 1

    for key, members, expert in assignments:
        t = tg[key]
        people = [by_id[m] for m in members]
        if len(set(members)) != len(members) or len(members) < params.team_size:
            bad("team_size")
        if any(m in t.excluded for m in members) or (expert is not None and expert in t.excluded):
            bad("recusal")
        if not t.departments <= {p.department for p in people}:
            bad("department")
        have = frozenset().union(*(p.expertise for p in people)) if people else frozenset()
        if not t.expertise <= have:
            bad("expertise")
        if params.leader and not any(p.leader for p in people):
            bad("leader")
        if params.mode == "unit" and any(p.unit != t.unit for p in people):
            bad("mode")
        if params.mode == "cross" and any(p.area == t.area for p in people):
            bad("mode")
        if t.needs_expert and (expert is None or (t.expertise and not ex[expert].expertise & t.expertise)):
            bad("expert")
    return out


def naive_match(inspectors, experts, targets, params, seed: int, retries: int):
    """Per target: uniform random team among the allowed inspectors, retried while a constraint fails."""
    rng = random.Random(seed)
    everyone = list(inspectors)
    by_unit: dict[str, list] = {}
    by_area: dict[str, list] = {}
    for p in everyone:
        by_unit.setdefault(p.unit, []).append(p)
    areas = {t.area for t in targets}
    for a in areas:
        by_area[a] = [p for p in everyone if p.area != a]
    load = {p.id: 0 for p in everyone}
    size = params.team_size
    rows = []
    attempts = 0
    for t in targets:
        allowed = (
            by_unit.get(t.unit, [])
            if params.mode == "unit"
            else by_area[t.area]
            if params.mode == "cross"
            else everyone
        )
        if len(allowed) < size:
            continue
        team = None
        for _ in range(retries):
            attempts += 1
            team = rng.sample(allowed, size)
            ids = {p.id for p in team}
            if (
                not ids & t.excluded
                and t.departments <= {p.department for p in team}
                and t.expertise <= frozenset().union(*(p.expertise for p in team))
                and (not params.leader or any(p.leader for p in team))
                and (params.cap is None or all(load[p.id] < params.cap for p in team))
            ):
                break
        expert = None
        if t.needs_expert:
            for _ in range(retries):
                e = rng.choice(experts)
                expert = e.id
                if e.id not in t.excluded and (not t.expertise or e.expertise & t.expertise):
                    break
        for p in team:
            load[p.id] += 1
        rows.append((t.key, [p.id for p in team], expert))
    return rows, load, attempts


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=50_000)
    ap.add_argument("--inspectors", type=int, default=3_000)
    ap.add_argument("--modes", default="pool,cross,unit,teams")
    ap.add_argument("--verify", action="store_true", help="also run the stdlib verifier (quadratic: keep sizes small)")
    ap.add_argument("--no-naive", dest="naive", action="store_false", help="skip the naive comparison")
    ap.add_argument("--retries", type=int, default=100, help="retries per target of the naive choice")
    ns = ap.parse_args()
    inspectors, experts, targets = make_data(ns.targets, ns.inspectors)
    seed = hashlib.sha256(b"suiji-bench-match").digest()
    print(f"targets {ns.targets:,}  inspectors {ns.inspectors:,}  experts {len(experts)}  cpus {os.cpu_count()}")
    print(f"load average before: {load_average()}")
    report = {}
    for mode in ns.modes.split(","):
        params = MatchParams(mode=mode, team_size=2)
        t0 = time.perf_counter()
        result = run_match(inspectors, targets, params, seed, experts=experts)
        seconds = time.perf_counter() - t0
        loads = [result.workload[p.id] for p in inspectors]
        codes: dict[str, int] = {}
        for u in result.unmatched:
            codes[u.code] = codes.get(u.code, 0) + 1
        report[mode] = {"seconds": round(seconds, 3), "matched": len(result.assignments), "unmatched": codes}
        print(
            f"{mode:6s} {seconds:6.2f} s  matched {len(result.assignments):,}  unmatched {codes}  "
            f"workload min {min(loads)} max {max(loads)}"
        )
        ours = violations(
            [(a.target, list(a.members), a.expert) for a in result.assignments], targets, inspectors, experts, params
        )
        report[mode]["violations"] = ours
        print(f"       ours: constraint violations {sum(ours.values())} {ours}")
        if ns.naive and mode != "teams":
            t0 = time.perf_counter()
            rows, nload, attempts = naive_match(inspectors, experts, targets, params, 20240601, ns.retries)
            nsec = time.perf_counter() - t0
            theirs = violations(rows, targets, inspectors, experts, params)
            nl = list(nload.values())
            report[mode]["naive"] = {
                "seconds": round(nsec, 3),
                "ratio_naive_over_ours": round(nsec / seconds, 2),
                "teams": len(rows),
                "attempts": attempts,
                "violations": theirs,
                "workload_max": max(nl),
            }
            print(
                f"       naive {nsec:6.2f} s  (naive/ours {nsec / seconds:.2f})  teams {len(rows):,}  "
                f"attempts {attempts:,}  violations {sum(theirs.values())} {theirs}  "
                f"workload min {min(nl)} max {max(nl)}"
            )
        if ns.verify:
            with tempfile.TemporaryDirectory() as tmp:
                d = Path(tmp)
                (d / "m.json").write_bytes(canonical_json(build_match_manifest(result)))
                (d / "i.csv").write_bytes(inspectors_csv(inspectors, experts))
                (d / "t.csv").write_bytes(targets_csv(targets))
                t0 = time.perf_counter()
                out = subprocess.run(
                    [
                        sys.executable,
                        str(ROOT / "verify_draw.py"),
                        "match",
                        *(str(d / f) for f in ("m.json", "i.csv", "t.csv")),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                vs = time.perf_counter() - t0
                print(f"       verifier {vs:6.2f} s: {out.stdout.strip()[:200]}")
                report[mode]["verifier_seconds"] = round(vs, 3)
    print(f"load average after: {load_average()}")
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()

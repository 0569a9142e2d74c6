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
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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

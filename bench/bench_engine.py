"""Benchmark of the sampling engine against unverifiable peers, and of the stdlib verifier.

Run from the repository root::

    .venv/bin/python bench/bench_engine.py                 # 10,000,000 candidates
    .venv/bin/python bench/bench_engine.py --n 200000 --verify-n 50000 --json out.json

Synthetic candidates: USCC-shaped keys, four credit classes A-D (40/40/15/5 %) as strata and
integer risk weights (class base 1/2/4/8 times 1..3). Candidate digests are precomputed, as the
directory import does. Timed: the engine's draw from stored digests (tickets, stratified weighted
selection, visit order), pandas ``DataFrame.sample(n, weights=...)`` and numpy
``Generator.choice(N, k, replace=False, p=...)`` per stratum with the same sizes, and the
standard-library verifier on a smaller draw in a subprocess pinned to one CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from suiji_draw import (  # noqa: E402
    Allocation,
    DrawParams,
    Pool,
    SeedInputs,
    build_manifest,
    commitment,
    manifest_json,
    run_draw,
)
from suiji_draw.pool import candidate_digest_unsigned  # noqa: E402

CLASSES = ("A", "B", "C", "D")
SHARES = (0.40, 0.40, 0.15, 0.05)
BASE_WEIGHT = (1, 2, 4, 8)
RATIOS = {"A": "0.01", "B": "0.03", "C": "0.1", "D": "0.3"}
SECRET = bytes(range(32))
WITNESS = [("witness 1", "3 6 1 4 2"), ("lottery", "07 19 23 31 02")]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def synthetic(n: int, seed: int = 20240601) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Keys (already in sorted order), class codes and weights for n candidates."""
    rng = np.random.default_rng(seed)
    keys = [f"91330100{i:010d}" for i in range(n)]
    codes = rng.choice(len(CLASSES), size=n, p=SHARES).astype(np.int64)
    weights = np.asarray(BASE_WEIGHT, dtype=np.int64)[codes] * rng.integers(1, 4, size=n)
    return keys, codes, weights


def build_pool(keys: list[str], codes: np.ndarray, weights: np.ndarray) -> tuple[Pool, dict[str, float]]:
    timings = {}
    t = time.perf_counter()
    digests = np.fromiter((candidate_digest_unsigned(k) for k in keys), dtype=np.uint64, count=len(keys))
    timings["digests_at_import_s"] = time.perf_counter() - t
    t = time.perf_counter()
    strata = [CLASSES[c] for c in codes.tolist()]
    pool = Pool.from_columns(keys, strata, weights, digests=digests, trust_digests=True)
    timings["freeze_pool_s"] = time.perf_counter() - t
    t = time.perf_counter()
    _ = pool.digest
    _ = pool.group_order
    timings["pool_digest_s"] = time.perf_counter() - t
    return pool, timings


def params() -> DrawParams:
    return DrawParams.simple(method="weighted", strata={c: Allocation(ratio=r) for c, r in RATIOS.items()})


def seed_inputs() -> SeedInputs:
    return SeedInputs.of(commitment(SECRET), SECRET, WITNESS)


def time_engine(pool: Pool, repeats: int, workers: int | None) -> tuple[list[float], int, dict[str, int]]:
    inputs = seed_inputs()
    p = params()
    times = []
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = run_draw(pool, p, inputs, workers=workers)
        times.append(time.perf_counter() - t)
    assert result is not None
    sizes = {g.stratum or "": g.k for g in result.parts[0].groups}
    return times, len(result.order), sizes


def time_pandas(codes: np.ndarray, weights: np.ndarray, sizes: dict[str, int]) -> float | None:
    try:
        import pandas as pd
    except ImportError:
        return None
    frame = pd.DataFrame({"stratum": codes, "weight": weights})
    t = time.perf_counter()
    for c, name in enumerate(CLASSES):
        part = frame[frame["stratum"] == c]
        part.sample(n=sizes[name], weights="weight", random_state=c)
    return time.perf_counter() - t


def time_numpy(codes: np.ndarray, weights: np.ndarray, sizes: dict[str, int]) -> float:
    rng = np.random.default_rng(1)
    t = time.perf_counter()
    for c, name in enumerate(CLASSES):
        idx = np.flatnonzero(codes == c)
        w = weights[idx]
        rng.choice(idx.size, size=sizes[name], replace=False, p=w / w.sum())
    return time.perf_counter() - t


def time_verifier(n: int) -> dict[str, object]:
    keys, codes, weights = synthetic(n, seed=7)
    pool, _ = build_pool(keys, codes, weights)
    inputs = seed_inputs()
    result = run_draw(pool, params(), inputs)
    manifest = build_manifest(result, inputs, {"title": "benchmark"})
    with tempfile.TemporaryDirectory() as tmp:
        mpath = Path(tmp) / "MANIFEST.json"
        cpath = Path(tmp) / "CANDIDATES.csv"
        mpath.write_bytes(manifest_json(manifest))
        cpath.write_bytes(pool.csv_bytes())

        def pin() -> None:
            if hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(ROOT / "verify_draw.py"), str(mpath), str(cpath)],
            capture_output=True,
            text=True,
            preexec_fn=pin,
            check=False,
        )
        elapsed = time.perf_counter() - t
    return {"n": n, "selected": len(result.order), "seconds": elapsed, "output": proc.stdout.strip()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="candidates for the engine and peers")
    ap.add_argument("--verify-n", type=int, default=1_000_000, help="candidates for the verifier run")
    ap.add_argument("--repeats", type=int, default=3, help="engine repetitions (median reported)")
    ap.add_argument("--workers", type=int, default=None, help="threads for ticket hashing")
    ap.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()

    info = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    print(f"# suiji_draw benchmark  {info['date']}")
    print(f"# {info['platform']}  CPU: {info['cpu_model']} x {info['cpu_count']}")
    print(f"# Python {info['python']}, numpy {info['numpy']}, load average {info['load_average_at_start']}")

    keys, codes, weights = synthetic(args.n)
    pool, setup = build_pool(keys, codes, weights)
    times, selected, sizes = time_engine(pool, args.repeats, args.workers)
    engine = statistics.median(times)
    pandas_s = time_pandas(codes, weights, sizes)
    numpy_s = time_numpy(codes, weights, sizes)
    verifier = time_verifier(args.verify_n) if args.verify_n else None

    rows = [
        ("engine draw (median)", engine, f"{selected} selected of {args.n}, runs {[round(x, 3) for x in times]}"),
        ("pandas DataFrame.sample", pandas_s, "per stratum, same sizes, weights"),
        ("numpy Generator.choice", numpy_s, "per stratum, same sizes, p=weights"),
    ]
    print()
    print("# engine / peer = engine seconds divided by peer seconds (below 1: the engine is faster)")
    print(f"{'what':<28}{'seconds':>10}{'engine / peer':>16}  notes")
    for name, seconds, note in rows:
        if seconds is None:
            print(f"{name:<28}{'n/a':>10}{'':>16}  not installed")
            continue
        ratio = "" if name.startswith("engine") else f"{engine / seconds:.2f}"
        print(f"{name:<28}{seconds:>10.3f}{ratio:>16}  {note}")
    print(f"{'(setup) digests at import':<28}{setup['digests_at_import_s']:>10.3f}{'':>16}  not part of a draw")
    print(f"{'(setup) freeze pool':<28}{setup['freeze_pool_s']:>10.3f}{'':>16}  validation, strata codes")
    print(f"{'(setup) pool digest':<28}{setup['pool_digest_s']:>10.3f}{'':>16}  canonical CSV + SHA-256")
    if verifier:
        print(
            f"{'stdlib verifier (1 CPU)':<28}{verifier['seconds']:>10.3f}{'':>16}  "
            f"{verifier['n']} candidates, {verifier['selected']} selected, said {verifier['output']!r}"
        )
    results = {
        "machine": info,
        "n": args.n,
        "selected": selected,
        "strata_sizes": sizes,
        "engine_seconds": times,
        "engine_median_seconds": engine,
        "pandas_seconds": pandas_s,
        "numpy_seconds": numpy_s,
        "engine_over_pandas": None if pandas_s is None else engine / pandas_s,
        "engine_over_numpy": engine / numpy_s,
        "setup": setup,
        "verifier": verifier,
        "load_average_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

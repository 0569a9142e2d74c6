"""Builders shared by the engine tests."""

from __future__ import annotations

import hashlib

from suiji_draw import Candidate, DrawParams, SeedInputs, build_manifest, commitment, freeze_pool, run_draw

SECRET = bytes(range(32))
WITNESS = [("公证员", "3 6 1 4"), ("lottery", "07 19 23")]


def inputs(secret: bytes = SECRET, witness=None) -> SeedInputs:
    return SeedInputs.of(commitment(secret), secret, witness or WITNESS)


def seed_of(n: int) -> bytes:
    """A fixed, documented seed for statistical runs: SHA-256 of 'suiji-test-seed-<n>'."""
    return hashlib.sha256(f"suiji-test-seed-{n}".encode()).digest()


def sample_candidates(n: int = 40, strata: str = "ABCD") -> list[Candidate]:
    return [
        Candidate(
            key=f"9111010{i:010d}X",
            stratum=strata[i % len(strata)],
            weight=1 + i % 4,
            recent=i % 6 == 0,
        )
        for i in range(n)
    ]


def draw(candidates, params: DrawParams, secret: bytes = SECRET, witness=None, context=None):
    pool = freeze_pool(candidates)
    seed_inputs = inputs(secret, witness)
    result = run_draw(pool, params, seed_inputs)
    return pool, result, build_manifest(result, seed_inputs, context)

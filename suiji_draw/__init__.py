"""suiji_draw: the verifiable sampling engine of Suiji (no web framework, no database).

Typical use at a ceremony::

    pool = freeze_pool(candidates)                  # or Pool.from_columns(...) for large pools
    params = DrawParams.simple(ratio="0.05", method="weighted",
                               strata={"A": Allocation(ratio="0.03"), "D": Allocation(ratio="0.3")})
    secret = new_secret(); published = commitment(secret)   # before the ceremony
    inputs = SeedInputs.of(published, secret, [("witness 1", "3 5 1 6"), ("lottery", "07 19 23")])
    result = run_draw(pool, params, inputs)
    manifest = build_manifest(result, inputs)       # publish with pool.csv_bytes()

The algorithm is specified in docs/DRAW.md; verify_draw.py re-implements it with the Python
standard library only.
"""

from . import rfc3797
from .encoding import VERSION, canonical_json
from .engine import (
    Cutoff,
    DrawResult,
    GroupOutcome,
    PartOutcome,
    draw_with_seed,
    run_draw,
)
from .errors import DrawInputError
from .manifest import build_announcement, build_manifest, build_manifest_text, manifest_digest, manifest_json
from .matching import (
    Assignment,
    Expert,
    Inspector,
    MatchParams,
    MatchResult,
    MatchTarget,
    Team,
    Unmatched,
    build_match_manifest,
    inspectors_csv,
    run_match,
    targets_csv,
)
from .params import Allocation, DrawParams, Part, params_digest
from .pool import (
    CSV_HEADER,
    Candidate,
    Pool,
    candidate_digest,
    candidate_digest_unsigned,
    freeze_pool,
    pool_digest,
    read_candidates_csv,
)
from .seed import SeedInputs, WitnessInput, commitment, form_seed, new_secret, witness_inputs

__all__ = [
    "CSV_HEADER",
    "VERSION",
    "Allocation",
    "Candidate",
    "Cutoff",
    "DrawInputError",
    "DrawParams",
    "DrawResult",
    "GroupOutcome",
    "Part",
    "PartOutcome",
    "Pool",
    "SeedInputs",
    "WitnessInput",
    "build_announcement",
    "build_manifest",
    "build_manifest_text",
    "canonical_json",
    "candidate_digest",
    "candidate_digest_unsigned",
    "commitment",
    "draw_with_seed",
    "form_seed",
    "freeze_pool",
    "manifest_digest",
    "manifest_json",
    "new_secret",
    "params_digest",
    "pool_digest",
    "read_candidates_csv",
    "rfc3797",
    "run_draw",
    "witness_inputs",
    # inspector matching (suiji-match-v1)
    "Assignment",
    "Expert",
    "Inspector",
    "MatchParams",
    "MatchResult",
    "MatchTarget",
    "Team",
    "Unmatched",
    "build_match_manifest",
    "inspectors_csv",
    "run_match",
    "targets_csv",
]

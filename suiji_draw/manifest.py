"""The published manifest of a draw and its canonical JSON form.

The manifest holds every input (pool digest and strata counts, parameters, commitment, revealed
secret, witness inputs), the seed, and the full result (visit order with tickets, per part the
forced, certain and drawn candidates, exclusions, per-group counts, probabilities and cut-offs).
Its ``digest`` is the tagged SHA-256 of the canonical JSON of everything else. Together with
CANDIDATES.csv it is all that verify_draw.py needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .encoding import VERSION, canonical_json, check_text, fraction_text, hex64, tagged_hash
from .engine import DrawResult, GroupOutcome
from .errors import DrawInputError
from .params import DrawParams
from .pool import CSV_FORMAT, Pool
from .seed import SeedInputs, form_seed

_CONTEXT_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _context(context: Mapping[str, str] | None) -> dict[str, str]:
    out = {}
    for key, value in (context or {}).items():
        if not isinstance(key, str) or not _CONTEXT_KEY.fullmatch(key):
            raise DrawInputError(
                "bad_context",
                f"说明字段名“{key}”不合格式（小写字母开头，字母数字下划线）",
                f"context field name {key!r} is malformed (lower-case identifier)",
            )
        out[key] = check_text(value, "说明字段", "context value", 1000)
    return out


def _pool_section(pool: Pool) -> dict[str, Any]:
    return {
        "format": CSV_FORMAT,
        "digest": pool.digest,
        "count": len(pool),
        "strata": [{"stratum": s, "count": c} for s, c in pool.stratum_counts().items()],
    }


def _group(g: GroupOutcome) -> dict[str, Any]:
    return {
        "stratum": g.stratum,
        "candidates": g.candidates,
        "excluded": g.excluded,
        "forced": g.forced,
        "eligible": g.eligible,
        "k": g.k,
        "certain": g.certain,
        "drawn": g.drawn,
        "weight_total": str(g.weight_total),
        "certain_min_weight": None if g.certain_min_weight is None else str(g.certain_min_weight),
        "pi_factor": fraction_text(g.pi_factor),
        "cutoff": None
        if g.cutoff is None
        else {"key": g.cutoff.key, "ticket": hex64(g.cutoff.ticket), "rank": hex64(g.cutoff.rank)},
    }


def result_section(result: DrawResult) -> dict[str, Any]:
    """The ``result`` object of the manifest."""
    tickets = result.tickets[result.visit_positions].tolist()
    okeys = result.visit_order_keys.tolist()
    selected = [
        {"key": key, "ticket": hex64(t), "order_key": hex64(o), "parts": list(parts)}
        for key, t, o, parts in zip(result.order, tickets, okeys, result.order_parts, strict=True)
    ]
    parts = [
        {
            "name": p.name,
            "method": p.method,
            "forced": list(p.forced),
            "certain": list(p.certain),
            "drawn": list(p.drawn),
            "excluded": [{"key": k, "reason": r} for k, r in p.excluded],
            "groups": [_group(g) for g in p.groups],
        }
        for p in result.parts
    ]
    return {
        "selected": selected,
        "parts": parts,
        "excluded": [{"key": k, "reason": r} for k, r in result.excluded],
        "counts": {"pool": len(result.pool), "excluded": len(result.excluded), "selected": len(result.order)},
    }


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """Hex self-digest: tagged SHA-256 of the canonical JSON of the manifest without ``digest``."""
    body = {k: v for k, v in manifest.items() if k != "digest"}
    return tagged_hash("manifest", canonical_json(body)).hex()


def _seal(body: dict[str, Any]) -> dict[str, Any]:
    body["digest"] = manifest_digest(body)
    return body


def build_announcement(
    pool: Pool, params: DrawParams, commitment_hex: str, context: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What is published before the ceremony: pool digest, parameters and the commitment."""
    return _seal(
        {
            "algorithm": VERSION,
            "context": _context(context),
            "pool": _pool_section(pool),
            "params": params.to_dict(),
            "params_digest": params.digest,
            "commitment": commitment_hex,
        }
    )


def build_manifest(
    result: DrawResult, seed_inputs: SeedInputs, context: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The full manifest of a finished draw (JSON-serialisable, no floats, self-digest included)."""
    body = _unsealed(result, seed_inputs, context)
    body["result"] = result_section(result)
    return _seal(body)


def _unsealed(result: DrawResult, seed_inputs: SeedInputs, context: Mapping[str, str] | None) -> dict[str, Any]:
    """Every member of the manifest but ``result`` and ``digest``, once the seed inputs are checked."""
    seed = form_seed(
        result.version,
        result.pool_digest,
        result.params_digest,
        seed_inputs.commitment,
        seed_inputs.secret,
        seed_inputs.witness,
    )
    if seed != result.seed:
        raise DrawInputError(
            "seed_mismatch",
            "见证输入与机关密钥不能重现本次抽取的种子",
            "the seed inputs do not reproduce the seed of this draw",
        )
    return {
        "algorithm": result.version,
        "context": _context(context),
        "pool": _pool_section(result.pool),
        "params": result.params.to_dict(),
        "params_digest": result.params_digest,
        "commitment": seed_inputs.commitment,
        "secret": seed_inputs.secret.hex(),
        "witness": [{"label": w.label, "value": w.value} for w in seed_inputs.witness],
        "seed": result.seed_hex,
    }


def manifest_json(manifest: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of a manifest (what is published as MANIFEST.json)."""
    return canonical_json(dict(manifest))


def build_manifest_text(
    result: DrawResult, seed_inputs: SeedInputs, context: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """``(text, digest)``: exactly ``manifest_json(build_manifest(...))`` decoded, and its ``digest``.

    For a large draw, most of a manifest is its lists of keys and its ``selected`` entries
    (one per selected firm). These are written here straight into canonical JSON text from
    the engine's arrays, without building a dictionary per entry, serialising it and parsing
    the text back to refuse floats (there are none: keys are checked strings, tickets hex
    text, counts integers). Everything else goes through :func:`canonical_json`. The
    text is assembled once without ``digest``, hashed, and once with it; the result is
    byte for byte what the generic path gives (a test compares them on many draws).
    """
    members = {name: _text(value) for name, value in _unsealed(result, seed_inputs, context).items()}
    members["result"] = _result_text(result)
    body = _object(members)
    digest = tagged_hash("manifest", body.encode("utf-8")).hex()
    members["digest"] = _text(digest)
    return _object(members), digest


def _text(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _object(members: Mapping[str, str]) -> str:
    """A JSON object of already canonical member texts, in canonical (sorted) key order."""
    return "{" + ",".join(f'"{name}":{members[name]}' for name in sorted(members)) + "}"


def _plain(keys: Any) -> bool:
    """True when every string of ``keys`` is written in JSON as itself between quotes."""
    joined = "".join(keys)
    return joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined


def _strings(keys: Any, plain: bool) -> str:
    """A JSON array of strings in canonical form."""
    if not keys:
        return "[]"
    if plain:
        return '["' + '","'.join(keys) + '"]'
    return json.dumps(list(keys), ensure_ascii=False, separators=(",", ":"))


def _result_text(result: DrawResult) -> str:
    """The canonical JSON text of :func:`result_section`."""
    order = result.order
    plain = _plain(order)  # every key of a part's lists is one of these
    tickets = result.tickets[result.visit_positions].tolist()
    okeys = result.visit_order_keys.tolist()
    part_texts: dict[tuple[str, ...], str] = {}
    for parts in set(result.order_parts):
        part_texts[parts] = _strings(parts, False)
    if plain:
        selected = [
            f'{{"key":"{key}","order_key":"{o:016x}","parts":{part_texts[parts]},"ticket":"{t:016x}"}}'
            for key, t, o, parts in zip(order, tickets, okeys, result.order_parts, strict=True)
        ]
    else:
        selected = [
            f'{{"key":{_text(key)},"order_key":"{o:016x}","parts":{part_texts[parts]},"ticket":"{t:016x}"}}'
            for key, t, o, parts in zip(order, tickets, okeys, result.order_parts, strict=True)
        ]
    parts_text = []
    for p in result.parts:
        members = {
            "name": _text(p.name),
            "method": _text(p.method),
            "forced": _strings(p.forced, plain),
            "certain": _strings(p.certain, plain),
            "drawn": _strings(p.drawn, plain),
            "excluded": _text([{"key": k, "reason": r} for k, r in p.excluded]),
            "groups": _text([_group(g) for g in p.groups]),
        }
        parts_text.append(_object(members))
    members = {
        "selected": "[" + ",".join(selected) + "]",
        "parts": "[" + ",".join(parts_text) + "]",
        "excluded": _text([{"key": k, "reason": r} for k, r in result.excluded]),
        "counts": _text({"pool": len(result.pool), "excluded": len(result.excluded), "selected": len(order)}),
    }
    return _object(members)

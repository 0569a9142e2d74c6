#!/usr/bin/env python3
"""Independent verifier of Suiji draws (algorithm suiji-draw-v1), Python standard library only.

Usage:
    python verify_draw.py MANIFEST.json CANDIDATES.csv
        Recompute the pool digest, parameters digest, commitment, seed, every ticket, the
        selection of every part and the visit order, and compare them with the manifest.
        Prints OK and exits 0 when everything is reproduced; otherwise prints the first
        difference and exits 1. Exits 2 when an input cannot be read.

    python verify_draw.py explain MANIFEST.json CANDIDATES.csv KEY
        Verify, then show one candidate's ticket, rank and status in every part.

    python verify_draw.py rfc3797 --pool P --select K --source "9319" --source "2 5 12 8 10"
        RFC 3797 selection: prints the selected 1-based positions in order on one line.

    python verify_draw.py match MATCH_MANIFEST.json INSPECTORS.csv TARGETS.csv
        Recompute an inspector matching (suiji-match-v1): prints OK or the first difference.

    python verify_draw.py redraw REDRAW.json INSPECTORS.csv TARGETS.csv
        Recompute the redraw of one slot of a matching (suiji-match-redraw-v1).

The algorithm is specified in docs/DRAW.md. This file deliberately shares no code with the
suiji_draw package: it is a second implementation written from the specification.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import re
import sys
import unicodedata
from fractions import Fraction

VERSION = "suiji-draw-v1"
CSV_FORMAT = "suiji-candidates-v1"
HEADER = "key,stratum,weight,recent,forced,excluded"
MAX_WEIGHT = 1_000_000
M64 = 0xFFFFFFFFFFFFFFFF

EXIT_OK, EXIT_MISMATCH, EXIT_UNREADABLE = 0, 1, 2


class Mismatch(Exception):
    """The inputs were read but the draw is not reproduced."""


class Unreadable(Exception):
    """An input file cannot be read or parsed."""


# --- hashing ------------------------------------------------------------------------------


def lp(data: bytes) -> bytes:
    """One length-prefixed field: 8-byte big-endian length, then the bytes."""
    return len(data).to_bytes(8, "big") + data


def th(name: str, *fields: bytes) -> bytes:
    """Tagged hash: SHA-256 of the length-prefixed tag 'suiji-draw-v1/<name>' and fields."""
    h = hashlib.sha256(lp(f"{VERSION}/{name}".encode("ascii")))
    for f in fields:
        h.update(lp(f))
    return h.digest()


def siphash_key(seed: bytes, purpose: str) -> tuple[int, int]:
    k = th(purpose, seed)[:16]
    return int.from_bytes(k[:8], "little"), int.from_bytes(k[8:16], "little")


def sip24(k0: int, k1: int, m: int) -> int:
    """SipHash-2-4 of one 8-byte little-endian message word m, unrolled for speed."""
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573 ^ m
    for r in range(8):
        if r == 2:
            v0 ^= m
            v3 ^= 0x0800000000000000
        elif r == 4:
            v0 ^= 0x0800000000000000
            v2 ^= 0xFF
        v0 = (v0 + v1) & M64
        v1 = ((v1 << 13) | (v1 >> 51)) & M64 ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M64
        v2 = (v2 + v3) & M64
        v3 = ((v3 << 16) | (v3 >> 48)) & M64 ^ v2
        v0 = (v0 + v3) & M64
        v3 = ((v3 << 21) | (v3 >> 43)) & M64 ^ v0
        v2 = (v2 + v1) & M64
        v1 = ((v1 << 17) | (v1 >> 47)) & M64 ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M64
    return v0 ^ v1 ^ v2 ^ v3


def canonical_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def h16(value: int) -> str:
    return f"{value:016x}"


# --- text rules ---------------------------------------------------------------------------

REASON = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
RATIO = re.compile(r"(0|1)(\.[0-9]{1,9})?")
MULT = re.compile(r"(0|1)(\.[0-9]{1,3})?")
WITNESS = re.compile(r"[0-9 \t,;/\-，、；]*")


def good_text(s: object, limit: int) -> bool:
    return (
        isinstance(s, str)
        and 0 < len(s) <= limit
        and s.isprintable()
        and "," not in s
        and '"' not in s
        and s == s.strip(" ")
        and unicodedata.is_normalized("NFC", s)
    )


def decimal_text(x: Fraction) -> str:
    whole, rest = divmod(x.numerator, x.denominator)
    digits = ""
    while rest:
        d, rest = divmod(rest * 10, x.denominator)
        digits += str(d)
    return f"{whole}.{digits}" if digits else str(whole)


# --- candidates ---------------------------------------------------------------------------


class Pool:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.strata: list[str] = []
        self.weights: list[int] = []
        self.recent: list[bool] = []
        self.forced: dict[int, str] = {}
        self.excluded: dict[int, str] = {}
        self.digest = ""


def read_csv(data: bytes) -> Pool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable("CANDIDATES.csv is not UTF-8") from exc
    if text.startswith("\ufeff"):
        raise Unreadable("CANDIDATES.csv starts with a byte order mark")
    if "\r" in text or not text.endswith("\n"):
        raise Unreadable("CANDIDATES.csv must use \\n line ends and end with a newline")
    lines = text[:-1].split("\n")
    if lines[0] != HEADER:
        raise Unreadable(f"CANDIDATES.csv line 1: header must be {HEADER!r}")
    pool = Pool()
    keys, strata, weights, recent = pool.keys, pool.strata, pool.weights, pool.recent
    strata_seen: set[str] = set()
    previous = None
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split(",")
        if len(parts) != 6:
            raise Unreadable(f"CANDIDATES.csv line {n}: expected 6 columns, found {len(parts)}")
        key, stratum, weight, rec, forced, excluded = parts
        if not good_text(key, 128):
            raise Unreadable(f"CANDIDATES.csv line {n}: malformed key {key!r}")
        if stratum not in strata_seen:
            if not good_text(stratum, 64):
                raise Unreadable(f"CANDIDATES.csv line {n}: malformed stratum {stratum!r}")
            strata_seen.add(stratum)
        if not (weight.isascii() and weight.isdigit()) or (len(weight) > 1 and weight[0] == "0"):
            raise Unreadable(f"CANDIDATES.csv line {n}: weight {weight!r} is not a canonical integer")
        w = int(weight)
        if w > MAX_WEIGHT:
            raise Unreadable(f"CANDIDATES.csv line {n}: weight {w} is above {MAX_WEIGHT}")
        if rec not in ("0", "1"):
            raise Unreadable(f"CANDIDATES.csv line {n}: recent must be 0 or 1")
        for reason in (forced, excluded):
            if reason and not REASON.fullmatch(reason):
                raise Unreadable(f"CANDIDATES.csv line {n}: malformed reason code {reason!r}")
        if forced and excluded:
            raise Unreadable(f"CANDIDATES.csv line {n}: a candidate cannot be forced and excluded")
        if previous is not None and key <= previous:
            raise Mismatch(f"CANDIDATES.csv line {n}: key {key} is out of order or duplicated")
        previous = key
        i = len(keys)
        keys.append(key)
        strata.append(stratum)
        weights.append(w)
        recent.append(rec == "1")
        if forced:
            pool.forced[i] = forced
        if excluded:
            pool.excluded[i] = excluded
    pool.digest = th("pool", data).hex()
    return pool


# --- parameters ---------------------------------------------------------------------------


def fail(msg: str) -> None:
    raise Mismatch(msg)


def want_int(v: object, what: str) -> int:
    if type(v) is not int or v < 0:
        fail(f"params: {what} must be a non-negative integer")
    return v  # type: ignore[return-value]


def canon_alloc(a: object, where: str) -> dict:
    if not isinstance(a, dict):
        fail(f"params: {where} must be an object")
    extra = set(a) - {"count", "ratio", "min", "max", "stratum"}
    if extra:
        fail(f"params: {where} has unknown field {sorted(extra)[0]!r}")
    count, ratio, lo, hi = a.get("count"), a.get("ratio"), a.get("min", 0), a.get("max")
    if (count is None) == (ratio is None):
        fail(f"params: {where} needs exactly one of count and ratio")
    if count is not None:
        want_int(count, f"{where}.count")
    else:
        if not isinstance(ratio, str) or not RATIO.fullmatch(ratio):
            fail(f"params: {where}.ratio {ratio!r} is not a decimal string")
        q = Fraction(ratio)
        if not 0 < q <= 1:
            fail(f"params: {where}.ratio {ratio} is outside (0, 1]")
        ratio = decimal_text(q)
    want_int(lo, f"{where}.min")
    if hi is not None and want_int(hi, f"{where}.max") < lo:
        fail(f"params: {where}.max is below min")
    return {"count": count, "ratio": ratio, "min": lo, "max": hi}


def canon_params(p: object) -> dict:
    if not isinstance(p, dict) or set(p) - {"algorithm", "parts"}:
        fail("params: must be an object with algorithm and parts")
    if p.get("algorithm", VERSION) != VERSION:
        fail(f"params: unsupported algorithm {p.get('algorithm')!r}")
    parts = p.get("parts")
    if not isinstance(parts, list) or not 1 <= len(parts) <= 32:
        fail("params: parts must be a list of 1 to 32 parts")
    out = []
    for n, part in enumerate(parts):
        where = f"parts[{n}]"
        if not isinstance(part, dict) or set(part) - {"name", "method", "recent", "overall", "strata"}:
            fail(f"params: {where} has unknown fields")
        name = part.get("name", "main")
        if not good_text(name, 64):
            fail(f"params: {where}.name is malformed")
        method = part.get("method", "uniform")
        if method not in ("uniform", "weighted"):
            fail(f"params: {where}.method must be uniform or weighted")
        recent = part.get("recent", "keep")
        if recent not in ("keep", "exclude"):
            if not isinstance(recent, str) or not MULT.fullmatch(recent) or not 0 < Fraction(recent) <= 1:
                fail(f"params: {where}.recent {recent!r} is not keep, exclude or a multiplier in (0, 1]")
            recent = "keep" if Fraction(recent) == 1 else decimal_text(Fraction(recent))
        overall = part.get("overall")
        strata = part.get("strata") or []
        if not isinstance(strata, list):
            fail(f"params: {where}.strata must be a list")
        if (overall is None) == (not strata):
            fail(f"params: {where} needs exactly one of overall and strata")
        canon_strata = []
        for m, s in enumerate(strata):
            alloc = canon_alloc(s, f"{where}.strata[{m}]")
            if not good_text(s.get("stratum"), 64):
                fail(f"params: {where}.strata[{m}].stratum is malformed")
            canon_strata.append({"stratum": s["stratum"], **alloc})
        canon_strata.sort(key=lambda s: s["stratum"])
        names = [s["stratum"] for s in canon_strata]
        if len(set(names)) != len(names):
            fail(f"params: {where} names a stratum twice")
        out.append(
            {
                "name": name,
                "method": method,
                "recent": recent,
                "overall": None if overall is None else canon_alloc(overall, f"{where}.overall"),
                "strata": canon_strata,
            }
        )
    if len({p["name"] for p in out}) != len(out):
        fail("params: part names must be unique")
    return {"algorithm": VERSION, "parts": out}


def witness_value(v: object, n: int) -> str:
    if not isinstance(v, str) or not WITNESS.fullmatch(v):
        fail(f"witness[{n}]: value {v!r} has characters other than digits and separators")
    groups = re.findall(r"[0-9]+", v)  # type: ignore[arg-type]
    if not groups or len(groups) > 64 or any(len(g) > 64 for g in groups):
        fail(f"witness[{n}]: value must hold 1 to 64 groups of at most 64 digits")
    return " ".join(str(int(g)) for g in groups)


# --- the draw -----------------------------------------------------------------------------


def alloc_size(a: dict, eligible: int, where: str) -> int:
    if a["count"] is not None:
        if a["count"] > eligible:
            fail(f"{where}: count {a['count']} is larger than the {eligible} eligible candidates")
        k = a["count"]
    else:
        q = Fraction(a["ratio"])
        k = (q.numerator * eligible + q.denominator - 1) // q.denominator
    k = max(k, a["min"])
    if a["max"] is not None:
        k = min(k, a["max"])
    return min(k, eligible)


def take_all_threshold(weights: list[int], k: int) -> int | None:
    """Smallest weight of the certain (take-all) units, or None when there are none."""
    n = len(weights)
    if k == 0 or n == 0:
        return None
    if k >= n:
        return min(weights)
    rest = sum(weights)
    if k * max(weights) < rest:
        return None
    desc = sorted(weights, reverse=True)
    for j in range(k):
        if (k - j) * desc[j] < rest:
            return desc[j - 1] if j else None
        rest -= desc[j]
    return desc[k - 1]


def recompute(pool: Pool, params: dict, seed: bytes) -> dict:
    """The expected 'result' section of the manifest."""
    keys = pool.keys
    n = len(keys)
    tk0, tk1 = siphash_key(seed, "ticket-key")
    prefix = lp(f"{VERSION}/candidate".encode("ascii"))
    sha = hashlib.sha256
    digests = [int.from_bytes(sha(prefix + lp(k.encode("utf-8"))).digest()[:8], "big") for k in keys]
    tickets = [sip24(tk0, tk1, c) for c in digests]

    by_stratum: dict[str, list[int]] = {}
    for i, s in enumerate(pool.strata):
        by_stratum.setdefault(s, []).append(i)
    forced_used: set[int] = set()
    selected_sets: list[set[int]] = []
    part_results = []
    for part in params["parts"]:
        where = f"part {part['name']}"
        weighted = part["method"] == "weighted"
        mult = None if part["recent"] in ("keep", "exclude") else Fraction(part["recent"])
        if part["overall"] is not None:
            groups = [(None, list(range(n)), part["overall"])]
        else:
            groups = []
            for s in part["strata"]:
                if s["stratum"] not in by_stratum:
                    fail(f"{where}: stratum {s['stratum']!r} has no candidates in the pool")
                groups.append((s["stratum"], by_stratum[s["stratum"]], s))
        forced_all: list[int] = []
        certain_all: list[int] = []
        drawn_all: list[int] = []
        excluded_here: list[tuple[str, str]] = []
        group_out = []
        for stratum, members, alloc in groups:
            gname = "the frame" if stratum is None else f"stratum {stratum!r}"
            n_excluded = 0
            forced = []
            elig: list[tuple[int, int]] = []  # (position, effective weight)
            for i in members:
                if i in pool.excluded:
                    n_excluded += 1
                    continue
                if i in pool.forced:
                    forced.append(i)
                    continue
                rec = pool.recent[i]
                if rec and part["recent"] == "exclude":
                    excluded_here.append((keys[i], "recent"))
                    n_excluded += 1
                    continue
                w = pool.weights[i] if weighted else 1
                if mult is not None:
                    w *= mult.numerator if rec else mult.denominator
                elig.append((i, w))
            if weighted:
                zeros = [i for i, w in elig if w == 0]
                if zeros and len(zeros) == len(elig) and alloc["count"] != 0:
                    fail(f"{where}: every candidate of {gname} has weight 0")
                for i in zeros:
                    excluded_here.append((keys[i], "zero-weight"))
                n_excluded += len(zeros)
                elig = [(i, w) for i, w in elig if w > 0]
            k = alloc_size(alloc, len(elig), f"{where}, {gname}")
            threshold = take_all_threshold([w for _, w in elig], k)
            certain = [i for i, w in elig if threshold is not None and w >= threshold]
            rest = [(tickets[i] // w, tickets[i], i) for i, w in elig if threshold is None or w < threshold]
            k_rest = k - len(certain)
            if k_rest <= 0:
                chosen = []
            elif k_rest * 8 < len(rest):
                chosen = heapq.nsmallest(k_rest, rest)
            else:
                chosen = sorted(rest)[:k_rest]
            rest_weight = sum(w for i, w in elig if threshold is None or w < threshold)
            pi = Fraction(k_rest, rest_weight) if k_rest > 0 else Fraction(0)
            last = chosen[-1] if chosen else None
            forced_all += forced
            certain_all += certain
            drawn_all += [i for _, _, i in chosen]
            group_out.append(
                {
                    "stratum": stratum,
                    "candidates": len(members),
                    "excluded": n_excluded,
                    "forced": len(forced),
                    "eligible": len(elig),
                    "k": k,
                    "certain": len(certain),
                    "drawn": len(chosen),
                    "weight_total": str(sum(w for _, w in elig)),
                    "certain_min_weight": None if threshold is None else str(threshold),
                    "pi_factor": f"{pi.numerator}/{pi.denominator}",
                    "cutoff": None
                    if last is None
                    else {"key": keys[last[2]], "ticket": h16(last[1]), "rank": h16(last[0])},
                }
            )
        forced_used.update(forced_all)
        selected_sets.append(set(forced_all) | set(certain_all) | set(drawn_all))
        part_results.append((part, forced_all, certain_all, drawn_all, sorted(excluded_here), group_out))

    for i in sorted(pool.forced):
        if i not in forced_used:
            fail(f"forced candidate {keys[i]} is outside the frame of every part")

    ok0, ok1 = siphash_key(seed, "order-key")
    union = set().union(*selected_sets)
    order_keys = {i: sip24(ok0, ok1, digests[i]) for i in union}
    visit = sorted(union, key=lambda i: (order_keys[i], i))
    place = {i: r for r, i in enumerate(visit)}

    def in_visit(positions: list[int]) -> list[str]:
        return [keys[i] for i in sorted(positions, key=place.__getitem__)]

    names = [p["name"] for p in params["parts"]]
    selected = [
        {
            "key": keys[i],
            "ticket": h16(tickets[i]),
            "order_key": h16(order_keys[i]),
            "parts": [names[j] for j, s in enumerate(selected_sets) if i in s],
        }
        for i in visit
    ]
    parts = [
        {
            "name": part["name"],
            "method": part["method"],
            "forced": in_visit(forced),
            "certain": in_visit(certain),
            "drawn": [keys[i] for i in drawn],
            "excluded": [{"key": k, "reason": r} for k, r in excluded],
            "groups": groups,
        }
        for part, forced, certain, drawn, excluded, groups in part_results
    ]
    return {
        "selected": selected,
        "parts": parts,
        "excluded": [{"key": keys[i], "reason": r} for i, r in sorted(pool.excluded.items())],
        "counts": {"pool": n, "excluded": len(pool.excluded), "selected": len(visit)},
    }


# --- comparison ---------------------------------------------------------------------------


def short(v: object) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def first_difference(expected: object, actual: object, path: str) -> str | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in sorted(set(expected) | set(actual)):
            if k not in actual:
                return f"{path}.{k}: missing from the manifest (expected {short(expected[k])})"
            if k not in expected:
                return f"{path}.{k}: unexpected field in the manifest"
            d = first_difference(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for n, (e, a) in enumerate(zip(expected, actual, strict=False)):
            label = f"{path}[{n}]"
            if isinstance(e, dict) and "key" in e:
                label += f" (key {e['key']})"
            elif isinstance(e, str) and (path.endswith("drawn") or path.endswith("certain")):
                label += f" (expected key {e})"
            d = first_difference(e, a, label)
            if d:
                return d
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} entries, the manifest has {len(actual)}"
        return None
    if type(expected) is not type(actual) or expected != actual:
        return f"{path}: expected {short(expected)}, the manifest has {short(actual)}"
    return None


def verify(manifest: dict, csv_bytes: bytes) -> tuple[Pool, dict]:
    """Raise Mismatch at the first difference; return the pool and canonical params when OK."""
    if not isinstance(manifest, dict):
        raise Unreadable("the manifest is not a JSON object")
    if manifest.get("algorithm") != VERSION:
        fail(f"algorithm: expected {VERSION!r}, the manifest has {short(manifest.get('algorithm'))}")
    pool = read_csv(csv_bytes)
    counts: dict[str, int] = {}
    for s in pool.strata:
        counts[s] = counts.get(s, 0) + 1
    expected_pool = {
        "format": CSV_FORMAT,
        "digest": pool.digest,
        "count": len(pool.keys),
        "strata": [{"stratum": s, "count": counts[s]} for s in sorted(counts)],
    }
    d = first_difference(expected_pool, manifest.get("pool"), "pool")
    if d:
        fail(d)
    params = canon_params(manifest.get("params"))
    d = first_difference(params, manifest["params"], "params")
    if d:
        fail(d + " (parameters are not in canonical form)")
    params_digest = th("params", canonical_json(params)).hex()
    d = first_difference(params_digest, manifest.get("params_digest"), "params_digest")
    if d:
        fail(d)

    try:
        commit = bytes.fromhex(manifest.get("commitment") or "")
        secret = bytes.fromhex(manifest.get("secret") or "")
    except (TypeError, ValueError):
        fail("commitment or secret is not hex")
    if len(secret) != 32:
        fail("secret: the agency secret (32 bytes, 64 hex digits) has not been revealed")
    if len(commit) != 32 or th("commitment", secret) != commit:
        fail("commitment: the revealed secret does not match the commitment")
    witness = manifest.get("witness")
    if not isinstance(witness, list) or not witness:
        fail("witness: at least one witness input is required")
    fields: list[bytes] = []
    for n, w in enumerate(witness):
        if not isinstance(w, dict) or set(w) != {"label", "value"} or not good_text(w["label"], 64):
            fail(f"witness[{n}]: needs a well-formed label and a value")
        value = witness_value(w["value"], n)
        if value != w["value"]:
            fail(f"witness[{n}].value: expected canonical {value!r}, the manifest has {w['value']!r}")
        fields += [lp(w["label"].encode("utf-8")), lp(value.encode("ascii"))]
    seed = th(
        "seed",
        VERSION.encode("ascii"),
        bytes.fromhex(pool.digest),
        bytes.fromhex(params_digest),
        commit,
        secret,
        b"".join(fields),
    )
    d = first_difference(seed.hex(), manifest.get("seed"), "seed")
    if d:
        fail(d)
    result = recompute(pool, params, seed)
    d = first_difference(result, manifest.get("result"), "result")
    if d:
        fail(d)
    context = manifest.get("context")
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        fail("context: must be an object of strings")
    known = {"algorithm", "context", "pool", "params", "params_digest", "commitment", "secret"}
    extra = set(manifest) - known - {"witness", "seed", "result", "digest"}
    if extra:
        fail(f"{sorted(extra)[0]}: unexpected field in the manifest")
    body = {k: v for k, v in manifest.items() if k != "digest"}
    digest = th("manifest", canonical_json(body)).hex()
    d = first_difference(digest, manifest.get("digest"), "digest")
    if d:
        fail(d + " (the manifest's self-digest)")
    return pool, params


def explain(manifest: dict, pool: Pool, key: str) -> list[str]:
    if key not in pool.keys:
        return [f"{key}: not in CANDIDATES.csv"]
    i = pool.keys.index(key)
    seed = bytes.fromhex(manifest["seed"])
    prefix = lp(f"{VERSION}/candidate".encode("ascii"))
    c = int.from_bytes(hashlib.sha256(prefix + lp(key.encode("utf-8"))).digest()[:8], "big")
    u = sip24(*siphash_key(seed, "ticket-key"), c)
    lines = [f"key {key}  stratum {pool.strata[i]}  digest {h16(c)}  ticket {h16(u)}"]
    if i in pool.excluded:
        lines.append(f"excluded before the draw: {pool.excluded[i]}")
    for part, spec in zip(manifest["result"]["parts"], manifest["params"]["parts"], strict=True):
        w = pool.weights[i] if spec["method"] == "weighted" else 1
        if spec["recent"] not in ("keep", "exclude"):
            m = Fraction(spec["recent"])
            w *= m.numerator if pool.recent[i] else m.denominator
        status = "not selected"
        if key in part["forced"]:
            status = "selected: forced"
        elif key in part["certain"]:
            status = "selected: certain (weight at or above the take-all threshold)"
        elif key in part["drawn"]:
            status = f"selected: drawn, number {part['drawn'].index(key) + 1} by rank"
        elif any(e["key"] == key for e in part["excluded"]):
            status = "excluded in this part"
        group = next((g for g in part["groups"] if g["stratum"] in (None, pool.strata[i])), None)
        if group is None:
            lines.append(f"part {part['name']}: outside this part's frame")
            continue
        line = f"part {part['name']}: {status}; effective weight {w}"
        if w:
            line += f", rank {h16(u // w)}"
        if group["cutoff"]:
            cut = group["cutoff"]
            line += f"; cut-off rank {cut['rank']} ticket {cut['ticket']} key {cut['key']}"
        lines.append(line)
    return lines


def rfc3797(pool_size: int, count: int, sources: list[str]) -> list[int]:
    if not 1 <= pool_size <= 0xFFFF or not 0 <= count <= pool_size:
        raise Unreadable("need 1 <= pool <= 65535 and 0 <= select <= pool")
    key = ""
    for s in sources:
        if not WITNESS.fullmatch(s) or not re.search(r"[0-9]", s):
            raise Unreadable(f"source {s!r} must hold integers separated by spaces or commas")
        key += "".join(f"{v}." for v in sorted(int(g) for g in re.findall(r"[0-9]+", s))) + "/"
    raw = key.encode("ascii")
    left = list(range(1, pool_size + 1))
    out = []
    for i in range(count):
        b = i.to_bytes(2, "big")
        d = int.from_bytes(hashlib.md5(b + raw + b, usedforsecurity=False).digest(), "big")
        out.append(left.pop(d % (pool_size - i)))
    return out


# --- inspector matching (suiji-match-v1) --------------------------------------------------

MATCH_VERSION = "suiji-match-v1"
INSPECTORS_FORMAT = "suiji-inspectors-v1"
TARGETS_FORMAT = "suiji-match-targets-v1"
INSPECTORS_HEADER = "id,kind,unit,department,area,expertise,leader"
TARGETS_HEADER = "key,area,unit,departments,expertise,expert,excluded"
MATCH_MODES = ("pool", "unit", "teams", "cross")


def _csv_lines(data: bytes, header: str, what: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{what}: not UTF-8") from exc
    if not text.endswith("\n"):
        raise Unreadable(f"{what}: the last line must end with a newline")
    lines = text[:-1].split("\n")
    if lines[0] != header:
        raise Unreadable(f"{what} line 1: the header must be exactly {header!r}")
    width = header.count(",") + 1
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != width:
            raise Unreadable(f"{what} line {n}: expected {width} fields, found {len(cells)}")
        rows.append(cells)
    return rows


def _one(cell: str, limit: int, where: str) -> str:
    if cell and (not good_text(cell, limit) or "|" in cell):
        raise Unreadable(f"{where}: malformed value {cell!r}")
    return cell


def _many(cell: str, limit: int, where: str) -> frozenset[str]:
    if not cell:
        return frozenset()
    items = cell.split("|")
    if any(not good_text(x, limit) for x in items) or items != sorted(set(items)):
        raise Unreadable(f"{where}: items must be well-formed, distinct and sorted, separated by '|'")
    return frozenset(items)


def _flag01(cell: str, where: str) -> bool:
    if cell not in ("0", "1"):
        raise Unreadable(f"{where}: expected 0 or 1")
    return cell == "1"


def read_people(data: bytes) -> tuple[list[dict], list[dict]]:
    """INSPECTORS.csv: inspectors and experts, by id, one canonical spelling."""
    inspectors: list[dict] = []
    experts: list[dict] = []
    last = None
    for n, (pid, kind, unit, dept, area, expertise, lead) in enumerate(
        _csv_lines(data, INSPECTORS_HEADER, "INSPECTORS.csv"), start=2
    ):
        where = f"INSPECTORS.csv line {n}"
        if not good_text(pid, 64) or (last is not None and pid <= last):
            raise Unreadable(f"{where}: ids must be well-formed and strictly increasing")
        last = pid
        person = {
            "id": pid,
            "unit": _one(unit, 64, where),
            "department": _one(dept, 64, where),
            "area": _one(area, 64, where),
            "expertise": _many(expertise, 64, where),
            "leader": _flag01(lead, where),
        }
        if kind == "inspector":
            inspectors.append(person)
        elif kind == "expert" and not (unit or dept or area or person["leader"]):
            experts.append(person)
        else:
            raise Unreadable(f"{where}: kind must be 'inspector', or 'expert' with empty unit, department, area")
    return inspectors, experts


def read_match_targets(data: bytes) -> list[dict]:
    """TARGETS.csv: one line per target in draw order."""
    out = []
    seen: set[str] = set()
    for n, (key, area, unit, depts, expertise, expert, excluded) in enumerate(
        _csv_lines(data, TARGETS_HEADER, "TARGETS.csv"), start=2
    ):
        where = f"TARGETS.csv line {n}"
        if not good_text(key, 128) or key in seen:
            raise Unreadable(f"{where}: keys must be well-formed and unique")
        seen.add(key)
        out.append(
            {
                "key": key,
                "area": _one(area, 64, where),
                "unit": _one(unit, 64, where),
                "departments": _many(depts, 64, where),
                "expertise": _many(expertise, 64, where),
                "expert": _flag01(expert, where),
                "excluded": _many(excluded, 64, where),
            }
        )
    return out


def person_c(pid: str) -> int:
    raw = pid.encode("utf-8")
    return int.from_bytes(hashlib.sha256(lp(f"{VERSION}/match-person".encode("ascii")) + lp(raw)).digest()[:8], "big")


class Tickets:
    """Round tickets u(i, L) = SipHash(first 16 bytes of H(purpose, mseed, be64(L)), c(id_i))."""

    def __init__(self, ids: list[str], mseed: bytes, purpose: str) -> None:
        self.c = [person_c(i) for i in ids]
        self.mseed, self.purpose = mseed, purpose
        self.levels: dict[int, list[int]] = {}

    def at(self, i: int, level: int) -> int:
        row = self.levels.get(level)
        if row is None:
            k = th(self.purpose, self.mseed, level.to_bytes(8, "big"))[:16]
            k0, k1 = int.from_bytes(k[:8], "little"), int.from_bytes(k[8:], "little")
            row = self.levels[level] = [sip24(k0, k1, c) for c in self.c]
        return row[i]


def match_recompute(people: list[dict], experts: list[dict], targets: list[dict], params: dict, mseed: bytes) -> dict:
    mode, size, cap, need_leader = params["mode"], params["team_size"], params["cap"], params["leader"]
    n = len(people)
    ids = [p["id"] for p in people]
    load = [0] * n
    eids = [e["id"] for e in experts]
    eload = [0] * len(experts)
    etk = Tickets(eids, mseed, "match-expert-round")

    def has(p: dict, kind: str, item: str | None) -> bool:
        if kind == "d":
            return p["department"] == item
        return item in p["expertise"] if kind == "x" else p["leader"]

    def allowed(p: dict, t: dict) -> bool:
        if mode == "unit":
            return p["unit"] == t["unit"]
        return p["area"] != t["area"] if mode == "cross" else True

    def reqs(t: dict) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [("d", d) for d in sorted(t["departments"])]
        out += [("x", x) for x in sorted(t["expertise"])]
        return out + ([("l", None)] if need_leader else [])

    code_of = {"d": "no_department_member", "x": "no_expertise", "l": "no_leader"}

    def expert_for(t: dict) -> tuple[int | None, str | None]:
        fit = [j for j, e in enumerate(experts) if not t["expertise"] or e["expertise"] & t["expertise"]]
        free = [j for j in fit if eids[j] not in t["excluded"]]
        if not free:
            return None, "pool" if not fit else "recusal"
        return min(free, key=lambda j: (eload[j], etk.at(j, eload[j]), eids[j])), None

    teams: list[dict] = []
    assignments: list[dict] = []
    unmatched: list[dict] = []
    if mode == "teams":
        m = n // size
        if need_leader:
            m = min(m, sum(p["leader"] for p in people))
        k = th("match-deal", mseed)[:16]
        k0, k1 = int.from_bytes(k[:8], "little"), int.from_bytes(k[8:], "little")
        deal = [sip24(k0, k1, person_c(i)) for i in ids]
        order = sorted(range(n), key=lambda i: (not people[i]["leader"], deal[i], ids[i]))
        for t_no in range(m):
            members = [order[j] for j in range(t_no, n, m)]
            first = people[members[0]]
            lead = first["id"] if first["leader"] or not need_leader else None
            teams.append({"team": f"T{t_no + 1}", "members": [ids[i] for i in members], "leader": lead})
        tload = [0] * m
        ttk = Tickets([tm["team"] for tm in teams], mseed, "match-team-round")
        by_id = {p["id"]: p for p in people}
        depts = [{by_id[x]["department"] for x in tm["members"]} for tm in teams]
        exps = [set().union(*(by_id[x]["expertise"] for x in tm["members"])) for tm in teams]
        for t in targets:
            ok = [
                k
                for k in range(m)
                if t["departments"] <= depts[k]
                and t["expertise"] <= exps[k]
                and (teams[k]["leader"] is not None or not need_leader)
                and not (set(teams[k]["members"]) & t["excluded"])
                and (cap is None or tload[k] < cap)
            ]
            failure = None
            if not ok:
                left = list(range(m))
                failure = ("too_few_inspectors", None, None) if not left else None
                for kind, item in reqs(t) if left else []:
                    if kind == "d":
                        left = [k for k in left if item in depts[k]]
                    elif kind == "x":
                        left = [k for k in left if item in exps[k]]
                    else:
                        left = [k for k in left if teams[k]["leader"] is not None]
                    if not left:
                        failure = (code_of[kind], item, "teams")
                        break
                if failure is None:
                    left = [k for k in left if not (set(teams[k]["members"]) & t["excluded"])]
                    failure = ("too_few_after_recusal", None, "teams") if not left else ("workload_cap", None, None)
            expert = None
            if failure is None and t["expert"]:
                expert, cause = expert_for(t)
                if expert is None:
                    failure = ("no_expert", None, cause)
            if failure is not None:
                unmatched.append({"target": t["key"], "code": failure[0], "item": failure[1], "cause": failure[2]})
                continue
            best = min(ok, key=lambda k: (tload[k], ttk.at(k, tload[k]), teams[k]["team"]))
            ticket = h16(ttk.at(best, tload[best]))
            tm = teams[best]
            tload[best] += 1
            ex = None
            if expert is not None:
                ex = {"id": eids[expert], "ticket": h16(etk.at(expert, eload[expert]))}
                eload[expert] += 1
            assignments.append(
                {
                    "target": t["key"],
                    "team": tm["team"],
                    "members": [{"id": x, "ticket": ticket} for x in tm["members"]],
                    "leader": tm["leader"] or tm["members"][0],
                    "expert": ex,
                }
            )
        position = {x: i for i, x in enumerate(ids)}
        for k, tm in enumerate(teams):
            for x in tm["members"]:
                load[position[x]] = tload[k]
    else:
        tk = Tickets(ids, mseed, "match-round")
        for t in targets:
            base = [i for i in range(n) if allowed(people[i], t)]
            free = [i for i in base if ids[i] not in t["excluded"]]
            usable = [i for i in free if cap is None or load[i] < cap]
            team: list[int] = []
            tickets: list[int] = []
            failure = None
            if len(base) < size:
                code = {"pool": "too_few_inspectors", "unit": "no_unit_inspector"}.get(mode, "no_cross_area_inspector")
                failure = (code, None, None)
            elif len(free) < size:
                failure = ("too_few_after_recusal", None, None)
            for kind, item in reqs(t) if failure is None else []:
                if any(has(people[i], kind, item) for i in team):
                    continue
                cands = [i for i in usable if i not in team and has(people[i], kind, item)]
                if not cands:
                    if not any(has(p, kind, item) for p in people):
                        cause = "pool"
                    elif not any(has(people[i], kind, item) for i in base):
                        cause = "mode"
                    elif not any(has(people[i], kind, item) for i in free):
                        cause = "recusal"
                    else:
                        cause = "workload"
                    failure = (code_of[kind], item, cause)
                    break
                best = min(cands, key=lambda i: (load[i], tk.at(i, load[i]), ids[i]))
                team.append(best)
                tickets.append(tk.at(best, load[best]))
            while failure is None and len(team) < size:
                cands = [i for i in usable if i not in team]
                if not cands:
                    failure = ("workload_cap", None, None)
                    break
                best = min(cands, key=lambda i: (load[i], tk.at(i, load[i]), ids[i]))
                team.append(best)
                tickets.append(tk.at(best, load[best]))
            expert = None
            if failure is None and t["expert"]:
                expert, cause = expert_for(t)
                if expert is None:
                    failure = ("no_expert", None, cause)
            if failure is not None:
                unmatched.append({"target": t["key"], "code": failure[0], "item": failure[1], "cause": failure[2]})
                continue
            pool = [(u, ids[i]) for u, i in zip(tickets, team, strict=True) if people[i]["leader"] or not need_leader]
            ex = None
            if expert is not None:
                ex = {"id": eids[expert], "ticket": h16(etk.at(expert, eload[expert]))}
                eload[expert] += 1
            assignments.append(
                {
                    "target": t["key"],
                    "team": None,
                    "members": [{"id": ids[i], "ticket": h16(u)} for u, i in zip(tickets, team, strict=True)],
                    "leader": min(pool)[1],
                    "expert": ex,
                }
            )
            for i in team:
                load[i] += 1
    workload = sorted([(ids[i], load[i]) for i in range(n)] + [(eids[j], eload[j]) for j in range(len(experts))])
    return {
        "teams": teams,
        "assignments": assignments,
        "unmatched": unmatched,
        "workload": [{"id": i, "load": v} for i, v in workload],
        "counts": {"targets": len(targets), "matched": len(assignments), "unmatched": len(unmatched)},
    }


def canon_match_params(p: object) -> dict:
    if not isinstance(p, dict) or set(p) != {"algorithm", "mode", "team_size", "cap", "leader"}:
        fail("params: expected exactly algorithm, mode, team_size, cap, leader")
    ok = (
        p["algorithm"] == MATCH_VERSION
        and p["mode"] in MATCH_MODES
        and type(p["team_size"]) is int
        and 2 <= p["team_size"] <= 64
        and (p["cap"] is None or (type(p["cap"]) is int and p["cap"] >= 1))
        and type(p["leader"]) is bool
    )
    if not ok:
        fail(f"params: malformed matching parameters {short(p)}")
    return dict(p)


def verify_match(manifest: dict, people_csv: bytes, targets_csv: bytes) -> None:
    """Raise Mismatch at the first difference between the manifest and a recomputed matching."""
    if not isinstance(manifest, dict):
        raise Unreadable("the manifest is not a JSON object")
    if manifest.get("algorithm") != MATCH_VERSION:
        fail(f"algorithm: expected {MATCH_VERSION!r}, the manifest has {short(manifest.get('algorithm'))}")
    people, experts = read_people(people_csv)
    targets = read_match_targets(targets_csv)
    params = canon_match_params(manifest.get("params"))
    if params["mode"] == "unit" and any(not t["unit"] for t in targets):
        fail("TARGETS.csv: unit mode needs the unit of every target")
    if params["mode"] == "cross" and any(not t["area"] for t in targets):
        fail("TARGETS.csv: cross mode needs the area of every target")
    ins_digest = th("match-inspectors", people_csv).hex()
    tgt_digest = th("match-targets", targets_csv).hex()
    expected = {"format": INSPECTORS_FORMAT, "digest": ins_digest, "inspectors": len(people), "experts": len(experts)}
    d = first_difference(expected, manifest.get("inspectors"), "inspectors")
    d = d or first_difference(
        {"format": TARGETS_FORMAT, "digest": tgt_digest, "count": len(targets)}, manifest.get("targets"), "targets"
    )
    params_digest = th("match-params", canonical_json(params)).hex()
    d = d or first_difference(params_digest, manifest.get("params_digest"), "params_digest")
    if d:
        fail(d)
    try:
        seed = bytes.fromhex(manifest.get("seed") or "")
    except (TypeError, ValueError):
        seed = b""
    if len(seed) != 32:
        fail("seed: expected 64 hex digits")
    mseed = th(
        "match-seed",
        MATCH_VERSION.encode("ascii"),
        seed,
        bytes.fromhex(ins_digest),
        bytes.fromhex(tgt_digest),
        bytes.fromhex(params_digest),
    )
    d = first_difference(mseed.hex(), manifest.get("match_seed"), "match_seed")
    if d:
        fail(d)
    result = match_recompute(people, experts, targets, params, mseed)
    d = first_difference(result, manifest.get("result"), "result")
    if d:
        fail(d)
    context = manifest.get("context")
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        fail("context: must be an object of strings")
    known = {"algorithm", "context", "seed", "params", "params_digest", "inspectors", "targets", "match_seed"}
    extra = set(manifest) - known - {"result", "digest"}
    if extra:
        fail(f"{sorted(extra)[0]}: unexpected field in the manifest")
    body = {k: v for k, v in manifest.items() if k != "digest"}
    d = first_difference(th("match-manifest", canonical_json(body)).hex(), manifest.get("digest"), "digest")
    if d:
        fail(d + " (the manifest's self-digest)")


# --- redraw of one slot (suiji-match-redraw-v1, docs/DRAW.md §17.9) -----------------------

REDRAW_VERSION = "suiji-match-redraw-v1"
REDRAW_FIELDS = {
    "algorithm",
    "context",
    "match_seed",
    "params",
    "inspectors_digest",
    "targets_digest",
    "target",
    "number",
    "slot",
    "before",
    "excluded",
    "result",
    "digest",
}


def redraw_recompute(people: list[dict], target: dict, params: dict, mseed: bytes, record: dict) -> dict:
    """The replacement: smallest (SipHash(K, le64(c(id))), id) among the eligible inspectors."""
    before = record.get("before")
    if not isinstance(before, dict) or set(before) != {"members", "leader"}:
        fail("before: expected members and leader")
    members, leader = before["members"], before["leader"]
    slot, number = record.get("slot"), record.get("number")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        fail("before.members: expected a list of ids")
    if len(set(members)) != len(members) or leader not in members:
        fail("before: members must be distinct and include the leader")
    if type(slot) is not int or not 0 <= slot < len(members):
        fail("slot: not a position of the team")
    if type(number) is not int or number < 1:
        fail("number: expected a positive integer")
    excluded = record.get("excluded")
    if (
        not isinstance(excluded, list)
        or not all(isinstance(x, str) for x in excluded)
        or excluded != sorted(set(excluded))
    ):
        fail("excluded: expected a sorted list of distinct ids")
    by_id = {p["id"]: p for p in people}
    if any(m not in by_id for m in members):
        fail("before.members: a member is not in INSPECTORS.csv")
    rest = [by_id[m] for n, m in enumerate(members) if n != slot]
    reqs = [("d", d) for d in sorted(target["departments"])] + [("x", x) for x in sorted(target["expertise"])]
    if params["leader"]:
        reqs.append(("l", None))

    def meets(p: dict, r: tuple) -> bool:
        kind, value = r
        if kind == "d":
            return p["department"] == value
        if kind == "x":
            return value in p["expertise"]
        return p["leader"]

    needs = [r for r in reqs if not any(meets(p, r) for p in rest)]
    gone = set(members) | set(target["excluded"]) | set(excluded)
    mode = params["mode"]
    k = th("match-redraw", mseed, target["key"].encode("utf-8"), slot.to_bytes(8, "big"), number.to_bytes(8, "big"))
    k0, k1 = int.from_bytes(k[:8], "little"), int.from_bytes(k[8:16], "little")
    best = None
    eligible = 0
    for p in people:
        if p["id"] in gone:
            continue
        if mode == "unit" and p["unit"] != target["unit"]:
            continue
        if mode == "cross" and p["area"] == target["area"]:
            continue
        if not all(meets(p, r) for r in needs):
            continue
        eligible += 1
        cand = (sip24(k0, k1, person_c(p["id"])), p["id"])
        if best is None or cand < best:
            best = cand
    if best is None:
        fail("result: the record names a replacement, but no inspector is eligible")
    ticket, new = best
    team = members[:slot] + [new] + members[slot + 1 :]
    if leader != members[slot]:
        lead = leader
    else:
        lead = next((m for m in team if by_id[m]["leader"] or not params["leader"]), team[0])
    return {
        "old": members[slot],
        "new": new,
        "ticket": h16(ticket),
        "members": team,
        "leader": lead,
        "eligible": eligible,
    }


def verify_redraw(record: dict, people_csv: bytes, targets_csv: bytes) -> None:
    """Raise Mismatch at the first difference between a redraw record and its recomputation."""
    if not isinstance(record, dict):
        raise Unreadable("the redraw record is not a JSON object")
    if record.get("algorithm") != REDRAW_VERSION:
        fail(f"algorithm: expected {REDRAW_VERSION!r}, the record has {short(record.get('algorithm'))}")
    extra = set(record) - REDRAW_FIELDS
    if extra:
        fail(f"{sorted(extra)[0]}: unexpected field in the redraw record")
    people, _experts = read_people(people_csv)
    targets = read_match_targets(targets_csv)
    d = first_difference(th("match-inspectors", people_csv).hex(), record.get("inspectors_digest"), "inspectors_digest")
    d = d or first_difference(th("match-targets", targets_csv).hex(), record.get("targets_digest"), "targets_digest")
    if d:
        fail(d)
    params = canon_match_params(record.get("params"))
    try:
        mseed = bytes.fromhex(record.get("match_seed") or "")
    except (TypeError, ValueError):
        mseed = b""
    if len(mseed) != 32:
        fail("match_seed: expected 64 hex digits")
    target = next((t for t in targets if t["key"] == record.get("target")), None)
    if target is None:
        fail("target: not a line of TARGETS.csv")
    result = redraw_recompute(people, target, params, mseed, record)
    d = first_difference(result, record.get("result"), "result")
    if d:
        fail(d)
    context = record.get("context")
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        fail("context: must be an object of strings")
    body = {k: v for k, v in record.items() if k != "digest"}
    d = first_difference(th("match-redraw-record", canonical_json(body)).hex(), record.get("digest"), "digest")
    if d:
        fail(d + " (the record's self-digest)")


def _main_with_people(args: list[str], prog: str, description: str, first: str, first_help: str, verify) -> int:
    """The command line of ``match`` and ``redraw``: a JSON document, INSPECTORS.csv and TARGETS.csv."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument(first, help=first_help)
    p.add_argument("inspectors", help="INSPECTORS.csv of the matching, as published")
    p.add_argument("targets", help="TARGETS.csv of the matching, as published")
    ns = p.parse_args(args)
    try:
        document, people_csv = _load(getattr(ns, first), ns.inspectors)
        with open(ns.targets, "rb") as f:
            targets_csv = f.read()
        verify(document, people_csv, targets_csv)
    except (OSError, Unreadable) as exc:
        print(f"UNREADABLE: {exc}")
        return EXIT_UNREADABLE
    except Mismatch as exc:
        print(f"MISMATCH: {exc}")
        return EXIT_MISMATCH
    print("OK")
    return EXIT_OK


def main_redraw(args: list[str]) -> int:
    return _main_with_people(
        args,
        "verify_draw.py redraw",
        "Verify the redraw of one slot of a matching (suiji-match-redraw-v1), standard library only.",
        "record",
        "REDRAW.json as published",
        verify_redraw,
    )


def main_match(args: list[str]) -> int:
    return _main_with_people(
        args,
        "verify_draw.py match",
        "Verify an inspector matching (suiji-match-v1) with the Python standard library only.",
        "manifest",
        "MATCH_MANIFEST.json as published",
        verify_match,
    )


def _load(manifest_path: str, csv_path: str) -> tuple[dict, bytes]:
    try:
        with open(manifest_path, "rb") as f:
            manifest = json.loads(f.read().decode("utf-8"), parse_float=_no_float)
        with open(csv_path, "rb") as f:
            data = f.read()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise Unreadable(str(exc)) from exc
    return manifest, data


def _no_float(text: str) -> object:
    raise ValueError(f"the manifest contains a floating-point number {text}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "match":
        return main_match(args[1:])
    if args and args[0] == "redraw":
        return main_redraw(args[1:])
    if args and args[0] == "rfc3797":
        p = argparse.ArgumentParser(
            prog="verify_draw.py rfc3797", description="RFC 3797 selection from public sources."
        )
        p.add_argument("--pool", type=int, required=True, help="number of entries in the list (P)")
        p.add_argument("--select", type=int, required=True, help="how many to select")
        p.add_argument("--source", action="append", required=True, help="one source's numbers (repeat)")
        ns = p.parse_args(args[1:])
        try:
            print(" ".join(str(v) for v in rfc3797(ns.pool, ns.select, ns.source)))
        except Unreadable as exc:
            print(f"ERROR: {exc}")
            return EXIT_UNREADABLE
        return EXIT_OK
    explain_key = None
    if args and args[0] == "explain":
        p = argparse.ArgumentParser(prog="verify_draw.py explain", description="Verify, then explain one key.")
        p.add_argument("manifest")
        p.add_argument("candidates")
        p.add_argument("key")
        ns = p.parse_args(args[1:])
        explain_key = ns.key
    else:
        p = argparse.ArgumentParser(
            prog="verify_draw.py",
            description="Verify a Suiji draw (suiji-draw-v1) with the Python standard library only.",
            epilog=(
                "other forms: 'verify_draw.py explain MANIFEST.json CANDIDATES.csv KEY' and "
                '\'verify_draw.py rfc3797 --pool P --select K --source "9319" --source "2 5 12 8 10"\'. '
                "Exit status: 0 reproduced, 1 first difference printed, 2 unreadable input."
            ),
        )
        p.add_argument("manifest", help="MANIFEST.json as published")
        p.add_argument("candidates", help="CANDIDATES.csv as published")
        ns = p.parse_args(args)
    try:
        manifest, data = _load(ns.manifest, ns.candidates)
        pool, _ = verify(manifest, data)
    except Unreadable as exc:
        print(f"UNREADABLE: {exc}")
        return EXIT_UNREADABLE
    except Mismatch as exc:
        print(f"MISMATCH: {exc}")
        return EXIT_MISMATCH
    print("OK")
    if explain_key is not None:
        print("\n".join(explain(manifest, pool, explain_key)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

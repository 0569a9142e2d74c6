"""The sampling engine: tickets, selection per part and stratum, and the visit order.

Every number in the selection path is an exact integer (numpy ``uint64``/``int64`` or Python
``int``); there is no floating point and no library random generator. The algorithm is
specified step by step in docs/DRAW.md and re-implemented independently in verify_draw.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from operator import itemgetter
from typing import Any

import numpy as np

from .encoding import VERSION
from .errors import DrawInputError
from .params import Allocation, DrawParams, Part
from .pool import Candidate, Pool, freeze_pool
from .seed import SeedInputs, derived_key, form_seed
from .siphash import default_workers, siphash24_u64_array, split_key


@dataclass(frozen=True)
class Cutoff:
    """The last candidate drawn at random in a group: a candidate of the group that is not
    certain was drawn exactly when its (rank, ticket, key) is at most this one's."""

    key: str
    ticket: int
    rank: int


@dataclass(frozen=True)
class GroupOutcome:
    """Counts, probabilities and cut-off of one stratum (or of the whole frame) in one part."""

    stratum: str | None
    candidates: int
    excluded: int
    forced: int
    eligible: int
    k: int
    certain: int
    drawn: int
    weight_total: int
    certain_min_weight: int | None
    pi_factor: Fraction
    cutoff: Cutoff | None


@dataclass(frozen=True, eq=False)
class PartOutcome:
    """The result of one part. Candidates are held as pool positions; the key tuples
    (``selected`` = forced + certain + drawn in visit order, ``forced`` and ``certain`` in visit
    order, ``drawn`` in rank order, ``excluded`` in key order) are built on first use."""

    name: str
    method: str
    groups: tuple[GroupOutcome, ...]
    selected_positions: np.ndarray = field(repr=False)
    forced_positions: np.ndarray = field(repr=False)
    certain_positions: np.ndarray = field(repr=False)
    drawn_positions: np.ndarray = field(repr=False)
    excluded_positions: np.ndarray = field(repr=False)
    excluded_reasons: tuple[str, ...] = field(repr=False)
    keys: Sequence[str] = field(repr=False)

    @cached_property
    def selected(self) -> tuple[str, ...]:
        """Forced, certain and drawn keys, in visit order."""
        return _keys_at(self.keys, self.selected_positions)

    @cached_property
    def forced(self) -> tuple[str, ...]:
        """Forced keys, in visit order."""
        return _keys_at(self.keys, self.forced_positions)

    @cached_property
    def certain(self) -> tuple[str, ...]:
        """Take-all keys, in visit order."""
        return _keys_at(self.keys, self.certain_positions)

    @cached_property
    def drawn(self) -> tuple[str, ...]:
        """Keys drawn at random, in rank order."""
        return _keys_at(self.keys, self.drawn_positions)

    @cached_property
    def excluded(self) -> tuple[tuple[str, str], ...]:
        """Part-level exclusions (reason ``recent`` or ``zero-weight``), in key order."""
        keys = self.keys
        return tuple(
            (keys[i], reason) for i, reason in zip(self.excluded_positions.tolist(), self.excluded_reasons, strict=True)
        )


@dataclass(frozen=True, eq=False)
class DrawResult:
    """A finished draw. ``order`` is every selected key once, in the drawn visit order;
    ``order_rows`` gives the same as rows of the caller's input to :meth:`Pool.from_columns`."""

    version: str
    seed: bytes
    pool_digest: str
    params_digest: str
    parts: tuple[PartOutcome, ...]
    pool: Pool = field(repr=False)
    params: DrawParams = field(repr=False)
    tickets: np.ndarray = field(repr=False)
    visit_positions: np.ndarray = field(repr=False)
    visit_order_keys: np.ndarray = field(repr=False)
    membership: np.ndarray = field(repr=False)

    @property
    def seed_hex(self) -> str:
        """The seed as 64 hex digits."""
        return self.seed.hex()

    @cached_property
    def order(self) -> tuple[str, ...]:
        """Every selected key once, in visit order."""
        return _keys_at(self.pool.keys, self.visit_positions)

    @property
    def selected(self) -> tuple[str, ...]:
        """Alias of :attr:`order`."""
        return self.order

    @property
    def order_rows(self) -> np.ndarray:
        """Input row numbers (see :attr:`Pool.source_index`) of :attr:`order`."""
        return self.pool.source_index[self.visit_positions]

    @cached_property
    def order_parts(self) -> tuple[tuple[str, ...], ...]:
        """For each entry of :attr:`order`, the names of the parts that selected it."""
        names = [p.name for p in self.parts]
        if len(names) == 1:
            return ((names[0],),) * self.visit_positions.size
        return tuple(tuple(names[j] for j in np.flatnonzero(row)) for row in self.membership)

    @cached_property
    def excluded(self) -> tuple[tuple[str, str], ...]:
        """Candidates excluded before the draw, with their reasons, in key order."""
        keys = self.pool.keys
        return tuple((keys[i], reason) for i, reason in sorted(self.pool.excluded.items()))

    def ticket(self, key: str) -> int:
        """The 64-bit ticket of any candidate of the pool."""
        return int(self.tickets[self.pool.index(key)])

    def order_key(self, key: str) -> int:
        """The 64-bit visit-order key of any candidate of the pool."""
        k0, k1 = split_key(derived_key(self.seed, "order-key"))
        i = self.pool.index(key)
        return int(siphash24_u64_array(k0, k1, self.pool.digests[i : i + 1], workers=1)[0])

    def explain(self, key: str) -> dict[str, Any]:
        """Why a candidate was or was not selected, per part, from its own ticket."""
        i = self.pool.index(key)
        u = int(self.tickets[i])
        stratum = self.pool.strata_names[int(self.pool.codes[i])]
        out: dict[str, Any] = {"key": key, "stratum": stratum, "ticket": u, "parts": []}
        pool_reason = self.pool.excluded.get(i)
        for spec, part in zip(self.params.parts, self.parts, strict=True):
            entry: dict[str, Any] = {"part": part.name}
            group = _group_of(part, spec, stratum)
            hit = np.flatnonzero(part.excluded_positions == i)
            part_reason = part.excluded_reasons[int(hit[0])] if hit.size else None
            if group is None:
                entry.update(status="outside_frame", probability=Fraction(0))
            elif pool_reason or part_reason:
                entry.update(status="excluded", reason=pool_reason or part_reason, probability=Fraction(0))
            elif i in self.pool.forced:
                entry.update(status="forced", reason=self.pool.forced[i], probability=Fraction(1))
            else:
                w = effective_weight(self.pool, spec, i)
                entry.update(weight=w, rank=u // w)
                if group.certain_min_weight is not None and w >= group.certain_min_weight:
                    entry.update(status="certain", probability=Fraction(1))
                else:
                    drawn = bool(np.any(part.drawn_positions == i))
                    entry.update(
                        status="drawn" if drawn else "not_drawn",
                        probability=group.pi_factor * w,
                        cutoff=group.cutoff,
                    )
            out["parts"].append(entry)
        return out

    def inclusion_probability(self, key: str, part: str | None = None) -> Fraction:
        """Stated (target) inclusion probability of a candidate in one part (default: the first)."""
        entries = self.explain(key)["parts"]
        entry = entries[0] if part is None else next(e for e in entries if e["part"] == part)
        return entry["probability"]


def _group_of(part: PartOutcome, spec: Part, stratum: str) -> GroupOutcome | None:
    if spec.overall is not None:
        return part.groups[0]
    return next((g for g in part.groups if g.stratum == stratum), None)


def effective_weight(pool: Pool, part: Part, i: int) -> int:
    """Effective integer weight of candidate ``i`` in ``part`` (see docs/DRAW.md, step 4e)."""
    base = int(pool.weights[i]) if part.method == "weighted" else 1
    mult = part.multiplier
    if mult is None:
        return base
    return base * (mult.numerator if pool.recent[i] else mult.denominator)


def run_draw(
    candidates: Pool | Iterable[Candidate],
    params: DrawParams,
    seed_inputs: SeedInputs,
    *,
    workers: int | None = None,
) -> DrawResult:
    """Form the seed (checking the secret against the commitment) and draw."""
    pool = candidates if isinstance(candidates, Pool) else freeze_pool(candidates)
    seed = form_seed(
        VERSION, pool.digest, params.digest, seed_inputs.commitment, seed_inputs.secret, seed_inputs.witness
    )
    return draw_with_seed(pool, params, seed, workers=workers)


def draw_with_seed(pool: Pool, params: DrawParams, seed: bytes, *, workers: int | None = None) -> DrawResult:
    """Draw with an already formed 32-byte seed."""
    if not isinstance(params, DrawParams):
        raise TypeError("params must be DrawParams")
    n = len(pool)
    k0, k1 = split_key(derived_key(seed, "ticket-key"))
    tickets = siphash24_u64_array(k0, k1, pool.digests, workers)
    excluded_mask = forced_mask = None
    if pool.excluded:
        excluded_mask = np.zeros(n, dtype=bool)
        excluded_mask[list(pool.excluded)] = True
    if pool.forced:
        forced_mask = np.zeros(n, dtype=bool)
        forced_mask[list(pool.forced)] = True

    threads = default_workers() if workers is None else max(1, workers)
    drafts = [_draw_part(pool, spec, tickets, excluded_mask, forced_mask, threads) for spec in params.parts]
    if forced_mask is not None:
        forced_used = np.zeros(n, dtype=bool)
        for draft in drafts:
            forced_used[draft["forced"]] = True
        missing = np.flatnonzero(forced_mask & ~forced_used)
        if missing.size:
            bad = pool.keys[int(missing[0])]
            raise DrawInputError(
                "forced_outside_frame",
                f"强制纳入的对象{bad}不在任何部分的抽取范围内",
                f"forced candidate {bad} is outside the frame of every part",
            )

    # The visit order over the union of every part's selection: by order key, then key.
    members = [np.concatenate([d["forced"], d["certain"], d["drawn"]]) for d in drafts]
    union = np.sort(np.concatenate(members))
    if union.size > 1:
        union = union[np.concatenate(([True], union[1:] != union[:-1]))]
    o0, o1 = split_key(derived_key(seed, "order-key"))
    okeys = siphash24_u64_array(o0, o1, pool.digests[union], workers=1)
    visit_sort = np.lexsort((union, okeys))
    visit = union[visit_sort]
    rank_in_union = np.empty(union.size, dtype=np.int64)
    rank_in_union[visit_sort] = np.arange(union.size)

    def in_visit_order(positions: np.ndarray) -> np.ndarray:
        if positions.size == 0:
            return positions
        ranks = rank_in_union[np.searchsorted(union, positions)]
        return positions[np.argsort(ranks, kind="stable")]

    membership = np.zeros((visit.size, len(drafts)), dtype=bool)
    parts = []
    for j, (spec, draft, positions) in enumerate(zip(params.parts, drafts, members, strict=True)):
        if positions.size == visit.size:
            selected = visit
            membership[:, j] = True
        else:
            selected = in_visit_order(positions)
            membership[rank_in_union[np.searchsorted(union, positions)], j] = True
        excluded_pairs = sorted(draft["excluded"])
        parts.append(
            PartOutcome(
                name=spec.name,
                method=spec.method,
                groups=tuple(draft["groups"]),
                selected_positions=selected,
                forced_positions=in_visit_order(draft["forced"]),
                certain_positions=in_visit_order(draft["certain"]),
                drawn_positions=draft["drawn"],
                excluded_positions=np.array([i for i, _ in excluded_pairs], dtype=np.int64),
                excluded_reasons=tuple(r for _, r in excluded_pairs),
                keys=pool.keys,
            )
        )
    return DrawResult(
        version=VERSION,
        seed=seed,
        pool_digest=pool.digest,
        params_digest=params.digest,
        parts=tuple(parts),
        pool=pool,
        params=params,
        tickets=tickets,
        visit_positions=visit,
        visit_order_keys=okeys[visit_sort],
        membership=membership,
    )


def _draw_part(
    pool: Pool,
    spec: Part,
    tickets: np.ndarray,
    excluded_mask: np.ndarray | None,
    forced_mask: np.ndarray | None,
    workers: int,
) -> dict[str, Any]:
    """Select one part; returns positions (forced, certain, drawn in rank order) and outcomes."""
    if spec.overall is not None:
        groups: list[tuple[str | None, np.ndarray, Allocation]] = [
            (None, np.arange(len(pool), dtype=np.int64), spec.overall)
        ]
    else:
        code_of = {name: c for c, name in enumerate(pool.strata_names)}
        bounds = pool.group_bounds
        groups = []
        for stratum, alloc in spec.strata:  # type: ignore[misc]
            c = code_of.get(stratum)
            if c is None:
                raise DrawInputError(
                    "empty_stratum",
                    f"部分{spec.name}要求的分层“{stratum}”在对象库中没有任何对象",
                    f"part {spec.name} asks for stratum {stratum!r}, which has no candidates in the pool",
                )
            groups.append((stratum, pool.group_order[bounds[c] : bounds[c + 1]], alloc))

    def one(group: tuple[str | None, np.ndarray, Allocation]) -> tuple[Any, ...]:
        return _draw_group(pool, spec, tickets, excluded_mask, forced_mask, *group)

    big = sum(positions.size for _, positions, _ in groups) >= 1_000_000
    if workers > 1 and len(groups) > 1 and big:
        with ThreadPoolExecutor(max_workers=workers) as executor:
            done = list(executor.map(one, groups))
    else:
        done = [one(group) for group in groups]
    empty = np.empty(0, dtype=np.int64)
    out: dict[str, Any] = {
        "forced": np.concatenate([d[0] for d in done]) if done else empty,
        "certain": np.concatenate([d[1] for d in done]) if done else empty,
        "drawn": np.concatenate([d[2] for d in done]) if done else empty,
        "excluded": [e for d in done for e in d[3]],
        "groups": [d[4] for d in done],
    }
    return out


def _draw_group(
    pool: Pool,
    spec: Part,
    tickets: np.ndarray,
    excluded_mask: np.ndarray | None,
    forced_mask: np.ndarray | None,
    stratum: str | None,
    positions: np.ndarray,
    alloc: Allocation,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, str]], GroupOutcome]:
    """Steps 2-12 of docs/DRAW.md section 6 for one group: (forced, certain, drawn, excluded, outcome)."""
    empty = np.empty(0, dtype=np.int64)
    mult = spec.multiplier
    weighted = spec.method == "weighted"
    candidates = positions.size
    pos = positions if excluded_mask is None else positions[~excluded_mask[positions]]
    pool_excluded = candidates - pos.size
    if forced_mask is None:
        forced = empty
    else:
        in_forced = forced_mask[pos]
        forced = pos[in_forced]
        pos = pos[~in_forced]
    part_excluded: list[tuple[int, str]] = []
    recent = pool.recent[pos] if spec.recent != "keep" else None
    if spec.recent == "exclude":
        assert recent is not None
        part_excluded += [(i, "recent") for i in pos[recent].tolist()]
        pos = pos[~recent]
        recent = None
    if weighted:
        weights = pool.weights[pos]
        if mult is not None:
            weights = weights * np.where(recent, mult.numerator, mult.denominator)
    elif mult is not None:
        weights = np.where(recent, mult.numerator, mult.denominator).astype(np.int64)
    else:
        weights = None  # all weights are 1
    if weighted and pos.size:
        assert weights is not None
        if int(weights.min()) == 0:
            zero = weights == 0
            if zero.all() and alloc.count != 0:
                raise DrawInputError(
                    "all_zero_weights",
                    f"部分{spec.name}的{_group_name_zh(stratum)}中所有对象权重均为0",
                    f"every candidate of {_group_name_en(stratum)} in part {spec.name} has weight 0",
                )
            part_excluded += [(i, "zero-weight") for i in pos[zero].tolist()]
            pos = pos[~zero]
            weights = weights[~zero]
    eligible = pos.size
    k = alloc.size(eligible)
    if weights is None:
        weight_total = eligible
        everything = k >= eligible and k > 0
        certain_mask = np.full(eligible, everything, dtype=bool)
        certain_min = 1 if everything else None
    else:
        weight_total = int(weights.sum())
        certain_mask, certain_min = _certain(weights, k, weight_total)
    n_certain = int(np.count_nonzero(certain_mask))
    if n_certain:
        drawn_pos = pos[~certain_mask]
        drawn_w = None if weights is None else weights[~certain_mask]
        rest_weight = drawn_pos.size if drawn_w is None else int(drawn_w.sum())
    else:
        drawn_pos, drawn_w, rest_weight = pos, weights, weight_total
    k_rest = k - n_certain
    drawn_tickets = tickets[drawn_pos]
    # Weights are non-negative int64, so their uint64 view has the same values.
    ranks = drawn_tickets if drawn_w is None else drawn_tickets // drawn_w.view(np.uint64)
    chosen = _smallest(drawn_pos, ranks, drawn_tickets, k_rest)
    pi_factor = Fraction(k_rest, rest_weight) if k_rest else Fraction(0)
    cutoff = None
    if chosen.size:
        last = int(chosen[-1])
        w_last = 1 if weights is None else int(weights[int(np.searchsorted(pos, last))])
        cutoff = Cutoff(pool.keys[last], int(tickets[last]), int(tickets[last]) // w_last)
    outcome = GroupOutcome(
        stratum=stratum,
        candidates=candidates,
        excluded=pool_excluded + len(part_excluded),
        forced=forced.size,
        eligible=eligible,
        k=k,
        certain=n_certain,
        drawn=chosen.size,
        weight_total=weight_total,
        certain_min_weight=certain_min,
        pi_factor=pi_factor,
        cutoff=cutoff,
    )
    return forced, pos[certain_mask] if n_certain else empty, chosen, part_excluded, outcome


def _keys_at(keys: Sequence[str], positions: np.ndarray) -> tuple[str, ...]:
    """The keys at ``positions``; a compact key column may offer ``take(positions)`` for this."""
    if positions.size == 0:
        return ()
    if not isinstance(keys, (list, tuple)) and callable(getattr(keys, "take", None)):
        return tuple(keys.take(positions))  # type: ignore[attr-defined]
    if positions.size == 1:
        return (keys[int(positions[0])],)
    return itemgetter(*positions.tolist())(keys)


def _group_name_zh(stratum: str | None) -> str:
    return "抽取范围" if stratum is None else f"分层“{stratum}”"


def _group_name_en(stratum: str | None) -> str:
    return "the frame" if stratum is None else f"stratum {stratum!r}"


def _certain(weights: np.ndarray, k: int, total: int) -> tuple[np.ndarray, int | None]:
    """Take-all units: the largest weights whose target probability reaches 1.

    j* is the smallest j in 0..k with j == k or (k - j) * w_(j) < sum_{i >= j} w_(i), weights
    sorted in descending order; the certain units are those with weight >= w_(j*-1).
    """
    n = weights.size
    none = np.zeros(n, dtype=bool)
    if k == 0 or n == 0:
        return none, None
    if k >= n:
        return np.ones(n, dtype=bool), int(weights.min())
    if k * int(weights.max()) < total:
        return none, None
    desc = np.sort(weights)[::-1].tolist()
    rest = total
    for j in range(k):
        if (k - j) * desc[j] < rest:
            break
        rest -= desc[j]
    else:  # pragma: no cover - impossible when k < n and all weights are positive
        j = k
    if j == 0:
        return none, None
    threshold = desc[j - 1]
    return weights >= threshold, threshold


def _smallest(pos: np.ndarray, ranks: np.ndarray, tickets: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k smallest (rank, ticket, position), in that order.

    Positions follow key order (the pool is sorted by key), so the last tie-break is the key.
    """
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < pos.size:
        take = np.argpartition(ranks, k - 1)[:k]
        threshold = ranks[take].max()
        if np.count_nonzero(ranks <= threshold) != k:
            # Ranks equal to the k-th one straddle the boundary: settle them by ticket, then key.
            below = np.flatnonzero(ranks < threshold)
            ties = np.flatnonzero(ranks == threshold)
            ties = ties[np.lexsort((pos[ties], tickets[ties]))[: k - below.size]]
            take = np.concatenate((below, ties))
    else:
        take = np.arange(pos.size)
    order = np.lexsort((pos[take], tickets[take], ranks[take]))
    return pos[take[order]]

"""The frozen candidate pool and its published form, CANDIDATES.csv.

A pool is the set of candidates of one draw, fixed (and its digest published) before the seed
exists. Each candidate is identified by a stable registry key (a USCC, a registration number,
or another printable key), never by a database id. The pool digest is the tagged SHA-256 of the
canonical CANDIDATES.csv bytes, so the published file and the digest check each other.

CANDIDATES.csv (UTF-8, no BOM, ``\\n`` line ends, no quoting, a final newline)::

    key,stratum,weight,recent,forced,excluded
    91110000MA0000001X,A,3,0,,
    91110000MA0000002Y,B,1,1,complaint,

Rows are sorted by key in Unicode code point order (the same as UTF-8 byte order), keys unique.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .encoding import check_reason, check_text, frame, tag
from .errors import DrawInputError

CSV_HEADER = "key,stratum,weight,recent,forced,excluded"
CSV_FORMAT = "suiji-candidates-v1"
MAX_WEIGHT = 1_000_000
MAX_KEY_LEN = 128
MAX_STRATUM_LEN = 64
DEFAULT_STRATUM = "all"


_CANDIDATE_PREFIX = frame([tag("candidate")])


def candidate_digest_unsigned(key: str) -> int:
    """First 8 bytes of ``tagged_hash("candidate", utf8(key))`` as an unsigned big-endian integer."""
    raw = key.encode("utf-8")
    data = _CANDIDATE_PREFIX + len(raw).to_bytes(8, "big") + raw
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def candidate_digest(key: str) -> int:
    """The 64-bit candidate digest as a SIGNED integer, ready for a 64-bit database column.

    This is the unsigned value of :func:`candidate_digest_unsigned` read as two's complement;
    the engine reinterprets it as unsigned. The key must already be valid and NFC.
    """
    value = candidate_digest_unsigned(key)
    return value - (1 << 64) if value >= 1 << 63 else value


def _check_key(key: object) -> str:
    if (
        isinstance(key, str)
        and 0 < len(key) <= MAX_KEY_LEN
        and key.isascii()
        and key.isprintable()
        and "," not in key
        and '"' not in key
        and key[0] != " "
        and key[-1] != " "
    ):
        return key
    return check_text(key, "对象标识", "candidate key", MAX_KEY_LEN)


@dataclass(frozen=True)
class Candidate:
    """One candidate as given to :func:`freeze_pool`.

    ``forced`` and ``excluded`` are reason codes (``""`` for none), for example ``"complaint"``
    or ``"cap"``; ``recent`` marks a candidate inspected within the window of the task.
    """

    key: str
    stratum: str = DEFAULT_STRATUM
    weight: int = 1
    recent: bool = False
    forced: str = ""
    excluded: str = ""


class Pool:
    """A validated, key-sorted, immutable candidate pool with column arrays for the engine."""

    def __init__(
        self,
        keys: Sequence[str],
        strata_names: tuple[str, ...],
        codes: np.ndarray,
        weights: np.ndarray,
        recent: np.ndarray,
        forced: dict[int, str],
        excluded: dict[int, str],
        digests: np.ndarray,
        source_index: np.ndarray | None = None,
    ) -> None:
        """Internal: use :func:`freeze_pool`, :meth:`from_columns` or :func:`read_candidates_csv`.

        ``keys`` is any sequence of the checked keys in order (a list, or a compact column that
        makes each key a string when it is read); the engine only indexes it.
        ``source_index[i]`` is the row of the caller's input that became pool position ``i``
        (the pool is sorted by key; an input already sorted by key gives the identity).
        """
        if source_index is None:
            source_index = np.arange(len(keys), dtype=np.int64)
        # Read-only views: the caller's arrays keep their own flags.
        codes, weights, recent, digests, source_index = (
            a.view() for a in (codes, weights, recent, digests, source_index)
        )
        for array in (codes, weights, recent, digests, source_index):
            array.setflags(write=False)
        self.keys = keys
        self.strata_names = strata_names
        self.codes = codes
        self.weights = weights
        self.recent = recent
        self.forced = forced
        self.excluded = excluded
        self.digests = digests
        self.source_index = source_index

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_columns(
        cls,
        keys: Sequence[str],
        strata: Sequence[str] | str = DEFAULT_STRATUM,
        weights: Sequence[int] | np.ndarray | None = None,
        recent: Sequence[bool] | np.ndarray | None = None,
        forced: Mapping[str, str] | None = None,
        excluded: Mapping[str, str] | None = None,
        digests: Sequence[int] | np.ndarray | None = None,
        *,
        trust_digests: bool = False,
        _checked: bool = False,
    ) -> Pool:
        """Build a pool from aligned columns (the fast path for large directories).

        ``digests`` are stored candidate digests (signed or unsigned 64-bit); they are checked
        against the keys unless ``trust_digests`` is true. ``forced`` and ``excluded`` map keys
        to reason codes.
        """
        n = len(keys)
        key_list = list(keys) if _checked else [_check_key(k) for k in keys]
        if isinstance(strata, str):
            stratum_list = [check_text(strata, "分层", "stratum", MAX_STRATUM_LEN)] * n
        else:
            if len(strata) != n:
                raise ValueError("strata must be aligned with keys")
            seen: dict[str, str] = {}
            stratum_list = []
            for s in strata:
                checked = seen.get(s) if isinstance(s, str) else None
                if checked is None:
                    checked = check_text(s, "分层", "stratum", MAX_STRATUM_LEN)
                    seen[s] = checked
                stratum_list.append(checked)
        weight_arr = np.ones(n, dtype=np.int64) if weights is None else np.asarray(weights)
        if weight_arr.shape != (n,) or (n and weight_arr.dtype.kind not in "iu"):
            raise DrawInputError("bad_weight", "权重须为整数", "weights must be integers aligned with the keys")
        weight_arr = weight_arr.astype(np.int64)
        if n and int(weight_arr.min()) < 0:
            bad = key_list[int(np.argmin(weight_arr))]
            raise DrawInputError("negative_weight", f"对象{bad}的权重为负数", f"candidate {bad} has a negative weight")
        if n and int(weight_arr.max()) > MAX_WEIGHT:
            bad = key_list[int(np.argmax(weight_arr))]
            raise DrawInputError(
                "weight_too_large",
                f"对象{bad}的权重超过上限{MAX_WEIGHT}",
                f"candidate {bad} has a weight above the limit {MAX_WEIGHT}",
            )
        recent_arr = np.zeros(n, dtype=bool) if recent is None else np.asarray(recent, dtype=bool)
        if recent_arr.shape != (n,):
            raise ValueError("recent must be aligned with keys")
        if digests is None:
            digest_arr = None
        else:
            digest_arr = np.asarray(digests)
            if digest_arr.dtype == np.int64:
                digest_arr = digest_arr.view(np.uint64)
            elif digest_arr.dtype != np.uint64:
                digest_arr = np.array([int(d) & ((1 << 64) - 1) for d in digests], dtype=np.uint64)
            if digest_arr.shape != (n,):
                raise ValueError("digests must be aligned with keys")

        perm = None
        if not _checked and any(a >= b for a, b in zip(key_list, key_list[1:], strict=False)):
            order = sorted(range(n), key=key_list.__getitem__)
            key_list = [key_list[i] for i in order]
            for a, b in zip(key_list, key_list[1:], strict=False):
                if a == b:
                    raise DrawInputError("duplicate_key", f"对象标识{a}重复", f"duplicate candidate key {a}")
            perm = np.asarray(order, dtype=np.int64)
            stratum_list = [stratum_list[i] for i in order]
            weight_arr = weight_arr[perm]
            recent_arr = recent_arr[perm]
            if digest_arr is not None:
                digest_arr = digest_arr[perm]

        names = tuple(sorted(set(stratum_list)))
        code_of = {name: i for i, name in enumerate(names)}
        code_type = np.uint16 if len(names) <= 1 << 16 else np.int32
        codes = np.fromiter((code_of[s] for s in stratum_list), dtype=code_type, count=n)

        index_of = {k: i for i, k in enumerate(key_list)} if (forced or excluded) else {}
        forced_map = _reason_map(forced, index_of, "强制纳入", "forced", "forced")
        excluded_map = _reason_map(excluded, index_of, "排除", "excluded", "excluded")
        both = sorted(set(forced_map) & set(excluded_map))
        if both:
            bad = key_list[both[0]]
            raise DrawInputError(
                "forced_and_excluded",
                f"对象{bad}不能同时被强制纳入和排除",
                f"candidate {bad} cannot be both forced and excluded",
            )

        computed = (
            np.fromiter((candidate_digest_unsigned(k) for k in key_list), dtype=np.uint64, count=n)
            if digest_arr is None or not trust_digests
            else (digest_arr if perm is not None else digest_arr.copy())
        )
        if digest_arr is not None and not trust_digests and not np.array_equal(computed, digest_arr):
            bad = key_list[int(np.flatnonzero(computed != digest_arr)[0])]
            raise DrawInputError(
                "bad_digest",
                f"对象{bad}存储的摘要与其标识不符，请重新计算",
                f"the stored digest of candidate {bad} does not match its key; recompute it",
            )
        return cls(key_list, names, codes, weight_arr, recent_arr, forced_map, excluded_map, computed, perm)

    def index(self, key: str) -> int:
        """Position of ``key`` in the pool (binary search); raises KeyError if absent."""
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            raise KeyError(key)
        return i

    def rows(self) -> Iterable[str]:
        """The canonical CSV lines (header first), each without its line end."""
        yield CSV_HEADER
        names = self.strata_names
        codes = self.codes.tolist()
        weights = self.weights.tolist()
        recent = self.recent.tolist()
        forced = self.forced
        excluded = self.excluded
        for i, key in enumerate(self.keys):
            yield (
                f"{key},{names[codes[i]]},{weights[i]},{1 if recent[i] else 0},"
                f"{forced.get(i, '')},{excluded.get(i, '')}"
            )

    def csv_bytes(self) -> bytes:
        """The canonical CANDIDATES.csv content (computed once per pool)."""
        cached = self.__dict__.get("_csv")
        if cached is None:
            cached = self.__dict__["_csv"] = ("\n".join(self.rows()) + "\n").encode("utf-8")
        return cached

    @cached_property
    def digest(self) -> str:
        """Pool digest: hex ``SHA-256(frame([tag("pool"), csv_bytes]))``."""
        return pool_digest_of_csv(self.csv_bytes())

    @cached_property
    def group_order(self) -> np.ndarray:
        """Candidate positions sorted by stratum code (stable), for per-stratum slicing."""
        order = np.argsort(self.codes, kind="stable").astype(np.int64)
        order.setflags(write=False)
        return order

    @cached_property
    def group_bounds(self) -> np.ndarray:
        """``group_order[bounds[c]:bounds[c+1]]`` are the positions of stratum code ``c``."""
        counts = np.bincount(self.codes, minlength=len(self.strata_names))
        return np.concatenate(([0], np.cumsum(counts)))

    def stratum_counts(self) -> dict[str, int]:
        """Number of candidates per stratum name."""
        bounds = self.group_bounds.tolist()
        return {name: bounds[i + 1] - bounds[i] for i, name in enumerate(self.strata_names)}


def _reason_map(
    given: Mapping[str, str] | None, index_of: dict[str, int], what_zh: str, what_en: str, default: str
) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, reason in (given or {}).items():
        i = index_of.get(_check_key(key))
        if i is None:
            raise DrawInputError(
                "unknown_key",
                f"{what_zh}名单中的对象{key}不在对象库中",
                f"{what_en} candidate {key} is not in the pool",
            )
        out[i] = check_reason(reason or default, what_zh, what_en)
    return out


def freeze_pool(candidates: Iterable[Candidate]) -> Pool:
    """Validate and freeze a list of :class:`Candidate` (any order) into a :class:`Pool`."""
    items = list(candidates)
    for c in items:
        if not isinstance(c.weight, int) or isinstance(c.weight, bool):
            raise DrawInputError("bad_weight", f"对象{c.key}的权重须为整数", f"weight of {c.key} must be an integer")
    return Pool.from_columns(
        [c.key for c in items],
        [c.stratum for c in items],
        np.array([c.weight for c in items], dtype=np.int64),
        np.array([bool(c.recent) for c in items], dtype=bool),
        {c.key: c.forced for c in items if c.forced},
        {c.key: c.excluded for c in items if c.excluded},
    )


def pool_digest_of_csv(data: bytes) -> str:
    """Hex pool digest of canonical CANDIDATES.csv bytes."""
    h = hashlib.sha256(frame([tag("pool")]))
    h.update(len(data).to_bytes(8, "big"))
    h.update(data)
    return h.hexdigest()


def pool_digest(candidates: Pool | Iterable[Candidate]) -> str:
    """Digest of the frozen candidate set, independent of the input order."""
    pool = candidates if isinstance(candidates, Pool) else freeze_pool(candidates)
    return pool.digest


def _csv_error(line: int, zh: str, en: str) -> DrawInputError:
    return DrawInputError("bad_csv", f"CANDIDATES.csv第{line}行：{zh}", f"CANDIDATES.csv line {line}: {en}")


def read_candidates_csv(
    data: bytes, digests: Sequence[int] | np.ndarray | None = None, *, trust_digests: bool = False
) -> Pool:
    """Parse canonical CANDIDATES.csv bytes; refuses anything not in canonical form.

    ``digests`` optionally gives the stored candidate digests in file order (checked against the
    keys unless ``trust_digests``), which saves hashing every key again.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _csv_error(1, "不是UTF-8编码", "not UTF-8") from exc
    if not text.endswith("\n") or "\r" in text:
        raise _csv_error(1, "行尾须为\\n且文件以换行结束", "lines must end with \\n, including the last")
    lines = text[:-1].split("\n")
    if lines[0] != CSV_HEADER:
        raise _csv_error(1, f"表头须为“{CSV_HEADER}”", f"the header must be {CSV_HEADER!r}")
    keys: list[str] = []
    strata: list[str] = []
    weights: list[int] = []
    recent: list[bool] = []
    forced: dict[str, str] = {}
    excluded: dict[str, str] = {}
    strata_ok: set[str] = set()
    weight_of: dict[str, int] = {}
    previous = ""
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != 6:
            raise _csv_error(number, "须有6列", "expected 6 columns")
        key, stratum, weight, rec, force, excl = fields
        if key <= previous:
            raise _csv_error(number, "各行须按对象标识升序排列且不重复", "rows must be sorted by key, keys unique")
        previous = key
        if key != _check_key(key):
            raise _csv_error(number, "文本须为NFC规范形式", "text must be in NFC form")
        if stratum not in strata_ok:
            if stratum != check_text(stratum, "分层", "stratum", MAX_STRATUM_LEN):
                raise _csv_error(number, "文本须为NFC规范形式", "text must be in NFC form")
            strata_ok.add(stratum)
        w = weight_of.get(weight)
        if w is None:
            if not weight.isdigit() or not weight.isascii() or (weight != "0" and weight[0] == "0"):
                raise _csv_error(number, "权重须为无前导零的非负整数", "weight must be a non-negative integer")
            w = weight_of[weight] = int(weight)
        if rec != "0" and rec != "1":
            raise _csv_error(number, "recent列须为0或1", "recent must be 0 or 1")
        keys.append(key)
        strata.append(stratum)
        weights.append(w)
        recent.append(rec == "1")
        if force:
            forced[key] = check_reason(force, "强制纳入", "forced")
        if excl:
            excluded[key] = check_reason(excl, "排除", "excluded")
    pool = Pool.from_columns(
        keys, strata, weights, recent, forced, excluded, digests, trust_digests=trust_digests, _checked=True
    )
    # Every field was checked to be in canonical form, so the bytes are the canonical encoding.
    pool.__dict__["digest"] = pool_digest_of_csv(data)
    return pool

"""Task and draw workflows: ``check_*`` validates, ``do_*`` acts in one transaction with its audit entry.

The sampling itself is ``suiji_draw``; this module freezes the candidate pool
from the directory, stores the commitment, runs the ceremony exactly once,
persists the manifest and the selection, and voids a draw only with a reason
and a second person's approval.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, islice
from operator import itemgetter, lt
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

import suiji_draw as sd
from accounts.permissions import can_see_org, has_perm
from core import audit
from core.errors import Refused
from core.models import AuditAction
from directory.models import CreditClass, Target, TargetStatus
from draws import columns
from draws.models import Draw, DrawState, Selection, StratifyBy, Task, TaskState, Witness
from orgs.models import Organisation
from suiji_draw.encoding import check_text
from suiji_draw.pool import CSV_HEADER, MAX_KEY_LEN, MAX_STRATUM_LEN, MAX_WEIGHT, pool_digest_of_csv

DEFAULT_STATUSES = [TargetStatus.ACTIVE, TargetStatus.OPERATING]
MAX_WEIGHT_FACTOR = 1000


class WorkflowError(Refused):
    """A refused action of tasks and draws."""


def _refuse(code: str, zh: str, en: str, status: int = 422) -> WorkflowError:
    return WorkflowError(code, zh, en, status)


def _from_engine(exc: sd.DrawInputError) -> WorkflowError:
    return WorkflowError(getattr(exc, "code", "bad_draw_input"), exc.message_zh, exc.message_en, 422)


# --- scope and candidates -----------------------------------------------------------------------

SCOPE_KEYS = {"regions", "industries", "kinds", "statuses", "credit_classes", "abnormal", "serious", "min_complaints"}
SCOPE_KEYS |= {"exclude_inspected_days"}  # not a filter: draws/planning.py leaves recently inspected firms out


def check_scope(scope: Any) -> dict[str, Any]:
    """Validate a directed-draw scope; an empty scope is an undirected draw over live firms."""
    if not isinstance(scope, dict):
        raise _refuse("bad_scope", "抽查范围格式不正确。", "The scope must be an object.")
    unknown = set(scope) - SCOPE_KEYS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise _refuse("bad_scope", f"抽查范围含未知条件：{names}", f"Unknown scope conditions: {names}")
    for name in ("regions", "industries", "kinds", "statuses", "credit_classes"):
        value = scope.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 30 for v in value):
            raise _refuse(
                "bad_scope", f"抽查范围条件 {name} 须为文字列表。", f"Scope condition {name} must be a list of strings."
            )
    if any(c not in CreditClass.values for c in scope.get("credit_classes", [])):
        raise _refuse("bad_scope", "信用风险分类只能是 A、B、C、D。", "Credit classes are A, B, C and D.")
    if any(s not in TargetStatus.values for s in scope.get("statuses", [])):
        raise _refuse("bad_scope", "登记状态不正确。", "Unknown registration status.")
    for name in ("abnormal", "serious"):
        if scope.get(name) not in (None, True, False):
            raise _refuse(
                "bad_scope", f"条件 {name} 须为是、否或不限。", f"Condition {name} must be true, false or null."
            )
    mc = scope.get("min_complaints")
    if mc is not None and (not isinstance(mc, int) or isinstance(mc, bool) or mc < 0):
        raise _refuse("bad_scope", "投诉次数下限须为非负整数。", "min_complaints must be a non-negative integer.")
    from draws.planning import check_exclude_days

    check_exclude_days(scope.get("exclude_inspected_days"))
    return scope


def scope_queryset(task: Task) -> QuerySet[Target]:
    """The directory rows a task's scope selects, within the task's organisation subtree."""
    scope = check_scope(task.scope or {})
    # The subtree's ids, looked up first: a join would test every firm's organisation path.
    subtree = Organisation.objects.filter(path__startswith=task.organisation.path)
    qs = Target.objects.filter(organisation_id__in=list(subtree.values_list("id", flat=True)))
    qs = qs.filter(status__in=scope.get("statuses") or DEFAULT_STATUSES)
    if scope.get("regions"):
        cond = Q()
        for code in scope["regions"]:
            cond |= Q(region_id__startswith=code.rstrip("0") or code)
        qs = qs.filter(cond)
    if scope.get("industries"):
        qs = qs.filter(industry_id__in=scope["industries"])
    if scope.get("kinds"):
        qs = qs.filter(kind__in=scope["kinds"])
    if scope.get("credit_classes"):
        qs = qs.filter(credit_class__in=scope["credit_classes"])
    if scope.get("abnormal") is not None:
        qs = qs.filter(abnormal_operation=scope["abnormal"])
    if scope.get("serious") is not None:
        qs = qs.filter(serious_violation=scope["serious"])
    if scope.get("min_complaints"):
        qs = qs.filter(complaint_count__gte=scope["min_complaints"])
    return qs


def check_weights(weights: Any) -> dict[str, Any]:
    """Risk weights: integer factors per credit class and for list flags and complaints.

    weight = class[c] × (abnormal if on the abnormal list) × (serious if on the
    serious-violation list) + per_complaint × complaints. All integers, so the
    draw stays exact; documented in docs/DRAW.md ("weights from the directory").
    """
    if not isinstance(weights, dict):
        raise _refuse("bad_weights", "风险权重格式不正确。", "Weights must be an object.")
    unknown = set(weights) - {"class", "abnormal", "serious", "per_complaint"}
    if unknown:
        raise _refuse("bad_weights", "风险权重含未知项。", f"Unknown weight entries: {', '.join(sorted(unknown))}")
    classes = weights.get("class", {})
    if not isinstance(classes, dict) or set(classes) - set(CreditClass.values):
        raise _refuse("bad_weights", "分类权重只能针对 A、B、C、D。", "Class weights are for A, B, C and D only.")
    for value in [*classes.values(), weights.get("abnormal", 1), weights.get("serious", 1)]:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_WEIGHT_FACTOR:
            raise _refuse("bad_weights", "权重须为 1 至 1000 的整数。", "Weights must be integers from 1 to 1000.")
    pc = weights.get("per_complaint", 0)
    if not isinstance(pc, int) or isinstance(pc, bool) or not 0 <= pc <= MAX_WEIGHT_FACTOR:
        raise _refuse(
            "bad_weights", "每次投诉的权重须为 0 至 1000 的整数。", "per_complaint must be an integer 0-1000."
        )
    return weights


@dataclass
class Candidates:
    pool: sd.Pool


STRATUM_COLUMN = {
    StratifyBy.CREDIT_CLASS: "credit_class",
    StratifyBy.KIND: "kind",
    StratifyBy.INDUSTRY: "industry_id",
    StratifyBy.REGION: "region_id",
}
_SAMPLE = 1000  # stored digests rechecked per pool (every len // _SAMPLE-th key, the first included)


def _weight_expression(weights: dict[str, Any], force_complaints: int | None) -> tuple[Any, Any]:
    """The risk weight and the forced flag of a firm as SQL expressions (see ``check_weights``).

    The class factor of any class other than A, B and C is D's, as it always was.
    """
    classes = weights.get("class", {})
    weight: Any = Case(
        *(When(credit_class=c, then=Value(classes.get(c, 1))) for c in "ABC"),
        default=Value(classes.get("D", 1)),
        output_field=BigIntegerField(),
    )
    for flag, name in (("abnormal_operation", "abnormal"), ("serious_violation", "serious")):
        factor = weights.get(name, 1)
        if factor != 1:
            weight = weight * Case(When(**{flag: True}, then=Value(factor)), default=Value(1))
    per_complaint = weights.get("per_complaint", 0)
    if per_complaint:
        weight = weight + Value(per_complaint) * F("complaint_count")
    if force_complaints is None:
        forced: Any = Value(0)
    else:
        forced = Case(When(complaint_count__gte=force_complaints, then=Value(1)), default=Value(0))
    return ExpressionWrapper(weight, output_field=BigIntegerField()), ExpressionWrapper(
        forced, output_field=IntegerField()
    )


Columns = tuple[list[str], Any, Any, list[Any], Any, int]


def _fetch_columns(task: Task, weights: dict[str, Any]) -> Columns:
    """``(keys, draw_digests, weights, strata, forced, checked)`` of the scope's rows, sorted by key in code-point
    order; ``checked`` says what the ordering established about the keys (``UNCHECKED`` or
    ``ALNUM_CHECKED``).

    Weights and the forced flag are computed by the database. The rows are read in
    table order (a key-ordered read visits the table at random and costs several
    times more on a large directory) as one aggregated text per column, and sorted
    here; anything the aggregated form cannot carry faithfully falls back to reading
    row by row in key order.
    """
    weight, forced = _weight_expression(weights, task.force_complaints)
    stratum = STRATUM_COLUMN.get(task.stratify_by, "credit_class")
    qs = (
        scope_queryset(task)
        .order_by()
        .annotate(draw_weight=weight, draw_forced=forced)
        .values_list("key", "draw_digest", "draw_weight", stratum, "draw_forced")
    )
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "sqlite" and not NARROWING & set(task.scope or {}):
        sql = _whole_table_scan(sql)
    fetched = _fetch_aggregated(sql, params, stratum)
    return fetched if fetched is not None else _fetch_rows(sql, params)


#: Scope conditions that may leave a small part of the directory, where an index can pay.
NARROWING = {"regions", "industries", "kinds", "min_complaints"}


def _whole_table_scan(sql: str) -> str:
    """The SQLite query told to read the table from end to end rather than through an index.

    Without the conditions of :data:`NARROWING` a scope keeps most of the organisation's
    firms (live ones, of some classes), and reading them through the status or
    organisation index visits the table one row at a time: on 1,000,000 firms the
    aggregated read took 2.3 s that way and 1.8 s as a plain scan.
    """
    table = connection.ops.quote_name(Target._meta.db_table)
    head = f"FROM {table} "
    return sql.replace(head, f"FROM {table} NOT INDEXED ", 1) if sql.count(head) == 1 else sql


def _fetch_rows(sql: str, params: Any) -> Columns:
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    table = Target._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql} ORDER BY {connection.ops.quote_name(table)}.{connection.ops.quote_name('key')}{collate}", params
        )
        rows = cursor.fetchall()
    if not rows:
        return [], [], [], [], [], UNCHECKED
    keys, stored, weight_col, strata, forced_col = zip(*rows, strict=True)
    return list(keys), stored, weight_col, list(strata), forced_col, UNCHECKED


def _fetch_aggregated(sql: str, params: Any, stratum: str) -> Columns | None:
    q = connection.ops.quote_name
    key, digest, weight, strat, forced = q("key"), q("draw_digest"), q("draw_weight"), q(stratum), q("draw_forced")
    # Weight and forced flag travel as one number, weight * 2 + forced (weights stay far below
    # 2**62, see ``check_weights``): one aggregated column fewer.
    if connection.vendor == "sqlite":
        agg = (
            f"SELECT count(*), group_concat({key}, char(10)), group_concat(coalesce({digest}, 'N'), ','), "
            f"group_concat({weight} * 2 + {forced}, ','), group_concat(coalesce({strat}, ''), char(10)) "
            f"FROM ({sql}) AS scope"
        )
    elif connection.vendor == "postgresql":
        agg = (
            f"SELECT count(*), string_agg({key}, E'\\n'), string_agg(coalesce({digest}::text, 'N'), ','), "
            f"string_agg(({weight} * 2 + {forced})::text, ','), string_agg(coalesce({strat}::text, ''), E'\\n') "
            f"FROM ({sql}) AS scope"
        )
    else:
        return None
    with connection.cursor() as cursor:
        cursor.execute(agg, params)
        n, key_text, digest_text, marked_text, stratum_text = cursor.fetchone()
    if not n:
        return [], [], [], [], [], UNCHECKED
    strata: Any = columns.one_char_values(stratum_text, n)  # credit classes: coded at once
    if strata is None:
        strata = stratum_text.split("\n")
    if len(strata) != n or "N" in digest_text:
        return None
    try:
        digests = np.fromstring(digest_text, dtype=np.int64, sep=",")
        marked = np.fromstring(marked_text, dtype=np.int64, sep=",")
    except ValueError:
        return None
    if not len(digests) == len(marked) == n:
        return None
    wts, forced_flags = marked >> 1, (marked & 1).astype(bool)
    ordered = _key_order(key_text, n)
    if ordered is None:
        return None
    keys, order, checked = ordered
    if isinstance(strata, columns.CharColumn):
        strata = columns.CharColumn(strata.chars[order])
    else:
        strata = [strata[i] for i in order.tolist()]
    return keys, digests[order], wts[order], strata, forced_flags[order], checked


#: What the key ordering established about the keys (``Columns``' last member): nothing; or that
#: they are distinct and 1 to 18 ASCII letters and digits each.
UNCHECKED, ALNUM_CHECKED = 0, 1


def _key_order(key_text: str, n: int) -> tuple[Sequence[str], np.ndarray, int] | None:
    """The ``n`` keys joined by newlines in code-point order, the permutation that puts them so,
    and what it established about them; None when the text does not hold ``n`` keys.

    Registry codes take :func:`columns.sort_alnum_keys` and stay slices of the text; any other
    key set is split and sorted as strings and left to the engine's full checks.
    """
    found = columns.sort_alnum_keys(key_text, n)
    if found is not None:
        return found.keys, found.order, ALNUM_CHECKED if found.distinct else UNCHECKED
    plain = key_text.split("\n")
    if len(plain) != n:
        return None
    order = np.array(sorted(range(n), key=plain.__getitem__), dtype=np.int64)
    return [plain[i] for i in order.tolist()], order, UNCHECKED


def _stale_digest() -> WorkflowError:
    return _refuse(
        "stale_digest", "检查对象的抽取摘要与标识不符，请重新计算。", "A stored draw digest does not match its key."
    )


def build_pool(task: Task) -> Candidates:
    """Freeze the task's candidates from the directory into an engine pool.

    The database filters the scope, sorts by key and computes each firm's weight
    and forced flag; stored digests (``Target.draw_digest``) save hashing every key,
    and a sample of them is rechecked so a stale one cannot slip by. When every key
    is a plain alphanumeric registry code (the directory's case) the pool and its
    canonical CANDIDATES.csv are assembled from the columns directly; anything
    unusual goes through ``Pool.from_columns``, which checks and sorts every key.
    """
    weights = check_weights(task.weights or {})
    keys, stored, weight_col, strata, forced_col, checked = _fetch_columns(task, weights)
    if not keys:
        raise _refuse("empty_pool", "抽查范围内没有检查对象。", "No target is in the scope of this task.")
    if not isinstance(stored, np.ndarray) and None in stored:
        stored = tuple(sd.candidate_digest(k) if d is None else d for k, d in zip(keys, stored, strict=True))
    step = max(1, len(keys) // _SAMPLE)
    for i in range(0, len(keys), step):
        if stored[i] != sd.candidate_digest(keys[i]):
            raise _stale_digest()
    digests = np.array(stored, dtype=np.int64)
    wts = np.array(weight_col, dtype=np.int64)
    forced_flags = np.array(forced_col, dtype=bool)
    if task.stratify_by == StratifyBy.NONE:
        labels: Any = "all"
    elif isinstance(strata, columns.CharColumn):
        labels = strata  # one character each, none empty
    else:
        names = {x: str(x) if x else "none" for x in set(strata)}
        labels = [names[x] for x in strata] if any(k != v for k, v in names.items()) else strata
    from draws.planning import capped_exclusions, inspected_exclusions  # 无事不扰, yearly cap

    excluded = capped_exclusions(task, keys, forced_col)  # the yearly cap on visits per firm
    excluded.update(inspected_exclusions(task, keys, forced_col))
    pool = None if excluded else _assemble_pool(keys, labels, wts, forced_flags, digests, checked)
    if pool is None:
        forced = {keys[i]: "complaint" for i in np.flatnonzero(forced_flags).tolist()}
        try:
            pool = sd.Pool.from_columns(
                keys, labels, wts, forced=forced, excluded=excluded or None, digests=digests, trust_digests=True
            )
        except sd.DrawInputError as exc:
            raise _from_engine(exc) from None
    return Candidates(pool)


def _assemble_pool(
    keys: Sequence[str], strata: Any, weights: np.ndarray, forced: np.ndarray, digests: np.ndarray, checked: int = 0
) -> sd.Pool | None:
    """The pool and its CANDIDATES.csv built straight from key-sorted columns, or None when a check fails.

    This produces exactly what ``Pool.from_columns`` would (same keys, strata codes,
    weights, forced positions and digests) and the same canonical CSV bytes, without
    a per-key index or a per-row formatting pass: the checks are done on whole columns
    (keys are 1 to 128 ASCII letters and digits, strictly increasing; strata are
    canonical names; weights within the engine's range). Returns None when any
    check fails, so that the engine's own validation reports the problem. ``checked``
    (``ALNUM_CHECKED``) says the caller has established that the keys are sorted, distinct
    and 1 to 18 ASCII letters and digits (``_packed_key_order``), so none of that is
    checked again.
    """
    n = len(keys)
    if checked != ALNUM_CHECKED:
        joined = "".join(keys)
        if not (joined.isascii() and joined.isalnum()):
            return None
        if min(map(len, keys)) < 1 or max(map(len, keys)) > MAX_KEY_LEN:
            return None
        # Sorted and strictly increasing (keys are unique in the directory; this checks both).
        if not all(map(lt, keys, islice(keys, 1, None))):
            return None
    if int(weights.min()) < 0 or int(weights.max()) > MAX_WEIGHT:
        return None
    if isinstance(strata, columns.CharColumn):
        distinct = strata.distinct()
    else:
        distinct = {strata} if isinstance(strata, str) else set(strata)
    for name in distinct:
        try:
            if check_text(name, "分层", "stratum", MAX_STRATUM_LEN) != name:
                return None
        except sd.DrawInputError:
            return None
    names = tuple(sorted(distinct))
    if isinstance(strata, str):
        codes = np.zeros(n, dtype=_code_type(names))
    elif isinstance(strata, columns.CharColumn):
        codes = strata.codes(names, _code_type(names))
    else:
        codes = _stratum_codes(strata, names)
    forced_map = dict.fromkeys(np.flatnonzero(forced).tolist(), "complaint")
    pool = sd.Pool(keys, names, codes, weights, np.zeros(n, dtype=bool), forced_map, {}, digests.view(np.uint64))
    # Every line is "key,stratum,weight,0,forced," and only (stratum, weight, forced) varies
    # beside the key: format each distinct ending once, and join keys and endings in turn.
    combo = (codes.astype(np.int64) << 42) | (weights << 1) | forced.astype(np.int64)
    distinct_combos, which = _factorise(combo)
    endings = [
        f",{names[c >> 42]},{(c >> 1) & ((1 << 41) - 1)},0,{'complaint' if c & 1 else ''},\n"
        for c in distinct_combos.tolist()
    ]
    padded = keys.padded if isinstance(keys, columns.KeyColumn) else None
    body = columns.csv_body(padded, endings, which) if padded is not None else None
    if body is None:
        ends = itemgetter(*which.tolist())(endings) if n > 1 else (endings[int(which[0])],)
        pieces = [""] * (2 * n)
        pieces[0::2] = keys
        pieces[1::2] = ends
        body = "".join(pieces).encode("utf-8")
    pool.__dict__["_csv"] = (CSV_HEADER + "\n").encode("utf-8") + body
    return pool


def _code_type(names: tuple[str, ...]) -> type:
    return np.uint16 if len(names) <= 1 << 16 else np.int32


def _stratum_codes(strata: list[str], names: tuple[str, ...]) -> np.ndarray:
    """Each stratum's position in ``names`` (sorted, and holding every one of them)."""
    code_type = _code_type(names)
    if all(len(name) == 1 and name.isascii() for name in names):
        # One ASCII character each (credit classes A to D): code the joined characters at once.
        table = np.zeros(128, dtype=code_type)
        for i, name in enumerate(names):
            table[ord(name)] = i
        return table[np.frombuffer("".join(strata).encode("ascii"), dtype=np.uint8)]
    code_of = {name: i for i, name in enumerate(names)}
    return np.fromiter(map(code_of.__getitem__, strata), dtype=code_type, count=len(strata))


_DENSE_LIMIT = 1 << 22  # a table of this many counters is cheaper than sorting a million values


def _factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative integers; when the values fall
    in few possible (code, weight, forced) combinations, counted in a table instead of sorted."""
    if len(values):
        low, high = int(values.min()), int(values.max())
        # Lines of a pool differ in stratum (bits 42 and up), weight and forced (bit 0).
        codes_span = (high >> 42) - (low >> 42) + 1
        rest_span = int((values & ((1 << 42) - 1)).max()) + 1
        if codes_span * rest_span <= _DENSE_LIMIT:
            dense = ((values >> 42) - (low >> 42)) * rest_span + (values & ((1 << 42) - 1))
            present = np.bincount(dense, minlength=codes_span * rest_span) > 0
            slots = np.flatnonzero(present)
            rank = np.cumsum(present) - 1
            distinct = ((slots // rest_span + (low >> 42)) << 42) | (slots % rest_span)
            return distinct.astype(np.int64), rank[dense]
    return np.unique(values, return_inverse=True)


def _sample_matches(keys: Sequence[str], digests: np.ndarray) -> bool:
    """Whether a sample of the stored digests (every ``len // _SAMPLE``-th, the first included) are
    those of their keys."""
    step = max(1, len(keys) // _SAMPLE)
    return all(int(digests[i]) == sd.candidate_digest(keys[i]) for i in range(0, len(keys), step))


def pool_from_frozen(data: bytes, expected_digest: str, digests: np.ndarray | None) -> sd.Pool:
    """The pool of a committed draw from its frozen CANDIDATES.csv.

    The bytes are first checked against the committed digest; equal bytes are
    exactly those the validated pool produced at commit, so the columns are split
    out without being validated again (whole-file string operations, no per-line
    parsing), and the digests stored beside the file are used instead of hashing
    every key (a sample is rechecked; any doubt means a full, checked parse).
    """
    if pool_digest_of_csv(data) != expected_digest:
        raise _refuse(
            "pool_changed", "冻结的候选名单已被改动，不能抽取。", "The frozen candidate list was altered.", 409
        )
    if digests is None:
        return sd.read_candidates_csv(data)
    split = columns.split_frozen(data)
    if split is not None:
        n = len(split.keys)
        if len(digests) != n or not _sample_matches(split.keys, digests):
            return sd.read_candidates_csv(data)
        pool = sd.Pool(
            split.keys,
            split.strata_names,
            split.codes,
            split.weights,
            split.recent,
            split.forced,
            split.excluded,
            digests.view(np.uint64),
        )
        pool.__dict__["digest"] = expected_digest
        pool.__dict__["_csv"] = data
        return pool
    text = data.decode("utf-8")
    header = CSV_HEADER + "\n"
    if not text.startswith(header) or not text.endswith("\n"):
        return sd.read_candidates_csv(data)
    fields = text[len(header) : -1].replace("\n", ",").split(",")
    n = len(fields) // 6
    if n == 0 or len(fields) != 6 * n or len(digests) != n:
        return sd.read_candidates_csv(data)
    keys = fields[0::6]
    if not _sample_matches(keys, digests):
        return sd.read_candidates_csv(data)
    strata = fields[1::6]
    names = tuple(sorted(set(strata)))
    codes = _stratum_codes(strata, names)
    weight_text = fields[2::6]
    weight_of = {w: int(w) for w in set(weight_text)}
    weights = np.fromiter(map(weight_of.__getitem__, weight_text), dtype=np.int64, count=n)
    recent_text = "".join(fields[3::6])
    if len(recent_text) != n:
        return sd.read_candidates_csv(data)
    recent = np.frombuffer(recent_text.encode("ascii"), dtype=np.uint8) == ord("1")
    forced_text, excluded_text = fields[4::6], fields[5::6]
    # Reasons are rare: a column with none is seen at once from its joined text.
    forced = {i: forced_text[i] for i in compress(range(n), forced_text)} if "".join(forced_text) else {}
    excluded = {i: excluded_text[i] for i in compress(range(n), excluded_text)} if "".join(excluded_text) else {}
    del fields
    pool = sd.Pool(keys, names, codes, weights, recent, forced, excluded, digests.view(np.uint64))
    pool.__dict__["digest"] = expected_digest
    pool.__dict__["_csv"] = data
    return pool


def check_params(params: Any) -> sd.DrawParams:
    try:
        return sd.DrawParams.from_dict(params)
    except sd.DrawInputError as exc:
        raise _from_engine(exc) from None


def check_ratio_floor(params: sd.DrawParams) -> None:
    """R2: a sampling ratio below 5% is refused (counts are checked against the pool at commit)."""
    from fractions import Fraction

    for part in params.parts:
        allocations = [part.overall] if part.overall else [a for _, a in part.strata]
        for alloc in allocations:
            if alloc is not None and alloc.ratio is not None and Fraction(alloc.ratio) < Fraction(1, 20):
                raise _refuse("ratio_too_low", "抽查比例不得低于 5%。", "A sampling ratio below 5% is not allowed.")


# --- tasks ----------------------------------------------------------------------------------------


def check_recent_rule(params: sd.DrawParams) -> None:
    """A task's parts keep recently inspected firms as they are (``recent: keep``).

    The engine can down-weight or drop candidates flagged ``recent``, but the directory flags
    none: a task leaves firms inspected within a window out through its scope
    (``exclude_inspected_days``, draws/planning.py). Any other rule would change nothing, so it
    is refused rather than silently ignored.
    """
    if any(part.recent != "keep" for part in params.parts):
        raise _refuse(
            "recent_rule_unsupported",
            "近期已检查对象请通过任务范围中的“排除近期已检查对象”天数（exclude_inspected_days）排除；"
            "各部分的 recent 只能为 keep。",
            "Leave recently inspected firms out with the scope's exclude_inspected_days; "
            "a part's recent rule must be keep.",
        )


def check_can_organise(user: Any, task_org: Any) -> None:
    if not (has_perm(user, "tasks.manage") or has_perm(user, "draws.organise")):
        raise _refuse("forbidden", "您没有组织抽查任务的权限。", "You may not organise tasks.", 403)
    if not can_see_org(user, task_org):
        raise _refuse("not_found", "未找到该对象，或您无权查看。", "Not found, or not visible to you.", 404)


def check_can_run(user: Any, task: Task) -> None:
    """Commit, draw and void belong to the lead department (or an organisation-wide role), not to participants."""
    check_can_organise(user, task.organisation)
    from draws.access import ORG_WIDE_ROLES

    if user.is_superuser or user.has_role(*ORG_WIDE_ROLES) or user.department_id == task.department_id:
        return
    raise _refuse(
        "not_lead_department",
        "只有牵头部门可以冻结名单、抽取或申请作废。",
        "Only the lead department may freeze the list, draw or ask to void.",
        403,
    )


def do_create_task(user: Any, **fields: Any) -> Task:
    org = fields["organisation"]
    check_can_organise(user, org)
    department = fields["department"]
    if department.organisation_id != org.id:
        raise _refuse(
            "bad_department", "牵头部门不属于该组织机构。", "The lead department is not part of this organisation."
        )
    check_scope(fields.get("scope") or {})
    check_weights(fields.get("weights") or {})
    params = check_params(fields["params"])
    check_ratio_floor(params)
    check_recent_rule(params)
    from draws.planning import check_adhoc

    items = check_adhoc(fields, params)  # items of the list, the window, the design against the items
    with transaction.atomic():
        task = Task.objects.create(created_by=user, **fields)
        task.items.set(items)
    return task


# --- the ceremony -----------------------------------------------------------------------------------


def _digests_path(candidates_path: str) -> str:
    return candidates_path[: -len(".csv")] + ".digests"


def _load_digests(candidates_path: str) -> np.ndarray | None:
    path = _digests_path(candidates_path)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), dtype=np.int64)


def _context(task: Task, number: int, pool: sd.Pool | None = None) -> dict[str, str]:
    context = {"task": str(task.pk), "draw": str(number), "organisation": task.organisation.name, "name": task.name}
    if (task.scope or {}).get("exclude_inspected_days"):  # draws/planning.py: recently inspected firms left out
        context["exclude_inspected_days"] = str(task.scope["exclude_inspected_days"])
        context["excluded_inspected"] = str(sum(r == "inspected" for r in (pool.excluded if pool else {}).values()))
    if pool is not None and any(r == "cap" for r in pool.excluded.values()):
        context["excluded_cap"] = str(sum(r == "cap" for r in pool.excluded.values()))
    return context


#: The steps of :func:`do_commit` and :func:`do_draw`, in order, as their ``step`` callback names them.
COMMIT_STEPS = ("read", "freeze", "record")
DRAW_STEPS = ("check", "draw", "store")


def _no_step(name: str) -> None:
    pass


def do_commit(task: Task, user: Any, step: Callable[[str], None] = _no_step) -> Draw:
    """Freeze the pool and record digest, parameters and the commitment, before any randomness exists.

    ``step`` is told each of :data:`COMMIT_STEPS` as it begins (a background job shows them).
    """
    check_can_run(user, task)
    params = check_params(task.params)
    check_ratio_floor(params)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.draws.exclude(state=DrawState.VOIDED).exists():
            raise _refuse("already_committed", "该任务已有有效的抽取。", "This task already has a live draw.", 409)
        step("read")
        cands = build_pool(task)
        pool = cands.pool
        step("freeze")
        # Dry run with a fixed seed: refuses impossible designs (k above the pool, empty strata) now.
        try:
            sd.draw_with_seed(pool, params, bytes(32))
        except sd.DrawInputError as exc:
            raise _from_engine(exc) from None
        step("record")
        number = (task.draws.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        secret = sd.new_secret()
        commitment = sd.commitment(secret)
        announcement = sd.build_announcement(pool, params, commitment, _context(task, number, pool))
        path = default_storage.save(f"draws/task-{task.pk}/draw-{number}-candidates.csv", ContentFile(pool.csv_bytes()))
        default_storage.save(_digests_path(path), ContentFile(pool.digests.view(np.int64).tobytes()))
        try:
            draw = Draw.objects.create(
                task=task,
                number=number,
                pool_size=len(pool),
                pool_digest=pool.digest,
                candidates_file=path,
                params_digest=params.digest,
                commitment=commitment,
                secret=secret.hex(),
                announcement=sd.manifest_json(announcement).decode("utf-8"),
                committed_by=user,
                committed_at=timezone.now(),
            )
        except IntegrityError:
            default_storage.delete(path)
            default_storage.delete(_digests_path(path))
            raise _refuse(
                "already_committed", "该任务已有有效的抽取。", "This task already has a live draw.", 409
            ) from None
        task.state = TaskState.ANNOUNCED
        task.save(update_fields=["state"])
        audit.record(
            AuditAction.TRANSITION,
            draw,
            object_repr=str(draw),
            after={
                "state": "committed",
                "pool_digest": pool.digest,
                "commitment": commitment,
                "pool_size": str(len(pool)),
            },
        )
    return draw


@dataclass
class WitnessIn:
    name: str
    role: str
    affiliation: str = ""


def check_witnesses(witnesses: list[WitnessIn]) -> None:
    if not witnesses:
        raise _refuse("no_witness", "请至少登记一名见证人。", "Record at least one witness.")
    for w in witnesses:
        if not w.name.strip() or not w.role.strip() or len(w.name) > 100 or len(w.role) > 100:
            raise _refuse(
                "bad_witness",
                "见证人须有姓名和身份（各不超过 100 字）。",
                "Each witness needs a name and a role (up to 100 characters).",
            )


def check_draw_inputs(draw: Draw, witnesses: list[WitnessIn], inputs: list[tuple[str, str]]) -> sd.SeedInputs:
    """The ceremony's witnesses and inputs checked, and the seed inputs they make."""
    check_witnesses(witnesses)
    if not inputs:
        raise _refuse("no_input", "请至少录入一项见证输入。", "Enter at least one witness input.")
    try:
        return sd.SeedInputs.of(draw.commitment, draw.secret, inputs)
    except sd.DrawInputError as exc:
        raise _from_engine(exc) from None


def do_draw(
    draw: Draw,
    user: Any,
    witnesses: list[WitnessIn],
    inputs: list[tuple[str, str]],
    step: Callable[[str], None] = _no_step,
) -> Draw:
    """Run the ceremony once: exactly one caller succeeds, every other gets a conflict.

    ``step`` is told each of :data:`DRAW_STEPS` as it begins (a background job shows them).
    """
    check_can_run(user, draw.task)
    seed_inputs = check_draw_inputs(draw, witnesses, inputs)
    with transaction.atomic():
        claimed = Draw.objects.filter(pk=draw.pk, state=DrawState.COMMITTED).update(state=DrawState.DRAWING)
        if claimed != 1:
            raise _refuse("already_drawn", "该抽取已进行或已作废。", "This draw has already been run or voided.", 409)
        step("check")
        draw = Draw.objects.select_related("task").get(pk=draw.pk)
        with default_storage.open(draw.candidates_file, "rb") as fh:
            data = fh.read()
        try:
            pool = pool_from_frozen(data, draw.pool_digest, _load_digests(draw.candidates_file))
            del data
            params = check_params(draw.task.params)
            step("draw")
            result = sd.run_draw(pool, params, seed_inputs)
        except sd.DrawInputError as exc:
            raise _from_engine(exc) from None
        context = _context(draw.task, draw.number, pool)
        step("store")
        # The selection is stored from a second thread while this one builds the manifest.
        statement = _selection_statement(draw, pool, result)
        storing = _Beside(statement) if statement is not None else None
        try:
            manifest_text, manifest_digest = sd.build_manifest_text(result, seed_inputs, context)
        except sd.DrawInputError as exc:
            raise _from_engine(exc) from None
        finally:
            if storing is not None:
                storing.join()
        if storing is None:
            _insert_selections(draw, pool, result)
        Witness.objects.bulk_create(
            [
                Witness(draw=draw, name=w.name.strip(), role=w.role.strip(), affiliation=w.affiliation.strip())
                for w in witnesses
            ]
        )
        fields = {
            "state": DrawState.DRAWN,
            "selected": len(result.visit_positions),
            "seed": result.seed_hex,
            "manifest": manifest_text,
            "manifest_digest": manifest_digest,
            "drawn_by": user,
            "drawn_at": timezone.now(),
        }
        Draw.objects.filter(pk=draw.pk).update(**fields)
        for name, value in fields.items():
            setattr(draw, name, value)
        Task.objects.filter(pk=draw.task_id).update(state=TaskState.DRAWN)
        draw.task.state = TaskState.DRAWN
        audit.record(
            AuditAction.TRANSITION,
            draw,
            object_repr=str(draw),
            before={"state": "committed"},
            after={
                "state": "drawn",
                "seed": result.seed_hex,
                "manifest_digest": manifest_digest,
                "selected": str(len(result.order)),
            },
        )
    return draw


def _selection_rows(pool: sd.Pool, result: sd.DrawResult) -> tuple[list[str], list[str], list[str]]:
    """The selection in visit order as three columns: key, stratum, forced reason (empty when drawn)."""
    positions = result.visit_positions.tolist()
    names = pool.strata_names
    strata = [names[c] for c in pool.codes[result.visit_positions].tolist()]
    forced = [pool.forced.get(i, "") for i in positions] if pool.forced else [""] * len(positions)
    return list(result.order), strata, forced


def _json_rows(keys: list[str], strata: list[str], forced: list[str]) -> str:
    """``json.dumps(list(zip(keys, strata, forced)), ensure_ascii=False)`` as far as a JSON reader can tell.

    Each row is written as its key and one of the few distinct ``,"stratum","reason"]`` endings,
    encoded once each; keys that would need escaping send the whole to ``json.dumps``.
    """
    joined = "".join(keys)
    if '"' in joined or "\\" in joined or not joined.isprintable():
        return json.dumps(list(zip(keys, strata, forced, strict=True)), ensure_ascii=False)
    memo: dict[tuple[str, str], str] = {}
    ends = []
    for pair in zip(strata, forced, strict=True):
        end = memo.get(pair)
        if end is None:
            end = memo[pair] = '",' + json.dumps(list(pair), ensure_ascii=False, separators=(",", ":"))[1:]
        ends.append(end)
    return "[" + ",".join(map('["{}{}'.format, keys, ends)) + "]"


def _selection_statement(draw: Draw, pool: sd.Pool, result: sd.DrawResult) -> tuple[str, list[Any]] | None:
    """The one set-based statement that stores the ordered selection, for the driver's own cursor,
    or ``None`` where there is none (an empty selection; SQLite without its JSON functions).

    Position, key, stratum and forced reason come from the engine's result (pool
    positions, no key search); the database links each key to its directory row
    (none when the firm has left the directory since the commit).
    """
    if not len(result.visit_positions):
        return None
    keys, strata, forced = _selection_rows(pool, result)
    table = connection.ops.quote_name(Selection._meta.db_table)
    targets = connection.ops.quote_name(Target._meta.db_table)
    column_list = "(draw_id, position, key, target_id, stratum, forced)"
    if connection.vendor == "postgresql":
        # Each column as one newline-joined text that the server splits (keys, strata and reasons
        # are printable, so they hold no newline; counted to be sure), which the driver sends far
        # faster than an array of ninety thousand strings; an array otherwise.
        texts = ["\n".join(column) for column in (keys, strata, forced)]
        if len(keys) > 1 and all(text.count("\n") == len(keys) - 1 for text in texts):
            source = "unnest(string_to_array(%s, E'\\n'), string_to_array(%s, E'\\n'), string_to_array(%s, E'\\n'))"
            values: list[Any] = texts
        else:
            source = "unnest(%s::text[], %s::text[], %s::text[])"
            values = [keys, strata, forced]
        sql = (
            f"INSERT INTO {table} {column_list} "
            f"SELECT %s, s.position, s.key, t.id, s.stratum, s.forced "
            f"FROM {source} WITH ORDINALITY AS s(key, stratum, forced, position) "
            f"LEFT JOIN {targets} t ON t.key = s.key "
            # In directory order, the foreign-key checks at the commit read the directory in
            # order rather than at random (92,747 of 1,000,000 firms: about 0.6 s less).
            f"ORDER BY t.id"
        )
        return sql, [draw.pk, *values]
    if connection.vendor == "sqlite" and _sqlite_json():
        sql = (
            f"INSERT INTO {table} {column_list} "
            f"SELECT ?, s.key + 1, json_extract(s.value, '$[0]'), t.id, json_extract(s.value, '$[1]'), "
            f"json_extract(s.value, '$[2]') "
            f"FROM json_each(?) AS s LEFT JOIN {targets} t ON t.key = json_extract(s.value, '$[0]') "
            # In directory order, each row's foreign-key check finds its firm near the one before
            # (92,747 rows of a 1,000,000-firm directory: 1.3 s instead of 1.55 s).
            f"ORDER BY t.id"
        )
        return sql, [draw.pk, _json_rows(keys, strata, forced)]
    return None


def _insert_selections(draw: Draw, pool: sd.Pool, result: sd.DrawResult) -> None:
    """Persist the ordered selection: the set-based statement, or rows in batches where there is none."""
    statement = _selection_statement(draw, pool, result)
    if statement is not None:
        with connection.connection.cursor() as cursor:
            cursor.execute(*statement)
        return
    if not len(result.visit_positions):
        return
    keys, strata, forced = _selection_rows(pool, result)
    table = connection.ops.quote_name(Selection._meta.db_table)
    column_list = "(draw_id, position, key, target_id, stratum, forced)"
    ids: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        ids.update(Target.objects.filter(key__in=keys[start : start + 5000]).values_list("key", "id"))
    rows = [(draw.pk, p, k, ids.get(k), s, f) for p, (k, s, f) in enumerate(zip(keys, strata, forced, strict=True), 1)]
    batch = 1000  # 6,000 parameters a statement: within every backend's limit
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} {column_list} VALUES {values}", [v for row in chunk for v in row])


class _Beside:
    """Runs one statement on this thread's open connection (in its transaction) from a second
    thread, while this thread computes something that needs no database; ``join`` waits for it and
    raises what it raised.

    Both drivers release the interpreter lock while the database works (SQLite inside
    ``sqlite3_step``, psycopg while it waits for the server), so the statement and the Python work
    run at once on two cores. This thread must not use the connection until ``join`` returns.
    """

    def __init__(self, statement: tuple[str, list[Any]]) -> None:
        self.raw = connection.connection
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=statement, name="suiji-selection", daemon=True)
        self.thread.start()

    def _run(self, sql: str, params: list[Any]) -> None:
        try:
            cursor = self.raw.cursor()
            try:
                cursor.execute(sql, params)
            finally:
                cursor.close()
        except BaseException as exc:  # noqa: BLE001 - raised again by join, in the caller's thread
            self.error = exc

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _sqlite_json() -> bool:
    """SQLite 3.38 and later always have the JSON functions built in."""
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 38, 0)


# --- voiding ------------------------------------------------------------------------------------------


def _check_no_records(draw: Draw) -> None:
    """Once a visit of the draw has a record, the draw stands: the checks happened (results are corrected
    through new result versions instead)."""
    if draw.state == DrawState.DRAWN and draw.task.records.exists():
        raise _refuse(
            "has_records",
            "该抽取的检查对象已有检查记录，不能作废；结果有误请更正结果。",
            "Visits of this draw already have inspection records; it cannot be voided (correct the results instead).",
            409,
        )


def do_request_void(draw: Draw, user: Any, reason: str) -> Draw:
    check_can_run(user, draw.task)
    _check_no_records(draw)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise _refuse(
            "no_reason", "作废抽取须写明理由（至少 4 个字）。", "Voiding a draw needs a reason (at least 4 characters)."
        )
    with transaction.atomic():
        updated = Draw.objects.filter(
            pk=draw.pk, state__in=[DrawState.COMMITTED, DrawState.DRAWN], void_requested_by__isnull=True
        ).update(void_reason=reason[:2000], void_requested_by=user)
        if updated != 1:
            raise _refuse("not_voidable", "该抽取不能再申请作废。", "This draw cannot be put up for voiding.", 409)
        draw.refresh_from_db()
        audit.record(
            AuditAction.TRANSITION, draw, object_repr=str(draw), after={"void_requested": "yes"}, reason=reason
        )
    return draw


def do_approve_void(draw: Draw, approver: Any) -> Draw:
    if not has_perm(approver, "approve") or not can_see_org(approver, draw.task.organisation):
        raise _refuse("forbidden", "只有审批领导可以批准作废。", "Only an approver may approve voiding.", 403)
    if draw.void_requested_by_id is None:
        raise _refuse("no_request", "该抽取没有作废申请。", "Nobody asked to void this draw.", 409)
    if draw.void_requested_by_id == approver.pk:
        raise _refuse("same_person", "申请人不能批准自己的作废申请。", "The person who asked cannot approve.", 403)
    _check_no_records(draw)
    with transaction.atomic():
        updated = Draw.objects.filter(
            pk=draw.pk, state__in=[DrawState.COMMITTED, DrawState.DRAWN], void_requested_by__isnull=False
        ).update(state=DrawState.VOIDED, void_approved_by=approver, voided_at=timezone.now())
        if updated != 1:
            raise _refuse("not_voidable", "该抽取已作废。", "This draw is already void.", 409)
        Task.objects.filter(pk=draw.task_id).update(state=TaskState.DRAFT)
        draw.refresh_from_db()
        audit.record(
            AuditAction.TRANSITION,
            draw,
            object_repr=str(draw),
            before={"state": "drawn"},
            after={"state": "voided"},
            reason=draw.void_reason,
        )
    return draw


def preview_count(task: Task) -> int:
    return scope_queryset(task).count()

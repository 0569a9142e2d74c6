"""Verifiable random matching of inspectors to drawn targets (algorithm ``suiji-match-v1``).

Plain data in, plain data out: inspectors (stable ids such as the enforcement certificate
number), experts, targets in draw order and the parameters give a :class:`MatchResult`. The
result depends only on those inputs and a 32-byte seed; every random choice is a 64-bit SipHash
ticket compared as an exact integer (no floats, no library random generator). The algorithm is
specified in docs/DRAW.md, section "Matching (suiji-match-v1)", and re-implemented with the
standard library in ``verify_draw.py match``.

Each person gets a fresh ticket for every workload level (``round tickets``), so "the eligible
candidate with the smallest (workload, ticket)" is the top of a heap: a pick costs O(log n)
instead of one hash per candidate and target.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .encoding import canonical_json, check_text, frame, hex64, tag, tagged_hash
from .errors import DrawInputError
from .manifest import _context
from .siphash import siphash24_u64_array, split_key

MATCH_VERSION = "suiji-match-v1"
INSPECTORS_FORMAT = "suiji-inspectors-v1"
TARGETS_FORMAT = "suiji-match-targets-v1"
INSPECTORS_HEADER = "id,kind,unit,department,area,expertise,leader"
TARGETS_HEADER = "key,area,unit,departments,expertise,expert,excluded"
MODES = ("pool", "unit", "teams", "cross")
MODE_NAMES_ZH = {"pool": "大随机", "unit": "小随机", "teams": "编组随机", "cross": "交叉随机"}
MAX_ID_LEN = 64
MAX_KEY_LEN = 128
MAX_ITEM_LEN = 64

_PERSON_PREFIX = frame([tag("match-person")])


def person_digest(person_id: str) -> int:
    """First 8 bytes of ``tagged_hash("match-person", utf8(id))``, unsigned big-endian."""
    raw = person_id.encode("utf-8")
    return int.from_bytes(hashlib.sha256(_PERSON_PREFIX + len(raw).to_bytes(8, "big") + raw).digest()[:8], "big")


# --- inputs --------------------------------------------------------------------------------


def _bad(code: str, zh: str, en: str) -> DrawInputError:
    return DrawInputError(code, zh, en)


def _opt_text(value: object, zh: str, en: str, limit: int = MAX_ITEM_LEN) -> str:
    if value is None or value == "":
        return ""
    text = check_text(value, zh, en, limit)
    if "|" in text:
        raise _bad("bad_text", f"{zh}“{text[:40]}”不得含“|”", f"{en} {text[:40]!r} must not contain '|'")
    return text


def _items(values: Iterable[str] | str | None, zh: str, en: str, limit: int = MAX_ITEM_LEN) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = [values] if values else []
    out = set()
    for v in values:
        text = _opt_text(v, zh, en, limit)
        if not text:
            raise _bad("bad_text", f"{zh}不能为空", f"{en} must not be empty")
        out.add(text)
    return frozenset(out)


@dataclass(frozen=True)
class Inspector:
    """An enforcement officer: stable ``id`` (certificate number), unit, department, home area."""

    id: str
    unit: str = ""
    department: str = ""
    area: str = ""
    expertise: frozenset[str] = frozenset()
    leader: bool = False

    def checked(self) -> Inspector:
        return Inspector(
            check_text(self.id, "检查人员编号", "inspector id", MAX_ID_LEN),
            _opt_text(self.unit, "单位", "unit"),
            _opt_text(self.department, "部门", "department"),
            _opt_text(self.area, "区域", "area"),
            _items(self.expertise, "专长", "expertise"),
            _flag(self.leader, "组长资格", "leader"),
        )


@dataclass(frozen=True)
class Expert:
    """A member of the expert directory, drawn to help where a target needs one."""

    id: str
    expertise: frozenset[str] = frozenset()

    def checked(self) -> Expert:
        return Expert(
            check_text(self.id, "专家编号", "expert id", MAX_ID_LEN), _items(self.expertise, "专长", "expertise")
        )


@dataclass(frozen=True)
class MatchTarget:
    """A drawn target: its key, area and unit, what the visit requires, and who must recuse."""

    key: str
    area: str = ""
    unit: str = ""
    departments: frozenset[str] = frozenset()
    expertise: frozenset[str] = frozenset()
    needs_expert: bool = False
    excluded: frozenset[str] = frozenset()

    def checked(self) -> MatchTarget:
        return MatchTarget(
            check_text(self.key, "对象标识", "target key", MAX_KEY_LEN),
            _opt_text(self.area, "区域", "area"),
            _opt_text(self.unit, "单位", "unit"),
            _items(self.departments, "部门", "department"),
            _items(self.expertise, "专长", "expertise"),
            _flag(self.needs_expert, "需要专家", "needs_expert"),
            _items(self.excluded, "回避人员编号", "excluded id", MAX_ID_LEN),
        )


def _flag(value: object, zh: str, en: str) -> bool:
    if value in (True, False, 0, 1):
        return bool(value)
    raise _bad("bad_flag", f"{zh}须为是或否", f"{en} must be a boolean")


@dataclass(frozen=True)
class MatchParams:
    """Mode (``pool`` 大随机, ``unit`` 小随机, ``teams`` 编组随机, ``cross`` 交叉随机), team size
    (at least 2), an optional workload cap (targets per person; ``None`` means spread evenly
    without a cap) and whether every team needs a leader-eligible member."""

    mode: str = "pool"
    team_size: int = 2
    cap: int | None = None
    leader: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise _bad(
                "bad_mode",
                f"匹配方式“{self.mode}”无效（pool 大随机、unit 小随机、teams 编组随机、cross 交叉随机）",
                f"matching mode {self.mode!r} is not one of {', '.join(MODES)}",
            )
        if type(self.team_size) is not int or not 2 <= self.team_size <= 64:
            raise _bad("bad_team_size", "每组检查人员须为2至64人", "a team has 2 to 64 inspectors")
        if self.cap is not None and (type(self.cap) is not int or self.cap < 1):
            raise _bad("bad_cap", "工作量上限须为正整数或不设", "the workload cap must be a positive integer or none")
        if type(self.leader) is not bool:
            raise _bad("bad_params", "组长要求须为是或否", "leader must be a boolean")

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": MATCH_VERSION,
            "mode": self.mode,
            "team_size": self.team_size,
            "cap": self.cap,
            "leader": self.leader,
        }

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> MatchParams:
        extra = set(obj) - {"algorithm", "mode", "team_size", "cap", "leader"}
        if extra or obj.get("algorithm", MATCH_VERSION) != MATCH_VERSION:
            raise _bad(
                "bad_params", "匹配参数含未知字段或版本", f"unknown matching parameter or version: {sorted(extra)}"
            )
        return cls(obj.get("mode", "pool"), obj.get("team_size", 2), obj.get("cap"), obj.get("leader", True))

    @property
    def digest(self) -> str:
        return tagged_hash("match-params", canonical_json(self.to_dict())).hex()


# --- canonical files -----------------------------------------------------------------------


def _check_people(inspectors: Iterable[Inspector], experts: Iterable[Expert]) -> tuple[list[Inspector], list[Expert]]:
    ins = [i.checked() for i in inspectors]
    exs = [e.checked() for e in experts]
    seen: set[str] = set()
    for pid in [i.id for i in ins] + [e.id for e in exs]:
        if pid in seen:
            raise _bad("duplicate_id", f"人员编号“{pid}”重复", f"duplicate person id {pid!r}")
        seen.add(pid)
    return ins, exs


def _check_targets(targets: Iterable[MatchTarget], params: MatchParams) -> list[MatchTarget]:
    out = [t.checked() for t in targets]
    seen: set[str] = set()
    for t in out:
        if t.key in seen:
            raise _bad("duplicate_key", f"检查对象“{t.key}”重复", f"duplicate target key {t.key!r}")
        seen.add(t.key)
        if params.mode == "unit" and not t.unit:
            raise _bad(
                "missing_unit", f"小随机须指明对象“{t.key}”的单位", f"unit mode needs the unit of target {t.key!r}"
            )
        if params.mode == "cross" and not t.area:
            raise _bad(
                "missing_area", f"交叉随机须指明对象“{t.key}”的区域", f"cross mode needs the area of target {t.key!r}"
            )
    return out


def _join(items: Iterable[str]) -> str:
    return "|".join(sorted(items))


def inspectors_csv(inspectors: Iterable[Inspector], experts: Iterable[Expert] = ()) -> bytes:
    """INSPECTORS.csv (``suiji-inspectors-v1``): inspectors and experts, one line each, by id."""
    ins, exs = _check_people(inspectors, experts)
    rows = [
        (i.id, f"{i.id},inspector,{i.unit},{i.department},{i.area},{_join(i.expertise)},{int(i.leader)}") for i in ins
    ]
    rows += [(e.id, f"{e.id},expert,,,,{_join(e.expertise)},0") for e in exs]
    rows.sort()
    return "".join(line + "\n" for line in [INSPECTORS_HEADER] + [r for _, r in rows]).encode("utf-8")


def targets_csv(targets: Iterable[MatchTarget]) -> bytes:
    """TARGETS.csv (``suiji-match-targets-v1``): one line per target, in draw order."""
    lines = [TARGETS_HEADER]
    for t in (t.checked() for t in targets):
        lines.append(
            f"{t.key},{t.area},{t.unit},{_join(t.departments)},{_join(t.expertise)},"
            f"{int(t.needs_expert)},{_join(t.excluded)}"
        )
    return "".join(line + "\n" for line in lines).encode("utf-8")


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """A matched target: members in pick order with their tickets, the leader, the expert."""

    target: str
    members: tuple[str, ...]
    tickets: tuple[int, ...]
    leader: str
    expert: str | None = None
    expert_ticket: int | None = None
    team: str | None = None


@dataclass(frozen=True)
class Unmatched:
    """A target the pool cannot serve: machine ``code``, the missing ``item``, the ``cause``
    (``pool``, ``mode``, ``recusal``, ``workload`` or ``teams``) and bilingual messages."""

    target: str
    code: str
    item: str | None
    cause: str | None
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class Team:
    """A team formed before assignment (``teams`` mode)."""

    id: str
    members: tuple[str, ...]
    leader: str | None


@dataclass(frozen=True, eq=False)
class MatchResult:
    params: MatchParams
    seed: bytes
    match_seed: bytes
    inspectors_digest: str
    targets_digest: str
    inspector_count: int
    expert_count: int
    target_keys: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    teams: tuple[Team, ...]
    workload: dict[str, int] = field(repr=False)

    def assignment(self, key: str) -> Assignment | None:
        return next((a for a in self.assignments if a.target == key), None)


_CAUSE_ZH = {"pool": "", "recusal": "（回避后）", "workload": "（均已达到工作量上限）", "teams": "（在已编的检查组中）"}
_CAUSE_EN = {
    "pool": "",
    "recusal": " after recusal",
    "workload": " below the workload cap",
    "teams": " in any formed team",
}


def _message(
    code: str, item: str | None, cause: str | None, target: MatchTarget, params: MatchParams
) -> tuple[str, str]:
    size = params.team_size
    if cause == "mode":
        czh = "（须来自其他区域）" if params.mode == "cross" else f"（须属“{target.unit}”单位）"
        cen = " from another area than the target's" if params.mode == "cross" else f" in unit “{target.unit}”"
    else:
        czh, cen = _CAUSE_ZH.get(cause or "pool", ""), _CAUSE_EN.get(cause or "pool", "")
    texts = {
        "no_expertise": (f"无具备“{item}”专长的检查人员{czh}", f"no inspector with expertise “{item}”{cen}"),
        "no_department_member": (f"无“{item}”部门的检查人员{czh}", f"no inspector of department “{item}”{cen}"),
        "no_leader": (f"无可担任组长的检查人员{czh}", f"no leader-eligible inspector{cen}"),
        "no_expert": (
            f"专家库中无具备所需专长的专家{czh}",
            f"no expert in the expert directory with a required expertise{cen}",
        ),
        "too_few_inspectors": (f"检查人员不足{size}人", f"fewer than {size} inspectors in the pool"),
        "no_cross_area_inspector": (
            f"“{target.area}”以外区域的检查人员不足{size}人",
            f"fewer than {size} inspectors from another area than “{target.area}”",
        ),
        "no_unit_inspector": (
            f"“{target.unit}”单位的检查人员不足{size}人",
            f"fewer than {size} inspectors in unit “{target.unit}”",
        ),
        "too_few_after_recusal": (
            f"回避后可用检查人员不足{size}人{czh}",
            f"fewer than {size} inspectors left after recusal{cen}",
        ),
        "workload_cap": (
            f"可用检查人员均已达到工作量上限（{params.cap}）",
            f"every available inspector has reached the workload cap ({params.cap})",
        ),
    }
    return texts[code]


# --- the engine ----------------------------------------------------------------------------


def match_seed(seed: bytes, inspectors_digest: str, targets_digest: str, params_digest: str) -> bytes:
    """``H("match-seed", ascii(version), seed, inspectors digest, targets digest, params digest)``."""
    if len(seed) != 32:
        raise _bad("bad_hex", "种子须为32字节", "the seed must be 32 bytes")
    return tagged_hash(
        "match-seed",
        MATCH_VERSION.encode("ascii"),
        seed,
        bytes.fromhex(inspectors_digest),
        bytes.fromhex(targets_digest),
        bytes.fromhex(params_digest),
    )


def round_key(mseed: bytes, purpose: str, level: int) -> bytes:
    """16-byte SipHash key of one workload level: first 16 bytes of ``H(purpose, mseed, be64(level))``."""
    return tagged_hash(purpose, mseed, level.to_bytes(8, "big"))[:16]


Entry = tuple[int, int, str, int]  # (load, ticket, id, index)


class _Roster:
    """People (or teams) with their loads, round tickets and one lazy heap per property."""

    def __init__(self, ids: list[str], heap_keys: list[list[Any]], mseed: bytes, purpose: str, cap: int | None):
        self.ids = ids
        self.load = [0] * len(ids)
        self.cap = cap
        self.heap_keys = heap_keys
        self._mseed, self._purpose = mseed, purpose
        self._digests = np.array([person_digest(i) for i in ids], dtype=np.uint64)
        self._levels: dict[int, list[int]] = {}
        self.first_ticket = self.tickets(0)
        self.heaps: dict[Any, list[Entry]] = {}
        for i, keys in enumerate(heap_keys):
            entry = (0, self.first_ticket[i], ids[i], i)
            for k in keys:
                self.heaps.setdefault(k, []).append(entry)
        for h in self.heaps.values():
            heapq.heapify(h)

    def tickets(self, level: int) -> list[int]:
        got = self._levels.get(level)
        if got is None:
            k0, k1 = split_key(round_key(self._mseed, self._purpose, level))
            got = self._levels[level] = siphash24_u64_array(k0, k1, self._digests, workers=1).tolist()
        return got

    def pick(self, key: Any, ok: Callable[[int], bool]) -> Entry | None:
        """The eligible entry with the smallest (load, ticket, id) in one heap, left in place."""
        h = self.heaps.get(key)
        if not h:
            return None
        load, cap, aside, found = self.load, self.cap, [], None
        while h:
            e = h[0]
            i = e[3]
            if e[0] != load[i] or (cap is not None and load[i] >= cap):
                heapq.heappop(h)
            elif ok(i):
                found = e
                break
            else:
                aside.append(heapq.heappop(h))
        for e in aside:
            heapq.heappush(h, e)
        return found

    def charge(self, i: int) -> None:
        self.load[i] += 1
        level = self.load[i]
        if self.cap is not None and level >= self.cap:
            return
        e = (level, self.tickets(level)[i], self.ids[i], i)
        for k in self.heap_keys[i]:
            heapq.heappush(self.heaps[k], e)


def _requirements(t: MatchTarget, leader: bool) -> list[tuple[str, str | None]]:
    reqs: list[tuple[str, str | None]] = [("d", d) for d in sorted(t.departments)]
    reqs += [("x", x) for x in sorted(t.expertise)]
    if leader:
        reqs.append(("l", None))
    return reqs


_REQ_CODE = {"d": "no_department_member", "x": "no_expertise", "l": "no_leader"}


def run_match(
    inspectors: Iterable[Inspector],
    targets: Sequence[MatchTarget],
    params: MatchParams,
    seed: bytes,
    *,
    experts: Iterable[Expert] = (),
) -> MatchResult:
    """Match inspectors (and experts where needed) to targets given in draw order."""
    if not isinstance(params, MatchParams):
        raise _bad("bad_params", "匹配参数无效", "params must be MatchParams")
    if not isinstance(seed, bytes | bytearray) or len(seed) != 32:
        raise _bad("bad_hex", "种子须为32字节", "the seed must be 32 bytes")
    ins, exs = _check_people(inspectors, experts)
    tgs = _check_targets(targets, params)
    ins_digest = tagged_hash("match-inspectors", inspectors_csv(ins, exs)).hex()
    tgt_digest = tagged_hash("match-targets", targets_csv(tgs)).hex()
    mseed = match_seed(bytes(seed), ins_digest, tgt_digest, params.digest)
    ins.sort(key=lambda p: p.id)
    exs.sort(key=lambda p: p.id)

    expert_roster = _Roster(
        [e.id for e in exs],
        [["*"] + [("x", x) for x in sorted(e.expertise)] for e in exs],
        mseed,
        "match-expert-round",
        None,
    )
    if params.mode == "teams":
        teams, assigned, unmatched, team_loads = _match_teams(ins, tgs, params, mseed, expert_roster, exs)
    else:
        teams = ()
        assigned, unmatched, team_loads = _match_people(ins, tgs, params, mseed, expert_roster, exs)
    workload = dict(team_loads)
    workload.update(zip(expert_roster.ids, expert_roster.load, strict=True))
    return MatchResult(
        params,
        bytes(seed),
        mseed,
        ins_digest,
        tgt_digest,
        len(ins),
        len(exs),
        tuple(t.key for t in tgs),
        tuple(assigned),
        tuple(unmatched),
        tuple(teams),
        dict(sorted(workload.items())),
    )


def _pick_expert(t: MatchTarget, roster: _Roster, exs: list[Expert]) -> tuple[Entry | None, str | None]:
    ok = (lambda i: roster.ids[i] not in t.excluded) if t.excluded else (lambda i: True)
    keys: list[Any] = [("x", x) for x in sorted(t.expertise)] or ["*"]
    best = None
    for k in keys:
        e = roster.pick(k, ok)
        if e is not None and (best is None or e < best):
            best = e
    if best is not None:
        return best, None
    fits = [e for e in exs if not t.expertise or e.expertise & t.expertise]
    return None, "pool" if not fits else "recusal"


def _match_people(
    ins: list[Inspector],
    tgs: list[MatchTarget],
    params: MatchParams,
    mseed: bytes,
    experts: _Roster,
    exs: list[Expert],
) -> tuple[list[Assignment], list[Unmatched], dict[str, int]]:
    unit_mode = params.mode == "unit"

    def scoped(p: Inspector, k: Any) -> Any:
        return (p.unit, k) if unit_mode else k

    heap_keys = []
    for p in ins:
        keys = [scoped(p, "*")]
        if p.department:
            keys.append(scoped(p, ("d", p.department)))
        keys += [scoped(p, ("x", x)) for x in sorted(p.expertise)]
        if p.leader:
            keys.append(scoped(p, ("l", None)))
        heap_keys.append(keys)
    roster = _Roster([p.id for p in ins], heap_keys, mseed, "match-round", params.cap)
    ids, area = roster.ids, [p.area for p in ins]
    dept = [p.department for p in ins]
    expertise = [p.expertise for p in ins]
    leader = [p.leader for p in ins]
    size, cross = params.team_size, params.mode == "cross"
    assigned: list[Assignment] = []
    unmatched: list[Unmatched] = []

    def has(i: int, r: tuple[str, str | None]) -> bool:
        kind, value = r
        return dept[i] == value if kind == "d" else value in expertise[i] if kind == "x" else leader[i]

    position = {p: n for n, p in enumerate(ids)}
    area_count = Counter(area)
    unit_count = Counter(p.unit for p in ins)
    short_code = {"pool": "too_few_inspectors", "unit": "no_unit_inspector", "cross": "no_cross_area_inspector"}
    for t in tgs:
        team: list[int] = []
        tickets: list[int] = []
        excl = t.excluded
        t_area = t.area
        if unit_mode:
            n_allowed = unit_count[t.unit]
        else:
            n_allowed = len(ins) - area_count[t_area] if cross else len(ins)
        n_recused = sum(1 for x in excl if x in position and _mode_ok(ins[position[x]], t, params))

        def ok(i: int, team: list[int] = team, excl: frozenset[str] = excl, t_area: str = t_area) -> bool:
            return i not in team and ids[i] not in excl and not (cross and area[i] == t_area)

        failure: tuple[str, str | None, str | None] | None = None
        if n_allowed < size:
            failure = (short_code[params.mode], None, None)
        elif n_allowed - n_recused < size:
            failure = ("too_few_after_recusal", None, None)
        for r in _requirements(t, params.leader) if failure is None else ():
            if any(has(i, r) for i in team):
                continue
            e = roster.pick(scoped(t, r), ok)
            if e is None:
                failure = (_REQ_CODE[r[0]], r[1], _cause(ins, t, params, lambda i, r=r: has(i, r)))
                break
            team.append(e[3])
            tickets.append(e[1])
        while failure is None and len(team) < size:
            e = roster.pick(scoped(t, "*"), ok)
            if e is None:
                failure = _fill_failure(ins, t, params)
                break
            team.append(e[3])
            tickets.append(e[1])
        expert = None
        if failure is None and t.needs_expert:
            expert, cause = _pick_expert(t, experts, exs)
            if expert is None:
                failure = ("no_expert", None, cause)
        if failure is not None:
            code, item, cause = failure
            zh, en = _message(code, item, cause, t, params)
            unmatched.append(Unmatched(t.key, code, item, cause, zh, en))
            continue
        if params.leader:
            lead = min((tickets[n], ids[i]) for n, i in enumerate(team) if leader[i])[1]
        else:
            lead = min((tickets[n], ids[i]) for n, i in enumerate(team))[1]
        for i in team:
            roster.charge(i)
        if expert is not None:
            experts.charge(expert[3])
        assigned.append(
            Assignment(
                t.key,
                tuple(ids[i] for i in team),
                tuple(tickets),
                lead,
                None if expert is None else expert[2],
                None if expert is None else expert[1],
            )
        )
    return assigned, unmatched, dict(zip(ids, roster.load, strict=True))


def _mode_ok(p: Inspector, t: MatchTarget, params: MatchParams) -> bool:
    if params.mode == "unit":
        return p.unit == t.unit
    if params.mode == "cross":
        return p.area != t.area
    return True


def _cause(ins: list[Inspector], t: MatchTarget, params: MatchParams, has: Callable[[int], bool]) -> str:
    """Why no inspector with a property is available: pool, mode, recusal or workload."""
    fits = [n for n in range(len(ins)) if has(n)]
    if not fits:
        return "pool"
    fits = [n for n in fits if _mode_ok(ins[n], t, params)]
    if not fits:
        return "mode"
    if all(ins[n].id in t.excluded for n in fits):
        return "recusal"
    return "workload"


def _fill_failure(ins: list[Inspector], t: MatchTarget, params: MatchParams) -> tuple[str, None, None]:
    allowed = [p for p in ins if _mode_ok(p, t, params)]
    if len(allowed) < params.team_size:
        code = {"pool": "too_few_inspectors", "unit": "no_unit_inspector", "cross": "no_cross_area_inspector"}
        return code[params.mode], None, None
    if sum(p.id not in t.excluded for p in allowed) < params.team_size:
        return "too_few_after_recusal", None, None
    return "workload_cap", None, None


def form_teams(ins: list[Inspector], params: MatchParams, mseed: bytes) -> list[Team]:
    """Deal inspectors into ``len // team_size`` teams: leader-eligible first, each group in the
    order of its deal ticket ``SipHash(first 16 bytes of H("match-deal", mseed), le64(c(id)))``."""
    m = len(ins) // params.team_size
    leaders = sum(p.leader for p in ins)
    if params.leader and leaders < m:
        m = leaders
    if m == 0:
        return []
    k0, k1 = split_key(tagged_hash("match-deal", mseed)[:16])
    digests = np.array([person_digest(p.id) for p in ins], dtype=np.uint64)
    deal = siphash24_u64_array(k0, k1, digests, workers=1).tolist()
    order = sorted(range(len(ins)), key=lambda n: (not ins[n].leader, deal[n], ins[n].id))
    teams = []
    for k in range(m):
        members = [ins[order[j]] for j in range(k, len(order), m)]
        lead = members[0].id if members[0].leader else (None if params.leader else members[0].id)
        teams.append(Team(f"T{k + 1}", tuple(p.id for p in members), lead))
    return teams


def _match_teams(
    ins: list[Inspector],
    tgs: list[MatchTarget],
    params: MatchParams,
    mseed: bytes,
    experts: _Roster,
    exs: list[Expert],
) -> tuple[list[Team], list[Assignment], list[Unmatched], dict[str, int]]:
    teams = form_teams(ins, params, mseed)
    by_id = {p.id: p for p in ins}
    t_depts = [{by_id[m].department for m in tm.members} for tm in teams]
    t_exp = [frozenset().union(*(by_id[m].expertise for m in tm.members)) for tm in teams]
    t_members = [set(tm.members) for tm in teams]
    heap_keys = [
        ["*"] + [("d", d) for d in sorted(t_depts[k])] + [("x", x) for x in sorted(t_exp[k])] for k in range(len(teams))
    ]
    roster = _Roster([tm.id for tm in teams], heap_keys, mseed, "match-team-round", params.cap)
    sizes = {k: len(h) for k, h in roster.heaps.items()}
    assigned: list[Assignment] = []
    unmatched: list[Unmatched] = []
    for t in tgs:
        need_d, need_x = t.departments, t.expertise

        def fits(k: int, t: MatchTarget = t, need_d: frozenset[str] = need_d, need_x: frozenset[str] = need_x) -> bool:
            return (
                need_d <= t_depts[k]
                and need_x <= t_exp[k]
                and (not params.leader or teams[k].leader is not None)
                and t_members[k].isdisjoint(t.excluded)
            )

        # any heap holding every team that covers one requirement gives the same minimum: use the smallest
        keys = [("d", d) for d in need_d] + [("x", x) for x in need_x]
        key = min(keys, key=lambda k: (sizes.get(k, 0), k)) if keys else "*"
        e = roster.pick(key, fits)
        expert = None
        failure: tuple[str, str | None, str | None] | None = None
        if e is None:
            failure = _team_failure(teams, t, params, t_depts, t_exp, t_members)
        elif t.needs_expert:
            expert, cause = _pick_expert(t, experts, exs)
            if expert is None:
                failure = ("no_expert", None, cause)
        if failure is not None:
            code, item, cause = failure
            zh, en = _message(code, item, cause, t, params)
            unmatched.append(Unmatched(t.key, code, item, cause, zh, en))
            continue
        assert e is not None
        tm = teams[e[3]]
        roster.charge(e[3])
        if expert is not None:
            experts.charge(expert[3])
        assigned.append(
            Assignment(
                t.key,
                tm.members,
                (e[1],) * len(tm.members),
                tm.leader or tm.members[0],
                None if expert is None else expert[2],
                None if expert is None else expert[1],
                tm.id,
            )
        )
    loads = {p.id: 0 for p in ins}
    for k, tm in enumerate(teams):
        for m in tm.members:
            loads[m] = roster.load[k]
    return teams, assigned, unmatched, loads


def _team_failure(
    teams: list[Team],
    t: MatchTarget,
    params: MatchParams,
    t_depts: list[set[str]],
    t_exp: list[frozenset[str]],
    t_members: list[set[str]],
) -> tuple[str, str | None, str | None]:
    left = list(range(len(teams)))
    if not left:
        return "too_few_inspectors", None, None
    for kind, item in _requirements(t, params.leader):
        if kind == "d":
            left = [k for k in left if item in t_depts[k]]
        elif kind == "x":
            left = [k for k in left if item in t_exp[k]]
        else:
            left = [k for k in left if teams[k].leader is not None]
        if not left:
            return _REQ_CODE[kind], item, "teams"
    left = [k for k in left if t_members[k].isdisjoint(t.excluded)]
    if not left:
        return "too_few_after_recusal", None, "teams"
    return "workload_cap", None, None


# --- manifest ------------------------------------------------------------------------------


def match_result_section(result: MatchResult) -> dict[str, Any]:
    """The ``result`` object of the matching manifest."""
    return {
        "teams": [{"team": tm.id, "members": list(tm.members), "leader": tm.leader} for tm in result.teams],
        "assignments": [
            {
                "target": a.target,
                "team": a.team,
                "members": [{"id": m, "ticket": hex64(u)} for m, u in zip(a.members, a.tickets, strict=True)],
                "leader": a.leader,
                "expert": None if a.expert is None else {"id": a.expert, "ticket": hex64(a.expert_ticket or 0)},
            }
            for a in result.assignments
        ],
        "unmatched": [{"target": u.target, "code": u.code, "item": u.item, "cause": u.cause} for u in result.unmatched],
        "workload": [{"id": k, "load": v} for k, v in result.workload.items()],
        "counts": {
            "targets": len(result.target_keys),
            "matched": len(result.assignments),
            "unmatched": len(result.unmatched),
        },
    }


def build_match_manifest(result: MatchResult, context: Mapping[str, str] | None = None) -> dict[str, Any]:
    """MATCH_MANIFEST.json content (canonical JSON, no floats, self-digest ``match-manifest``)."""
    body: dict[str, Any] = {
        "algorithm": MATCH_VERSION,
        "context": _context(context),
        "seed": result.seed.hex(),
        "params": result.params.to_dict(),
        "params_digest": result.params.digest,
        "inspectors": {
            "format": INSPECTORS_FORMAT,
            "digest": result.inspectors_digest,
            "inspectors": result.inspector_count,
            "experts": result.expert_count,
        },
        "targets": {"format": TARGETS_FORMAT, "digest": result.targets_digest, "count": len(result.target_keys)},
        "match_seed": result.match_seed.hex(),
        "result": match_result_section(result),
    }
    body["digest"] = tagged_hash("match-manifest", canonical_json(body)).hex()
    return body


# --- redraw of one slot (suiji-match-redraw-v1) ----------------------------------------------

REDRAW_VERSION = "suiji-match-redraw-v1"


@dataclass(frozen=True)
class Redraw:
    """The replacement of one member of one matched team: who left, who came, and why it is them."""

    target: str
    slot: int
    number: int
    old: str
    new: str
    ticket: int
    members: tuple[str, ...]
    leader: str
    eligible: int


def redraw_key(mseed: bytes, target: str, slot: int, number: int) -> bytes:
    """16-byte SipHash key: first 16 bytes of ``H("match-redraw", mseed, utf8(target), be64(slot), be64(number))``."""
    if len(mseed) != 32:
        raise _bad("bad_hex", "匹配种子须为32字节", "the match seed must be 32 bytes")
    return tagged_hash(
        "match-redraw", mseed, target.encode("utf-8"), slot.to_bytes(8, "big"), number.to_bytes(8, "big")
    )[:16]


def redraw_slot(
    inspectors: Iterable[Inspector],
    target: MatchTarget,
    members: Sequence[str],
    leader: str,
    slot: int,
    params: MatchParams,
    mseed: bytes,
    number: int,
    *,
    excluded: Iterable[str] = (),
) -> Redraw:
    """Replace ``members[slot]`` by a random eligible inspector (docs/DRAW.md §17.9).

    Eligible: not a current member, not in ``target.excluded`` nor in ``excluded`` (people who
    left this team earlier, newly found conflicts), passing the mode (same unit, other area), and
    meeting every requirement of the target (department, expertise, leader) that the remaining
    members no longer meet. Among them, the smallest ``(SipHash(redraw_key, le64(c(id))), id)``.
    """
    t = target.checked()
    ins = sorted((p.checked() for p in inspectors), key=lambda p: p.id)
    members = list(members)
    if type(number) is not int or number < 1:
        raise _bad("bad_redraw", "重新抽取序号须为正整数", "the redraw number must be a positive integer")
    if type(slot) is not int or not 0 <= slot < len(members):
        raise _bad("bad_slot", "要替换的位置不存在", "there is no such slot in the team")
    if len(set(members)) != len(members) or leader not in members:
        raise _bad("bad_team", "检查组成员或组长无效", "the team's members or leader are invalid")
    by_id = {p.id: p for p in ins}
    if any(m not in by_id for m in members):
        raise _bad("unknown_member", "检查组成员不在检查人员名单中", "a team member is not in the inspector list")
    old = members[slot]
    rest = [by_id[m] for n, m in enumerate(members) if n != slot]
    needs = [
        r
        for r in _requirements(t, params.leader)
        if not any(
            (p.department == r[1]) if r[0] == "d" else (r[1] in p.expertise) if r[0] == "x" else p.leader for p in rest
        )
    ]
    gone = set(members) | set(t.excluded) | set(_items(excluded, "回避人员编号", "excluded id", MAX_ID_LEN))

    def eligible(p: Inspector) -> bool:
        if p.id in gone or not _mode_ok(p, t, params):
            return False
        for kind, value in needs:
            if kind == "d" and p.department != value:
                return False
            if kind == "x" and value not in p.expertise:
                return False
            if kind == "l" and not p.leader:
                return False
        return True

    candidates = [p for p in ins if eligible(p)]
    if not candidates:
        raise _bad(
            "no_replacement",
            f"对象“{t.key}”无符合条件（专长、回避、部门、匹配方式）的替补检查人员",
            f"no eligible replacement (expertise, recusal, department, mode) for target {t.key!r}",
        )
    k0, k1 = split_key(redraw_key(mseed, t.key, slot, number))
    digests = np.array([person_digest(p.id) for p in candidates], dtype=np.uint64)
    tickets = siphash24_u64_array(k0, k1, digests, workers=1).tolist()
    ticket, new = min(zip(tickets, (p.id for p in candidates), strict=True))
    team = members[:slot] + [new] + members[slot + 1 :]
    if leader != old:
        lead = leader
    else:
        lead = next((m for m in team if by_id[m].leader or not params.leader), team[0])
    return Redraw(t.key, slot, number, old, new, ticket, tuple(team), lead, len(candidates))


def redraw_record(
    result: Redraw,
    *,
    match_seed_hex: str,
    params: MatchParams,
    inspectors_digest: str,
    targets_digest: str,
    before: Sequence[str],
    leader_before: str,
    excluded: Iterable[str],
    context: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """REDRAW.json content (canonical JSON, self-digest ``match-redraw-record``), checked by
    ``verify_draw.py redraw REDRAW.json INSPECTORS.csv TARGETS.csv``."""
    body: dict[str, Any] = {
        "algorithm": REDRAW_VERSION,
        "context": _context(context),
        "match_seed": match_seed_hex,
        "params": params.to_dict(),
        "inspectors_digest": inspectors_digest,
        "targets_digest": targets_digest,
        "target": result.target,
        "number": result.number,
        "slot": result.slot,
        "before": {"members": list(before), "leader": leader_before},
        "excluded": sorted(set(excluded)),
        "result": {
            "old": result.old,
            "new": result.new,
            "ticket": hex64(result.ticket),
            "members": list(result.members),
            "leader": result.leader,
            "eligible": result.eligible,
        },
    }
    body["digest"] = tagged_hash("match-redraw-record", canonical_json(body)).hex()
    return body

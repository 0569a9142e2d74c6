"""Turning the cells of one row into target field values, or into errors.

Each field has one small converter: it takes the cell text (already stripped,
never empty) and returns the value, or raises ``CellError``. ``RowValidator``
applies the converters of the mapped columns and the row checks (short row,
missing key or name, duplicate key in the file) and returns either the values
or the list of ``RowError``. An empty cell means "not given": a new target gets
the default, an existing one keeps its value.

Credit classes: ``A``–``D`` (also ``A类``, full-width letters) and the risk words
of the classification notices, 低风险/一般风险/较高风险/高风险 (with or without 风险).
甲乙丙丁 are *not* accepted: they are used for other gradings (e.g. tax credit
levels are A/B/M/C/D), so guessing would mis-class firms.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from typing import Any

from core.uscc import _VALUE as USCC_VALUE
from core.uscc import (
    AUTHORITIES,
    CENTRAL_REGION,
    KINDS,
    ORG_WEIGHTS,
    USCC_WEIGHTS,
    IdentifierError,
    province_codes,
    registration_number_check_digit,
    validate_entity_id,
)
from directory.importing.mapping import Mapping


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str
    message_zh: str
    message_en: str
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "value": self.value,
        }


class CellError(ValueError):
    def __init__(self, reason: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en


# --- identifiers -------------------------------------------------------------------------------

_ORG_VALUE = {ch: (ord(ch) - 48 if ch <= "9" else ord(ch) - 55) for ch in USCC_VALUE}


def _pair_tables() -> list[dict[str, tuple[int, int]]]:
    """For body positions 9-16 taken two at a time: each pair of symbols -> its (organisation-code,
    USCC) weighted sums, so that both check characters need four dictionary look-ups per code."""
    tables = []
    for first in range(0, 8, 2):
        table = {}
        for a in USCC_VALUE:
            for b in USCC_VALUE:
                org = _ORG_VALUE[a] * ORG_WEIGHTS[first] + _ORG_VALUE[b] * ORG_WEIGHTS[first + 1]
                uscc = USCC_VALUE[a] * USCC_WEIGHTS[8 + first] + USCC_VALUE[b] * USCC_WEIGHTS[9 + first]
                table[a + b] = (org, uscc)
        tables.append(table)
    return tables


_P1, _P2, _P3, _P4 = _pair_tables()
_W17 = USCC_WEIGHTS[16]
# Organisation-code check character by (weighted sum mod 11): 11 - r, where 10 is "X" and 11 is "0".
_ORG_CHECK = tuple("X" if 11 - r == 10 else "0" if 11 - r == 11 else str(11 - r) for r in range(11))
_PREFIXES: dict[str, int] = {}


@lru_cache(maxsize=4096)
def _prefix_sum(prefix: str) -> int:
    """The weighted sum of a valid authority+kind+region prefix, or -1 when the prefix is not valid."""
    authority, kind, region = prefix[0], prefix[1], prefix[2:]
    if authority not in AUTHORITIES or kind not in KINDS[authority]:
        return -1
    if not (region.isascii() and region.isdigit()):
        return -1
    provinces = province_codes()
    if not (provinces is None or region == CENTRAL_REGION or region[:2] in provinces):
        return -1
    return sum(USCC_VALUE[c] * w for c, w in zip(prefix, USCC_WEIGHTS[:8], strict=True))


def _fast_uscc(code: str) -> bool:
    """True when ``code`` is an already-normalised valid USCC (the common case, without building errors).

    A False answer is not an error: the caller falls back to the full validation,
    which normalises and explains.
    """
    base = _PREFIXES.get(code[:8])
    if base is None:
        base = _prefix_sum(code[:8])
        if len(_PREFIXES) < 4096:
            _PREFIXES[code[:8]] = base
    if base < 0:
        return False
    try:
        o1, u1 = _P1[code[8:10]]
        o2, u2 = _P2[code[10:12]]
        o3, u3 = _P3[code[12:14]]
        o4, u4 = _P4[code[14:16]]
        c17 = code[16]
        total = base + u1 + u2 + u3 + u4 + USCC_VALUE[c17] * _W17 + USCC_VALUE[code[17]]
    except KeyError:
        return False
    return _ORG_CHECK[(o1 + o2 + o3 + o4) % 11] == c17 and total % 31 == 0


_REGIONS: dict[str, bool] = {}


def _fast_regno(code: str) -> bool:
    """True when ``code`` is a valid 15-digit registration number as written (see ``_fast_uscc``)."""
    if not (code.isascii() and code.isdigit()):
        return False
    region = code[:6]
    ok = _REGIONS.get(region)
    if ok is None:
        provinces = province_codes()
        ok = provinces is None or region == CENTRAL_REGION or region[:2] in provinces
        if len(_REGIONS) < 4096:
            _REGIONS[region] = ok
    return ok and registration_number_check_digit(code[:14]) == code[14]


def fast_key(text: str) -> bool:
    """True when ``text`` is a valid key exactly as written (``convert_key`` would return it unchanged)."""
    n = len(text)
    return (n == 18 and _fast_uscc(text)) or (n == 15 and _fast_regno(text))


def _key_tables() -> tuple[Any, Any, Any]:
    """Per-byte lookup tables for ``fast_uscc_all``: USCC values (-1 outside the alphabet),
    organisation-code values, and the check character by (sum mod 11)."""
    import numpy as np

    uscc = np.full(256, -1, dtype=np.int64)
    org = np.zeros(256, dtype=np.int64)
    for ch, value in USCC_VALUE.items():
        uscc[ord(ch)] = value
        org[ord(ch)] = _ORG_VALUE[ch]
    check = np.frombuffer("".join(_ORG_CHECK).encode("ascii"), dtype=np.uint8).copy()
    return uscc, org, check


_KEY_TABLES: tuple[Any, Any, Any] | None = None


def fast_uscc_all(keys: list[str]) -> bool:
    """True when every key is an 18-character USCC valid exactly as written; whole-column arithmetic.

    False means only "not all of them": the caller checks key by key.
    """
    global _KEY_TABLES
    import numpy as np

    if not keys or min(map(len, keys)) != 18 or max(map(len, keys)) != 18:
        return False
    joined = "".join(keys)
    if not joined.isascii():
        return False
    if _KEY_TABLES is None:
        _KEY_TABLES = _key_tables()
    uscc, org, check = _KEY_TABLES
    codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(keys), 18)
    values = uscc[codes]
    if int(values.min()) < 0:
        return False
    prefixes = np.unique(np.ascontiguousarray(codes[:, :8]).view("S8"))
    if any(_prefix_sum(prefix.decode("ascii")) < 0 for prefix in prefixes.ravel().tolist()):
        return False
    org_sums = org[codes[:, 8:16]] @ np.array(ORG_WEIGHTS, dtype=np.int64)
    if not np.array_equal(check[org_sums % 11], codes[:, 16]):
        return False
    totals = values[:, :17] @ np.array(USCC_WEIGHTS, dtype=np.int64) + values[:, 17]
    return not np.any(totals % 31)


def convert_key(text: str) -> str:
    if fast_key(text):
        return text
    try:
        code, _kind = validate_entity_id(text)
    except IdentifierError as exc:
        raise CellError(f"key_{exc.reason}", exc.message_zh, exc.message_en) from None
    return code


# --- text --------------------------------------------------------------------------------------

_FORMULA_GUARD = ("'=", "'+", "'-", "'@")


def text_converter(limit: int, label_zh: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text[:2] in _FORMULA_GUARD:  # undo the export's spreadsheet-formula guard
            text = text[1:]
        if len(text) > limit:
            raise CellError("too_long", f"{label_zh}超过{limit}个字符", f"Longer than {limit} characters")
        return text

    return convert


# --- reference data ----------------------------------------------------------------------------


class RefSets:
    """The codes of divisions and industry divisions, loaded once per import."""

    def __init__(self, divisions: set[str], industries: set[str]) -> None:
        self.divisions = divisions
        self.industries = industries

    @classmethod
    def load(cls) -> RefSets:
        from refdata.models import Division, Industry

        return cls(
            set(Division.objects.values_list("code", flat=True)),
            set(Industry.objects.filter(level="division").values_list("code", flat=True)),
        )


def industry_converter(refs: RefSets) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def convert(text: str) -> str:
        hit = cache.get(text)
        if hit is not None:
            return hit
        code = unicodedata.normalize("NFKC", text).strip().upper()
        if code[:1].isalpha():
            code = code[1:]
        code = code[:2]
        if not (len(code) == 2 and code.isdigit() and code in refs.industries):
            raise CellError(
                "unknown_industry",
                f"行业代码“{text}”不在国民经济行业分类（GB/T 4754-2017）中",
                f"Industry code {text!r} is not in the national classification (GB/T 4754-2017)",
            )
        cache[text] = code
        return code

    return convert


def region_converter(refs: RefSets) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text in refs.divisions:
            return text
        code = unicodedata.normalize("NFKC", text).strip()
        if code not in refs.divisions:
            raise CellError(
                "unknown_region",
                f"行政区划代码“{text}”不存在（应为6位 GB/T 2260 代码）",
                f"Region {text!r} is not a known administrative-division code (6 digits, GB/T 2260)",
            )
        return code

    return convert


# --- choices -----------------------------------------------------------------------------------

CREDIT_CLASSES: dict[str, str] = {
    **{c: c for c in "ABCD"},
    **{f"{c}类": c for c in "ABCD"},
    **{f"{c}级": c for c in "ABCD"},
    "低": "A",
    "低风险": "A",
    "一般": "B",
    "一般风险": "B",
    "较高": "C",
    "较高风险": "C",
    "高": "D",
    "高风险": "D",
}

KINDS_BY_NAME: dict[str, str] = {
    "企业": "enterprise",
    "公司": "enterprise",
    "有限责任公司": "enterprise",
    "股份有限公司": "enterprise",
    "内资企业": "enterprise",
    "私营企业": "enterprise",
    "个人独资企业": "enterprise",
    "合伙企业": "enterprise",
    "个体工商户": "individual",
    "个体": "individual",
    "农民专业合作社": "cooperative",
    "合作社": "cooperative",
    "分支机构": "branch",
    "分公司": "branch",
    "外商投资企业": "foreign",
    "外资企业": "foreign",
    "外国企业": "foreign",
    "事业单位": "public_institution",
    "社会组织": "social_organisation",
    "社会团体": "social_organisation",
    "民办非企业单位": "social_organisation",
    "产品": "product",
    "项目": "project",
    "行为": "behaviour",
    "其他": "other",
}

STATUSES: dict[str, str] = {
    "存续": "active",
    "在营": "active",
    "开业": "active",
    "在业": "operating",
    "停业": "suspended",
    "歇业": "suspended",
    "清算": "liquidation",
    "迁出": "moved_out",
    "吊销": "revoked",
    "吊销，未注销": "revoked",
    "注销": "deregistered",
}


def _with_model_choices(table: dict[str, str], choices: Any) -> dict[str, str]:
    """Also accept the stored values and their labels' Chinese parts (so exports read back)."""
    out = dict(table)
    for value, label in choices:
        out[value] = value
        out[value.upper()] = value
        match = re.search(r"[（(]([^）)]+)[）)]", str(label))
        if match:
            out.setdefault(match.group(1), value)
    return out


def choice_converter(table: dict[str, str], reason: str, label_zh: str, label_en: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        value = table.get(text)
        if value is None:
            value = table.get(unicodedata.normalize("NFKC", text).strip().upper())
        if value is None:
            raise CellError(reason, f"{label_zh}“{text}”无法识别", f"Unknown {label_en} {text!r}")
        return value

    return convert


# --- dates, flags, numbers ---------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@lru_cache(maxsize=65536)
def convert_date(text: str) -> dt.date:
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        match = _DATE_RE.match(text)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if text.isdigit() and 1 <= int(text) <= 80000:  # an Excel serial day number
            return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    except ValueError:
        pass
    raise CellError(
        "bad_date",
        f"日期“{text}”无法识别（可用 2020-01-31、2020/1/31、2020年1月31日、20200131）",
        f"Cannot read the date {text!r} (use 2020-01-31, 2020/1/31, 2020年1月31日 or 20200131)",
    )


@lru_cache(maxsize=65536)
def _date_text(text: str) -> str:
    return convert_date(text).isoformat()


FLAGS = {
    "是": True,
    "否": False,
    "Y": True,
    "N": False,
    "YES": True,
    "NO": False,
    "TRUE": True,
    "FALSE": False,
    "1": True,
    "0": False,
    "列入": True,
    "未列入": False,
}


def convert_flag(text: str) -> bool:
    value = FLAGS.get(text)
    if value is None:
        value = FLAGS.get(unicodedata.normalize("NFKC", text).strip().upper())
    if value is None:
        raise CellError("bad_flag", f"“{text}”应为 是 或 否", f"{text!r} should be 是 (yes) or 否 (no)")
    return value


def convert_count(text: str) -> int:
    try:
        value = int(unicodedata.normalize("NFKC", text).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 2_000_000_000:
        raise CellError("bad_number", f"“{text}”应为非负整数", f"{text!r} should be a whole number, 0 or more")
    return value


# --- the row -----------------------------------------------------------------------------------


#: Longest accepted text per text field, and its Chinese label for messages.
TEXT_LIMITS: dict[str, tuple[int, str]] = {
    "name": (200, "名称"),
    "legal_representative": (100, "法定代表人"),
    "address": (300, "住所"),
    "business_scope": (100_000, "经营范围"),
    "registration_authority": (100, "登记机关"),
}


def converters(refs: RefSets) -> dict[str, Callable[[str], Any]]:
    from directory.models import TargetKind, TargetStatus

    return {
        "key": convert_key,
        "name": text_converter(*TEXT_LIMITS["name"]),
        "kind": choice_converter(
            _with_model_choices(KINDS_BY_NAME, TargetKind.choices), "unknown_kind", "主体类型", "kind"
        ),
        "legal_representative": text_converter(*TEXT_LIMITS["legal_representative"]),
        "address": text_converter(*TEXT_LIMITS["address"]),
        "business_scope": text_converter(*TEXT_LIMITS["business_scope"]),
        "industry": industry_converter(refs),
        "region": region_converter(refs),
        "registration_authority": text_converter(*TEXT_LIMITS["registration_authority"]),
        "founded": convert_date,
        "status": choice_converter(
            _with_model_choices(STATUSES, TargetStatus.choices), "unknown_status", "登记状态", "status"
        ),
        "credit_class": choice_converter(CREDIT_CLASSES, "unknown_class", "信用风险分类", "credit class"),
        "abnormal_operation": convert_flag,
        "serious_violation": convert_flag,
        "complaint_count": convert_count,
    }


#: The stored fields an import writes besides the key, in the order of a row's values.
DATA_FIELDS = (
    "name",
    "kind",
    "legal_representative",
    "address",
    "business_scope",
    "industry",
    "region",
    "registration_authority",
    "founded",
    "status",
    "credit_class",
    "abnormal_operation",
    "serious_violation",
    "complaint_count",
)
#: What a new target gets for a field its row leaves empty.
DEFAULTS: dict[str, Any] = {
    "kind": "enterprise",
    "legal_representative": "",
    "address": "",
    "business_scope": "",
    "industry": None,
    "region": None,
    "registration_authority": "",
    "founded": None,
    "status": "active",
    "credit_class": "B",
    "abnormal_operation": False,
    "serious_violation": False,
    "complaint_count": 0,
}
#: Bit of each data field in the ``given`` mask of ``RowValidator.row``.
FIELD_BIT = {name: 1 << i for i, name in enumerate(DATA_FIELDS)}


_CACHE_LIMIT = 100_000  # distinct cell texts remembered per column (dates, counts, codes)
_FIRST = itemgetter(slice(0, 1))
# Exact cell texts whose conversion is a plain table look-up (the converters accept more).
_SEEDS: dict[str, dict[str, Any]] = {
    "credit_class": CREDIT_CLASSES,
    "abnormal_operation": FLAGS,
    "serious_violation": FLAGS,
}


@dataclass
class Batch:
    """The outcome of ``RowValidator.batch``: the good rows as columns (``[key, *DATA_FIELDS]``,
    each a list aligned with ``lines``), their ``given`` masks, and the errors of the bad rows."""

    lines: list[int] = field(default_factory=list)
    givens: list[int] = field(default_factory=list)
    columns: list[list[Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad: int = 0
    values: list[list[Any]] = field(default_factory=list)


class RowValidator:
    """Validates rows against one mapping; remembers keys to catch duplicates inside the file.

    ``row`` is the fast form used by the import: a list ``[key, *DATA_FIELDS values]``
    with defaults for the empty cells, and a bit mask of the fields the row gives.
    The common, clean row is converted in one pass without building any error; a
    row that does not convert cleanly goes through ``__call__``, which explains
    every problem. ``dates_as_text`` gives the founding date as ``YYYY-MM-DD``.
    """

    def __init__(self, mapping: Mapping, refs: RefSets, *, dates_as_text: bool = False) -> None:
        convs = converters(refs)
        self.mapping = mapping
        self.plan = [(name, index, mapping.headers[index], convs[name]) for name, index in mapping.columns.items()]
        self.width = mapping.width
        self.seen: dict[str, int] = {}
        self.key_header = mapping.header_of("key")
        self.name_header = mapping.header_of("name")
        self.dates_as_text = dates_as_text
        if dates_as_text:
            convs["founded"] = _date_text
        slot = {name: i for i, name in enumerate(("key", *DATA_FIELDS))}
        self.template = [None, *(DEFAULTS.get(f) for f in DATA_FIELDS)]
        self.fast_plan = [
            (slot[name], index, convs[name], FIELD_BIT.get(name, 0)) for name, index in mapping.columns.items()
        ]
        self.name_bit = FIELD_BIT["name"]
        self._init_columns(refs)

    def _init_columns(self, refs: RefSets) -> None:
        """The plan of ``batch``: one entry per mapped column, in ``self.fast_plan`` order."""
        fields = [(name, index) for name, index in self.mapping.columns.items()]
        self.getter = itemgetter(*(index for _, index in fields))
        self.columns: list[tuple[int, str, Any, int, Callable[[str], Any]]] = []
        convs = {slot: convert for slot, _, convert, _ in self.fast_plan}
        slot_of = {name: i for i, name in enumerate(("key", *DATA_FIELDS))}
        for name, _ in fields:
            slot = slot_of[name]
            if name == "key":
                kind, arg = "key", None
            elif name in TEXT_LIMITS:
                kind, arg = "text", TEXT_LIMITS[name][0]
            else:
                kind, arg = "cached", dict(_SEEDS.get(name, {}))
                if name == "region":
                    arg.update((code, code) for code in refs.divisions)
            self.columns.append((slot, kind, arg, FIELD_BIT.get(name, 0), convs[slot]))
        self.full_mask = sum(bit for _, _, _, bit, _ in self.columns)

    def batch(self, first_line: int, chunk: list[list[str]]) -> Batch:
        """Validate consecutive rows (``chunk[i]`` is line ``first_line + i``) column by column.

        A clean chunk (the usual case) is converted with whole-column operations; a
        chunk with anything unusual in it (a bad or short row, a cell that needs
        normalising, a duplicate key) is validated row by row with ``row``, so the
        results and messages are always those of ``row``.
        """
        columns = self._columns(first_line, chunk)
        if columns is not None:
            return columns
        out = Batch()
        for line, cells in enumerate(chunk, first_line):
            values, given, errors = self.row(line, cells)
            if errors:
                out.bad += 1
                out.errors.extend(errors)
            elif values is not None:
                out.lines.append(line)
                out.givens.append(given)
                out.values.append(values)
        if out.values:
            out.columns = [list(column) for column in zip(*out.values, strict=True)]
        else:
            out.columns = [[] for _ in range(1 + len(DATA_FIELDS))]
        out.values = []
        return out

    def _columns(self, first_line: int, chunk: list[list[str]]) -> Batch | None:
        m = len(chunk)
        width = self.width
        if not m or min(map(len, chunk)) < width:
            return None
        columns: list[Any] = [repeat(value, m) for value in self.template]
        givens: list[int] | None = None
        cells = list(zip(*map(self.getter, chunk), strict=True))
        for (slot, kind, arg, bit, convert), raw in zip(self.columns, cells, strict=True):
            texts = list(map(str.strip, raw))
            if kind == "key":
                if not (fast_uscc_all(texts) or all(map(fast_key, texts))):
                    return None
                columns[slot] = texts
                continue
            empty = "" in texts
            if kind == "text":
                if max(map(len, texts)) > arg or "'" in "".join(map(_FIRST, texts)):
                    return None  # too long, or a formula guard to undo: row by row
                values = texts
            else:
                values = list(map(arg.get, texts))
                if None in values:
                    for i in [i for i, v in enumerate(values) if v is None]:
                        text = texts[i]
                        if not text:
                            continue
                        try:
                            values[i] = convert(text)
                        except CellError:
                            return None
                        if len(arg) < _CACHE_LIMIT:
                            arg[text] = values[i]
            if empty:
                if bit == self.name_bit:
                    return None
                default = self.template[slot]
                if givens is None:
                    givens = [self.full_mask] * m
                for i in [i for i, t in enumerate(texts) if not t]:
                    values[i] = default
                    givens[i] &= ~bit
            columns[slot] = values
        keys = columns[0]
        lines = range(first_line, first_line + m)
        firsts = dict(zip(keys, lines, strict=True))
        if len(firsts) != m or not self.seen.keys().isdisjoint(firsts):
            return None
        self.seen.update(firsts)
        out = Batch(lines=list(lines), givens=givens if givens is not None else [self.full_mask] * m)
        out.columns = [c if isinstance(c, list) else list(c) for c in columns]
        return out

    def row(self, line: int, cells: list[str]) -> tuple[list[Any] | None, int, list[RowError]]:
        """``(values, given, errors)``: values is None for a bad row (errors say why) or a blank line."""
        if len(cells) >= self.width:
            values = self.template.copy()
            given = 0
            try:
                for slot, index, convert, bit in self.fast_plan:
                    text = cells[index].strip()
                    if text:
                        values[slot] = convert(text)
                        given |= bit
            except CellError:
                pass
            else:
                key = values[0]
                if key is not None and given & self.name_bit and key not in self.seen:
                    self.seen[key] = line
                    return values, given, []
        found, errors = self(line, cells)
        if found is None:
            return None, 0, errors
        values = self.template.copy()
        given = 0
        for name, value in found.items():
            if name == "key":
                values[0] = value
                continue
            if name == "founded" and self.dates_as_text:
                value = value.isoformat()
            values[1 + DATA_FIELDS.index(name)] = value
            given |= FIELD_BIT[name]
        return values, given, errors

    def __call__(self, line: int, cells: list[str]) -> tuple[dict[str, Any] | None, list[RowError]]:
        errors: list[RowError] = []
        if len(cells) < self.width:
            if not any(c.strip() for c in cells):
                return None, []  # a blank line: skipped silently
            missing = self.mapping.headers[len(cells)] if len(cells) < len(self.mapping.headers) else ""
            errors.append(
                RowError(
                    line,
                    missing,
                    "short_row",
                    f"此行只有{len(cells)}列，少于表头的{len(self.mapping.headers)}列",
                    f"This row has {len(cells)} cells, fewer than the header's {len(self.mapping.headers)}",
                )
            )
            cells = cells + [""] * (self.width - len(cells))
        values: dict[str, Any] = {}
        for name, index, header, convert in self.plan:
            text = cells[index].strip()
            if not text:
                continue
            try:
                values[name] = convert(text)
            except CellError as exc:
                errors.append(RowError(line, header, exc.reason, exc.message_zh, exc.message_en, text[:200]))
        key = values.get("key")
        if key is None and not any(e.column == self.key_header for e in errors):
            errors.append(RowError(line, self.key_header, "missing_key", "缺少统一社会信用代码", "The USCC is missing"))
        if "name" not in values and not any(e.column == self.name_header for e in errors):
            errors.append(RowError(line, self.name_header, "missing_name", "缺少名称", "The name is missing"))
        if key is not None:
            first = self.seen.get(key)
            if first is not None:
                errors.append(
                    RowError(
                        line,
                        self.key_header,
                        "duplicate_in_file",
                        f"代码与第{first}行重复",
                        f"The same code as line {first}",
                        key,
                    )
                )
            else:
                self.seen[key] = line
        if errors:
            return None, errors
        return values, errors

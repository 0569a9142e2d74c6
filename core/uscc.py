"""Identifiers of market entities: the USCC and the older 15-digit registration number.

Pure Python (no Django), so that importers, demo-data generators and the API can
share one implementation.

Unified social credit code (统一社会信用代码, USCC) -- GB 32100-2015
------------------------------------------------------------------------------
Eighteen characters drawn from the digits and the upper-case letters except
I, O, Z, S and V (31 symbols, valued 0-30 in the order ``0-9 A-H J-N P-R T U W X Y``):

=========  ===================================================================
position   meaning
=========  ===================================================================
1          registration-authority code (登记管理部门码), see ``AUTHORITIES``
2          kind code (机构类别码), valid only together with its authority,
           see ``KINDS``
3-8        administrative-division code of the registering authority
           (登记管理机关行政区划码, GB/T 2260); ``100000`` for authorities of
           the central government
9-17       subject identifier (主体标识码): the organisation code of
           GB 11714-1997, eight body characters and its own check character
18         check character, a pure-system check modulo 31 with radix 3
           (the standard refers to GB/T 17710 for the method) --
           weights W_i = 3**(i-1) mod 31 for i = 1..17, i.e.
           1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28,
           C18 = 31 - (sum(C_i * W_i) mod 31), where 31 is written ``0``
=========  ===================================================================

Organisation code check character (GB 11714-1997): body characters take the
values 0-9 for digits and A=10 ... Z=35 (the letter's place in the Latin
alphabet plus 9, *not* its USCC value), weights 3 7 9 10 5 8 4 2,
C9 = 11 - (sum mod 11), where 10 is written ``X`` and 11 is written ``0``.

Authority and kind codes.  The text of GB 32100-2015 names the authorities
1 机构编制 (establishment offices), 5 民政 (civil affairs), 9 工商 (industry and
commerce, now market regulation) and Y 其他 (other), with the kinds listed in
``KINDS``.  Further authority codes were allocated afterwards by the code's
administrators and are in use: 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教,
8 工会, A 中央军委改革和编制办公室 (the Central Military Commission's reform and
establishment office) and N 农业 (agriculture and rural affairs, for rural
collective economic organisations).  ``KINDS`` reproduces the published
allocation table; a code outside it is rejected with reason ``kind`` (or
``authority``) unless ``strict=False`` is passed.

Registration number (注册号) -- SAIC rule GS 15-2006
---------------------------------------------------
Before 2015 the market-regulation authorities numbered enterprises and
individual businesses with 15 digits: six for the administrative division of
the authority that first registered the entity, eight for a sequence (whose
first digit tells domestic enterprises 0-3, foreign-invested enterprises 4-5 and
individual businesses 6-9 apart), and a check digit by ISO 7064 hybrid system
MOD 11,10: starting from P = 10, for every digit a: S = (P + a) mod 10 (0 read
as 10), P = 2 * S mod 11; the number is valid when (P + a15) mod 10 = 1 at the
end.  Many individual businesses still carry only this number.

Comparison with ``stdnum.cn.uscc`` (python-stdnum 2.2) is in ``core/USCC.md``:
stdnum's check-character computation is correct and is used here; its format
check is both too strict (it rejects authority letters A, N, Y) and too lax
(no authority/kind table, no region, no organisation-code check character).
"""

from __future__ import annotations

import csv
import random
import unicodedata
from functools import lru_cache
from pathlib import Path

from stdnum.cn import uscc as _stdnum_uscc

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "CENTRAL_REGION",
    "DIVISIONS_CSV",
    "KINDS",
    "IdentifierError",
    "make_registration_number",
    "make_uscc",
    "normalise",
    "org_code_check_char",
    "province_codes",
    "registration_number_check_digit",
    "uscc_check_char",
    "validate_entity_id",
    "validate_registration_number",
    "validate_uscc",
]

#: The 31 symbols of the USCC, in the order of their values 0..30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Region code used by authorities of the central government.
CENTRAL_REGION = "100000"

#: Administrative divisions shipped with the project (GB/T 2260).
DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "refdata" / "data" / "divisions.csv"

#: Registration-authority codes: code -> (Chinese name, English name).
AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "establishment office"),
    "2": ("外交", "foreign affairs"),
    "3": ("司法行政", "justice administration"),
    "4": ("文化", "culture"),
    "5": ("民政", "civil affairs"),
    "6": ("旅游", "tourism"),
    "7": ("宗教", "religious affairs"),
    "8": ("工会", "trade unions"),
    "9": ("工商", "market regulation (industry and commerce)"),
    "A": ("中央军委改革和编制办公室", "CMC reform and establishment office"),
    "N": ("农业", "agriculture and rural affairs"),
    "Y": ("其他", "other"),
}

#: Kind codes valid for each authority: authority -> {kind: (Chinese, English)}.
KINDS: dict[str, dict[str, tuple[str, str]]] = {
    "1": {
        "1": ("机关", "state organ"),
        "2": ("事业单位", "public institution"),
        "3": (
            "中央编办直接管理机构编制的群众团体",
            "mass organisation whose establishment the central office manages",
        ),
        "9": ("其他", "other"),
    },
    "2": {
        "1": ("外国常驻新闻机构", "resident foreign news agency"),
        "9": ("其他", "other"),
    },
    "3": {
        "1": ("律师执业机构", "law firm"),
        "2": ("公证处", "notary office"),
        "3": ("基层法律服务所", "grass-roots legal service office"),
        "4": ("司法鉴定机构", "forensic appraisal institution"),
        "5": ("仲裁委员会", "arbitration commission"),
        "9": ("其他", "other"),
    },
    "4": {
        "1": ("外国在华文化中心", "foreign cultural centre in China"),
        "9": ("其他", "other"),
    },
    "5": {
        "1": ("社会团体", "social association"),
        "2": ("民办非企业单位", "private non-enterprise unit"),
        "3": ("基金会", "foundation"),
        "9": ("其他", "other"),
    },
    "6": {
        "1": ("外国旅游部门常驻代表机构", "representative office of a foreign tourism authority"),
        "2": (
            "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "representative office of a Hong Kong, Macao or Taiwan tourism authority",
        ),
        "9": ("其他", "other"),
    },
    "7": {
        "1": ("宗教活动场所", "place of religious activity"),
        "2": ("宗教院校", "religious college"),
        "9": ("其他", "other"),
    },
    "8": {
        "1": ("基层工会", "grass-roots trade union"),
        "9": ("其他", "other"),
    },
    "9": {
        "1": ("企业", "enterprise"),
        "2": ("个体工商户", "individual business"),
        "3": ("农民专业合作社", "farmers' specialised cooperative"),
    },
    "A": {
        "1": ("军队事业单位", "military public institution"),
        "9": ("其他", "other"),
    },
    "N": {
        "1": ("组级集体经济组织", "group-level collective economic organisation"),
        "2": ("村级集体经济组织", "village-level collective economic organisation"),
        "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
        "9": ("其他", "other"),
    },
    "Y": {
        "1": ("其他", "other"),
    },
}


class IdentifierError(ValueError):
    """An identifier failed validation.

    ``reason`` is a stable machine code: ``length``, ``charset``, ``authority``,
    ``kind``, ``region``, ``org_check_char`` or ``check_char``.
    """

    def __init__(self, reason: str, message_zh: str, message_en: str, code: str = "") -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_zh = message_zh
        self.message_en = message_en
        self.code = code


# --------------------------------------------------------------------------
# Helpers


def normalise(code: str) -> str:
    """Fold full-width forms (NFKC), drop whitespace and hyphens, upper-case."""
    code = unicodedata.normalize("NFKC", code)
    return "".join(code.split()).replace("-", "").upper()


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str] | None:
    """Two-digit province prefixes from ``DIVISIONS_CSV``; ``None`` if unreadable."""
    try:
        with open(DIVISIONS_CSV, encoding="utf-8", newline="") as fh:
            codes = frozenset(row["code"][:2] for row in csv.DictReader(fh) if row.get("level") == "province")
    except (OSError, KeyError, UnicodeDecodeError, csv.Error):
        return None
    return codes or None


def _region_error(region: str, label_zh: str, label_en: str, code: str) -> IdentifierError:
    return IdentifierError(
        "region",
        f"{label_zh}“{region}”不是有效的行政区划代码",
        f"{label_en} {region!r} is not a valid administrative-division code",
        code,
    )


def _check_region(region: str, check: bool | None, label_zh: str, label_en: str, code: str) -> None:
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise _region_error(region, label_zh, label_en, code)
    if check is False:
        return
    provinces = province_codes()
    if provinces is None:
        if check:
            raise FileNotFoundError(f"cannot read division codes from {DIVISIONS_CSV}")
        return
    if region == CENTRAL_REGION:
        return
    if region[:2] not in provinces:
        raise _region_error(region, label_zh, label_en, code)


def _org_value(ch: str) -> int:
    """Value of a character in GB 11714: digits 0-9, letters A=10 ... Z=35."""
    return ord(ch) - 48 if ch <= "9" else ord(ch) - 55


def org_code_check_char(body: str) -> str:
    """Check character of an organisation code (GB 11714) for its 8-character body."""
    total = sum(_org_value(ch) * weight for ch, weight in zip(body, ORG_WEIGHTS, strict=True))
    rest = 11 - total % 11
    return "X" if rest == 10 else "0" if rest == 11 else str(rest)


def uscc_check_char(first17: str) -> str:
    """USCC check character (position 18) for the first 17 characters."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    # python-stdnum computes this part correctly (MOD 31-3 with the right weights).
    return _stdnum_uscc.calc_check_digit(first17)


def registration_number_check_digit(first14: str) -> str:
    """Check digit (position 15) of a registration number, ISO 7064 MOD 11,10."""
    p = 10
    for ch in first14:
        s = (p + ord(ch) - 48) % 10 or 10
        p = 2 * s % 11
    return str((11 - p) % 10)


# --------------------------------------------------------------------------
# Validation


def validate_uscc(code: str, *, check_region: bool | None = None, strict: bool = True) -> str:
    """Validate a unified social credit code and return it normalised.

    ``check_region``: ``None`` (default) checks that positions 3-4 form a known
    province code (or the central ``100000``) when ``DIVISIONS_CSV`` is
    readable; ``True`` insists on the check; ``False`` only checks for six digits.

    ``strict=False`` skips the authority/kind table and the organisation-code
    check character, keeping length, alphabet, region and the final check
    character -- for codes whose authority or kind a later allocation added.

    Raises ``IdentifierError`` on failure.
    """
    raw = code
    code = normalise(code)
    if len(code) != 18:
        raise IdentifierError(
            "length",
            f"统一社会信用代码应为18位，实际为{len(code)}位",
            f"A unified social credit code has 18 characters, not {len(code)}",
            raw,
        )
    for pos, ch in enumerate(code, 1):
        if ch not in _VALUE:
            raise IdentifierError(
                "charset",
                f"第{pos}位的字符“{ch}”不允许：只能使用数字和除 I、O、Z、S、V 以外的大写字母",
                f"Character {ch!r} at position {pos} is not allowed: use digits and "
                "capital letters other than I, O, Z, S, V",
                raw,
            )
    authority, kind = code[0], code[1]
    if strict:
        if authority not in AUTHORITIES:
            raise IdentifierError(
                "authority",
                f"第1位登记管理部门码“{authority}”不存在",
                f"Registration-authority code {authority!r} (position 1) does not exist",
                raw,
            )
        if kind not in KINDS[authority]:
            name_zh, name_en = AUTHORITIES[authority]
            raise IdentifierError(
                "kind",
                f"第2位机构类别码“{kind}”不适用于登记管理部门“{authority}”（{name_zh}）",
                f"Kind code {kind!r} (position 2) is not defined for authority {authority!r} ({name_en})",
                raw,
            )
    _check_region(code[2:8], check_region, "第3-8位登记管理机关行政区划码", "Region code", raw)
    if strict and org_code_check_char(code[8:16]) != code[16]:
        raise IdentifierError(
            "org_check_char",
            "第9-17位组织机构代码的校验码不正确",
            "The check character of the organisation code (positions 9-17) is wrong",
            raw,
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise IdentifierError(
            "check_char",
            "第18位校验码不正确，请核对代码",
            "The check character (position 18) is wrong; please verify the code",
            raw,
        )
    return code


def validate_registration_number(code: str, *, check_region: bool | None = None) -> str:
    """Validate a 15-digit registration number (注册号) and return it normalised.

    ``check_region`` works as for ``validate_uscc``.  Raises ``IdentifierError``.
    """
    raw = code
    code = normalise(code)
    if len(code) != 15:
        raise IdentifierError(
            "length",
            f"注册号应为15位数字，实际为{len(code)}位",
            f"A registration number has 15 digits, not {len(code)}",
            raw,
        )
    if not (code.isascii() and code.isdigit()):
        raise IdentifierError(
            "charset",
            "注册号只能由数字组成",
            "A registration number consists of digits only",
            raw,
        )
    _check_region(code[:6], check_region, "前6位登记机关行政区划代码", "Region code", raw)
    if registration_number_check_digit(code[:14]) != code[14]:
        raise IdentifierError(
            "check_char",
            "注册号第15位校验码不正确，请核对号码",
            "The check digit (position 15) is wrong; please verify the number",
            raw,
        )
    return code


def validate_entity_id(code: str, *, check_region: bool | None = None) -> tuple[str, str]:
    """Validate either a USCC or a registration number.

    Returns ``(normalised, kind)`` where kind is ``"uscc"`` or ``"regno"``.
    Raises ``IdentifierError``.
    """
    length = len(normalise(code))
    if length == 18:
        return validate_uscc(code, check_region=check_region), "uscc"
    if length == 15:
        return validate_registration_number(code, check_region=check_region), "regno"
    raise IdentifierError(
        "length",
        f"应为18位统一社会信用代码或15位注册号，实际为{length}位",
        f"Expected an 18-character unified social credit code or a 15-digit "
        f"registration number, got {length} characters",
        code,
    )


# --------------------------------------------------------------------------
# Generation of valid random identifiers (demo and test data)

_MA_SYMBOLS = ALPHABET  # symbols a post-2015 "MA..." subject identifier may use


def _half_table(symbols: str, width: int, first_pos: int) -> tuple[list[str], list[int], list[int]]:
    """All strings of ``width`` symbols placed at body positions ``first_pos``.. (0-based).

    Returns the strings with their weighted sums for the organisation-code and
    the USCC check characters.
    """
    strings, org_sums, uscc_sums = [""], [0], [0]
    for pos in range(first_pos, first_pos + width):
        ow, uw = ORG_WEIGHTS[pos], USCC_WEIGHTS[8 + pos]
        strings = [s + ch for s in strings for ch in symbols]
        org_sums = [o + _org_value(ch) * ow for o in org_sums for ch in symbols]
        uscc_sums = [u + _VALUE[ch] * uw for u in uscc_sums for ch in symbols]
    return strings, org_sums, uscc_sums


@lru_cache(maxsize=1)
def _body_tables() -> tuple[tuple, tuple]:
    """Per style: (lead, lead org sum, lead USCC sum, halves..., combinations)."""
    digits = "0123456789"
    styles = (
        # Numeric organisation codes issued before 2015: 4 + 4 digits.
        ("", _half_table(digits, 4, 0), _half_table(digits, 4, 4)),
        # "MA" followed by six symbols (identifiers issued since 2015): 3 + 3.
        ("MA", _half_table(_MA_SYMBOLS, 3, 2), _half_table(_MA_SYMBOLS, 3, 5)),
    )
    out = []
    for lead, high, low in styles:
        lead_org = sum(_org_value(ch) * ORG_WEIGHTS[i] for i, ch in enumerate(lead))
        lead_uscc = sum(_VALUE[ch] * USCC_WEIGHTS[8 + i] for i, ch in enumerate(lead))
        out.append((lead, lead_org, lead_uscc, *high, *low, len(high[0]) * len(low[0])))
    return out[0], out[1]


# Organisation check character and its USCC contribution at position 17,
# indexed by (org weighted sum) mod 11.
_ORG_CHECK = tuple(
    (c, _VALUE[c] * USCC_WEIGHTS[16])
    for c in (("X" if r == 10 else "0" if r == 11 else str(r)) for r in (11 - m for m in range(11)))
)


@lru_cache(maxsize=256)
def _uscc_prefix(authority: str, kind: str, region: str) -> tuple[str, int]:
    if authority not in KINDS or kind not in KINDS[authority]:
        raise ValueError(f"unknown authority/kind pair {authority!r}/{kind!r}")
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise ValueError(f"region must be six digits, got {region!r}")
    prefix = authority + kind + region
    return prefix, sum(_VALUE[ch] * w for ch, w in zip(prefix, USCC_WEIGHTS[:8], strict=True))


def make_uscc(
    rng: random.Random,
    authority: str = "9",
    kind: str = "1",
    region: str = "410000",
    *,
    new_style: float = 0.5,
) -> str:
    """Return a random valid USCC for demo data.

    Both check characters are correct.  With probability ``new_style`` the
    subject identifier has the post-2015 form ``MA`` + six symbols, otherwise
    eight digits.  Codes are random, not unique: among n codes at the default
    ratio expect about n**2 / 7e8 duplicate pairs, so deduplicate large batches.
    """
    prefix, base = _uscc_prefix(authority, kind, region)
    old, new = _body_tables()
    lead, lead_org, lead_uscc, hs, ho, hu, ls, lo, lu, size = new if rng.random() < new_style else old
    i, j = divmod(int(rng.random() * size), len(ls))
    c17, c17_value = _ORG_CHECK[(lead_org + ho[i] + lo[j]) % 11]
    total = base + lead_uscc + hu[i] + lu[j] + c17_value
    return prefix + lead + hs[i] + ls[j] + c17 + ALPHABET[-total % 31]


@lru_cache(maxsize=1)
def _regno_transitions() -> list[list[int]]:
    """State after feeding four digits into MOD 11,10, for each start state 0..10."""
    table = []
    for start in range(11):
        row = []
        for chunk in range(10000):
            p = start
            for d in (chunk // 1000, chunk // 100 % 10, chunk // 10 % 10, chunk % 10):
                p = 2 * ((p + d) % 10 or 10) % 11
            row.append(p)
        table.append(row)
    return table


@lru_cache(maxsize=256)
def _regno_state(region: str) -> int:
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise ValueError(f"region must be six digits, got {region!r}")
    p = 10
    for ch in region:
        p = 2 * ((p + ord(ch) - 48) % 10 or 10) % 11
    return p


def make_registration_number(rng: random.Random, region: str = "410000", *, individual: bool = True) -> str:
    """Return a random valid 15-digit registration number for demo data.

    The sequence starts with 6-9 (individual business) when ``individual``,
    else with 0-3 (domestic enterprise).
    """
    trans = _regno_transitions()
    first = int(rng.random() * 4000) + (6000 if individual else 0)
    second = int(rng.random() * 10000)
    p = trans[trans[_regno_state(region)][first]][second]
    return f"{region}{first:04d}{second:04d}{(11 - p) % 10}"

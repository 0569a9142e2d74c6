"""Tests for core.uscc: USCC (GB 32100-2015) and 15-digit registration numbers."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from core import uscc
from core.uscc import (
    ALPHABET,
    KINDS,
    IdentifierError,
    make_registration_number,
    make_uscc,
    org_code_check_char,
    registration_number_check_digit,
    uscc_check_char,
    validate_entity_id,
    validate_registration_number,
    validate_uscc,
)

MODULE_PATH = Path(uscc.__file__)

# Codes published by the entities themselves (business licences, annual reports,
# government disclosure).  Each has two independent check characters, so a
# mistyped entry here would fail.
REAL_USCCS = [
    ("91110000600037341L", "example used in python-stdnum's documentation"),
    ("914403001922038216", "华为技术有限公司"),
    ("9144030071526726XG", "腾讯科技（深圳）有限公司"),
    ("91330100716105852F", "阿里巴巴（中国）有限公司"),
    ("91110000710925462X", "中国石油天然气股份有限公司"),
    ("91100000100003962T", "中国工商银行股份有限公司 (registered centrally: 100000)"),
    ("91440300192317458F", "比亚迪股份有限公司"),
    ("91110108551385082Q", "小米科技有限责任公司"),
    ("12100000400000624D", "清华大学 (public institution, central establishment office)"),
    ("12100000400002259P", "a central public institution in Beijing (事业单位)"),
    ("51100000500010993L", "a national social association registered with 民政部"),
]

# A published registration number (Haidian district, Beijing).
REAL_REGNO = "110108012660422"

HUAWEI = "914403001922038216"


def with_check_char(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def with_org_and_check(first16: str) -> str:
    """Complete 16 characters with correct organisation and USCC check characters."""
    first17 = first16 + org_code_check_char(first16[8:16])
    return with_check_char(first17)


def reason_of(code: str, **kwargs: object) -> str:
    with pytest.raises(IdentifierError) as info:
        validate_uscc(code, **kwargs)
    return info.value.reason


# --------------------------------------------------------------------------
# Real codes


@pytest.mark.parametrize(("code", "holder"), REAL_USCCS, ids=[c for c, _ in REAL_USCCS])
def test_real_published_uscc_is_valid(code: str, holder: str) -> None:
    assert validate_uscc(code) == code
    assert validate_entity_id(code) == (code, "uscc")


@pytest.mark.parametrize(("code", "holder"), REAL_USCCS, ids=[c for c, _ in REAL_USCCS])
def test_real_published_uscc_also_passes_stdnum(code: str, holder: str) -> None:
    assert stdnum_uscc.is_valid(code)


def test_real_registration_number_is_valid() -> None:
    assert validate_registration_number(REAL_REGNO) == REAL_REGNO
    assert validate_entity_id(REAL_REGNO) == (REAL_REGNO, "regno")


# --------------------------------------------------------------------------
# Normalisation


@pytest.mark.parametrize(
    "raw",
    [
        "9144030071526726xg",
        " 9144030071526726XG\n",
        "9144 0300 7152 6726 XG",
        "91-440300-71526726X-G",
        "９１４４０３００７１５２６７２６ＸＧ",  # full-width input from Chinese IMEs
        "9144030071526726XG\u3000",
    ],
)
def test_lower_case_spaces_and_full_width_are_normalised(raw: str) -> None:
    assert validate_uscc(raw) == "9144030071526726XG"


def test_registration_number_is_normalised() -> None:
    assert validate_registration_number(" 110108 0126 60422 ") == REAL_REGNO


# --------------------------------------------------------------------------
# Every error reason


def test_error_is_value_error_with_bilingual_messages() -> None:
    with pytest.raises(ValueError) as info:
        validate_uscc("123")
    err = info.value
    assert isinstance(err, IdentifierError)
    assert err.reason == "length"
    assert "18" in err.message_zh and "18" in err.message_en
    assert str(err) == err.message_en
    assert err.code == "123"


@pytest.mark.parametrize("code", ["", HUAWEI[:17], HUAWEI + "0", HUAWEI[:15]])
def test_wrong_length_is_reported_as_length(code: str) -> None:
    assert reason_of(code) == "length"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V", "*", "中"])
def test_excluded_letters_and_symbols_are_reported_as_charset(letter: str) -> None:
    code = HUAWEI[:9] + letter + HUAWEI[10:]
    with pytest.raises(IdentifierError) as info:
        validate_uscc(code)
    assert info.value.reason == "charset"
    assert "10" in info.value.message_en


@pytest.mark.parametrize("authority", ["0", "B", "C", "D", "X", "W"])
def test_unknown_authority_is_reported_as_authority(authority: str) -> None:
    code = with_org_and_check(authority + "1110000" + "60003734")
    assert reason_of(code) == "authority"


@pytest.mark.parametrize(
    ("authority", "kind"),
    [("9", "4"), ("9", "9"), ("9", "A"), ("1", "4"), ("5", "4"), ("Y", "2"), ("N", "4"), ("A", "2")],
)
def test_kind_not_defined_for_authority_is_reported_as_kind(authority: str, kind: str) -> None:
    code = with_org_and_check(authority + kind + "110000" + "60003734")
    assert reason_of(code) == "kind"


@pytest.mark.parametrize("region", ["990000", "000000", "101000", "200000", "11000A"])
def test_unknown_province_or_non_digit_region_is_reported_as_region(region: str) -> None:
    code = with_org_and_check("91" + region + "60003734")
    assert reason_of(code) == "region"


def test_wrong_organisation_code_check_char_is_reported() -> None:
    # Position 17 altered, position 18 recomputed: only GB 11714 can tell.
    first17 = HUAWEI[:16] + ("7" if HUAWEI[16] != "7" else "8")
    code = with_check_char(first17)
    assert reason_of(code) == "org_check_char"
    assert stdnum_uscc.is_valid(code)  # python-stdnum misses this


@pytest.mark.parametrize("pos", range(18))
def test_any_single_substitution_is_caught(pos: int) -> None:
    for ch in ALPHABET:
        if ch == HUAWEI[pos]:
            continue
        code = HUAWEI[:pos] + ch + HUAWEI[pos + 1 :]
        with pytest.raises(IdentifierError):
            validate_uscc(code)


def test_wrong_final_check_char_is_reported_as_check_char() -> None:
    assert reason_of(HUAWEI[:17] + "7") == "check_char"


# --------------------------------------------------------------------------
# Authority / kind table and the stdnum comparison


def test_kind_table_matches_the_published_allocation() -> None:
    assert set(KINDS) == set("123456789ANY")
    assert set(KINDS["9"]) == {"1", "2", "3"}
    assert set(KINDS["1"]) == {"1", "2", "3", "9"}
    assert set(KINDS["5"]) == {"1", "2", "3", "9"}
    assert set(KINDS["N"]) == {"1", "2", "3", "9"}
    assert set(KINDS["Y"]) == {"1"}
    assert set(KINDS["3"]) == {"1", "2", "3", "4", "5", "9"}


@pytest.mark.parametrize(("authority", "kind"), [("Y", "1"), ("N", "2"), ("A", "1")])
def test_letter_authorities_are_accepted_although_stdnum_rejects_them(authority: str, kind: str) -> None:
    code = with_org_and_check(authority + kind + "330100" + "MA2H4K7R")
    assert validate_uscc(code) == code
    assert not stdnum_uscc.is_valid(code)


def test_stdnum_accepts_an_impossible_authority_kind_pair_that_we_reject() -> None:
    code = with_org_and_check("97" + "440300" + "19220382")
    assert stdnum_uscc.is_valid(code)
    assert reason_of(code) == "kind"


def test_non_strict_mode_skips_table_and_organisation_check() -> None:
    code = with_check_char("B7440300" + "192203829")
    assert reason_of(code) == "authority"
    assert validate_uscc(code, strict=False) == code
    wrong = "0" if code[17] != "0" else "1"
    assert reason_of(code[:17] + wrong, strict=False) == "check_char"


# --------------------------------------------------------------------------
# Region check and its data file


def test_central_region_is_accepted() -> None:
    assert validate_uscc(with_org_and_check("51100000" + "50001099")).startswith("51100000")


def test_province_codes_come_from_divisions_csv() -> None:
    codes = uscc.province_codes()
    if codes is None:
        pytest.skip("refdata/data/divisions.csv is not readable")
    assert {"11", "31", "44", "50", "65"} <= codes
    assert len(codes) in (31, 34)


def test_region_check_can_be_switched_off() -> None:
    code = with_org_and_check("91990000" + "60003734")
    assert validate_uscc(code, check_region=False) == code


def test_region_check_is_skipped_when_file_missing_unless_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = with_org_and_check("91990000" + "60003734")
    monkeypatch.setattr(uscc, "DIVISIONS_CSV", tmp_path / "missing.csv")
    uscc.province_codes.cache_clear()
    try:
        assert validate_uscc(code) == code
        with pytest.raises(FileNotFoundError):
            validate_uscc(code, check_region=True)
    finally:
        monkeypatch.undo()
        uscc.province_codes.cache_clear()
    if uscc.province_codes() is not None:
        assert reason_of(code) == "region"


# --------------------------------------------------------------------------
# Check-character arithmetic


def test_uscc_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_uscc_check_char_makes_weighted_sum_divisible_by_31(first17: str) -> None:
    c18 = uscc_check_char(first17)
    weights = (*uscc.USCC_WEIGHTS, 1)
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17 + c18, weights, strict=True))
    assert total % 31 == 0


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_org_check_char_makes_weighted_sum_divisible_by_11(body: str) -> None:
    c9 = org_code_check_char(body)
    value = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    total = sum(value[ch] * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    assert (total + (10 if c9 == "X" else int(c9))) % 11 == 0


def test_org_check_char_writes_ten_as_x_and_eleven_as_zero() -> None:
    assert org_code_check_char("00000001") == "9"  # sum 2: 11 - 2
    assert org_code_check_char("00000006") == "X"  # sum 12 = 1 mod 11: 11 - 1 = 10
    assert org_code_check_char("00000000") == "0"  # sum 0: 11 - 0 = 11
    assert org_code_check_char("19220382") == "1"  # 华为's organisation code 19220382-1


def test_registration_number_check_digit_is_iso7064_mod_11_10() -> None:
    assert registration_number_check_digit(REAL_REGNO[:14]) == REAL_REGNO[14]
    # Direct hybrid-system run: the final state must be 1.
    p = 10
    for ch in REAL_REGNO:
        s = (p + int(ch)) % 10 or 10
        p = 2 * s % 11
    assert s == 1


def test_registration_number_errors() -> None:
    for code, reason in [
        ("11010801266042", "length"),
        ("11010801266042A", "charset"),
        ("990000012660422", "region"),
        ("110108012660423", "check_char"),
    ]:
        with pytest.raises(IdentifierError) as info:
            validate_registration_number(code)
        assert info.value.reason == reason, code


@settings(deadline=None)
@given(seed=st.integers(0, 2**32), pos=st.integers(0, 14), delta=st.integers(1, 9))
def test_any_single_digit_error_in_registration_number_is_caught(seed: int, pos: int, delta: int) -> None:
    code = make_registration_number(random.Random(seed), "440300")
    wrong = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1 :]
    with pytest.raises(IdentifierError):
        validate_registration_number(wrong, check_region=False)


def test_entity_id_rejects_other_lengths() -> None:
    with pytest.raises(IdentifierError) as info:
        validate_entity_id("1234567890123456")
    assert info.value.reason == "length"


# --------------------------------------------------------------------------
# Generators

AUTHORITY_KIND = [(a, k) for a, kinds in KINDS.items() for k in kinds]
REGIONS = ["100000", "110000", "410000", "410102", "440300", "659001"]


@settings(deadline=None)
@given(
    seed=st.integers(0, 2**64),
    pair=st.sampled_from(AUTHORITY_KIND),
    region=st.sampled_from(REGIONS),
    new_style=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_generated_usccs_are_valid_and_distinct(
    seed: int, pair: tuple[str, str], region: str, new_style: float
) -> None:
    rng = random.Random(seed)
    codes = [make_uscc(rng, *pair, region, new_style=new_style) for _ in range(50)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert validate_uscc(code) == code
        assert code[:8] == pair[0] + pair[1] + region
        assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]
        if new_style == 1.0:
            assert code[8:10] == "MA"
        elif new_style == 0.0:
            assert code[8:16].isdigit()


@settings(deadline=None)
@given(seed=st.integers(0, 2**64), region=st.sampled_from(REGIONS), individual=st.booleans())
def test_generated_registration_numbers_are_valid_and_distinct(seed: int, region: str, individual: bool) -> None:
    rng = random.Random(seed)
    codes = [make_registration_number(rng, region, individual=individual) for _ in range(30)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert validate_registration_number(code) == code
        assert code.startswith(region)
        assert (code[6] in "6789") == individual


def test_generation_is_reproducible_from_the_seed() -> None:
    a = [make_uscc(random.Random(7)) for _ in range(3)]
    b = [make_uscc(random.Random(7)) for _ in range(3)]
    assert a == b


def test_generator_rejects_undefined_authority_kind_or_region() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError):
        make_uscc(rng, "9", "4")
    with pytest.raises(ValueError):
        make_uscc(rng, "B", "1")
    with pytest.raises(ValueError):
        make_uscc(rng, region="4100")
    with pytest.raises(ValueError):
        make_registration_number(rng, "41000X")


def test_generating_many_codes_is_fast() -> None:
    rng = random.Random(1)
    make_uscc(rng)
    make_registration_number(rng)
    start = time.perf_counter()
    for _ in range(100_000):
        make_uscc(rng)
        make_registration_number(rng)
    # About 0.5 s on the project's machines; a generous bound against noise.
    assert time.perf_counter() - start < 5


# --------------------------------------------------------------------------
# Independence from Django


def test_module_has_no_django_import() -> None:
    tree = ast.parse(MODULE_PATH.read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "django"]


def test_module_loads_without_django_in_a_fresh_interpreter() -> None:
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('uscc_alone', {str(MODULE_PATH)!r})\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(mod)\n"
        "assert mod.validate_uscc('914403001922038216')\n"
        "print(any(m.split('.')[0] == 'django' for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

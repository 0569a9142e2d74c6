"""Canonical byte encodings shared by every part of the draw.

All hashing goes through :func:`tagged_hash`: SHA-256 over a sequence of length-prefixed fields
whose first field is an ASCII domain-separation tag such as ``suiji-draw-v1/seed``. A field is
its length as 8 bytes big-endian followed by its bytes, so no two different field sequences
share an encoding. Text is always the UTF-8 encoding of its NFC normal form. Ratios are exact
decimal strings, never floats. See docs/DRAW.md for the full specification.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from fractions import Fraction
from typing import Any

from .errors import DrawInputError

VERSION = "suiji-draw-v1"
"""Identifier of this algorithm version; it is part of every domain-separation tag."""

_REASON_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_RATIO_RE = re.compile(r"(0|1)(\.[0-9]{1,9})?")
_MULTIPLIER_RE = re.compile(r"(0|1)(\.[0-9]{1,3})?")


def tag(name: str) -> bytes:
    """Return the domain-separation tag ``suiji-draw-v1/<name>`` as ASCII bytes."""
    return f"{VERSION}/{name}".encode("ascii")


def frame(fields: list[bytes] | tuple[bytes, ...]) -> bytes:
    """Concatenate fields, each preceded by its length as 8 bytes big-endian."""
    return b"".join(len(f).to_bytes(8, "big") + f for f in fields)


def tagged_hash(name: str, *fields: bytes) -> bytes:
    """SHA-256 of ``frame([tag(name), *fields])``."""
    return hashlib.sha256(frame([tag(name), *fields])).digest()


def nfc(text: str) -> str:
    """Return the NFC normal form of ``text``."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def check_text(value: object, what_zh: str, what_en: str, max_len: int = 128) -> str:
    """Validate a name-like text field and return its NFC form.

    Accepted: 1..max_len characters, all printable (``str.isprintable``: no control, format,
    separator other than U+0020, surrogate, private-use or unassigned characters), no comma,
    no double quote, no leading or trailing space.
    """
    if not isinstance(value, str):
        raise DrawInputError(
            "bad_text", f"{what_zh}必须是文本", f"{what_en} must be a string, got {type(value).__name__}"
        )
    text = nfc(value)
    bad = (
        not text
        or len(text) > max_len
        or not text.isprintable()
        or "," in text
        or '"' in text
        or text != text.strip(" ")
    )
    if bad:
        raise DrawInputError(
            "bad_text",
            f"{what_zh}“{value[:40]}”不合格式：须为1至{max_len}个可打印字符，不含逗号、双引号，首尾无空格",
            f"{what_en} {value[:40]!r} is malformed: it must be 1 to {max_len} printable characters "
            "without comma or double quote and without leading or trailing space",
        )
    return text


def check_reason(value: object, what_zh: str, what_en: str) -> str:
    """Validate a reason code (``""`` meaning none): ``[a-z0-9][a-z0-9_-]{0,31}``."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _REASON_RE.fullmatch(value):
        raise DrawInputError(
            "bad_reason",
            f"{what_zh}原因代码“{value}”不合格式（小写字母、数字、_、-，最多32个字符）",
            f"{what_en} reason code {value!r} is malformed (lower-case letters, digits, _ and -, "
            "at most 32 characters)",
        )
    return value


def parse_ratio(value: object) -> Fraction:
    """Parse an exact decimal ratio such as ``"0.05"`` into a Fraction in (0, 1]."""
    if not isinstance(value, str) or not _RATIO_RE.fullmatch(value):
        raise DrawInputError(
            "bad_ratio",
            f"比例“{value}”不合格式：须为十进制小数文本，如“0.05”（最多9位小数）",
            f'ratio {value!r} is malformed: it must be a decimal string such as "0.05" (at most 9 decimal places)',
        )
    ratio = Fraction(value)
    if not 0 < ratio <= 1:
        raise DrawInputError(
            "ratio_out_of_range",
            f"比例{value}超出范围：须大于0且不超过1",
            f"ratio {value} is out of range: it must be greater than 0 and at most 1",
        )
    return ratio


def parse_multiplier(value: object) -> Fraction:
    """Parse a weight multiplier such as ``"0.5"`` (at most 3 decimals) into a Fraction in (0, 1]."""
    if not isinstance(value, str) or not _MULTIPLIER_RE.fullmatch(value):
        raise DrawInputError(
            "bad_multiplier",
            f"权重系数“{value}”不合格式：须为“keep”、“exclude”或如“0.5”的小数（最多3位小数）",
            f'weight multiplier {value!r} is malformed: it must be "keep", "exclude" or a '
            'decimal such as "0.5" (at most 3 decimal places)',
        )
    mult = Fraction(value)
    if not 0 < mult <= 1:
        raise DrawInputError(
            "multiplier_out_of_range",
            f"权重系数{value}超出范围：须大于0且不超过1",
            f"weight multiplier {value} is out of range: it must be greater than 0 and at most 1",
        )
    return mult


def decimal_text(value: Fraction) -> str:
    """Shortest exact decimal text of a terminating fraction: ``Fraction(1, 20)`` -> ``"0.05"``."""
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0:
        return str(whole)
    digits = []
    while rest:
        rest *= 10
        digit, rest = divmod(rest, value.denominator)
        digits.append(str(digit))
        if len(digits) > 40:
            raise ValueError("not a terminating decimal")
    return f"{whole}." + "".join(digits)


def fraction_text(value: Fraction) -> str:
    """``"numerator/denominator"`` in lowest terms, e.g. ``"3/40"``; zero is ``"0/1"``."""
    return f"{value.numerator}/{value.denominator}"


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8, no floats.

    Objects have ASCII keys; strings contain no control characters, so the output equals the
    RFC 8785 (JCS) serialisation of the same value. Floats (and NaN or infinities) are refused:
    the text is parsed back once, which is faster than walking the value in Python.
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    json.loads(text, parse_float=_no_float, parse_constant=_no_float, object_pairs_hook=_ascii_keys)
    return text.encode("utf-8")


def _no_float(token: str) -> Any:
    raise TypeError(f"floats are not allowed in canonical JSON: {token}")


def _ascii_keys(pairs: list[tuple[str, Any]]) -> None:
    for key, _ in pairs:
        if not key.isascii():
            raise TypeError("canonical JSON object keys must be ASCII strings")


def hex64(value: int) -> str:
    """A 64-bit unsigned integer as 16 lower-case hex digits."""
    return f"{value:016x}"


def bytes_from_hex(value: object, length: int, what_zh: str, what_en: str) -> bytes:
    """Parse lower- or upper-case hex text of exactly ``length`` bytes."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    else:
        try:
            raw = bytes.fromhex(str(value)) if isinstance(value, str) and " " not in value else b""
        except ValueError:
            raw = b""
    if len(raw) != length:
        raise DrawInputError(
            "bad_hex",
            f"{what_zh}须为{length}字节（{2 * length}位十六进制）",
            f"{what_en} must be {length} bytes ({2 * length} hex digits)",
        )
    return raw

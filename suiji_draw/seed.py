"""Commit-reveal and witness inputs: how the seed of a draw is formed.

Before the ceremony the agency draws a 32-byte secret and publishes its :func:`commitment`.
At the ceremony witnesses enter public numbers (dice, a lottery result, digits they choose);
then the secret is revealed. The seed binds the algorithm version, the frozen candidate pool,
the parameters, the commitment, the secret and the witness inputs, so nobody who knew only
some of them could predict or steer the draw.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .encoding import VERSION, bytes_from_hex, check_text, frame, tagged_hash
from .errors import DrawInputError

SECRET_BYTES = 32

_SEPARATORS = " \t,;/-，、；"
_WITNESS_RE = re.compile(r"[0-9" + re.escape(_SEPARATORS) + r"]*")
_GROUP_RE = re.compile(r"[0-9]+")
MAX_GROUPS = 64
MAX_GROUP_DIGITS = 64


def new_secret() -> bytes:
    """A fresh 32-byte agency secret from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def _secret_bytes(secret: bytes | str) -> bytes:
    return bytes_from_hex(secret, SECRET_BYTES, "机关密钥", "agency secret")


def commitment(secret: bytes | str) -> str:
    """Hex SHA-256 commitment to a 32-byte secret (bytes or 64 hex digits)."""
    return tagged_hash("commitment", _secret_bytes(secret)).hex()


@dataclass(frozen=True)
class WitnessInput:
    """One public input entered at the ceremony: who or what gave it, and its canonical value."""

    label: str
    value: str


def canonical_witness_value(value: str) -> str:
    """Canonical form of a witness value: decimal groups as integers, single spaces, in order.

    ``" 07, 3 12 "`` becomes ``"7 3 12"``. Accepted characters are ASCII digits and the
    separators space, tab, ``, ; / -`` and the full-width ``，、；``.
    """
    if not isinstance(value, str) or not _WITNESS_RE.fullmatch(value):
        bad = next((c for c in str(value) if not c.isascii() or c not in "0123456789" + _SEPARATORS), "?")
        raise DrawInputError(
            "bad_witness",
            f"见证输入“{str(value)[:40]}”含非法字符“{bad}”：只允许数字0-9和空格、逗号、顿号等分隔符",
            f"witness input {str(value)[:40]!r} contains the character {bad!r}: only digits 0-9 "
            "and separators (space, comma, semicolon, slash, hyphen) are allowed",
        )
    groups = _GROUP_RE.findall(value)
    if not groups or len(groups) > MAX_GROUPS or any(len(g) > MAX_GROUP_DIGITS for g in groups):
        raise DrawInputError(
            "bad_witness",
            f"见证输入须含1至{MAX_GROUPS}组数字，每组不超过{MAX_GROUP_DIGITS}位",
            f"a witness input must hold 1 to {MAX_GROUPS} groups of digits, each at most "
            f"{MAX_GROUP_DIGITS} digits long",
        )
    return " ".join(str(int(g)) for g in groups)


def witness_inputs(items: Iterable[tuple[str, str] | WitnessInput]) -> tuple[WitnessInput, ...]:
    """Validate and canonicalise (label, value) pairs; the order is kept and matters."""
    out = []
    for item in items:
        label, value = (item.label, item.value) if isinstance(item, WitnessInput) else item
        out.append(WitnessInput(check_text(label, "见证输入名称", "witness label", 64), canonical_witness_value(value)))
    if not out:
        raise DrawInputError("no_witness", "至少需要一项见证输入", "at least one witness input is required")
    return tuple(out)


def witness_block(inputs: Sequence[WitnessInput]) -> bytes:
    """The witness inputs as one field: ``frame([label_1, value_1, label_2, value_2, ...])``."""
    fields: list[bytes] = []
    for item in inputs:
        fields += [item.label.encode("utf-8"), item.value.encode("ascii")]
    return frame(fields)


def form_seed(
    version: str,
    pool_digest: str,
    params_digest: str,
    commitment_hex: str,
    revealed_secret: bytes | str,
    witness: Iterable[tuple[str, str] | WitnessInput],
) -> bytes:
    """The 32-byte seed of a draw; refuses a secret that does not match the commitment."""
    if version != VERSION:
        raise DrawInputError(
            "bad_version", f"不支持的算法版本“{version}”", f"unsupported algorithm version {version!r}"
        )
    pool = bytes_from_hex(pool_digest, 32, "对象库摘要", "pool digest")
    params = bytes_from_hex(params_digest, 32, "参数摘要", "params digest")
    commit = bytes_from_hex(commitment_hex, 32, "承诺值", "commitment")
    secret = _secret_bytes(revealed_secret)
    if not hmac.compare_digest(tagged_hash("commitment", secret), commit):
        raise DrawInputError(
            "commitment_mismatch",
            "公布的机关密钥与事先公布的承诺值不符",
            "the revealed secret does not match the published commitment",
        )
    block = witness_block(witness_inputs(witness))
    return tagged_hash("seed", version.encode("ascii"), pool, params, commit, secret, block)


@dataclass(frozen=True)
class SeedInputs:
    """Everything fixed at the ceremony: the commitment, the revealed secret, the witness inputs."""

    commitment: str
    secret: bytes
    witness: tuple[WitnessInput, ...]

    @classmethod
    def of(
        cls, commitment_hex: str, secret: bytes | str, witness: Iterable[tuple[str, str] | WitnessInput]
    ) -> SeedInputs:
        """Validate and build; the commitment check itself happens when the seed is formed."""
        commit = bytes_from_hex(commitment_hex, 32, "承诺值", "commitment").hex()
        return cls(commit, _secret_bytes(secret), witness_inputs(witness))


def derived_key(seed: bytes, purpose: str) -> bytes:
    """16-byte SipHash key for ``purpose`` ("ticket-key" or "order-key") derived from the seed."""
    if len(seed) != 32:
        raise ValueError("a seed is 32 bytes")
    return tagged_hash(purpose, seed)[:16]

"""RFC 3797 selection, for small pools such as inspectors and experts.

This is exactly the procedure of RFC 3797 (Publicly Verifiable Nominations Committee Random
Selection), section 4: each source is a list of non-negative integers; the key string is, for
each source in the given order, its numbers sorted ascending as decimal integers without leading
zeros, each followed by ``.``, and then ``/``. For i = 0, 1, ... the value
D_i = MD5(i as 2 bytes big-endian || key || i as 2 bytes big-endian), read as a 128-bit
big-endian integer, picks the (D_i mod (P - i) + 1)-th still unselected entry of the 1-based list.

Supported input: sources made of non-negative integers only (separated by spaces, commas or the
other witness separators). The RFC's provisions for non-numeric sources are not supported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from .errors import DrawInputError

MAX_POOL = 0xFFFF
_SOURCE_RE = re.compile(r"[0-9 \t,;/，、；-]*")


def source_numbers(source: str) -> list[int]:
    """The integers of one source, refusing anything but digits and separators."""
    if not isinstance(source, str) or not _SOURCE_RE.fullmatch(source) or not re.search(r"[0-9]", source):
        raise DrawInputError(
            "bad_rfc3797_source",
            f"随机源“{str(source)[:40]}”只能由数字和分隔符组成，且至少含一个数",
            f"source {str(source)[:40]!r} must hold one or more integers separated by spaces or commas",
        )
    return [int(g) for g in re.findall(r"[0-9]+", source)]


def key_string(sources: Sequence[str]) -> str:
    """The RFC 3797 key string, e.g. ``9319./2.5.8.10.12./9.18.26.34.41.45./``."""
    if not sources:
        raise DrawInputError("bad_rfc3797_source", "至少需要一个随机源", "at least one source is required")
    return "".join("".join(f"{n}." for n in sorted(source_numbers(s))) + "/" for s in sources)


def select(pool_size: int, count: int, sources: Sequence[str]) -> list[int]:
    """1-based positions of the ``count`` entries selected from a list of ``pool_size``, in order."""
    if not isinstance(pool_size, int) or not 1 <= pool_size <= MAX_POOL:
        raise DrawInputError(
            "bad_rfc3797_pool",
            f"名单人数须在1至{MAX_POOL}之间",
            f"the pool size must be between 1 and {MAX_POOL}",
        )
    if not isinstance(count, int) or not 0 <= count <= pool_size:
        raise DrawInputError(
            "count_exceeds_pool",
            f"抽取人数{count}须在0至名单人数{pool_size}之间",
            f"count {count} must be between 0 and the pool size {pool_size}",
        )
    key = key_string(sources).encode("ascii")
    remaining = list(range(1, pool_size + 1))
    chosen = []
    for i in range(count):
        pad = i.to_bytes(2, "big")
        d = int.from_bytes(hashlib.md5(pad + key + pad, usedforsecurity=False).digest(), "big")
        chosen.append(remaining.pop(d % (pool_size - i)))
    return chosen

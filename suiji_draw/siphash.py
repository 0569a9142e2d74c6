"""SipHash-2-4, the keyed function that turns a stored candidate digest into a ticket.

Three implementations that must agree bit for bit:

* :func:`siphash24` — the general reference over any byte string (checked against the
  published test vectors of the SipHash paper);
* :func:`siphash24_u64` — the same for one 8-byte message given as an integer, in plain Python
  (this is what the standard-library verifier does);
* :func:`siphash24_u64_array` — the same vectorised with numpy over a ``uint64`` array, split
  across threads (numpy releases the interpreter lock inside its loops).

For a ticket the message is the 64-bit candidate digest written as 8 bytes little-endian, so
the SipHash message word is the digest itself.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MASK64 = (1 << 64) - 1
_C0 = 0x736F6D6570736575
_C1 = 0x646F72616E646F6D
_C2 = 0x6C7967656E657261
_C3 = 0x7465646279746573
_LEN8 = 8 << 56


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & MASK64


def _round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & MASK64
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & MASK64
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & MASK64
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & MASK64
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def split_key(key: bytes) -> tuple[int, int]:
    """The two 64-bit key words (k0, k1) of a 16-byte SipHash key, little-endian."""
    if len(key) != 16:
        raise ValueError("a SipHash key is 16 bytes")
    return int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")


def siphash24(key: bytes, message: bytes) -> int:
    """Reference SipHash-2-4 of ``message`` under a 16-byte key, as an unsigned 64-bit integer."""
    k0, k1 = split_key(key)
    v0, v1, v2, v3 = k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3
    full = len(message) // 8 * 8
    for start in range(0, full, 8):
        m = int.from_bytes(message[start : start + 8], "little")
        v3 ^= m
        for _ in range(2):
            v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        v0 ^= m
    b = ((len(message) & 0xFF) << 56) | int.from_bytes(message[full:], "little")
    v3 ^= b
    for _ in range(2):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def siphash24_u64(k0: int, k1: int, m: int) -> int:
    """SipHash-2-4 of the 8-byte little-endian encoding of ``m`` (0 <= m < 2**64)."""
    return siphash24(k0.to_bytes(8, "little") + k1.to_bytes(8, "little"), m.to_bytes(8, "little"))


_CHUNK = 1 << 16


def _hash_chunk(k0: int, k1: int, m: np.ndarray, out: np.ndarray) -> None:
    n = m.shape[0]
    v0 = np.full(n, k0 ^ _C0, dtype=np.uint64)
    v1 = np.full(n, k1 ^ _C1, dtype=np.uint64)
    v2 = np.full(n, k0 ^ _C2, dtype=np.uint64)
    v3 = np.full(n, k1 ^ _C3, dtype=np.uint64)
    tmp = np.empty(n, dtype=np.uint64)
    shifts = {b: (np.uint64(b), np.uint64(64 - b)) for b in (13, 16, 17, 21, 32)}

    def rotl(x: np.ndarray, b: int) -> None:
        left, right = shifts[b]
        np.left_shift(x, left, out=tmp)
        np.right_shift(x, right, out=x)
        np.bitwise_or(x, tmp, out=x)

    def sipround() -> None:
        np.add(v0, v1, out=v0)
        rotl(v1, 13)
        np.bitwise_xor(v1, v0, out=v1)
        rotl(v0, 32)
        np.add(v2, v3, out=v2)
        rotl(v3, 16)
        np.bitwise_xor(v3, v2, out=v3)
        np.add(v0, v3, out=v0)
        rotl(v3, 21)
        np.bitwise_xor(v3, v0, out=v3)
        np.add(v2, v1, out=v2)
        rotl(v1, 17)
        np.bitwise_xor(v1, v2, out=v1)
        rotl(v2, 32)

    np.bitwise_xor(v3, m, out=v3)
    sipround()
    sipround()
    np.bitwise_xor(v0, m, out=v0)
    last = np.uint64(_LEN8)
    np.bitwise_xor(v3, last, out=v3)
    sipround()
    sipround()
    np.bitwise_xor(v0, last, out=v0)
    np.bitwise_xor(v2, np.uint64(0xFF), out=v2)
    for _ in range(4):
        sipround()
    np.bitwise_xor(v0, v1, out=out)
    np.bitwise_xor(out, v2, out=out)
    np.bitwise_xor(out, v3, out=out)


def default_workers() -> int:
    """Threads used by default: the number of CPUs, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def siphash24_u64_array(k0: int, k1: int, messages: np.ndarray, workers: int | None = None) -> np.ndarray:
    """Vectorised :func:`siphash24_u64` over a ``uint64`` (or ``int64``, reinterpreted) array."""
    m = np.ascontiguousarray(messages)
    if m.dtype == np.int64:
        m = m.view(np.uint64)
    if m.dtype != np.uint64:
        raise TypeError("messages must be a uint64 or int64 array")
    out = np.empty(m.shape[0], dtype=np.uint64)
    starts = range(0, m.shape[0], _CHUNK)
    workers = default_workers() if workers is None else max(1, workers)

    def job(start: int) -> None:
        _hash_chunk(k0, k1, m[start : start + _CHUNK], out[start : start + _CHUNK])

    if workers == 1 or m.shape[0] <= 2 * _CHUNK:
        for start in starts:
            job(start)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(job, starts))
    return out

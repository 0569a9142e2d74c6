"""Whole-column work on the texts a draw reads: keys joined by newlines, and frozen candidate lists.

A million-firm pool arrives from the database as one text per column and leaves as
one canonical CANDIDATES.csv. Turning those texts into a million Python strings,
sorting them and joining them again costs more than the database's own read; the
functions here do the same work on the texts' bytes with numpy, and keep the keys
as slices of the text they came in (:class:`KeyColumn`), made into strings only
when one is asked for (the few tens of thousands a draw selects).

Each function here either gives exactly what the plain, per-string way gives or
returns None, so that its caller takes the plain way; the tests in
``draws/tests/test_pool_fetch.py`` compare the two.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from suiji_draw.pool import CSV_HEADER


class _Column(Sequence[str]):
    """A read-only sequence of strings held in a compact form: ``_one`` reads one, ``_many`` a slice."""

    __slots__ = ()

    def _one(self, i: int) -> str:
        raise NotImplementedError

    def _many(self, i: slice) -> list[str]:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: Any) -> Any:
        return self._many(i) if isinstance(i, slice) else self._one(i)


class KeyColumn(_Column):
    """Keys held as slices of one text: key ``i`` is ``text[starts[i]:ends[i]]``.

    A sequence of ``str`` as the engine's pool needs it (length, indexing, iteration,
    binary search); a key becomes a string only when it is read. ``padded``, where
    given, holds the same keys as rows of ASCII bytes padded with zero bytes (so
    that comparing rows as bytes compares the keys).
    """

    __slots__ = ("text", "starts", "ends", "padded")

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray, padded: np.ndarray | None = None) -> None:
        if len(starts) != len(ends):
            raise ValueError("starts and ends must be aligned")
        self.text = text
        self.starts = starts
        self.ends = ends
        self.padded = padded

    def __len__(self) -> int:
        return len(self.starts)

    def _one(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]

    def _many(self, i: slice) -> list[str]:
        return list(map(self.text.__getitem__, map(slice, self.starts[i].tolist(), self.ends[i].tolist())))

    def __iter__(self) -> Iterator[str]:
        return map(self.text.__getitem__, map(slice, self.starts.tolist(), self.ends.tolist()))

    def take(self, positions: np.ndarray) -> list[str]:
        """The keys at ``positions``, as a list (one slice each, no per-key method call)."""
        starts, ends = self.starts[positions].tolist(), self.ends[positions].tolist()
        return list(map(self.text.__getitem__, map(slice, starts, ends)))

    def __repr__(self) -> str:
        return f"KeyColumn({len(self)} keys)"


class CharColumn(_Column):
    """Values of one ASCII character each (credit classes), held as their byte codes."""

    __slots__ = ("chars",)

    def __init__(self, chars: np.ndarray) -> None:
        self.chars = chars

    def __len__(self) -> int:
        return len(self.chars)

    def _one(self, i: int) -> str:
        return chr(self.chars[i])

    def _many(self, i: slice) -> list[str]:
        return [chr(c) for c in self.chars[i].tolist()]

    def __iter__(self) -> Iterator[str]:
        return map(chr, self.chars.tolist())

    def distinct(self) -> set[str]:
        return {chr(c) for c in np.flatnonzero(np.bincount(self.chars, minlength=128)).tolist()}

    def codes(self, names: tuple[str, ...], code_type: Any) -> np.ndarray:
        """Each value's position in ``names``, which holds every one of them."""
        table = np.zeros(128, dtype=code_type)
        for i, name in enumerate(names):
            table[ord(name)] = i
        return table[self.chars]

    def __repr__(self) -> str:
        return f"CharColumn({len(self)} values)"


def one_char_values(text: str, n: int) -> CharColumn | None:
    """``n`` values joined by newlines as a :class:`CharColumn`; None unless each is one ASCII
    character other than a line end."""
    if len(text) != 2 * n - 1 or not text.isascii():
        return None
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    chars = raw[0::2]
    if bool((raw[1::2] != 10).any()) or bool((chars == 10).any()):
        return None
    return CharColumn(chars)


#: The longest key the byte ordering handles: a USCC (registration numbers are 15).
KEY_WIDTH = 18
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = True
#: ``_KEEP[k]`` keeps the first ``k`` bytes (0 to 8) of a big-endian 64-bit word.
_KEEP = np.array([0] + [((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(1, 9)], dtype=np.uint64)
_KEY_ROW = np.dtype([("a", ">u8"), ("b", ">u8"), ("c", ">u2")])  # 18 bytes, in order


@dataclass
class SortedKeys:
    """Keys put in code-point order by :func:`sort_alnum_keys`."""

    order: np.ndarray  #: the permutation: sorted position -> position in the joined text
    distinct: bool  #: no key occurs twice
    keys: KeyColumn  #: the keys in sorted order, with ``padded`` rows


def sort_alnum_keys(key_text: str, n: int) -> SortedKeys | None:
    """``n`` keys joined by newlines, in code-point order; None unless every key is 1 to 18 ASCII
    letters and digits.

    Each key is read as 18 bytes from where it starts in the text, the bytes past its end set
    to zero; letters and digits are non-zero and ASCII compares as bytes compare, so ordering
    those rows as three big-endian words (bytes 0-7, 8-15, 16-17) orders the keys, a prefix
    first. The three words are gathered at every key's start at once: no key is looked at one
    by one.
    """
    if not key_text.isascii():
        return None
    data = key_text.encode("ascii")
    raw = np.frombuffer(data, dtype=np.uint8)
    newline = raw == 10
    breaks = np.flatnonzero(newline)
    if len(breaks) != n - 1 or not bool((_ALNUM[raw] | newline).all()):
        return None
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = breaks + 1
    ends = np.empty(n, dtype=np.int64)
    ends[:-1] = breaks
    ends[-1] = len(raw)
    lengths = ends - starts
    if int(lengths.min()) < 1 or int(lengths.max()) > KEY_WIDTH:
        return None
    padded = np.zeros(len(raw) + 2 * KEY_WIDTH, dtype=np.uint8)
    padded[: len(raw)] = raw
    # Every byte offset of the text read as a big-endian 64-bit word (a view, one byte apart).
    words = np.ndarray(shape=(len(raw) + KEY_WIDTH,), dtype=">u8", buffer=padded, strides=(1,))
    rows = np.empty(n, dtype=_KEY_ROW)
    rows["a"] = words[starts] & _KEEP[np.minimum(lengths, 8)]
    rows["b"] = words[starts + 8] & _KEEP[np.clip(lengths - 8, 0, 8)]
    rows["c"] = (words[starts + 16] & _KEEP[np.clip(lengths - 16, 0, 2)]) >> np.uint64(48)
    order = _row_order(rows)
    rows = rows[order]
    a, b, c = rows["a"], rows["b"], rows["c"]
    distinct = n < 2 or bool(((a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (c[1:] != c[:-1])).all())
    column = KeyColumn(key_text, starts[order], ends[order], rows.view(np.uint8).reshape(n, KEY_WIDTH))
    return SortedKeys(order, distinct, column)


_PACKED_BITS = 64


def _dense_rank(words: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values (0 for the smallest), and how many there are."""
    order = np.argsort(words)
    ordered = words[order]
    step = np.empty(len(words), dtype=np.uint64)
    step[0] = 0
    np.not_equal(ordered[1:], ordered[:-1], out=step[1:], casting="unsafe")
    np.cumsum(step, out=step)
    rank = np.empty(len(words), dtype=np.uint64)
    rank[order] = step
    return rank, int(step[-1]) + 1


def _row_order(rows: np.ndarray) -> np.ndarray:
    """The permutation that orders ``_KEY_ROW`` rows as their three words, ``a`` first.

    Each of the two long words is replaced by its rank among its distinct values, which keeps
    their order, and the two ranks and the short word are packed in one 64-bit word where they
    fit (up to 2**24 rows, always), so one sort on that word replaces three stable ones.
    Rows that are equal come in no particular order (keys that occur twice are refused later).
    """
    if len(rows) < 2:
        return np.arange(len(rows))
    rank_a, distinct_a = _dense_rank(rows["a"].astype(np.uint64))
    rank_b, distinct_b = _dense_rank(rows["b"].astype(np.uint64))
    shift_b = max(1, (distinct_b - 1).bit_length())
    if (distinct_a - 1).bit_length() + shift_b + 16 > _PACKED_BITS:
        return np.lexsort((rows["c"], rows["b"], rows["a"]))
    packed = (rank_a << np.uint64(shift_b + 16)) | (rank_b << np.uint64(16)) | rows["c"].astype(np.uint64)
    return np.argsort(packed)


def csv_body(padded: np.ndarray, endings: list[str], which: np.ndarray) -> bytes | None:
    """The lines ``key + endings[which[i]]`` joined, from keys as zero-padded byte rows; None when
    an ending holds a zero byte (it would be taken for padding).

    Each line is laid out in a row of fixed width (the key's row, then its ending padded with
    zero bytes), and the zero bytes are dropped from the whole at once.
    """
    encoded = [e.encode("utf-8") for e in endings]
    if any(0 in e for e in encoded):
        return None
    n, width = padded.shape
    table = np.zeros((len(encoded), max(map(len, encoded))), dtype=np.uint8)
    for row, ending in enumerate(encoded):
        table[row, : len(ending)] = np.frombuffer(ending, dtype=np.uint8)
    lines = np.empty((n, width + table.shape[1]), dtype=np.uint8)
    lines[:, :width] = padded
    lines[:, width:] = table[which]
    flat = lines.ravel()
    return flat[flat != 0].tobytes()


@dataclass
class FrozenColumns:
    """The columns of a frozen CANDIDATES.csv, split by :func:`split_frozen`."""

    keys: KeyColumn
    strata_names: tuple[str, ...]
    codes: np.ndarray
    weights: np.ndarray
    recent: np.ndarray
    forced: dict[int, str]
    excluded: dict[int, str]


_FIELDS = 6  # key, stratum, weight, recent, forced, excluded
_WEIGHT_DIGITS = 19  # an int64's


def split_frozen(data: bytes) -> FrozenColumns | None:
    """The columns of a canonical CANDIDATES.csv the pool's own digest has vouched for; None
    where this way cannot read it (text that is not ASCII, strata longer than one character,
    anything out of shape), for the caller to read it the plain way.

    The separators (commas and line ends) are found in one pass over the bytes; each line
    has exactly six fields, so field ``f`` of line ``i`` lies between separators ``6i + f - 1``
    and ``6i + f``. Weights are read as digits a column at a time.
    """
    header = (CSV_HEADER + "\n").encode("ascii")
    if not data.startswith(header) or not data.endswith(b"\n") or not data.isascii():
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    body = len(header)
    newline = raw == 10
    separators = np.flatnonzero(newline | (raw == 44))
    separators = separators[separators >= body]
    n = len(separators) // _FIELDS
    if n == 0 or len(separators) != _FIELDS * n:
        return None
    fields = separators.reshape(n, _FIELDS)
    if not bool(newline[fields[:, 5]].all()) or bool(newline[fields[:, :5]].any()):
        return None
    line_starts = np.empty(n, dtype=np.int64)
    line_starts[0] = body
    line_starts[1:] = fields[:-1, 5] + 1
    text = data.decode("ascii")
    keys = KeyColumn(text, line_starts, fields[:, 0].copy())
    # Strata: one character each (credit classes), coded through a table of the 128 characters.
    if not bool((fields[:, 1] - fields[:, 0] == 2).all()):
        return None
    chars = raw[fields[:, 0] + 1]
    present = np.flatnonzero(np.bincount(chars, minlength=128))
    names = tuple(chr(c) for c in present.tolist())
    table = np.zeros(128, dtype=np.uint16)
    table[present] = np.arange(len(present), dtype=np.uint16)
    codes = table[chars]
    # Weights: 1 to 19 decimal digits, read a digit column at a time.
    first, stop = fields[:, 1] + 1, fields[:, 2]
    digits = stop - first
    if int(digits.min()) < 1 or int(digits.max()) > _WEIGHT_DIGITS - 1:
        return None
    weights = np.zeros(n, dtype=np.int64)
    for j in range(int(digits.max())):
        active = digits > j
        digit = raw[np.where(active, first + j, first)].astype(np.int64) - 48
        if bool(((digit < 0) | (digit > 9))[active].any()):
            return None
        weights = np.where(active, weights * 10 + digit, weights)
    # Recent: one character, 0 or 1.
    if not bool((fields[:, 3] - fields[:, 2] == 2).all()):
        return None
    recent_chars = raw[fields[:, 2] + 1]
    if not bool(((recent_chars == 48) | (recent_chars == 49)).all()):
        return None
    forced = _reasons(text, fields[:, 3] + 1, fields[:, 4])
    excluded = _reasons(text, fields[:, 4] + 1, fields[:, 5])
    return FrozenColumns(keys, names, codes, weights, recent_chars == 49, forced, excluded)


def _reasons(text: str, starts: np.ndarray, ends: np.ndarray) -> dict[int, str]:
    """``{line: reason}`` for the lines whose field between ``starts`` and ``ends`` is not empty
    (reasons are rare)."""
    present = np.flatnonzero(ends > starts)
    return {
        i: text[s:e] for i, s, e in zip(present.tolist(), starts[present].tolist(), ends[present].tolist(), strict=True)
    }

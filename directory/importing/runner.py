"""The import: one streamed pass, upsert by key, one transaction.

Rows are read, validated and collected in batches. For each batch the targets
already in the directory with those keys are read in one query (skipped when the
directory was empty when the import began); new keys are inserted in bulk,
existing ones of the importing organisation are updated (only when a given field
differs) and each change is kept as a ``TargetChange``. A key that belongs to
another organisation is an error: the import never moves a target between
jurisdictions. Every stored target carries ``draw_digest``
(``suiji_draw.candidate_digest(key)``): new rows get it, and an existing row whose
stored digest does not match its key gets it corrected.

Modes: ``good_rows`` stores the good rows and reports the bad ones;
``all_or_nothing`` stops writing at the first bad row, still checks the rest so
that every error is reported, and rolls everything back. Either way one audit
entry sums the import up.

Speed (docs/BENCHMARKS.md): rows are converted by ``RowValidator.row`` into
plain lists and written with the driver's own cursor: ``executemany`` on SQLite,
``COPY`` on PostgreSQL. On SQLite a large import (at least ``BULK_MIN_ROWS`` new
rows, and at least as many as the directory already holds) drops the table's
secondary indexes inside its transaction and builds them again before it
commits, which is several times cheaper than updating a dozen indexes row by
row; readers keep seeing the previous state meanwhile (write-ahead log), and a
failure or rollback restores the indexes with everything else. The commit
leaves the write-ahead log to be copied into the database by a second connection
while this one adds the new names to the name search index
(``directory/checkpoint.py``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from core import audit
from core.models import AuditAction
from directory import checkpoint, namesearch
from directory.importing.mapping import MappingError, build_mapping
from directory.importing.pipeline import checked_batches
from directory.importing.sources import SourceError, open_source
from directory.importing.validate import DATA_FIELDS, DEFAULTS, RefSets, RowError, RowValidator
from directory.models import Target, TargetChange
from suiji_draw import candidate_digest

__all__ = ["DATA_FIELDS", "DEFAULTS", "MODES", "ImportResult", "run_import"]

MODES = ("good_rows", "all_or_nothing")
BATCH = 5000
LOOKUP_CHUNK = 5000
KEEP_ERRORS = 100
#: SQLite: an import expected to add at least this many rows (and at least as many as the
#: directory holds) rebuilds the secondary indexes once instead of maintaining them per row.
BULK_MIN_ROWS = 100_000
#: SQLite page cache of the importing connection while it imports, in KiB (restored after).
SQLITE_CACHE_KIB = 64 * 1024

_COLUMN = {f: (f + "_id" if f in ("industry", "region") else f) for f in DATA_FIELDS}
_FLAGS = frozenset({"abnormal_operation", "serious_violation"})
# Positions in a stored row as the look-up returns it: id, organisation, key, the fields, digest.
_OLD_FIELDS = 3
_OLD_DIGEST = 3 + len(DATA_FIELDS)
# Positions in a row as the validator returns it (key first) once its digest is appended.
_NEW_DIGEST = 1 + len(DATA_FIELDS)


def _digest_prefixes() -> dict[int, bytes]:
    """The hashed prefix of ``candidate_digest`` for each key length an import sees (ASCII keys)."""
    from suiji_draw.encoding import frame, tag

    head = frame([tag("candidate")])
    return {n: head + n.to_bytes(8, "big") for n in (15, 18)}


_PREFIX_OF = _digest_prefixes()


def draw_digest(key: str) -> int:
    """``suiji_draw.candidate_digest(key)``, with the common key lengths' hash prefix precomputed."""
    prefix = _PREFIX_OF.get(len(key))
    if prefix is None or not key.isascii():
        return candidate_digest(key)
    return int.from_bytes(hashlib.sha256(prefix + key.encode("ascii")).digest()[:8], "big", signed=True)


def draw_digests(keys: list[str]) -> list[int]:
    """``[draw_digest(k) for k in keys]``: for ASCII keys of the common lengths, each hash resumes
    from a copy of its length's hashed prefix, and the eight-byte heads are read as integers at once."""
    hashers = {n: hashlib.sha256(prefix) for n, prefix in _PREFIX_OF.items()}
    if not "".join(keys).isascii() or any(len(k) not in hashers for k in keys):
        return list(map(draw_digest, keys))
    heads = []
    for key in keys:
        h = hashers[len(key)].copy()
        h.update(key.encode("ascii"))
        heads.append(h.digest()[:8])
    return np.frombuffer(b"".join(heads), dtype=">i8").tolist()


@dataclass
class ImportResult:
    mode: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_rows: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    fatal: dict[str, str] | None = None
    encoding: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    #: Seconds spent after the commit adding a bulk load's names to the SQLite name search index.
    name_index_seconds: float = 0.0
    #: SQLite in WAL mode: what the checkpoint after the commit reported (busy, log frames, copied frames).
    checkpoint: tuple[int, int, int] | None = None
    #: Peak resident set of the forked reader process, in MiB (0 when the rows were read in this process).
    reader_peak_mb: float = 0.0

    @property
    def stored(self) -> int:
        return self.created + self.updated if self.committed else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "rows": self.rows,
            "created": self.created if self.committed else 0,
            "updated": self.updated if self.committed else 0,
            "unchanged": self.unchanged if self.committed else 0,
            "bad_rows": self.bad_rows,
            "error_count": self.error_count,
            "errors": self.errors,
            "committed": self.committed,
            "fatal": self.fatal,
            "encoding": self.encoding,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
        }


class _Rollback(Exception):
    pass


def _comparable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class ErrorSink:
    """Keeps the first errors in memory and writes all of them to a CSV file."""

    HEADER = ("line", "column", "reason", "message_zh", "message_en", "value")

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self.first: list[dict[str, Any]] = []
        self._fh = open(path, "w", encoding="utf-8-sig", newline="") if path else None  # noqa: SIM115
        self._writer = csv.writer(self._fh) if self._fh else None
        if self._writer:
            self._writer.writerow(self.HEADER)

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.first) < KEEP_ERRORS:
            self.first.append(error.as_dict())
        if self._writer:
            self._writer.writerow(
                (error.line, error.column, error.reason, error.message_zh, error.message_en, error.value)
            )

    def close(self) -> None:
        if self._fh:
            self._fh.close()


def run_import(
    path: str | Path,
    organisation: Any,
    *,
    mode: str = "good_rows",
    overrides: dict[str, str] | None = None,
    actor: Any = None,
    job: Any = None,
    filename: str = "",
    error_path: Path | None = None,
    progress: Callable[..., None] | None = None,
    encoding: str | None = None,
) -> ImportResult:
    """Import one file into ``organisation``'s directory; see the module docstring. ``encoding``
    names a CSV file's encoding (``utf-8`` or ``gbk``) instead of detecting it."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    result = ImportResult(mode=mode)
    sink = ErrorSink(error_path)
    try:
        source = open_source(path, filename, encoding)
        result.encoding = source.encoding or "xlsx"
        batches = source.batches(BATCH)
        first, chunk = next(batches, (1, [[]]))
        headers = chunk[0]
        if not any(h.strip() for h in headers):
            raise SourceError("no_header", "文件没有表头行", "The file has no header row")
        mapping = build_mapping(headers, overrides)
        result.columns = {f: mapping.headers[i] for f, i in mapping.columns.items()}
        result.ignored_columns = list(mapping.ignored)
        validator = RowValidator(mapping, RefSets.load(), dates_as_text=connection.vendor == "sqlite")
        rows = _chain((first + 1, chunk[1:]), batches)
        _run(source, rows, validator, organisation, result, sink, actor, job, filename, progress)
    except (SourceError, MappingError) as exc:
        result.fatal = {"reason": exc.reason, "message_zh": exc.message_zh, "message_en": exc.message_en}
        result.committed = False
    finally:
        sink.close()
    result.error_count = sink.count
    result.errors = sink.first
    if not result.committed:
        _record(organisation, result, job, filename, actor)
    return result


def _chain(head: tuple[int, list[list[str]]], rest: Any) -> Any:
    if head[1]:
        yield head
    yield from rest


def _record(organisation: Any, result: ImportResult, job: Any, filename: str, actor: Any) -> None:
    summary = {
        "import_file": filename[:200],
        "job": job.pk if job is not None else None,
        "mode": result.mode,
        "rows": result.rows,
        "created": result.created if result.committed else 0,
        "updated": result.updated if result.committed else 0,
        "bad_rows": result.bad_rows,
        "committed": result.committed,
    }
    if result.fatal:
        summary["fatal"] = result.fatal["reason"]
    reason = "directory import" if result.committed else "directory import rejected, nothing stored"
    audit.record(AuditAction.ACTION, organisation, after=summary, reason=reason, actor=actor)


# --- writing ------------------------------------------------------------------------------------


class _Writer:
    """Writes rows with the driver's cursor; one subclass per database."""

    table = Target._meta.db_table

    def __init__(self, org_id: int, now: dt.datetime) -> None:
        self.org_id = org_id
        self.now = now
        self.raw = connection.connection.cursor()
        self.bulk = False

    def begin(self) -> bool:
        """Prepare the connection; True when the directory may already hold some of the keys."""
        raise NotImplementedError

    def lookup(self, keys: list[str]) -> dict[str, tuple]:
        """The stored rows ``(id, organisation_id, key, *DATA_FIELDS, draw_digest)`` with these keys."""
        found: dict[str, tuple] = {}
        for start in range(0, len(keys), LOOKUP_CHUNK):
            for row in self._lookup(keys[start : start + LOOKUP_CHUNK]):
                found[row[2]] = row
        return found

    def _lookup(self, keys: list[str]) -> list[tuple]:
        raise NotImplementedError

    def insert(self, rows: list[tuple]) -> None:
        raise NotImplementedError

    def update(self, rows: list[tuple]) -> None:
        """Rows ``(*DATA_FIELDS values, draw_digest, id)``."""
        raise NotImplementedError

    def repair_digests(self, rows: list[tuple[int, int]]) -> None:
        """Rows ``(draw_digest, id)``."""
        raise NotImplementedError

    def settle(self) -> None:
        """Complete any insert still open on the connection; called before every other statement."""

    def consider_bulk(self, expected_new: int) -> None:
        """Called with the number of new rows the whole import is expected to add."""

    def finish(self) -> None:
        """Inside the transaction, after the last row, when the import is to be kept."""

    def close(self) -> None:
        """After the transaction (committed or not)."""
        self.raw.close()

    def _select(self) -> str:
        return ", ".join(["id", "organisation_id", "key", *(_COLUMN[f] for f in DATA_FIELDS), "draw_digest"])


class _SqliteWriter(_Writer):
    def begin(self) -> bool:
        cur = self.raw
        self.saved_cache = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        self.existing = cur.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
        updated = connection.ops.adapt_datetimefield_value(self.now)
        if not set(updated) <= set("0123456789-:. "):
            raise ValueError(f"unexpected timestamp text {updated!r}")
        columns = ["key", *(_COLUMN[f] for f in DATA_FIELDS), "draw_digest", "organisation_id", "updated"]
        values = ", ".join(["?"] * (len(columns) - 2) + [str(int(self.org_id)), f"'{updated}'"])
        self.insert_sql = f"INSERT INTO {self.table} ({', '.join(columns)}) VALUES ({values})"
        sets = ", ".join(f"{_COLUMN[f]} = ?" for f in DATA_FIELDS)
        self.update_sql = f"UPDATE {self.table} SET {sets}, draw_digest = ?, updated = '{updated}' WHERE id = ?"
        self.repair_sql = f"UPDATE {self.table} SET draw_digest = ? WHERE id = ?"
        self.dropped: list[str] = []
        return self.existing > 0

    def _lookup(self, keys: list[str]) -> list[tuple]:
        marks = ", ".join(["?"] * len(keys))
        return self.raw.execute(f"SELECT {self._select()} FROM {self.table} WHERE key IN ({marks})", keys).fetchall()

    def insert(self, rows: list[tuple]) -> None:
        self.raw.executemany(self.insert_sql, rows)

    def update(self, rows: list[tuple]) -> None:
        self.raw.executemany(self.update_sql, rows)

    def repair_digests(self, rows: list[tuple[int, int]]) -> None:
        self.raw.executemany(self.repair_sql, rows)

    def consider_bulk(self, expected_new: int) -> None:
        if self.bulk or expected_new < max(BULK_MIN_ROWS, self.existing):
            return
        cur = self.raw
        indexes = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            [self.table],
        ).fetchall()
        for name, sql in indexes:
            if self.existing and sql.upper().startswith("CREATE UNIQUE"):
                # The key's unique index serves the look-ups of firms already there, and checks
                # the key as rows go in: kept unless the directory is empty (nothing to look up,
                # and the validator has refused every key that occurs twice in the file; building
                # the index at the end checks uniqueness again, about 3 s less for a million rows).
                continue
            cur.execute(f'DROP INDEX "{name}"')
            self.dropped.append(sql)
        namesearch.suspend()
        self.saved_threads = cur.execute("PRAGMA threads").fetchone()[0]
        cur.execute("PRAGMA threads = 2")
        self.bulk = True

    def finish(self) -> None:
        for sql in self.dropped:
            self.raw.execute(sql)
        self.dropped = []
        if self.bulk:
            namesearch.resume()

    def close(self) -> None:
        try:
            self.raw.execute(f"PRAGMA cache_size = {int(self.saved_cache)}")
            if self.bulk:
                self.raw.execute(f"PRAGMA threads = {int(self.saved_threads)}")
        finally:
            super().close()


class _PostgresWriter(_Writer):
    def begin(self) -> bool:
        columns = ["key", *(_COLUMN[f] for f in DATA_FIELDS), "draw_digest", "organisation_id", "updated"]
        self.copy_sql = f"COPY {self.table} ({', '.join(columns)}) FROM STDIN"
        self.tail = (self.org_id, self.now)
        sets = ", ".join(f"{_COLUMN[f]} = %s" for f in DATA_FIELDS)
        self.update_sql = f"UPDATE {self.table} SET {sets}, draw_digest = %s, updated = %s WHERE id = %s"
        self.repair_sql = f"UPDATE {self.table} SET draw_digest = %s WHERE id = %s"
        self.dropped: list[str] = []
        self.foreign_keys: list[tuple[str, str]] = []
        self._copy_block: Any = None
        self._copy: Any = None
        self.kept_gin: list[str] = []
        # The planner's row estimate: cheap, and only used to decide on the bulk path.
        self.existing = self.raw.execute(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [self.table]
        ).fetchone()[0]
        self.empty = not self.raw.execute(f"SELECT EXISTS (SELECT 1 FROM {self.table})").fetchone()[0]
        self.uniques: list[tuple[str, str]] = []
        return not self.empty

    def consider_bulk(self, expected_new: int) -> None:
        """A large import into a smaller table: drop the secondary btree indexes (not those of a
        constraint, such as the unique key) inside the transaction and build them once at the end,
        which PostgreSQL does far faster than maintaining them row by row. Other sessions wait on
        the table lock until the import commits; an import that fails rolls the drop back with
        everything else.

        A GIN index (the trigram index on names) is kept: its new entries gather in its pending
        list while the rows stream in, when the server has time to spare (this process is reading
        and checking the next batch), and ``finish`` merges what is left. Rebuilding it afterwards
        took 3.5 s of a 1,000,000-row import in which nothing else could run."""
        if self.bulk or expected_new < max(BULK_MIN_ROWS, self.existing):
            return
        self.settle()
        rows = self.raw.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
            "  quote_ident(i.indexname))::regclass)",
            [self.table],
        ).fetchall()
        # Rows already written have deferred foreign-key checks pending; run them before changing the table.
        self.raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, definition in rows:
            if " USING gin " in definition:
                self.kept_gin.append(name)
                continue
            self.raw.execute(f'DROP INDEX "{name}"')
            self.dropped.append(definition)
        # Foreign keys are checked row by row by triggers; the validator has already checked every
        # region and industry code, so drop them and validate each once, set-based, at the end.
        self.foreign_keys = self._drop_constraints("f")
        if self.empty:
            # Into an empty directory nothing is looked up by key, and the validator has already
            # refused every key that occurs twice in the file: the unique index on the key is built
            # once at the end (about 1 s for a million keys) instead of kept row by row during the
            # COPY (about 3.5 s of the server's time). Adding it back checks uniqueness again.
            self.uniques = self._drop_constraints("u")
        self.raw.execute("SET CONSTRAINTS ALL DEFERRED")
        self.raw.execute("SET LOCAL maintenance_work_mem = '256MB'")
        self.bulk = True

    def _drop_constraints(self, kind: str) -> list[tuple[str, str]]:
        """Drop the table's constraints of one kind (``f`` foreign key, ``u`` unique); returns
        their names and definitions, to add them back."""
        found = self.raw.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = %s ORDER BY conname",
            [self.table, kind],
        ).fetchall()
        for name, _definition in found:
            self.raw.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
        return found

    def finish(self) -> None:
        self.settle()
        if self.bulk:
            # Django's foreign keys are deferred; pending checks must run before the table is altered.
            self.raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, definition in self.uniques:
                self.raw.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
            for definition in self.dropped:
                self.raw.execute(definition)
            for name in self.kept_gin:
                self.raw.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
            for name, definition in self.foreign_keys:
                self.raw.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
                self.raw.execute(f'ALTER TABLE {self.table} VALIDATE CONSTRAINT "{name}"')
            self.raw.execute("SET CONSTRAINTS ALL DEFERRED")
        self.dropped = []
        self.foreign_keys = []
        self.uniques = []

    def _lookup(self, keys: list[str]) -> list[tuple]:
        return self.raw.execute(f"SELECT {self._select()} FROM {self.table} WHERE key = ANY(%s)", [keys]).fetchall()

    def insert(self, rows: list[tuple]) -> None:
        """The batch as ``COPY`` text (``copy_text``), into a ``COPY`` left open for the next batch.

        The server stores one batch while this process reads and checks the next; ``settle``
        ends the ``COPY`` before any other statement (the driver holds the connection's lock
        while it is open), ``close`` abandons it if the import stops.
        """
        if self._copy is None:
            block = self.raw.copy(self.copy_sql)
            self._copy = block.__enter__()
            self._copy_block = block
        self._copy.write(copy_text(rows, self.tail))

    def settle(self) -> None:
        block, self._copy_block, self._copy = self._copy_block, None, None
        if block is not None:
            block.__exit__(None, None, None)

    def close(self) -> None:
        block, self._copy_block, self._copy = self._copy_block, None, None
        try:
            if block is not None:
                # Only when the import stopped (``finish`` settles): abandon the rows still being sent.
                # The error that stopped it is the one to report, so a failure here is not raised.
                with contextlib.suppress(Exception):
                    block.__exit__(RuntimeError, RuntimeError("import stopped"), None)
        finally:
            super().close()

    def update(self, rows: list[tuple]) -> None:
        now = self.now
        self.raw.executemany(self.update_sql, [(*row[:-1], now, row[-1]) for row in rows])

    def repair_digests(self, rows: list[tuple[int, int]]) -> None:
        self.raw.executemany(self.repair_sql, rows)


# PostgreSQL's COPY text format: a column's kind in a row (key, *DATA_FIELDS, draw_digest).
_COPY_KINDS = (
    "text",
    *(
        "date" if f == "founded" else "flag" if f in _FLAGS else "int" if f == "complaint_count" else "text"
        for f in DATA_FIELDS
    ),
    "int",
)
_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_text(rows: list[tuple], tail: tuple[int, dt.datetime]) -> str:
    """The rows (and ``tail``: organisation id and time) as PostgreSQL ``COPY … FROM STDIN`` text.

    What ``copy.write_row`` would send, formatted a column at a time: a text column is escaped
    (backslash, tab, newline, carriage return) only when one of them occurs in it, ``None`` is
    ``\\N``, a date is ISO 8601, a flag ``t`` or ``f``; then the rows are joined at once.
    """
    n = len(rows)
    columns: list[list[str]] = []
    for kind, column in zip(_COPY_KINDS, zip(*rows, strict=True), strict=True):
        if kind == "text":
            given = [v for v in column if v is not None]
            joined = "\x1f".join(given)
            values: list[Any] = list(column)
            if any(c in joined for c in _COPY_SPECIAL):
                values = [None if v is None else _copy_escape(v) for v in values]
            if len(given) != n:
                values = ["\\N" if v is None else v for v in values]
        elif kind == "date":
            values = ["\\N" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in column]
        elif kind == "flag":
            values = ["t" if v else "f" for v in column]
        else:
            values = (
                list(map(str, map(int, column)))
                if None not in column
                else ["\\N" if v is None else str(int(v)) for v in column]
            )
        columns.append(values)
    # The organisation and the time are the same on every line: one ending, joined in.
    ending = f"\t{int(tail[0])}\t{tail[1].isoformat()}\n"
    return ending.join(map("\t".join, zip(*columns, strict=True))) + ending if n else ""


def _writer(org_id: int, now: dt.datetime) -> _Writer:
    if connection.vendor == "postgresql":
        return _PostgresWriter(org_id, now)
    if connection.vendor == "sqlite":
        return _SqliteWriter(org_id, now)
    raise NotImplementedError(f"no import writer for {connection.vendor}")


# --- the pass -----------------------------------------------------------------------------------


def _field_slots(given: int, cache: dict[int, tuple[int, ...]]) -> tuple[int, ...]:
    slots = cache.get(given)
    if slots is None:
        slots = cache[given] = tuple(i for i in range(len(DATA_FIELDS)) if given >> i & 1)
    return slots


def _run(source, rows, validator, organisation, result, sink, actor, job, filename, progress) -> None:
    now = timezone.now()
    reason = f"import {filename}"[:300]
    org_id = organisation.pk
    actor_or_none = actor if getattr(actor, "pk", None) else None
    writing = True
    xlsx = source.kind == "xlsx"
    slot_cache: dict[int, tuple[int, ...]] = {}
    lines: list[int] = []
    givens: list[int] = []
    batch: list[tuple] = []
    new_rows = 0

    def report(done_line: int, position: int, force: bool = False) -> None:
        if progress is None:
            return
        if xlsx:
            progress(done_line, 0, f"{result.rows}", force=force)
        else:
            done = source.size if force else position
            progress(done, source.size, f"{result.rows}", force=force)

    def duplicate(line: int, key: str) -> None:
        nonlocal writing
        sink.add(
            RowError(
                line,
                validator.key_header,
                "duplicate_in_directory",
                "该代码已在其他单位的检查对象名录库中",
                "This code is already in another organisation's directory",
                key,
            )
        )
        result.bad_rows += 1
        writing = writing and result.mode == "good_rows"

    def flush(writer: _Writer, may_exist: bool, position: int) -> None:
        nonlocal new_rows
        if may_exist:
            writer.settle()
        existing = writer.lookup([values[0] for values in batch]) if may_exist else {}
        if existing:
            inserts: list[tuple] = []
            updates: list[tuple] = []
            repairs: list[tuple[int, int]] = []
            changes: list[TargetChange] = []
            for line, given, values in zip(lines, givens, batch, strict=True):
                old = existing.get(values[0])
                if old is None:
                    inserts.append(values)
                    continue
                if old[1] != org_id:
                    duplicate(line, values[0])
                    continue
                stored: list[Any] | None = None
                before: dict[str, Any] = {}
                after: dict[str, Any] = {}
                for i in _field_slots(given, slot_cache):
                    new = values[1 + i]
                    cur = old[_OLD_FIELDS + i]
                    if cur == new and type(cur) is type(new):
                        continue
                    name = DATA_FIELDS[i]
                    if isinstance(cur, dt.date) and isinstance(new, str):
                        cur = cur.isoformat()  # SQLite: the driver reads dates back as dates
                    elif name in _FLAGS and cur is not None:
                        cur = bool(cur)
                    if cur == new:
                        continue
                    if stored is None:
                        stored = list(old[_OLD_FIELDS:_OLD_DIGEST])
                    before[name] = _comparable(cur)
                    after[name] = _comparable(new)
                    stored[i] = new
                if stored is not None:
                    updates.append((*stored, values[_NEW_DIGEST], old[0]))
                    changes.append(
                        TargetChange(
                            target_id=old[0],
                            job=job,
                            before=audit.canonical_json(before),
                            after=audit.canonical_json(after),
                            actor=actor_or_none,
                            reason=reason,
                        )
                    )
                elif old[_OLD_DIGEST] != values[_NEW_DIGEST]:
                    repairs.append((values[_NEW_DIGEST], old[0]))
                    result.unchanged += 1
                else:
                    result.unchanged += 1
        else:
            inserts, updates, repairs, changes = batch, [], [], []
        new_rows += len(inserts)
        if writing:
            if inserts:
                done = position if not xlsx else 0
                expected = new_rows * source.size // done if done else new_rows
                writer.consider_bulk(expected)
                writer.insert(inserts)
            if updates or repairs or changes:
                writer.settle()
            if updates:
                writer.update(updates)
            if repairs:
                writer.repair_digests(repairs)
            if changes:
                TargetChange.objects.bulk_create(changes, batch_size=500)
        result.created += len(inserts)
        result.updated += len(updates)

    with checkpoint.deferred():
        try:
            with transaction.atomic():
                writer = _writer(org_id, now)
                try:
                    may_exist = writer.begin()
                    line = 1
                    reading = checked_batches(source, rows, validator)
                    with reading as batches:
                        for line, position, checked, digests in batches:
                            result.rows += len(checked.lines) + checked.bad
                            if checked.bad:
                                result.bad_rows += checked.bad
                                for error in checked.errors:
                                    sink.add(error)
                                if result.mode == "all_or_nothing":
                                    writing = False
                            if checked.lines:
                                lines, givens = checked.lines, checked.givens
                                batch = list(zip(*checked.columns, digests, strict=True))
                                flush(writer, may_exist, position)
                            report(line, position)
                    report(line, 0, force=True)
                    result.reader_peak_mb = round(reading.reader_peak_kib / 1024, 1)
                    if not writing or (result.mode == "all_or_nothing" and result.bad_rows):
                        raise _Rollback
                    writer.finish()
                    result.committed = True
                    _record(organisation, result, job, filename, actor)
                finally:
                    writer.close()
        except _Rollback:
            result.committed = False
        if result.committed:
            _index_names(writer.bulk, result, progress)


def _index_names(bulk: bool, result: ImportResult, progress: Callable[..., None] | None) -> None:
    """After the commit: a bulk load's new names join the portal's search index.

    On SQLite in WAL mode (``directory/checkpoint.py``) the import's pages are copied from
    the log into the database by a second connection meanwhile, and what the index added
    is copied at the end, still within the import.
    """
    copying = checkpoint.Beside()
    try:
        if bulk:

            def indexing(done: int, total: int) -> None:
                if progress is not None:
                    progress(done, total, "正在更新名称检索索引 / updating the name search index", force=True)

            started = time.perf_counter()
            namesearch.catch_up(indexing)
            result.name_index_seconds = round(time.perf_counter() - started, 3)
    finally:
        result.checkpoint = copying.join()
    checkpoint.now()

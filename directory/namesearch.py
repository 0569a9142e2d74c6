"""Name "contains" search on SQLite: a trigram full-text index beside the directory.

A citizen looking a firm up types part of its name (``鑫源食品``), not its
start. A ``LIKE '%…%'`` scan reads every name in the directory (about 90 ms at
1,000,000 firms, 240 ms when nothing matches), so on SQLite the names are also
kept in an FTS5 table with the ``trigram`` tokenizer, ``directory_target_name``,
whose rowid is the target's id. A query of three characters or more is a phrase
match on that table, which answers from the index in well under a millisecond.
(PostgreSQL has the ``pg_trgm`` GIN index of migration 0005 instead; nothing
here runs there.)

Keeping the index true:

* Triggers on ``directory_target`` index each inserted row, re-index a row whose
  name changes, and drop a deleted row, in the writer's own transaction. The
  insert trigger also moves the mark (below) on when the new id is the next one.
* A bulk load (an import of ``BULK_MIN_ROWS`` or more, or the demo data) turns
  the insert trigger off for its transaction with :func:`deferred` and
  indexes the new rows afterwards, in chunks, with :func:`catch_up`: once for
  the whole batch is several times cheaper than row by row.
* ``directory_target_name_mark`` holds one number, ``upto``: every target whose
  id is at most ``upto`` is in the index. Rows above it may not be (a bulk load
  whose catch-up has not finished, or was interrupted), so a search also scans
  those rows, and only those, with ``LIKE``. The answer is therefore always
  complete; only its speed depends on the catch-up having run.
  ``manage.py index_names`` runs a catch-up by hand.

Queries shorter than three characters cannot use trigrams and scan the names.

Where SQLite lacks FTS5 or the trigram tokenizer (before 3.34), migration 0007 creates
nothing and every "contains" search scans, as on a database without the index.

A later migration that makes SQLite rebuild ``directory_target`` (most
``AlterField`` operations do) drops its triggers with the old table: such a
migration must run :data:`SETUP`'s trigger statements again.
``test_the_migrations_leave_the_index_and_its_three_triggers`` fails until it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

TABLE = "directory_target"
FTS = "directory_target_name"
MARK = "directory_target_name_mark"
INSERT_TRIGGER = "directory_target_name_ai"
CHUNK = 100_000
#: A trigram needs three characters.
MIN_QUERY = 3

INSERT_TRIGGER_SQL = (
    f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT OR REPLACE INTO {FTS}(rowid, name) VALUES (new.id, new.name); "
    f"UPDATE {MARK} SET upto = new.id WHERE id = 1 AND upto = new.id - 1; END"
)

SETUP = [
    # columnsize=0: no per-row token counts (used only for ranking, which a filter does not need).
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(name, tokenize = 'trigram', columnsize = 0)",
    f"CREATE TABLE IF NOT EXISTS {MARK} (id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL)",
    f"INSERT OR IGNORE INTO {MARK} (id, upto) VALUES (1, 0)",
    INSERT_TRIGGER_SQL,
    f"CREATE TRIGGER directory_target_name_au AFTER UPDATE OF name ON {TABLE} "
    f"WHEN old.name IS NOT new.name BEGIN "
    f"DELETE FROM {FTS} WHERE rowid = old.id; "
    f"INSERT INTO {FTS}(rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER directory_target_name_ad AFTER DELETE ON {TABLE} BEGIN "
    f"DELETE FROM {FTS} WHERE rowid = old.id; END",
]

TEARDOWN = [
    "DROP TRIGGER IF EXISTS directory_target_name_ad",
    "DROP TRIGGER IF EXISTS directory_target_name_au",
    f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}",
    f"DROP TABLE IF EXISTS {MARK}",
    f"DROP TABLE IF EXISTS {FTS}",
]


def available() -> bool:
    """True where the index exists: SQLite, once directory migration 0007 has run."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [MARK])
        return cursor.fetchone() is not None


def mark() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT upto FROM {MARK} WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def suspend() -> None:
    """Inside a transaction: rows inserted from now on are not indexed one by one.

    The mark is lowered to the highest id stored so far, so that the new rows
    are found by the search's scan until :func:`catch_up` indexes them (call it
    after the commit). Call :func:`resume` before the transaction ends; a
    rollback restores the trigger with everything else.
    """
    if not available():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}")
        highest = int(cursor.fetchone()[0])
        cursor.execute(f"UPDATE {MARK} SET upto = min(upto, %s) WHERE id = 1", [highest])
        cursor.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")


def resume() -> None:
    if not available():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")
        cursor.execute(INSERT_TRIGGER_SQL)


@contextmanager
def deferred() -> Iterator[None]:
    """:func:`suspend` for the block, :func:`resume` at its end (inside one transaction)."""
    suspend()
    try:
        yield
    finally:
        resume()


def catch_up(progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK) -> int:
    """Index every target above the mark, ``chunk`` ids per transaction; returns how many.

    Each chunk moves the mark in the same transaction as its rows, so an
    interrupted catch-up leaves a true mark and the next one goes on from it.
    ``progress(done, total)`` is called after each chunk.
    """
    if not available():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT upto FROM {MARK} WHERE id = 1")
        upto = int(cursor.fetchone()[0])
        cursor.execute(f"SELECT coalesce(max(id), 0), count(*) FROM {TABLE} WHERE id > %s", [upto])
        highest, total = (int(v) for v in cursor.fetchone())
    done = 0
    while upto < highest:
        end = min(upto + chunk, highest)
        with transaction.atomic(), connection.cursor() as cursor:
            # Rows of the range that a trigger already indexed go first: a plain INSERT is cheaper than
            # INSERT OR REPLACE, which looks every row up.
            cursor.execute(f"DELETE FROM {FTS} WHERE rowid > %s AND rowid <= %s", [upto, end])
            cursor.execute(
                f"INSERT INTO {FTS}(rowid, name) SELECT id, name FROM {TABLE} WHERE id > %s AND id <= %s",
                [upto, end],
            )
            done += max(cursor.rowcount, 0)
            cursor.execute(f"UPDATE {MARK} SET upto = %s WHERE id = 1 AND upto = %s", [end, upto])
        upto = end
        if progress:
            progress(min(done, total), total)
    return done


def clear() -> None:
    """Empty the index and its mark (searches scan until :func:`catch_up` has run again)."""
    if not available():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS}")
        cursor.execute(f"UPDATE {MARK} SET upto = 0 WHERE id = 1")


def contains_ids(query: str, limit: int) -> list[int]:
    """The ids of the first ``limit`` targets (by id) whose name contains ``query``.

    ``query`` must be at least :data:`MIN_QUERY` characters; the caller checks
    :func:`available`.
    """
    phrase = '"' + query.replace('"', '""') + '"'
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rowid LIMIT %s", [phrase, limit])
        indexed = [r[0] for r in cursor.fetchall()]
        cursor.execute(
            f"SELECT id FROM {TABLE} WHERE id > (SELECT upto FROM {MARK} WHERE id = 1) "
            f"AND name LIKE %s ESCAPE '\\' ORDER BY id LIMIT %s",
            [like, limit],
        )
        tail = [r[0] for r in cursor.fetchall()]
    if not tail:
        return indexed
    return sorted(set(indexed) | set(tail))[:limit]

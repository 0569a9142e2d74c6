"""SQLite: a large import's write-ahead log copied into the database beside other work.

In WAL mode a commit appends the changed pages to the log, and the connection
that commits then copies them into the database file (an automatic checkpoint,
once the log holds more than ``wal_autocheckpoint`` pages). After an import of a
million rows that copy is most of a gigabyte and takes seconds, during which the
importing connection does nothing else, and the name search index is built only
after it.

:func:`deferred` turns the automatic checkpoint off for the importing connection
for the whole import, :class:`Beside` runs the checkpoint of the import's pages
from a second connection, in a thread, while the importing connection builds the
name index, and :func:`now` copies the index's own pages at the end, so that the
import leaves no more in the log than it found and no later commit of someone
else pays for it. Readers are never blocked (a ``PASSIVE`` checkpoint takes no lock that a
reader or the writer waits for); the data are committed before the checkpoint
starts, so nothing depends on it; a checkpoint that fails or finds the log busy
leaves the pages in the log, where readers find them, until the next automatic
checkpoint copies them.

Nothing here runs on PostgreSQL or on a database that is not in WAL mode (the
in-memory test databases).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def _wal_file() -> str | None:
    """The database file when the default connection is SQLite in WAL mode, else None."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        files = cursor.execute("PRAGMA database_list").fetchall()
    path = next((f for _, name, f in files if name == "main"), "")
    return path if str(mode).lower() == "wal" and path else None


@contextmanager
def deferred() -> Iterator[bool]:
    """No automatic checkpoint on this connection for the block; yields whether it was in force.

    The previous setting is restored at the end, whatever happens.
    """
    if _wal_file() is None:
        yield False
        return
    with connection.cursor() as cursor:
        saved = int(cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {saved}")


class Beside:
    """A ``PASSIVE`` checkpoint of the database run by a second connection in a thread.

    ``join`` waits for it and returns ``(busy, log_frames, checkpointed_frames)`` as
    SQLite reports them, or None where there was nothing to do (not SQLite in WAL
    mode) or the checkpoint failed (the log then stays as it is; see the module).
    """

    def __init__(self) -> None:
        self.path = _wal_file()
        self.outcome: tuple[int, int, int] | None = None
        self.thread: threading.Thread | None = None
        if self.path is not None:
            self.thread = threading.Thread(target=self._run, name="suiji-checkpoint", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=20)
            try:
                row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.outcome = (int(row[0]), int(row[1]), int(row[2]))
            finally:
                db.close()
        except sqlite3.Error:
            self.outcome = None

    def join(self) -> tuple[int, int, int] | None:
        if self.thread is not None:
            self.thread.join()
        return self.outcome


def now() -> None:
    """A ``PASSIVE`` checkpoint on this connection (nothing where there is no log)."""
    if _wal_file() is not None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")

"""The write-ahead log of a large import is copied into the database from a second connection."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from directory import checkpoint

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite only: PostgreSQL has no write-ahead log checkpoint to defer"
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def file_db(tmp_path, monkeypatch):
    """The module's connection pointed at a database file in WAL mode (the tests' own is in memory)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings = {**connection.settings_dict, "NAME": str(tmp_path / "wal.sqlite3")}
    wrapper = DatabaseWrapper(settings, alias="checkpoint-test")
    monkeypatch.setattr(checkpoint, "connection", wrapper)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    yield wrapper, tmp_path / "wal.sqlite3"
    wrapper.close()


def _fill(wrapper, n=100_000):
    with wrapper.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.executemany("INSERT INTO t (name) VALUES (%s)", [(f"名称{i:06d}" * 4,) for i in range(n)])
        cursor.execute("COMMIT")


def test_the_log_is_left_to_the_second_connection_which_copies_all_of_it(file_db):
    wrapper, path = file_db
    with wrapper.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        before = cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    with checkpoint.deferred() as on:
        assert on is True
        _fill(wrapper)
        # Nothing was copied at the commit: a fresh reader sees the rows, the database file alone does not.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 100_000
        size_before = path.stat().st_size
        busy, frames, copied = checkpoint.Beside().join()
        assert busy == 0 and frames > 1000 and copied == frames
        assert path.stat().st_size > size_before + 500_000
        # What is written after that copy stays in the log until ``now`` copies it, on this connection.
        _fill(wrapper)
        size_between = path.stat().st_size
        checkpoint.now()
        assert path.stat().st_size > size_between + 500_000
    with wrapper.cursor() as cursor:
        assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == before


def test_the_setting_is_restored_when_the_block_fails(file_db):
    wrapper, _ = file_db
    with pytest.raises(RuntimeError), checkpoint.deferred():
        raise RuntimeError("import failed")
    with wrapper.cursor() as cursor:
        assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_nothing_happens_on_a_database_without_a_log():
    # The tests' own database is in memory: no file, no write-ahead log.
    with checkpoint.deferred() as on:
        assert on is False
    assert checkpoint.Beside().join() is None

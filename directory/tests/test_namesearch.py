"""The SQLite name search index: kept true by triggers, by bulk loads and their catch-up."""

import random

import pytest
from django.core.management import call_command
from django.db import connection

from core.uscc import make_uscc
from directory import namesearch
from directory.importing.runner import run_import
from directory.models import Target
from directory.tests.test_import import HEADER, good_lines, keys, write
from portal.search import search_firms

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the FTS5 name index exists on SQLite only; PostgreSQL answers from its pg_trgm index",
)


def indexed() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, name FROM {namesearch.FTS}")
        return dict(cursor.fetchall())


def triggers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'directory_target'")
        return sorted(r[0] for r in cursor.fetchall())


def firm(world, name, seed):
    return Target.objects.create(
        organisation=world.county,
        key=make_uscc(random.Random(seed), "9", "1", "411722"),
        name=name,
        kind="enterprise",
    )


@sqlite_only
def test_the_migrations_leave_the_index_and_its_three_triggers(db):
    assert namesearch.available()
    assert triggers() == ["directory_target_name_ad", "directory_target_name_ai", "directory_target_name_au"]


@sqlite_only
def test_writes_through_the_orm_keep_the_index_true(world):
    a = firm(world, "上蔡县鑫源食品有限公司", 1)
    firm(world, "上蔡县华盛商贸有限公司", 2)
    assert indexed()[a.pk] == a.name
    assert namesearch.contains_ids("鑫源食品", 10) == [a.pk]
    a.name = "上蔡县恒达农业科技有限公司"
    a.save()
    assert namesearch.contains_ids("鑫源食品", 10) == []
    assert namesearch.contains_ids("恒达农业", 10) == [a.pk]
    a.delete()
    assert namesearch.contains_ids("恒达农业", 10) == []
    assert a.pk not in indexed()


@sqlite_only
def test_rows_loaded_with_the_trigger_off_are_found_before_and_after_the_catch_up(world):
    from django.db import transaction

    before = firm(world, "上蔡县蔡都鑫源食品店", 3)
    with transaction.atomic(), namesearch.deferred():
        loaded = [firm(world, f"上蔡县黄埠鑫源食品{i}店", 10 + i) for i in range(5)]
    assert "directory_target_name_ai" in triggers()  # back after the block
    assert not set(indexed()) & {t.pk for t in loaded}
    assert namesearch.mark() == before.pk
    expected = [before.pk, *(t.pk for t in loaded)]
    assert namesearch.contains_ids("鑫源食品", 10) == expected  # the rows above the mark are scanned
    assert namesearch.contains_ids("鑫源食品", 3) == expected[:3]
    progress = []
    assert namesearch.catch_up(lambda done, total: progress.append((done, total)), chunk=2) == 5
    assert progress[-1] == (5, 5) and len(progress) == 3
    assert namesearch.mark() == loaded[-1].pk
    assert {t.pk for t in loaded} <= set(indexed())
    assert namesearch.contains_ids("鑫源食品", 10) == expected
    assert namesearch.catch_up() == 0
    with connection.cursor() as cursor:  # a mark left behind rows the triggers already indexed
        cursor.execute(f"UPDATE {namesearch.MARK} SET upto = 0")
    assert namesearch.catch_up() == 6  # indexed again, not twice
    assert namesearch.contains_ids("鑫源食品", 10) == expected and len(indexed()) == 6


@sqlite_only
def test_a_rolled_back_load_leaves_the_trigger(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic(), namesearch.deferred():
        firm(world, "上蔡县芦岗华盛商贸店", 20)
        raise RuntimeError
    assert "directory_target_name_ai" in triggers()
    t = firm(world, "上蔡县芦岗华盛商贸店", 21)
    assert namesearch.contains_ids("华盛商贸", 10) == [t.pk]


@sqlite_only
def test_query_text_is_a_phrase_never_syntax(world):
    odd = firm(world, '上蔡县"引号" OR 100%_公司', 30)
    firm(world, "上蔡县百分号公司", 31)
    assert namesearch.contains_ids('"引号" OR', 10) == [odd.pk]
    assert namesearch.contains_ids("100%_", 10) == [odd.pk]
    assert namesearch.contains_ids("NEAR(a b)", 10) == []
    assert search_firms("0%_公").firms[0]["id"] == odd.pk


@sqlite_only
def test_a_bulk_import_indexes_its_names_after_the_commit(world, tmp_path, monkeypatch):
    from directory.importing import runner

    monkeypatch.setattr(runner, "BULK_MIN_ROWS", 10)
    ks = keys(30, seed=8)
    messages = []
    result = run_import(
        write(tmp_path, [HEADER, *good_lines(ks)]),
        world.county,
        progress=lambda done, total, message="", force=False: messages.append(message),
    )
    assert result.committed and result.created == 30
    assert any("name search index" in m for m in messages)
    assert "directory_target_name_ai" in triggers()
    stored = dict(Target.objects.values_list("id", "name"))
    assert indexed() == stored
    assert namesearch.mark() == max(stored)
    assert namesearch.contains_ids("测试17有限", 5) == [Target.objects.get(key=ks[17]).pk]


@sqlite_only
def test_portal_contains_search_uses_the_index_in_directory_order(world):
    made = [firm(world, f"上蔡县{w}鑫源食品有限公司", 40 + i) for i, w in enumerate("丙甲乙")]
    page = search_firms("鑫源食品")
    assert page.mode == "contains"
    assert [f["id"] for f in page.firms] == [t.pk for t in made]  # by id, not by name
    short = search_firms("鑫源")  # two characters: no trigram, a scan in name order
    assert short.mode == "contains"
    assert [f["name"] for f in short.firms] == sorted(t.name for t in made)


@sqlite_only
def test_index_names_command_catches_up_and_rebuilds(world, capsys):
    t = firm(world, "上蔡县东岸恒达食品店", 50)
    namesearch.clear()
    assert namesearch.contains_ids("恒达食品", 5) == [t.pk]  # scanned: the mark is 0
    call_command("index_names", "--rebuild")
    assert capsys.readouterr().out.strip().endswith(f"indexed=1 mark={t.pk}")
    assert indexed() == {t.pk: t.name}


@pytest.mark.skipif(connection.vendor == "sqlite", reason="checks the PostgreSQL side; runs in the PostgreSQL suite")
def test_postgresql_has_no_sqlite_index_and_still_finds_by_contains(world, capsys):
    assert not namesearch.available()
    t = firm(world, "上蔡县西岸鑫源食品店", 60)
    assert namesearch.catch_up() == 0
    assert [f["id"] for f in search_firms("鑫源食品").firms] == [t.pk]
    call_command("index_names")
    assert "nothing to do" in capsys.readouterr().out

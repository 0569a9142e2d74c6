"""Importing the target directory: encodings, Excel, headers, every bad-row kind, modes, upserts, export."""

import io
import json
import random

import pytest
from django.core.management import call_command

from core.models import AuditEntry
from core.uscc import make_uscc
from directory.importing.export import write_csv, write_xlsx
from directory.importing.runner import run_import
from directory.models import Target, TargetChange

HEADER = (
    "统一社会信用代码,企业名称,住所,经营范围,行业代码,所属区域,"
    "信用风险分类,登记状态,成立日期,是否列入经营异常名录,投诉举报次数"
)


def keys(n, seed=1):
    rng = random.Random(seed)
    return [make_uscc(rng, "9", "1", "411722") for _ in range(n)]


def good_lines(ks):
    return [
        f"{k},上蔡县测试{i}有限公司,上蔡县蔡都镇{i}号,食品销售,C13,411722,A,存续,2020-01-0{i % 9 + 1},否,{i}"
        for i, k in enumerate(ks)
    ]


def write(tmp_path, lines, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def test_utf8_file_is_imported_with_all_fields(world, tmp_path):
    ks = keys(3)
    result = run_import(write(tmp_path, [HEADER, *good_lines(ks)]), world.county)
    assert result.committed and result.created == 3 and result.error_count == 0
    t = Target.objects.get(key=ks[1])
    assert (t.name, t.industry_id, t.region_id, t.credit_class, t.status) == (
        "上蔡县测试1有限公司",
        "13",
        "411722",
        "A",
        "active",
    )
    assert t.founded.isoformat() == "2020-01-02" and t.complaint_count == 1 and t.organisation == world.county


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_bom_and_gbk_files(world, tmp_path, encoding):
    ks = keys(2)
    result = run_import(write(tmp_path, [HEADER, *good_lines(ks)], encoding=encoding), world.county)
    assert result.committed and result.created == 2, result.as_dict()
    assert Target.objects.get(key=ks[0]).name == "上蔡县测试0有限公司"


def test_xlsx_file(world, tmp_path):
    from openpyxl import Workbook

    ks = keys(2)
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "主体名称", "成立日期", "行业代码", "投诉举报次数"])
    import datetime as dt

    ws.append([ks[0], "甲公司", dt.datetime(2019, 5, 6), 1310, 2])
    ws.append([ks[1], "乙公司", "2018年3月4日", "C13", None])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    result = run_import(path, world.county)
    assert result.committed and result.created == 2, result.as_dict()
    a = Target.objects.get(key=ks[0])
    assert a.founded.isoformat() == "2019-05-06" and a.industry_id == "13" and a.complaint_count == 2
    assert Target.objects.get(key=ks[1]).founded.isoformat() == "2018-03-04"


def test_header_synonyms_and_explicit_mapping(world, tmp_path):
    ks = keys(2)
    lines = [
        "信用代码（注册号）,单位名称,经营场所,风险等级,经营者,市场主体类型,自定义代码",
        f"{ks[0]},甲,某地,高风险,张三,个体工商户,x",
    ]
    path = write(tmp_path, ["统一社会信用代码(注册号),单位名称,经营场所,风险等级,经营者,市场主体类型,备注", lines[1]])
    assert run_import(path, world.county).created == 1
    t = Target.objects.get(key=ks[0])
    assert (t.address, t.credit_class, t.legal_representative, t.kind) == ("某地", "D", "张三", "individual")
    path = write(tmp_path, ["代码,企业,备注", f"{ks[1]},乙,x"], name="m.csv")
    result = run_import(path, world.county, overrides={"代码": "key", "企业": "name", "备注": "-"})
    assert result.created == 1 and Target.objects.filter(key=ks[1]).exists()


def test_every_bad_row_kind_is_reported_with_line_and_column(world, tmp_path):
    ks = keys(8)
    other = Target.objects.create(organisation=world.other_county, key=ks[7], name="西平")
    bad_check = ks[0][:17] + ("0" if ks[0][17] != "0" else "1")
    lines = [
        HEADER,
        f"{bad_check},甲,,,,,,,,,",
        f"{ks[1]},乙,,,,,,,,,",
        f"{ks[1]},乙重复,,,,,,,,,",
        f"{ks[2]},,,,,,,,,,",
        f"{ks[3]},丙,,,C99,999999,E,不明,2020-13-45,也许,-1",
        f"{ks[4]},丁",
        f"{other.key},戊,,,,,,,,,",
        ",无代码,,,,,,,,,",
    ]
    result = run_import(write(tmp_path, lines), world.county, mode="good_rows")
    got = {(e["line"], e["column"], e["reason"]) for e in result.errors}
    expected = {
        (2, "统一社会信用代码", "key_check_char"),
        (4, "统一社会信用代码", "duplicate_in_file"),
        (5, "企业名称", "missing_name"),
        (6, "行业代码", "unknown_industry"),
        (6, "所属区域", "unknown_region"),
        (6, "信用风险分类", "unknown_class"),
        (6, "登记状态", "unknown_status"),
        (6, "成立日期", "bad_date"),
        (6, "是否列入经营异常名录", "bad_flag"),
        (6, "投诉举报次数", "bad_number"),
        (7, "住所", "short_row"),
        (8, "统一社会信用代码", "duplicate_in_directory"),
        (9, "统一社会信用代码", "missing_key"),
    }
    assert got == expected
    assert all(e["message_zh"] and e["message_en"] for e in result.errors)
    assert result.committed and result.created == 1 and result.bad_rows == 7
    assert set(Target.objects.values_list("key", flat=True)) == {ks[1], other.key}
    assert Target.objects.get(key=other.key).organisation == world.other_county


def test_all_or_nothing_stores_nothing_when_a_row_is_bad(world, tmp_path):
    ks = keys(3)
    lines = [HEADER, *good_lines(ks[:2]), f"{ks[2]},,,,,,,,,,"]
    before = AuditEntry.objects.count()
    result = run_import(write(tmp_path, lines), world.county, mode="all_or_nothing")
    assert not result.committed and result.as_dict()["created"] == 0
    assert [e["reason"] for e in result.errors] == ["missing_name"]
    assert Target.objects.count() == 0
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1 and "nothing stored" in entry.reason


def test_reimport_updates_and_records_changes(world, tmp_path):
    ks = keys(3)
    path = write(tmp_path, [HEADER, *good_lines(ks)])
    run_import(path, world.county)
    lines = good_lines(ks)
    lines[0] = lines[0].replace(",A,", ",D,").replace("蔡都镇0号", "蔡都镇新址")
    result = run_import(write(tmp_path, [HEADER, *lines], name="2.csv"), world.county, actor=world.users["coordinator"])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Target.objects.count() == 3
    change = TargetChange.objects.get()
    assert change.target.key == ks[0] and change.actor == world.users["coordinator"]
    assert json.loads(change.before) == {"address": "上蔡县蔡都镇0号", "credit_class": "A"}
    assert json.loads(change.after) == {"address": "上蔡县蔡都镇新址", "credit_class": "D"}
    assert Target.objects.get(key=ks[0]).credit_class == "D"


def test_an_import_in_many_batches_streams_them_and_stops_cleanly(world, tmp_path, monkeypatch):
    """Batches of two rows: on PostgreSQL one COPY stays open across them, and is ended before a
    look-up or an update, and abandoned when the import stops; nothing half written either way."""
    from directory.importing import runner

    monkeypatch.setattr(runner, "BATCH", 2)
    ks = keys(7, seed=11)
    # Into the empty directory, a bad row in the third batch: the two batches already sent are abandoned.
    lines = good_lines(ks)
    lines[5] = f"{ks[5]},,,,,,,,,,"
    result = run_import(write(tmp_path, [HEADER, *lines], name="0.csv"), world.county, mode="all_or_nothing")
    assert not result.committed and [e["reason"] for e in result.errors] == ["missing_name"]
    assert Target.objects.count() == 0
    result = run_import(write(tmp_path, [HEADER, *good_lines(ks[:5])]), world.county)
    assert result.committed and result.created == 5 and Target.objects.count() == 5
    # A bad row in the fourth batch, all or nothing: the rows already sent are abandoned.
    lines = good_lines(ks[5:]) + good_lines(ks[:5])
    lines[6] = f"{ks[4]},,,,,,,,,,"
    result = run_import(write(tmp_path, [HEADER, *lines], name="2.csv"), world.county, mode="all_or_nothing")
    assert not result.committed and [e["reason"] for e in result.errors] == ["missing_name"]
    assert Target.objects.count() == 5 and not Target.objects.filter(key__in=ks[5:]).exists()
    # The connection is usable afterwards, and a mixed file (new rows, changed rows) goes in whole.
    lines = good_lines(ks)
    lines[1] = lines[1].replace(",A,", ",C,")
    result = run_import(write(tmp_path, [HEADER, *lines], name="3.csv"), world.county, actor=world.users["coordinator"])
    assert (result.created, result.updated, result.unchanged) == (2, 1, 4)
    assert Target.objects.count() == 7 and Target.objects.get(key=ks[1]).credit_class == "C"
    assert TargetChange.objects.filter(target__key=ks[1]).count() == 1


def fail_write(monkeypatch, n: int) -> list[int]:
    """Make the ``n``-th batch written (formatted for ``COPY`` on PostgreSQL, inserted on SQLite) raise
    ``ValueError("disk on fire")``; returns the list that counts the batches."""
    from directory.importing import runner

    calls: list[int] = []

    def failing(original):
        def wrapper(*args):
            calls.append(1)
            if len(calls) == n:
                raise ValueError("disk on fire")
            return original(*args)

        return wrapper

    monkeypatch.setattr(runner, "copy_text", failing(runner.copy_text))
    monkeypatch.setattr(runner._SqliteWriter, "insert", failing(runner._SqliteWriter.insert))
    return calls


def test_an_error_while_rows_are_being_sent_is_the_one_reported_and_nothing_is_stored(world, tmp_path, monkeypatch):
    """The third batch fails while earlier ones are sent (on PostgreSQL, into the open COPY)."""
    from directory.importing import runner

    monkeypatch.setattr(runner, "BATCH", 2)
    calls = fail_write(monkeypatch, 3)
    with pytest.raises(ValueError, match="disk on fire"):
        run_import(write(tmp_path, [HEADER, *good_lines(keys(7, seed=12))]), world.county)
    assert len(calls) == 3 and Target.objects.count() == 0
    monkeypatch.undo()
    assert run_import(write(tmp_path, [HEADER, *good_lines(keys(2, seed=13))], name="2.csv"), world.county).created == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("名称,住所\n甲,乙\n".encode(), "missing_key_column"),
        (b"\xff\xfe\xfa\xfb\x80\x81\xfe\xff" * 10, "encoding"),
    ],
)
def test_unreadable_files_give_a_clear_message_and_change_nothing(world, tmp_path, content, reason):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = run_import(path, world.county)
    assert result.fatal["reason"] == reason and result.fatal["message_zh"] and not result.committed
    assert Target.objects.count() == 0


def test_hostile_text_is_stored_as_text_and_escaped_in_pages(world, tmp_path, client):
    ks = keys(1)
    path = write(tmp_path, ["统一社会信用代码,企业名称", f'{ks[0]},"<script>alert(1)</script>公司"'])
    assert run_import(path, world.county).created == 1
    assert Target.objects.get().name == "<script>alert(1)</script>公司"
    client.force_login(world.users["coordinator"])
    page = client.get("/directory/targets/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_backslashes_tabs_line_breaks_and_empty_cells_are_stored_exactly(world, tmp_path):
    """What the bulk writers send (PostgreSQL's COPY text, SQLite's parameters) keeps every character."""
    import csv

    ks = keys(3, seed=5)
    rows = [
        [ks[0], "甲\\乙\\N公司", "住所\t一号", "第一行\n第二行\r\n第三行", "C13", "411722", "A", "存续", "", "是", "0"],
        [ks[1], "\\N", "", "", "", "", "B", "存续", "2020-01-02", "否", ""],
        [ks[2], "丙公司\\", "\\.", "tab\tand\\t", "C13", "411722", "C", "存续", "2019-12-31", "否", "3"],
    ]
    path = tmp_path / "odd.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER.split(","))
        writer.writerows(rows)
    result = run_import(path, world.county)
    assert result.committed and result.created == 3 and result.error_count == 0, result.errors
    stored = {t.key: t for t in Target.objects.all()}
    assert (stored[ks[0]].name, stored[ks[0]].address) == ("甲\\乙\\N公司", "住所\t一号")
    assert stored[ks[0]].business_scope == "第一行\n第二行\r\n第三行" and stored[ks[0]].founded is None
    assert (stored[ks[1]].name, stored[ks[1]].address, stored[ks[1]].region_id) == ("\\N", "", None)
    assert stored[ks[1]].industry_id is None and stored[ks[1]].complaint_count == 0
    third = stored[ks[2]]
    assert (third.name, third.address, third.business_scope) == ("丙公司\\", "\\.", "tab\tand\\t")
    assert stored[ks[0]].abnormal_operation is True and stored[ks[2]].founded.isoformat() == "2019-12-31"


def test_copy_text_escapes_what_postgresql_reads_specially():
    import datetime as dt

    from directory.importing.runner import copy_text

    now = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
    plain = ("K1", "名", "enterprise", "", "址", "范围", "13", None, "", None, "active", "A", True, False, 2, -5)
    odd = ("K2", "a\\b", "enterprise", "x\ty", "l1\nl2", "c\rr", None, "411722", "", dt.date(2020, 1, 2), "active",
           "B", False, True, 0, 7)  # fmt: skip
    text = copy_text([plain, odd], (9, now))
    assert text.endswith("\n") and text.count("\n") == 2
    first, second = text[:-1].split("\n")
    assert first.split("\t") == [
        "K1", "名", "enterprise", "", "址", "范围", "13", "\\N", "", "\\N", "active", "A", "t", "f", "2", "-5", "9",
        "2026-11-29T08:00:00+00:00",
    ]  # fmt: skip
    assert second.split("\t")[1:10] == [
        "a\\\\b", "enterprise", "x\\ty", "l1\\nl2", "c\\rr", "\\N", "411722", "", "2020-01-02",
    ]  # fmt: skip


def test_export_then_import_changes_nothing(world, tmp_path):
    ks = keys(4)
    lines = good_lines(ks)
    lines[1] = lines[1].replace("上蔡县测试1有限公司", "=HYPERLINK(1)公司")
    run_import(write(tmp_path, [HEADER, *lines]), world.county)
    out = io.StringIO()
    assert write_csv(Target.objects.all(), out) == 4
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    result = run_import(path, world.county)
    assert (result.created, result.updated, result.unchanged, result.error_count) == (0, 0, 4, 0), result.errors
    xlsx = tmp_path / "export.xlsx"
    with open(xlsx, "wb") as fh:
        write_xlsx(Target.objects.all(), fh)
    result = run_import(xlsx, world.county)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4), result.errors
    assert Target.objects.get(key=ks[1]).name == "=HYPERLINK(1)公司"


def test_command_prints_progress_and_summary(world, tmp_path):
    ks = keys(5)
    path = write(tmp_path, [HEADER, *good_lines(ks), f"{ks[0]},重复,,,,,,,,,"])
    out, err = io.StringIO(), io.StringIO()
    call_command("import_targets", str(path), "--organisation", str(world.county.pk), stdout=out, stderr=err)
    assert "5 created" in out.getvalue() and "1 bad rows" in out.getvalue()
    assert "line 7" in out.getvalue() and "duplicate_in_file" in out.getvalue()
    assert "import" in err.getvalue() and "100%" in err.getvalue()
    assert Target.objects.count() == 5
    exported = tmp_path / "e.xlsx"
    call_command("export_targets", "--format", "xlsx", "--output", str(exported), stderr=io.StringIO())
    assert exported.stat().st_size > 0


def test_imported_targets_carry_their_draw_digest(world, tmp_path):
    from suiji_draw import candidate_digest

    path = tmp_path / "t.csv"
    path.write_text("统一社会信用代码,企业名称\n91110000600037341L,甲公司\n", encoding="utf-8")
    run_import(path, world.county, mode="good_rows")
    target = Target.objects.get(key="91110000600037341L")
    assert target.draw_digest == candidate_digest(target.key)


def test_a_stale_or_missing_draw_digest_is_corrected_by_the_next_import(world, tmp_path):
    from suiji_draw import candidate_digest

    ks = keys(4)
    path = write(tmp_path, [HEADER, *good_lines(ks[:3])])
    run_import(path, world.county)
    # A key changed outside the directory's own paths keeps the old key's digest; another lost its digest.
    Target.objects.filter(key=ks[0]).update(key=ks[3])
    Target.objects.filter(key=ks[1]).update(draw_digest=None)
    lines = good_lines(ks)
    lines[2] = lines[2].replace(",A,", ",C,")
    moved = lines[0].replace(ks[0], ks[3])
    result = run_import(write(tmp_path, [HEADER, moved, lines[1], lines[2]], name="2.csv"), world.county)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2), result.errors
    for target in Target.objects.all():
        assert target.draw_digest == candidate_digest(target.key)
    assert TargetChange.objects.count() == 1  # a corrected digest is not a change of the firm's data


def test_the_importer_digest_is_the_engine_digest():
    from directory.importing.runner import draw_digest
    from suiji_draw import candidate_digest

    rng = random.Random(9)
    samples = [make_uscc(rng, "9", "1", "411722") for _ in range(50)]
    samples += ["411722600012345", "X", "9141172" + "2" * 20]
    for key in samples:
        assert draw_digest(key) == candidate_digest(key)
    # The batch form, on the common lengths alone and on a mix that takes the key-by-key path.
    from directory.importing.runner import draw_digests

    common = samples[:51]
    assert draw_digests(common) == [candidate_digest(k) for k in common]
    mixed = [*samples, "91411722MA4ＡＢＣ12345"]
    assert draw_digests(mixed) == [candidate_digest(k) for k in mixed]
    assert draw_digests([]) == []


def _target_indexes():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'directory_target'")
            return sorted(cursor.fetchall())
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_target'")
        indexes = cursor.fetchall()
        cursor.execute(  # the foreign keys, dropped and validated again by the bulk path
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = 'directory_target'::regclass"
        )
        return sorted(indexes + cursor.fetchall())


def test_a_large_import_rebuilds_the_indexes_and_a_rejected_one_leaves_them(world, tmp_path, monkeypatch):
    from directory.importing import runner

    monkeypatch.setattr(runner, "BULK_MIN_ROWS", 10)
    monkeypatch.setattr(runner, "BATCH", 7)
    rebuilt, kept, uniques = [], [], []
    for writer in (runner._SqliteWriter, runner._PostgresWriter):
        original = writer.finish

        def finish(self, original=original):
            rebuilt.append(len(self.dropped))
            kept.extend(getattr(self, "kept_gin", []))
            uniques.append([name for name, _ in getattr(self, "uniques", [])])
            original(self)

        monkeypatch.setattr(writer, "finish", finish)
    before = _target_indexes()
    ks = keys(40, seed=4)
    result = run_import(write(tmp_path, [HEADER, *good_lines(ks[:30])]), world.county, mode="all_or_nothing")
    assert result.committed and result.created == 30
    assert rebuilt and rebuilt[0] >= 5  # the bulk path dropped the secondary indexes, then built them again
    assert _target_indexes() == before
    assert Target.objects.filter(key__in=ks[:30], organisation=world.county).count() == 30
    assert Target.objects.get(key=ks[5]).address == "上蔡县蔡都镇5号"  # found through the rebuilt indexes
    from django.db import connection

    if connection.vendor == "postgresql" and any(row[0] == "directory_target_name_trgm" for row in before):
        # The trigram index was kept and fed while the rows streamed in: a search through it alone finds them.
        assert kept == ["directory_target_name_trgm"]
        # Into the empty directory the unique key was dropped and added back (``before`` has it).
        assert uniques == [["directory_target_key_key"]]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT key FROM directory_target WHERE name LIKE %s", ["%测试17有限%"])
            assert "directory_target_name_trgm" in " ".join(r[0] for r in cursor.fetchall())
            cursor.execute("SELECT key FROM directory_target WHERE name LIKE %s", ["%测试17有限%"])
            assert [r[0] for r in cursor.fetchall()] == [ks[17]]
    lines = [HEADER, *good_lines(ks[30:]), f"{ks[0][:17]}0,坏,,,,,,,,,"]
    result = run_import(write(tmp_path, lines, name="bad.csv"), world.county, mode="all_or_nothing")
    assert not result.committed and _target_indexes() == before
    assert Target.objects.count() == 30


def test_a_bulk_import_into_an_empty_directory_still_refuses_a_repeated_key(world, tmp_path, monkeypatch):
    """Both databases build the unique key index at the end of such an import: should a repeated key
    ever get past the validator, adding the index back fails and nothing is stored."""
    import sqlite3

    from django.db import connection

    from directory.importing import runner
    from directory.importing.validate import RowValidator

    if connection.vendor == "postgresql":
        from psycopg.errors import UniqueViolation as refused

        index = "directory_target_key_key"
    else:
        refused, index = sqlite3.IntegrityError, "UNIQUE constraint failed: directory_target.key"

    monkeypatch.setattr(runner, "BULK_MIN_ROWS", 10)
    monkeypatch.setattr(runner, "BATCH", 10)
    original = RowValidator.batch

    def forgetful(self, first_line, chunk):
        self.seen.clear()  # a validator that no longer remembers the keys of earlier batches
        return original(self, first_line, chunk)

    monkeypatch.setattr(RowValidator, "batch", forgetful)
    ks = keys(20, seed=41)
    lines = [HEADER, *good_lines(ks), *good_lines(ks[:10])]  # the first batch's keys again, in a later batch
    with pytest.raises(refused, match=index):
        run_import(write(tmp_path, lines), world.county)
    assert Target.objects.count() == 0
    monkeypatch.undo()
    assert run_import(write(tmp_path, [HEADER, *good_lines(ks)], name="2.csv"), world.county).created == 20
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'directory_target_key_key'")
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'directory_target_key_uniq'")
        assert cursor.fetchone()[0] == 1


def test_sqlite_drops_the_unique_key_index_only_for_an_import_into_an_empty_directory(world, tmp_path, monkeypatch):
    """Into an empty directory nothing is looked up by key, so its unique index is built at the end;
    into one that holds firms it stays, for the look-ups and the check as rows go in."""
    from django.db import connection

    from directory.importing import runner

    if connection.vendor != "sqlite":
        pytest.skip("SKIPPED on PostgreSQL: its import drops the unique constraint instead (tested above)")
    monkeypatch.setattr(runner, "BULK_MIN_ROWS", 10)
    monkeypatch.setattr(runner, "BATCH", 7)
    dropped: list[list[str]] = []
    original = runner._SqliteWriter.finish

    def finish(self):
        dropped.append(list(self.dropped))
        original(self)

    monkeypatch.setattr(runner._SqliteWriter, "finish", finish)
    before = _target_indexes()
    ks = keys(80, seed=43)
    assert run_import(write(tmp_path, [HEADER, *good_lines(ks[:20])]), world.county).created == 20
    lines = [HEADER, *good_lines(ks[20:]), *good_lines(ks[:3])]  # 60 new firms and 3 already there
    again = run_import(write(tmp_path, lines, name="more.csv"), world.county)
    assert again.committed and again.created == 60 and again.unchanged == 3
    unique = 'CREATE UNIQUE INDEX "directory_target_key_uniq" ON "directory_target" ("key")'
    assert len(dropped) == 2 and unique in dropped[0] and len(dropped[0]) > 1
    assert unique not in dropped[1] and len(dropped[1]) == len(dropped[0]) - 1
    assert _target_indexes() == before and Target.objects.count() == 80


@pytest.mark.django_db(transaction=True)
def test_the_key_index_migration_keeps_every_firm_and_their_name_search(world_tx):
    """``directory.0010`` (SQLite): the table rebuilt without its inline UNIQUE, with a named unique
    index; forward and back, every firm, id, index, trigger and the AUTOINCREMENT counter stay."""
    import django.db.utils
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SKIPPED on PostgreSQL: the migration changes nothing there")
    ks = keys(12, seed=47)
    for i, k in enumerate(ks):
        Target.objects.create(key=k, name=f"迁移测试{i}有限公司", organisation=world_tx.county)
    Target.objects.filter(key=ks[-1]).delete()  # the highest id is gone: it must not come back

    def state():
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'directory_target'")
            table = cursor.fetchone()[0]
            cursor.execute(
                "SELECT type, name FROM sqlite_master WHERE tbl_name = 'directory_target' AND type <> 'table' "
                "ORDER BY type, name"
            )
            objects = cursor.fetchall()
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'directory_target'")
            seq = cursor.fetchone()[0]
            cursor.execute("SELECT rowid FROM directory_target_name WHERE name MATCH '迁移测试3有'")
            found = cursor.fetchall()
        return table, objects, seq, found, sorted(Target.objects.values_list("id", "key"))

    after = state()
    assert '"key" varchar(18) NOT NULL,' in after[0] and ("index", "directory_target_key_uniq") in after[1]
    assert not any(name.startswith("sqlite_autoindex") for _, name in after[1])
    try:
        call_command("migrate", "directory", "0009", verbosity=0)
        back = state()
        assert '"key" varchar(18) NOT NULL UNIQUE' in back[0]
        assert ("index", "sqlite_autoindex_directory_target_1") in back[1]
        assert ("index", "directory_target_key_uniq") not in back[1]
        assert back[2:] == after[2:]
    finally:
        call_command("migrate", "directory", verbosity=0)
    assert state() == after
    assert after[3] == [(Target.objects.get(key=ks[3]).id,)]
    with pytest.raises(django.db.utils.IntegrityError):
        Target.objects.create(key=ks[0], name="重复", organisation=world_tx.county)
    assert Target.objects.create(key=ks[-1], name="新的", organisation=world_tx.county).id == after[2] + 1


def test_the_whole_column_key_check_agrees_with_the_full_validation():
    from core.uscc import KINDS, IdentifierError, validate_uscc
    from directory.importing.validate import fast_key, fast_uscc_all

    rng = random.Random(11)
    checked = 0
    for _ in range(3000):
        authority = rng.choice("159NY")
        key = make_uscc(rng, authority, rng.choice(sorted(KINDS[authority])), rng.choice(["411722", "100000"]))
        pos = rng.randrange(18)
        roll = rng.random()
        if roll < 0.4:
            key = key[:pos] + rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZa") + key[pos + 1 :]
        elif roll < 0.5:
            key = key[:2] + "99" + key[4:]  # no such province
        try:
            valid = validate_uscc(key) == key
        except IdentifierError:
            valid = False
        assert fast_uscc_all([key]) == valid == fast_key(key), key
        checked += valid
    assert checked > 1000


def test_clean_files_are_checked_column_by_column_with_the_same_outcome(world, tmp_path, monkeypatch):
    """The column-wise path and the row-by-row path store exactly the same targets."""
    from directory.importing.validate import RowValidator

    rng = random.Random(12)
    from core.uscc import make_registration_number

    ks = keys(60, seed=12) + [make_registration_number(rng, "411722") for _ in range(2)]
    lines = [HEADER + ",法定代表人,登记机关"]
    for i, k in enumerate(ks):
        founded = rng.choice(["2020-01-05", "2020/1/5", "2020年1月5日", "20200105", ""])
        status = rng.choice(["存续", "在业", "active", "注销", ""])
        credit = rng.choice(["A", "B类", "高风险", "d", ""])
        flag = rng.choice(["是", "否", "Y", "0", ""])
        count = rng.choice(["0", "3", " 12 ", ""])
        industry = rng.choice(["C13", "1310", "52", ""])
        lines.append(
            f"{k},公司{i}, 地址{i} ,范围,{industry},{rng.choice(['411722', ''])},{credit},{status},{founded},"
            f"{flag},{count},{rng.choice(['张三', ''])},{rng.choice(['某局', ''])}"
        )
    path = write(tmp_path, lines)

    def stored():
        return sorted(
            Target.objects.values_list(
                "key",
                "name",
                "kind",
                "legal_representative",
                "address",
                "business_scope",
                "industry_id",
                "region_id",
                "registration_authority",
                "founded",
                "status",
                "credit_class",
                "abnormal_operation",
                "serious_violation",
                "complaint_count",
                "draw_digest",
            )
        )

    from django.db import transaction

    with transaction.atomic():
        first = run_import(path, world.county)
        by_columns = stored()
        transaction.set_rollback(True)
    monkeypatch.setattr(RowValidator, "_columns", lambda self, first, chunk: None)
    second = run_import(path, world.county)
    assert first.as_dict() == second.as_dict() and first.created == len(ks)
    assert by_columns == stored()


def test_a_byte_order_mark_carried_into_a_gbk_file_is_not_part_of_the_first_header(world, tmp_path):
    """A UTF-8 export with its BOM converted to GB18030 (as iconv does) starts with U+FEFF encoded."""
    ks = keys(2, seed=61)
    path = tmp_path / "converted.csv"
    text = "\ufeff" + "\n".join([HEADER, *good_lines(ks), f"{ks[0]},重复,,,,,,,,,"]) + "\n"
    path.write_bytes(text.encode("gb18030"))
    result = run_import(path, world.county)
    assert result.encoding == "gb18030" and result.committed and result.created == 2
    assert result.columns["key"] == "统一社会信用代码" and result.errors[0]["column"] == "统一社会信用代码"

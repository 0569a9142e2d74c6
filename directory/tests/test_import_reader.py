"""A large import reads and checks its rows in a forked reader process (directory/importing/pipeline.py).

Each test makes the threshold 0 so that a small file takes the same path, and records which
process checked each batch, so that a reader silently left in this process fails the test.
"""

import multiprocessing
import os
import sys

import pytest

from directory.importing import pipeline, runner
from directory.importing.runner import run_import
from directory.importing.validate import RowValidator
from directory.models import Target, TargetChange
from directory.tests.test_import import HEADER, fail_write, good_lines, keys, write

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the forked reader is used on Linux only")


@pytest.fixture
def forked(monkeypatch, tmp_path, settings):
    """Every file goes through the reader; returns the file in which each checked batch's process id is kept."""
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    settings.SUIJI_IMPORT_READER = True
    monkeypatch.setattr(runner, "BATCH", 3)
    pids = tmp_path / "pids.txt"
    original = RowValidator.batch

    def batch(self, first_line, chunk):
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return original(self, first_line, chunk)

    monkeypatch.setattr(RowValidator, "batch", batch)
    return pids


def checked_in(pids):
    return {int(p) for p in pids.read_text().split()}


def mixed_lines(ks):
    lines = good_lines(ks)
    lines[2] = f"{ks[2]},,,,,,,,,,"  # missing name
    lines[5] = ks[5][:17] + ("0" if ks[5][17] != "0" else "1") + lines[5][18:]  # bad check character
    lines[9] = lines[1].replace("上蔡县测试1", "上蔡县重复")  # duplicate of line 3 in the file
    lines[12] = f"{ks[12]},丁"  # short row
    return [HEADER, *lines]


def outcome(result):
    return (
        result.committed,
        result.rows,
        result.created,
        result.updated,
        result.bad_rows,
        [(e["line"], e["column"], e["reason"]) for e in result.errors],
        sorted(Target.objects.values_list("key", "name", "credit_class", "complaint_count")),
    )


def test_the_reader_process_checks_the_rows_and_the_outcome_is_the_one_of_a_single_process(
    world, tmp_path, forked, settings
):
    ks = keys(20, seed=31)
    path = write(tmp_path, mixed_lines(ks))
    progress = []
    result = run_import(path, world.county, mode="good_rows", progress=lambda done, *a, **k: progress.append(done))
    assert checked_in(forked) and os.getpid() not in checked_in(forked)
    got = outcome(result)
    assert result.committed and result.created == 16 and result.bad_rows == 4
    assert [line for line, _, _ in got[5]] == [4, 7, 11, 14]
    assert result.reader_peak_mb > 10  # the reader reported its own peak memory
    # Progress reached the parent from the reader: bytes read, rising, ending at the file's size.
    assert progress == sorted(progress) and progress[-1] == path.stat().st_size and len(progress) > 3

    Target.objects.all().delete()
    forked.unlink()
    settings.SUIJI_IMPORT_READER = False
    again = run_import(path, world.county, mode="good_rows")
    assert checked_in(forked) == {os.getpid()} and again.reader_peak_mb == 0
    assert outcome(again) == got


def test_all_or_nothing_through_the_reader_stores_nothing_and_reports_every_bad_row(world, tmp_path, forked):
    ks = keys(20, seed=32)
    result = run_import(write(tmp_path, mixed_lines(ks)), world.county, mode="all_or_nothing")
    assert not result.committed and result.bad_rows == 4 and len(result.errors) == 4
    assert Target.objects.count() == 0 and os.getpid() not in checked_in(forked)


def test_an_update_through_the_reader_records_its_changes(world, tmp_path, forked):
    ks = keys(10, seed=33)
    assert run_import(write(tmp_path, [HEADER, *good_lines(ks)]), world.county).created == 10
    lines = good_lines(ks)
    lines[4] = lines[4].replace(",A,", ",D,")
    result = run_import(write(tmp_path, [HEADER, *lines], name="2.csv"), world.county, actor=world.users["coordinator"])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 9)
    assert Target.objects.get(key=ks[4]).credit_class == "D"
    assert TargetChange.objects.filter(target__key=ks[4]).count() == 1


def test_an_encoding_error_found_by_the_reader_is_reported_and_nothing_is_stored(world, tmp_path, forked, monkeypatch):
    from directory.importing import sources

    monkeypatch.setattr(runner, "BATCH", 200)
    monkeypatch.setattr(sources, "SAMPLE_BYTES", 4096)
    ks = keys(2000, seed=34)
    body = ("\n".join([HEADER, *good_lines(ks)]) + "\n").encode()
    # A byte that is not UTF-8 in the name on line 1802, past the parts read to detect the encoding and the delimiter.
    path = tmp_path / "broken.csv"
    path.write_bytes(body.replace("上蔡县测试1800有限公司".encode(), b"\xff\xfe" + "测试".encode(), 1))
    result = run_import(path, world.county, mode="good_rows")
    assert result.fatal is not None and result.fatal["reason"] == "encoding", result.as_dict()
    assert "行" in result.fatal["message_zh"] and "line" in result.fatal["message_en"]
    assert not result.committed and Target.objects.count() == 0
    assert os.getpid() not in checked_in(forked) and not multiprocessing.active_children()


def test_a_reader_that_fails_stops_the_import_and_nothing_is_stored(world, tmp_path, forked, monkeypatch):
    calls = []
    checked = RowValidator.batch

    def third_fails(self, first_line, chunk):
        calls.append(1)  # counted in the reader process, whose memory this is
        if len(calls) == 3:
            raise KeyError("validator bug")
        return checked(self, first_line, chunk)

    monkeypatch.setattr(RowValidator, "batch", third_fails)
    with pytest.raises(RuntimeError, match="reader process failed(.|\n)*validator bug"):
        run_import(write(tmp_path, [HEADER, *good_lines(keys(12, seed=35))]), world.county)
    assert calls == [] and Target.objects.count() == 0 and not multiprocessing.active_children()


def test_a_write_error_stops_the_reader_and_nothing_is_stored(world, tmp_path, forked, monkeypatch):
    calls = fail_write(monkeypatch, 2)
    with pytest.raises(ValueError, match="disk on fire"):
        run_import(write(tmp_path, [HEADER, *good_lines(keys(30, seed=36))]), world.county)
    assert len(calls) == 2 and Target.objects.count() == 0 and not multiprocessing.active_children()
    monkeypatch.undo()
    assert run_import(write(tmp_path, [HEADER, *good_lines(keys(2, seed=37))], name="2.csv"), world.county).created == 2


def test_small_files_and_other_platforms_are_read_in_this_process(tmp_path, monkeypatch, settings):
    from directory.importing.sources import open_source

    small = write(tmp_path, [HEADER, *good_lines(keys(3, seed=38))])
    source = open_source(small, small.name)
    assert source.size < pipeline.PIPELINE_MIN_BYTES
    assert not pipeline.checked_batches(source, iter(()), None).forked
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    assert pipeline.checked_batches(source, iter(()), None).forked
    settings.SUIJI_IMPORT_READER = False
    assert not pipeline.checked_batches(source, iter(()), None).forked
    settings.SUIJI_IMPORT_READER = True
    monkeypatch.setattr(pipeline.sys, "platform", "darwin")
    assert not pipeline.checked_batches(source, iter(()), None).forked

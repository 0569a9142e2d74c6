"""Import benchmark: N valid rows of CSV into a fresh SQLite database, or a fresh PostgreSQL database.

    .venv/bin/python bench/bench_import.py --n 1000000
    .venv/bin/python bench/bench_import.py --n 1000000 --postgres [URL]

Generates the file with ``core.uscc.make_uscc`` (in a separate process, so that the
generator's memory does not count), migrates a new database (SQLite under a
temporary ``SUIJI_VAR_DIR``; with ``--postgres`` a new database on that server,
dropped afterwards), imports through ``directory.importing.runner`` in
``all_or_nothing`` mode, and reports rows/s, the peak resident set size of the
importing process (``resource.getrusage``) and of its forked reader, and the peak of
the two together (their proportional set sizes, sampled). Then it imports the same file again
(every row unchanged) unless ``--no-reimport`` is given. With ``--xlsx`` the same rows
are written to an .xlsx workbook (openpyxl, write-only) and that is imported instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
HEADER = (
    "统一社会信用代码,企业名称,住所,经营范围,行业代码,所属区域,"
    "信用风险分类,登记状态,成立日期,是否列入经营异常名录,投诉举报次数\n"
)


def generate(path: Path, n: int, seed: int = 7) -> None:
    from core.uscc import make_uscc

    rng = random.Random(seed)
    seen: set[str] = set()
    classes, statuses, industries = "ABCD", ("存续", "在业", "注销"), ("C13", "F52", "H62", "1310", "52")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        written = 0
        while written < n:
            key = make_uscc(rng, "9", "1", "411722")
            if key in seen:
                continue
            seen.add(key)
            written += 1
            fh.write(
                f"{key},上蔡县测试{written}有限公司,上蔡县蔡都镇{written % 300}号,食品销售；餐饮服务,"
                f"{industries[written % 5]},411722,{classes[written % 4]},{statuses[written % 3]},"
                f"20{written % 24:02d}-0{written % 9 + 1}-1{written % 9},{'是' if written % 50 == 0 else '否'},"
                f"{written % 7}\n"
            )


def to_xlsx(path: Path) -> None:
    """Rewrite the generated CSV at ``path`` as an .xlsx workbook at the same path."""
    import csv

    from openpyxl import Workbook

    csv_path = path.with_suffix(".gen.csv")
    path.rename(csv_path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检查对象")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            ws.append(row)
    wb.save(path)
    csv_path.unlink()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pss_kib(pid: int | str) -> int:
    """The proportional set size of a process (its private pages, and its share of the pages it
    shares), in KiB; 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Samples, every ``interval`` seconds, the summed proportional set size of this process and
    of its children (the forked reader), so that pages the two share count once."""

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        self.interval = interval
        self.peak_kib = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _children(self) -> list[str]:
        found: list[str] = []
        for task in Path("/proc/self/task").iterdir():
            try:
                found += (task / "children").read_text().split()
            except OSError:
                continue
        return found

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            total = _pss_kib("self") + sum(_pss_kib(pid) for pid in self._children())
            self.peak_kib = max(self.peak_kib, total)

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", nargs="?", const=DEFAULT_PG, help="import into PostgreSQL")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (all unchanged) import")
    parser.add_argument("--xlsx", action="store_true", help="import the rows as an .xlsx workbook")
    parser.add_argument("--generate", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate), args.n)
        if args.xlsx:
            to_xlsx(Path(args.generate))
        return

    var = tempfile.mkdtemp(prefix="suiji-bench-import-")
    path = Path(var) / ("targets.xlsx" if args.xlsx else "targets.csv")
    t0 = time.perf_counter()
    extra = ["--xlsx"] if args.xlsx else []
    subprocess.run([sys.executable, __file__, "--n", str(args.n), "--generate", str(path), *extra], check=True)
    gen = time.perf_counter() - t0
    os.environ["SUIJI_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    bench_db = None
    if args.postgres:
        import psycopg

        bench_db = f"suiji_bench_import_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {bench_db}")
        os.environ["DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + "/" + bench_db
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        run(args, path, gen)
    finally:
        if bench_db:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {bench_db}")
        shutil.rmtree(var, ignore_errors=True)


def run(args: argparse.Namespace, path: Path, gen: float) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from directory.importing.runner import run_import
    from directory.models import Target
    from orgs.models import Organisation, OrgLevel
    from suiji_draw import candidate_digest

    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="上蔡县", level=OrgLevel.COUNTY, division_id="411722")
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    load = os.getloadavg()
    print(f"# Suiji import benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, {cpu}; load {load[0]:.2f} {load[1]:.2f}")
    print(f"# database: {connection.vendor}; file: {path.stat().st_size / 1e6:.1f} MB ({gen:.1f} s to generate)")
    rss_before = peak_mb()
    t0 = time.perf_counter()
    with MemorySampler() as memory:
        result = run_import(path, org, mode="all_or_nothing", filename=path.name)
    elapsed = time.perf_counter() - t0
    peak = peak_mb()
    stored = Target.objects.count()
    sample = Target.objects.order_by("?").first() if stored else None
    assert result.committed and result.error_count == 0 and stored == args.n, result.as_dict()
    assert sample is None or sample.draw_digest == candidate_digest(sample.key)
    print(f"rows: {result.rows:,}, created: {result.created:,}, errors: {result.error_count}, stored: {stored:,}")
    print(f"import: {elapsed:.2f} s, {result.rows / elapsed:,.0f} rows/s")
    if result.name_index_seconds:
        before = elapsed - result.name_index_seconds
        print(
            f"  of which {result.name_index_seconds:.2f} s after the commit for the name search index; "
            f"up to the commit: {before:.2f} s, {result.rows / before:,.0f} rows/s"
        )
    print(f"peak RSS: {peak:.0f} MB (before the import: {rss_before:.0f} MB)")
    if result.reader_peak_mb:
        print(
            f"peak RSS of the forked reader process: {result.reader_peak_mb:.0f} MB "
            "(counting the pages it still shares with the importing process)"
        )
    print(
        f"peak of both processes together: {memory.peak_kib / 1024:.0f} MB "
        f"(proportional set sizes, shared pages counted once, sampled every {memory.interval} s)"
    )
    if args.no_reimport:
        return
    t0 = time.perf_counter()
    again = run_import(path, org, mode="all_or_nothing", filename=path.name)
    elapsed = time.perf_counter() - t0
    assert again.committed and again.unchanged == args.n, again.as_dict()
    print(f"re-import (all {again.unchanged:,} unchanged): {elapsed:.2f} s, {again.rows / elapsed:,.0f} rows/s")
    print(f"peak RSS: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

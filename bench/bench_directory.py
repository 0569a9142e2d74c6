"""Directory page benchmark: the filtered target list on a large directory, server time.

Builds ``--firms`` demo firms (``directory.demo.create_firms``) in a throw-away
SQLite database under a temporary ``SUIJI_VAR_DIR`` (or, with ``--postgres``, in a
fresh PostgreSQL database ``suiji_bench_directory``), signs in as the county's
coordinator and times the list page ``/directory/targets/`` in-process with
Django's test client (the whole view: filters, page of 50 ordered by key, the
total count, the template) for these filters:

- region + industry division + credit class (the issue's case), on the most common
  combination and on a rare one;
- region + industry section + class;
- a USCC prefix; a name part;
- the first page without filters.

Each case is requested ``--repeat`` times after one warm-up; p50 and p95 are printed
with the number of matching rows.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BASE = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "suiji_bench_directory"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fresh_postgres() -> str:
    import psycopg

    with psycopg.connect(PG_BASE + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    return PG_BASE + PG_NAME


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="use a fresh PostgreSQL database")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="suiji-bench-dir-")
    atexit.register(shutil.rmtree, tmp, True)  # the database of a million firms goes with the run
    os.environ["SUIJI_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    if args.postgres:
        os.environ["DATABASE_URL"] = fresh_postgres()
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from conftest import PASSWORD, build_world
    from directory import search
    from directory.demo import create_firms
    from directory.models import Target

    call_command("migrate", verbosity=0)
    world = build_world()
    t0 = time.perf_counter()
    create_firms(args.firms, world.county, seed=2026)
    built = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    combos = list(
        Target.objects.values("region__code", "industry__parent__code", "credit_class")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    common, rare = combos[0], combos[-1]
    sample = Target.objects.order_by("key")[args.firms // 2]
    section = Target.objects.filter(industry__code=sample.industry_id).values_list(
        "industry__parent__parent__parent__code", flat=True
    )[0]

    def combo(c: dict) -> dict:
        return {"region": c["region__code"], "industry": c["industry__parent__code"], "credit_class": c["credit_class"]}

    cases = [
        ("region + division + class (common)", combo(common), common["n"]),
        ("region + division + class (rare)", combo(rare), rare["n"]),
        (
            "region + section + class",
            {"region": sample.region_id, "industry": section or "C", "credit_class": "B"},
            None,
        ),
        ("USCC prefix", {"q": sample.key[:10]}, None),
        ("name part", {"q": sample.name[2:5]}, None),
        ("no filter", {}, args.firms),
    ]

    client = Client()
    assert client.login(username=world.users["coordinator"].username, password=PASSWORD)
    load = os.getloadavg()
    print(f"# Suiji directory page benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# database: {connection.vendor}; firms: {args.firms:,} (built in {built:.1f} s); load {load[0]:.2f}")
    print(f"{'case':40} {'rows':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for label, params, rows in cases:
        response = client.get("/directory/targets/", params)
        assert response.status_code == 200, response.status_code
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = client.get("/directory/targets/", params)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        total = search.apply(Target.objects.all(), search.parse(params)[0]).count()
        if rows is not None:
            assert total == rows, (label, total, rows)
        print(f"{label:40} {total:>9,} {statistics.median(times):8.1f} {pct(times, 95):8.1f}")


if __name__ == "__main__":
    main()

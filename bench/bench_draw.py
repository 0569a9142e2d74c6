"""End-to-end draw of a task on a large directory, against a bare ``ORDER BY random() LIMIT k``.

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL
database with ``--postgres``), fills it with ``--firms`` demo firms, creates a
stratified, weighted, directed task (live firms only; ratios A 5%, B 5%, C 20%,
D 50%; weights 1/2/4/8; firms with 5 or more complaints forced in) and times:

1. ``do_commit``: filter, strata, weights, frozen candidate list, commitment;
2. ``do_draw``: the ceremony (re-read and check the frozen list, seed, draw,
   persist the selection, write the manifest);

against the peer, the unverifiable one-liner
``SELECT id FROM directory_target WHERE <same filter> ORDER BY random() LIMIT k``
with the same k, executed and fetched, in the same run. It runs with the production settings
(``SUIJI_DEBUG=0``) unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", nargs="?", const="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--debug", action="store_true", help="run with the development settings (SUIJI_DEBUG=1, queries recorded)"
    )
    args = parser.parse_args()
    # As deployed: with debugging on, Django keeps every statement and its parameters (the
    # manifest's text among them), which no deployment does.
    os.environ["SUIJI_DEBUG"] = "1" if args.debug else "0"
    os.environ.setdefault("SUIJI_SECRET_KEY", "bench-only-secret-key-" + os.urandom(8).hex())

    tmp = tempfile.mkdtemp(prefix="suiji-bench-draw-")
    atexit.register(shutil.rmtree, tmp, True)  # the database of a million firms goes with the run
    os.environ["SUIJI_VAR_DIR"] = tmp
    bench_db = None
    if args.postgres:
        import psycopg

        bench_db = f"suiji_bench_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {bench_db}")
        os.environ["DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + "/" + bench_db
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    try:
        run(args)
    finally:
        if bench_db:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {bench_db}")


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Role, User, UserRole
    from directory import demo
    from draws import services
    from draws.tests.helpers import INPUTS, WITNESSES

    call_command("migrate", verbosity=0)
    _, counties = demo.ensure_structure()
    county = counties[0]
    t0 = time.perf_counter()
    demo.create_firms(args.firms, county, 2026)
    build_s = time.perf_counter() - t0
    user = User.objects.create(username="bench", organisation=county, department=county.departments.first())
    UserRole.objects.create(user=user, role=Role.COORDINATOR)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    ratios = {"A": "0.05", "B": "0.05", "C": "0.2", "D": "0.5"}
    params = {
        "parts": [
            {
                "name": "main",
                "method": "weighted",
                "overall": None,
                "strata": [{"stratum": c, "ratio": r} for c, r in ratios.items()],
                "recent": "keep",
            }
        ]
    }
    rows = []
    for i in range(args.repeat):
        task = services.do_create_task(
            user,
            organisation=county,
            department=user.department,
            name=f"bench {i}",
            scope={"statuses": ["active", "operating"]},
            params=params,
            stratify_by="credit_class",
            weights={"class": {"A": 1, "B": 2, "C": 4, "D": 8}},
            force_complaints=5,
        )
        t0 = time.perf_counter()
        draw = services.do_commit(task, user)
        t1 = time.perf_counter()
        draw = services.do_draw(draw, user, WITNESSES, INPUTS)
        t2 = time.perf_counter()
        k = draw.selections.count()
        t3 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id FROM directory_target WHERE status IN ('active', 'operating') AND organisation_id = %s "
                "ORDER BY random() LIMIT %s",
                [county.pk, k],
            )
            peer_rows = cur.fetchall()
        t4 = time.perf_counter()
        assert len(peer_rows) == k
        rows.append((t1 - t0, t2 - t1, t2 - t0, t4 - t3, k, draw.pool_size))

    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    load = os.getloadavg()
    print(f"# Suiji end-to-end draw benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, {cpu}; load {load[0]:.2f}")
    print(f"# database: {connection.vendor}; firms: {args.firms:,} (built in {build_s:.1f} s); debug {settings.DEBUG}")
    print(
        f"{'run':>3} {'pool':>9} {'k':>7} {'commit s':>9} {'draw s':>8} {'total s':>8} {'random() s':>10} {'ratio':>6}"
    )
    for i, (c, d, total, peer, k, pool) in enumerate(rows, 1):
        print(f"{i:>3} {pool:>9,} {k:>7,} {c:>9.3f} {d:>8.3f} {total:>8.3f} {peer:>10.3f} {total / peer:>6.2f}")
    med = sorted(rows, key=lambda r: r[2])[len(rows) // 2]
    print(f"median total {med[2]:.3f} s, peer {med[3]:.3f} s, ratio {med[2] / med[3]:.2f}")


if __name__ == "__main__":
    main()

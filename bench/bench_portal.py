"""Public portal benchmark: firm search server time, and a load test of result pages under gunicorn.

(a) Builds a directory of ``--firms`` demo firms (``directory.demo.create_firms``)
in a throw-away SQLite database under a temporary ``SUIJI_VAR_DIR`` (or, with
``--postgres``, in a fresh PostgreSQL database ``suiji_bench_portal``), plus one
published item and one public task with a drawn selection; then times the
firm search view in-process with Django's test client: by USCC, by name prefix,
and by name contains (the fallback when no name starts with the text).

Then inserts ``--results`` published inspection results (100,000 by default), one
per firm, in tasks of 10,000 visits.

(b) Runs ``collectstatic``, starts ``gunicorn suiji.wsgi -w WORKERS`` on
loopback with the production settings (``SUIJI_DEBUG=0``), and drives it from a
second process with ``wrk`` (Debian package ``wrk``) for ``--seconds`` on a firm
page, the task-notice page, a USCC search, the result notices (first page, one
task's results, page 1,000) and the page of a firm with a result; reports requests/s and p99, then stops
gunicorn. Prints the machine's ``uptime`` load beside the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BASE = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "suiji_bench_portal"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_postgres() -> str:
    import psycopg

    with psycopg.connect(PG_BASE + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    return PG_BASE + PG_NAME


def build(n: int, results: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from catalog.services import do_publish
    from catalog.tests.helpers import make_item
    from conftest import build_world
    from directory.demo import create_firms
    from directory.models import Target
    from draws import services
    from draws.tests.helpers import INPUTS, WITNESSES, make_task

    world = build_world()
    t0 = time.perf_counter()
    create_firms(n, world.county, seed=2026)
    built = time.perf_counter() - t0
    do_publish(world.users["coordinator"], make_item(world).latest_version())
    t0 = time.perf_counter()
    task = make_task(world, name="基准抽查任务")
    draw = services.do_draw(
        services.do_commit(task, world.users["coordinator"]), world.users["coordinator"], WITNESSES, INPUTS
    )
    drawn = time.perf_counter() - t0
    keys = list(Target.objects.order_by("?").values_list("key", "name")[:300])
    selected = draw.selections.first().key
    t0 = time.perf_counter()
    published = add_results(world, results, draw.selections.first())
    return {
        "world": world,
        "keys": keys,
        "selected": selected,
        "build_s": built,
        "draw_s": drawn,
        "results_s": time.perf_counter() - t0,
        **published,
    }


def add_results(world, n: int, selection, per_task: int = 10_000) -> dict:
    """``n`` published results, one per firm, in tasks of ``per_task`` visits (bulk-inserted, as if published)."""
    import datetime as dt

    from django.utils import timezone

    from catalog.models import ItemVersion, VersionStatus
    from directory.models import Target
    from draws.models import Task
    from inspections.models import Record, RecordState, Result, ResultCategory, ResultState

    version = ItemVersion.objects.filter(status=VersionStatus.PUBLISHED).first()
    inspector, approver = world.users["inspector"], world.users["approver"]
    now = timezone.now()
    today = timezone.localdate()
    categories = [ResultCategory.NO_PROBLEM] * 8 + [ResultCategory.CORRECTED, ResultCategory.NOT_PUBLICISED]
    targets = Target.objects.order_by("id").values_list("id", flat=True)[:n]
    target_ids = list(targets)
    first_task = None
    for start in range(0, len(target_ids), per_task):
        task = Task.objects.create(
            organisation=world.county,
            department=world.market,
            name=f"基准结果任务{start // per_task + 1}",
            params={},
            created_by=world.users["coordinator"],
            state="closed",
        )
        first_task = first_task or task
        records = Record.objects.bulk_create(
            Record(
                organisation=world.county,
                task=task,
                selection=selection,
                target_id=tid,
                state=RecordState.PUBLISHED,
                methods=["onsite"],
                checked_on=today - dt.timedelta(days=10),
                signature_kind="missing",
                signature_missing_reason="基准数据",
                idempotency_key=f"bench-{tid}",
                entered_by=inspector,
                completed_at=now,
                publish_deadline=today,
                approved_by=approver,
                approved_at=now,
                published_at=now,
            )
            for tid in target_ids[start : start + per_task]
        )
        Result.objects.bulk_create(
            Result(
                record=r,
                organisation=world.county,
                target_id=r.target_id,
                item_version=version,
                category=categories[r.target_id % len(categories)],
                state=ResultState.PUBLISHED,
                entered_by=inspector,
                approved_by=approver,
                approved_at=now,
                published_at=now,
            )
            for r in records
        )
    firm = Target.objects.get(pk=target_ids[len(target_ids) // 2]).key
    return {"results": len(target_ids), "results_task": first_task.pk, "results_firm": firm}


def time_search(keys: list[tuple[str, str]], samples: int) -> dict[str, tuple[float, float]]:
    from django.test import Client

    client = Client()
    rng = random.Random(7)
    from django.core.cache import cache

    cases = {
        "USCC": [k for k, _ in keys],
        "name prefix": [name[: rng.randint(5, 9)] for _, name in keys],
        "name contains": [name[4:8] for _, name in keys],
        # A rare fragment, then one that matches nothing: the index still answers at once.
        "name contains, rare (the firm's own 6 characters)": [name[3:9] for _, name in keys],
        "name contains, nothing matches": [f"无此{i:04d}企业" for i in range(len(keys))],
        # Two characters make no trigram: a scan of the names (stops at the page when common).
        "name contains, 2 characters (scan)": [name[5:7] for _, name in keys],
        "name contains, 2 characters, nothing matches (full scan)": ["无此"] * len(keys),
    }
    out = {}
    for label, queries in cases.items():
        times = []
        count = samples if "2 characters" not in label else max(20, samples // 10)
        for i in range(count):
            q = queries[i % len(queries)]
            cache.clear()
            t0 = time.perf_counter()
            response = client.get("/portal/firms/", {"q": q})
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (q, response.status_code)
        out[label] = (statistics.median(times), pct(times, 95))
    return out


def time_results(data: dict, samples: int) -> dict[str, tuple[float, float]]:
    """Server time of the result pages in-process with the page cache emptied before every request."""
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    pages = {
        "result notices, page 1": "/portal/results/",
        "result notices, page 1,000": "/portal/results/?page=1000",
        "one task's results": f"/portal/results/?task={data['results_task']}",
        "a firm's page with its results": f"/portal/firms/{data['results_firm']}/",
        "results open data, whole JSON download": "/portal/data/results.json",
    }
    out = {}
    for label, path in pages.items():
        times = []
        for _ in range(samples if "open data" not in label else 3):
            cache.clear()
            t0 = time.perf_counter()
            response = client.get(path)
            if response.streaming:  # the whole download
                size = sum(len(chunk) for chunk in response.streaming_content)
                assert size > 2, path
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        out[label] = (statistics.median(times), pct(times, 95))
    return out


def load_test(env: dict, paths: list[str], seconds: int, workers: int, connections: int) -> list[tuple]:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    py = sys.executable
    subprocess.run([py, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    gunicorn = str(Path(py).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "suiji.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    results = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for path in paths:
            url = f"http://127.0.0.1:{port}{path}"
            check = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            results.append((path, check.stdout.decode(), rps, p99, int(errors.group(1)) if errors else 0))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--results", type=int, default=100_000, help="published results to generate")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--postgres", action="store_true", help=f"use a fresh database {PG_NAME} on {PG_BASE}")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn + wrk load test")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="suiji-bench-portal-")
    os.environ["SUIJI_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    if args.postgres:
        os.environ["DATABASE_URL"] = fresh_postgres()
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connection

    data = build(args.firms, args.results)
    search = time_search(data["keys"], args.samples)
    result_pages = time_results(data, max(10, args.samples // 10))
    connection.close()

    print(f"# Portal benchmark, {connection.vendor}, {args.firms:,} firms")
    print(f"directory built in {data['build_s']:.1f} s; public draw (commit + ceremony) in {data['draw_s']:.1f} s")
    print(f"{data['results']:,} published results inserted in {data['results_s']:.1f} s")
    print("| firm search | p50 ms | p95 ms | target p95 |")
    print("| --- | --- | --- | --- |")
    for label, (p50, p95) in search.items():
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {'(reported)' if '2 characters' in label else '≤ 50'} |")
    print("\n| result pages, uncached, server time | p50 ms | p95 ms |")
    print("| --- | --- | --- |")
    for label, (p50, p95) in result_pages.items():
        print(f"| {label} | {p50:.1f} | {p95:.1f} |")
    if not args.no_load:
        env = {
            **os.environ,
            "SUIJI_DEBUG": "0",
            "SUIJI_SECRET_KEY": "bench-only-secret-key-" + os.urandom(8).hex(),
            "SUIJI_ALLOWED_HOSTS": "127.0.0.1",
            "SUIJI_DB_CONN_MAX_AGE": "60",
        }
        paths = [
            f"/portal/firms/{data['selected']}/",
            "/portal/tasks/",
            "/portal/firms/?q=" + data["keys"][0][0],
            "/portal/results/",
            f"/portal/results/?task={data['results_task']}",
            "/portal/results/?page=1000",
            f"/portal/firms/{data['results_firm']}/",
        ]
        rows = load_test(env, paths, args.seconds, args.workers, args.connections)
        print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, gunicorn -w {args.workers}, SUIJI_DEBUG=0")
        print("| page | status | requests/s | p99 | non-2xx |")
        print("| --- | --- | --- | --- | --- |")
        for path, status, rps, p99, errors in rows:
            print(f"| {path} | {status} | {rps:.0f} | {p99} | {errors} |")
    print("\nuptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

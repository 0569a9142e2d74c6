"""Oversight benchmark: the statutory tables and the dashboard for a province-sized organisation.

Builds, in a throw-away SQLite database under a temporary ``SUIJI_VAR_DIR`` (or,
with ``--postgres``, in the PostgreSQL database ``suiji_bench_oversight``), a
province with 2 cities and 10 counties, 5 departments per county (market
regulation and four others), 10 published items per department, a published
plan per county (one line per department), ``--firms`` firms spread over the
counties and ``--checks`` checks: tasks per department (one in five joint with
an accepted second department), each with a live draw, its selections and
records (70 % published, 5 % of them late; 10 % approved; 10 % submitted; the
rest drawn but not checked), one result per record (10 % with a problem), and
20 inspectors per department in a unit with declared staff.

Then times, as the province's coordinator: every statutory table (build + .xlsx)
for the whole province and for one county, the dashboard page (server time, in
process with Django's test client) for the province, a county and one
department, and the first page of a drill-down list. Each dashboard is timed
three ways: figures computed in the request (``?fresh=1``), served from a
current snapshot, and served from a stale one (after an audited write, which
also queues the refresh job).

Default scale is small (20,000 firms, 4,000 checks) for a quick run;
``--full`` is 1,000,000 firms and 200,000 checks. Targets: each table ≤ 10 s,
the dashboard ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(firms: int, checks: int, seed: int = 2026) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User, UserRole
    from catalog.models import InspectionItem, ItemVersion
    from directory.models import Inspector, Target, UnitStaffing
    from draws.models import Draw, Selection, Task, TaskParticipant
    from inspections.models import Record, Result
    from orgs.models import Department, Organisation, OrgLevel, Unit
    from plans.models import Plan, PlanLine

    rng = random.Random(seed)
    year = timezone.localdate().year
    now = timezone.now()
    kinds = ["market", "taxation", "environment", "health", "transport"]
    with transaction.atomic():
        province = Organisation.objects.create(name="河南省", level=OrgLevel.PROVINCE)
        cities = [Organisation.objects.create(name=f"市{i}", level=OrgLevel.CITY, parent=province) for i in range(2)]
        counties = [
            Organisation.objects.create(name=f"县{i}", level=OrgLevel.COUNTY, parent=cities[i // 5]) for i in range(10)
        ]
        user = User.objects.create_user(username="bench", password="x-Bench-2026!", organisation=province)
        UserRole.objects.create(user=user, role=Role.COORDINATOR)
        depts: dict[int, list] = {}
        versions: dict[int, list] = {}
        for c in counties:
            depts[c.pk] = [Department.objects.create(organisation=c, kind=k, name=f"{c.name}{k}局") for k in kinds]
            plan = Plan.objects.create(organisation=c, year=year, status="published", published_at=now)
            for n, d in enumerate(depts[c.pk], start=1):
                vs = []
                for j in range(10):
                    item = InspectionItem.objects.create(organisation=c, department=d, code=f"{d.pk}-{j}")
                    vs.append(
                        ItemVersion.objects.create(
                            item=item,
                            number=1,
                            name=f"事项{j}",
                            category="key",
                            ratio_min="0.05",
                            methods=["onsite"],
                            status="published",
                        )  # fmt: skip
                    )
                versions[d.pk] = vs
                line = PlanLine.objects.create(
                    plan=plan, order=n, name=f"{d.name}抽查", count=checks // 50, window_start=dt.date(year, 1, 10),
                    window_end=dt.date(year, 12, 20), lead_department=d,
                )  # fmt: skip
                line.items.add(*vs[:3])
                d.line = line
                unit = Unit.objects.create(department=d, kind="station", name="所")
                UnitStaffing.objects.create(unit=unit, enforcement_staff=25)
                Inspector.objects.bulk_create(
                    Inspector(organisation=c, department=d, unit=unit, name=f"员{k}", certificate_no=f"{d.pk}{k:04d}")
                    for k in range(20)
                )
    t0 = time.perf_counter()
    per_county = firms // 10
    keys_by_county: dict[int, list[int]] = {}
    with transaction.atomic():
        for ci, c in enumerate(counties):
            rows = [
                Target(organisation=c, key=f"9141{ci:02d}00MA{i:08d}", name=f"企业{ci}-{i}") for i in range(per_county)
            ]
            Target.objects.bulk_create(rows, batch_size=5000)
            keys_by_county[c.pk] = list(
                Target.objects.filter(organisation=c).values_list("pk", flat=True).order_by("pk")
            )
    firm_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    tasks_per_dept = 4
    n_tasks = 10 * 5 * tasks_per_dept
    per_task = max(1, checks // n_tasks)
    key_of = dict(Target.objects.values_list("pk", "key"))
    inspector_user = user
    with transaction.atomic():
        for c in counties:
            for d in depts[c.pk]:
                for t in range(tasks_per_dept):
                    task = Task.objects.create(
                        organisation=c, department=d, name=f"{d.name}任务{t}", params={}, created_by=user,
                        state="drawn", plan_line=d.line, window_start=dt.date(year, 2, 1),
                        window_end=dt.date(year, 11, 30),
                    )  # fmt: skip
                    task.items.add(*versions[d.pk][t : t + 2])
                    if t == 0:
                        other = depts[c.pk][(depts[c.pk].index(d) + 1) % 5]
                        TaskParticipant.objects.create(task=task, department=other, state="accepted")
                        task.items.add(versions[other.pk][0])
                    draw = Draw.objects.create(
                        task=task, number=1, state="drawn", pool_size=per_county, pool_digest="0" * 64,
                        candidates_file="x", params_digest="0" * 64, commitment="0" * 64, secret="0" * 64,
                        announcement="a", committed_by=user, committed_at=now, drawn_at=now,
                    )  # fmt: skip
                    chosen = rng.sample(keys_by_county[c.pk], min(per_task, per_county))
                    sels = Selection.objects.bulk_create(
                        [
                            Selection(draw=draw, position=p, key=key_of[pk], target_id=pk)
                            for p, pk in enumerate(chosen, start=1)
                        ],
                        batch_size=5000,
                    )
                    Draw.objects.filter(pk=draw.pk).update(selected=len(sels))
                    recs = []
                    for s in sels:
                        r = rng.random()
                        if r < 0.10:
                            continue
                        state = "published" if r < 0.80 else ("approved" if r < 0.90 else "submitted")
                        recs.append(
                            Record(
                                organisation=c,
                                task=task,
                                selection=s,
                                target_id=s.target_id,
                                state=state,
                                checked_on=dt.date(year, 3, 1),
                                signature_kind="missing",
                                idempotency_key=f"b{task.pk}-{s.pk}",
                                entered_by=inspector_user,
                                completed_at=now,
                                publish_deadline=dt.date(year, 4, 1) if rng.random() < 0.5 else dt.date(year + 1, 1, 1),
                                approved_by=user if state != "submitted" else None,
                                published_at=now if state == "published" else None,
                                published_late=state == "published" and rng.random() < 0.05,
                            )  # fmt: skip
                        )
                    recs = Record.objects.bulk_create(recs, batch_size=5000)
                    v = versions[d.pk][t]
                    Result.objects.bulk_create(
                        [
                            Result(
                                record=rec,
                                organisation=c,
                                target_id=rec.target_id,
                                item_version=v,
                                category="ordered_to_correct" if rng.random() < 0.1 else "no_problem",
                                entered_by=inspector_user,
                                state="published" if rec.state == "published" else "submitted",
                                approved_by=user if rec.state == "published" else None,
                                published_at=now if rec.state == "published" else None,
                            )  # fmt: skip
                            for rec in recs
                        ],
                        batch_size=5000,
                    )
    checks_seconds = time.perf_counter() - t0
    return {
        "province": province,
        "county": counties[0],
        "department": depts[counties[0].pk][0],
        "user": user,
        "year": year,
        "firm_seconds": firm_seconds,
        "checks_seconds": checks_seconds,
        "records": Record.objects.count(),
        "selections": Selection.objects.count(),
        "firms": Target.objects.count(),
    }


def reuse() -> dict | None:
    from django.core.management import call_command
    from django.db.utils import DatabaseError

    try:
        from accounts.models import User

        user = User.objects.filter(username="bench").first()
    except DatabaseError:
        user = None
    if user is None:
        return None
    call_command("migrate", verbosity=0)
    from directory.models import Target
    from draws.models import Selection
    from inspections.models import Record
    from orgs.models import Department, Organisation

    county = Organisation.objects.filter(level="county").order_by("pk").first()
    return {
        "province": user.organisation,
        "county": county,
        "department": Department.objects.filter(organisation=county).order_by("pk").first(),
        "user": user,
        "year": dt.date.today().year,
        "firm_seconds": 0.0,
        "checks_seconds": 0.0,
        "records": Record.objects.count(),
        "selections": Selection.objects.count(),
        "firms": Target.objects.count(),
    }


PG_BASE = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "suiji_bench_oversight"


def postgres_database(fresh: bool) -> str:
    import psycopg

    with psycopg.connect(PG_BASE + "postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
        if exists and fresh:
            conn.execute(f"DROP DATABASE {PG_NAME}")
        if not exists or fresh:
            conn.execute(f"CREATE DATABASE {PG_NAME}")
    return PG_BASE + PG_NAME


def timed(fn, repeat: int, before=None) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 firms and 200,000 checks")
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--checks", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--var", help="Keep the database in this folder and reuse it when it is already built.")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help=f"use the PostgreSQL database {PG_NAME} on {PG_BASE} (made afresh unless --var is given and it exists)",
    )
    args = parser.parse_args()
    if args.full:
        args.firms, args.checks = 1_000_000, 200_000
    tmp = args.var or tempfile.mkdtemp(prefix="suiji-bench-oversight-")
    if not args.var:  # a folder given with --var is kept for the next run; a temporary one is not
        atexit.register(shutil.rmtree, tmp, True)
    Path(tmp).mkdir(parents=True, exist_ok=True)
    os.environ["SUIJI_VAR_DIR"] = tmp
    if args.postgres:
        os.environ["DATABASE_URL"] = postgres_database(fresh=not args.var)
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    os.environ.setdefault("SUIJI_DEBUG", "1")
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from oversight import stats, tables

    w = reuse() if args.var else None
    if w is None:
        print(f"building {args.firms:,} firms and about {args.checks:,} checks in {tmp} …", flush=True)
        w = build(args.firms, args.checks)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Planner statistics and the visibility map, as autovacuum would keep them (it is off on some
        # test servers): without statistics PostgreSQL plans nested loops over the freshly loaded
        # tables, and without the visibility map an index-only scan still reads every table page.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"built: {w['firms']:,} firms ({w['firm_seconds']:.1f} s), {w['selections']:,} selections, "
        f"{w['records']:,} records ({w['checks_seconds']:.1f} s)",
        flush=True,
    )
    year = w["year"]
    scopes = {
        "province": stats.Scope(w["province"], None, dt.date(year, 1, 1), dt.date(year, 12, 31)),
        "county": stats.Scope(w["county"], None, dt.date(year, 1, 1), dt.date(year, 12, 31)),
    }
    print("\n| table | scope | median s (runs) | rows | ≤ 10 s |\n| --- | --- | --- | --- | --- |")
    for key in tables.TABLES:
        for name, scope in scopes.items():
            holder = {}

            def run(key=key, scope=scope, holder=holder):
                table = tables.build(key, scope)
                tables.to_xlsx(table, scope)
                holder["rows"] = len(table.rows)

            med, runs = timed(run, args.repeat)
            shown = ", ".join(f"{r:.2f}" for r in runs)
            print(f"| {key} | {name} | {med:.2f} ({shown}) | {holder['rows']} | {'yes' if med <= 10 else 'NO'} |")
    client = Client()
    client.force_login(w["user"])
    pages = {
        "dashboard, province": reverse("oversight") + f"?year={year}",
        "dashboard, county": reverse("oversight") + f"?year={year}&org={w['county'].pk}",
        "dashboard, one department": reverse("oversight")
        + f"?year={year}&org={w['county'].pk}&dept={w['department'].pk}",
        "home page with the deadlines panel, province coordinator": reverse("home"),
        "deadline alerts list, province coordinator": reverse("oversight-alerts"),
        "drill-down (checks done), province, page 1": reverse("oversight-drill", args=["checked"]) + f"?year={year}",
        "drill-down (checks done), province, page 100": reverse("oversight-drill", args=["checked"])
        + f"?year={year}&page=100",
    }
    from django.conf import settings

    from core import audit
    from core.models import AuditAction

    settings.SUIJI_OVERSIGHT_STALE_SECONDS = 3600
    print("\n| page | figures | median ms (runs) | ≤ 300 ms |\n| --- | --- | --- | --- |")
    for name, url in pages.items():
        modes = ("computed", "current snapshot", "stale snapshot") if "dashboard" in name else ("computed",)
        for mode in modes:
            sep = "&" if "?" in url else "?"
            target = url + f"{sep}fresh=1" if mode == "computed" and "dashboard" in name else url
            client.get(target)  # warm the database pages (and store the snapshot)

            def get(target=target, mode=mode):
                response = client.get(target)
                assert response.status_code == 200, response.status_code
                if mode == "stale snapshot":
                    assert b'data-testid="figures-stale"' in response.content

            def before(mode=mode):
                if mode == "stale snapshot":  # any audited write makes the snapshot no longer current
                    audit.record(AuditAction.ACTION, w["province"], after={"bench": "write"}, reason="bench")

            med, runs = timed(get, args.repeat, before)
            shown = ", ".join(f"{1000 * r:.0f}" for r in runs)
            print(f"| {name} | {mode} | {1000 * med:.0f} ({shown}) | {'yes' if med <= 0.3 else 'NO'} |")
    from oversight.models import FigureSnapshot

    snap = FigureSnapshot.objects.filter(key__startswith=f"{w['province'].pk}:0:").first()
    if snap is not None:
        print(f"\nprovince figures last computed in {snap.seconds * 1000:.0f} ms (stats.refresh, without the page)")
    print(f"\ndatabase: {connection.vendor}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load: {os.getloadavg()}; date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()

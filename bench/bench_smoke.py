"""Smoke benchmark of the foundation: demo generation, audit-chain verification, firm lookup.

Runs on a throw-away SQLite database (or on DATABASE_URL when it is set, in a
fresh schema created by the Django test runner's machinery). Prints one table
with the machine and date; ``--firms`` scales it.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=200_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="suiji-bench-")
    atexit.register(shutil.rmtree, tmp, True)
    os.environ.setdefault("SUIJI_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suiji.settings")
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    from core.audit import verify_chain
    from core.models import AuditEntry
    from directory.models import Target

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    call_command("seed_demo", "--firms", str(args.firms), "--quiet", "--no-draw", stdout=StringIO())
    seed_s = time.perf_counter() - t0
    firms = Target.objects.count()

    t0 = time.perf_counter()
    report = verify_chain()
    verify_s = time.perf_counter() - t0
    entries = AuditEntry.objects.count()

    keys = list(Target.objects.order_by("?").values_list("key", flat=True)[:200])
    times = []
    for key in keys:
        t = time.perf_counter()
        Target.objects.filter(key=key).values("name").first()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]

    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    print(f"# Suiji foundation smoke benchmark, {dt.date.today().isoformat()}")
    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, {cpu}; database: {connection.vendor}")
    print(f"{'measure':<42}{'value':>14}")
    print(f"{'seed_demo firms inserted':<42}{firms:>14,}")
    print(f"{'seed_demo rate (firms/s)':<42}{firms / seed_s:>14,.0f}")
    print(f"{'audit chain verified (entries)':<42}{entries:>14,}")
    print(f"{'audit verify rate (entries/s)':<42}{entries / verify_s:>14,.0f}")
    print(f"{'firm lookup by USCC, median (ms)':<42}{statistics.median(times):>14.3f}")
    print(f"{'firm lookup by USCC, p95 (ms)':<42}{p95:>14.3f}")
    assert report.ok


if __name__ == "__main__":
    main()

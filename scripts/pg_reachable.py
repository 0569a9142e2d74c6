"""Exit 0 when the PostgreSQL server in DATABASE_URL answers (starting the local cluster once if it is down)."""

import glob
import os
import shutil
import subprocess
import sys
import time

import dj_database_url
import psycopg


def reachable(url: str) -> bool:
    cfg = dj_database_url.parse(url)
    try:
        with psycopg.connect(
            host=cfg["HOST"] or "127.0.0.1",
            port=cfg["PORT"] or 5432,
            user=cfg["USER"] or "postgres",
            password=cfg["PASSWORD"] or None,
            dbname=cfg["NAME"] or "postgres",
            connect_timeout=3,
        ):
            return True
    except psycopg.Error:
        return False


def try_start() -> None:
    # On the development machines the cluster may simply be stopped.
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return
    for version_dir in glob.glob("/etc/postgresql/*"):
        version = os.path.basename(version_dir)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
        )
    time.sleep(2)


if __name__ == "__main__":
    url = sys.argv[1]
    if reachable(url):
        sys.exit(0)
    try_start()
    sys.exit(0 if reachable(url) else 1)

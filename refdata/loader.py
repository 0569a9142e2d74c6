"""Loads the reference CSV files in ``refdata/data`` (idempotent: upsert by code)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "section": 0, "division": 1, "group": 2, "class": 3}


def read_rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Parents before children, so every parent exists when a child is saved.
    rows.sort(key=lambda r: (LEVEL_ORDER[r["level"]], r["code"]))
    return rows


def load(model: Any, name: str) -> int:
    rows = read_rows(name)
    existing = {o.code: o for o in model.objects.all()}
    new, changed = [], []
    for row in rows:
        parent = row.get("parent_code") or None
        obj = existing.get(row["code"])
        if obj is None:
            new.append(model(code=row["code"], name=row["name"], level=row["level"], parent_id=parent))
        elif (obj.name, obj.level, obj.parent_id) != (row["name"], row["level"], parent):
            obj.name, obj.level, obj.parent_id = row["name"], row["level"], parent
            changed.append(obj)
    # Insert level by level to satisfy the parent foreign key on PostgreSQL.
    for level in sorted({o.level for o in new}, key=LEVEL_ORDER.__getitem__):
        model.objects.bulk_create([o for o in new if o.level == level], batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, ["name", "level", "parent"], batch_size=1000)
    return len(new) + len(changed)


def load_all(division_model: Any, industry_model: Any) -> tuple[int, int]:
    return load(division_model, "divisions.csv"), load(industry_model, "industries.csv")

"""verify_draw.py (standard library only) reproduces a stored matching and a stored redraw."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assignments import services
from assignments.tests.helpers import joint_task

ROOT = Path(__file__).resolve().parents[2]


def verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "verify_draw.py"), *map(str, args)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def stored(world, tmp_path):
    joint = joint_task(world)
    run = services.do_run_match(world.users["coordinator"], joint.task)
    (tmp_path / "MATCH_MANIFEST.json").write_text(run.manifest, encoding="utf-8")
    (tmp_path / "INSPECTORS.csv").write_text(run.inspectors_csv, encoding="utf-8")
    (tmp_path / "TARGETS.csv").write_text(run.targets_csv, encoding="utf-8")
    return joint, run, tmp_path


def test_the_verifier_reproduces_a_stored_matching(stored):
    _joint, _run, d = stored
    out = verify("match", d / "MATCH_MANIFEST.json", d / "INSPECTORS.csv", d / "TARGETS.csv")
    assert out.returncode == 0 and out.stdout.strip() == "OK", out.stdout


def test_the_verifier_catches_a_swapped_team_member(stored):
    _joint, run, d = stored
    manifest = json.loads(run.manifest)
    first = manifest["result"]["assignments"][0]["members"][0]
    first["id"] = "SW0003" if first["id"] != "SW0003" else "SW0002"
    (d / "MATCH_MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    out = verify("match", d / "MATCH_MANIFEST.json", d / "INSPECTORS.csv", d / "TARGETS.csv")
    assert out.returncode == 1 and out.stdout.startswith("MISMATCH: result.assignments[0].members[0]")


def test_the_verifier_reproduces_a_stored_redraw_and_catches_a_changed_one(stored):
    joint, run, d = stored
    visit = run.visits.order_by("position").first()
    slot = next(m.slot for m in visit.current_members() if m.department == joint.world.tax)
    redraw = services.do_redraw(joint.world.users["coordinator"], visit, slot, "illness", "因病住院")
    (d / "REDRAW.json").write_text(redraw.record, encoding="utf-8")
    out = verify("redraw", d / "REDRAW.json", d / "INSPECTORS.csv", d / "TARGETS.csv")
    assert out.returncode == 0 and out.stdout.strip() == "OK", out.stdout
    # choosing someone else than the ticket gave is detected
    record = json.loads(redraw.record)
    others = [p for p in ("SW0000", "SW0001", "SW0002", "SW0003") if p not in record["before"]["members"]]
    record["result"]["new"] = next(p for p in others if p != record["result"]["new"])
    (d / "REDRAW.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = verify("redraw", d / "REDRAW.json", d / "INSPECTORS.csv", d / "TARGETS.csv")
    assert out.returncode == 1 and out.stdout.startswith("MISMATCH: result.new"), out.stdout

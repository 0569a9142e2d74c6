"""The standard-library verifier: agreement, tamper detection, exit codes, command line."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

import verify_draw
from suiji_draw import Allocation, Candidate, DrawParams, Part, manifest_digest, manifest_json

from .conftest import REPO_ROOT
from .helpers import draw, sample_candidates

VERIFIER = REPO_ROOT / "verify_draw.py"


@pytest.fixture(scope="module")
def published():
    cands = sample_candidates(48, strata="AB")
    cands[5] = Candidate(cands[5].key, cands[5].stratum, 2, forced="complaint")
    cands[7] = Candidate(cands[7].key, cands[7].stratum, 2, excluded="cap")
    params = DrawParams(
        (
            Part("市场监管", "weighted", strata={"A": Allocation(ratio="0.2"), "B": Allocation(count=3)}, recent="0.5"),
            Part("税务", "uniform", Allocation(ratio="0.1", min=2), recent="exclude"),
        )
    )
    pool, result, manifest = draw(cands, params, context={"task": "2024-001"})
    return manifest, pool.csv_bytes()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFIER), *args], capture_output=True, text=True, check=False)


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, (*path, i))
    else:
        yield path, obj


def tampered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "1"
    if isinstance(value, str) and value:
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    return "x"


def set_path(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def test_the_command_line_prints_ok_for_a_genuine_draw(published, tmp_path):
    manifest, csv = published
    (tmp_path / "MANIFEST.json").write_bytes(manifest_json(manifest))
    (tmp_path / "CANDIDATES.csv").write_bytes(csv)
    proc = run_cli(str(tmp_path / "MANIFEST.json"), str(tmp_path / "CANDIDATES.csv"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "OK"


def test_the_command_line_explains_one_candidate(published, tmp_path):
    manifest, csv = published
    (tmp_path / "m.json").write_bytes(manifest_json(manifest))
    (tmp_path / "c.csv").write_bytes(csv)
    key = manifest["result"]["parts"][0]["forced"][0]
    proc = run_cli("explain", str(tmp_path / "m.json"), str(tmp_path / "c.csv"), key)
    assert proc.returncode == 0
    assert "forced" in proc.stdout and "ticket" in proc.stdout


def test_every_manifest_field_is_bound_by_the_self_digest(published):
    manifest, csv = published
    verify_draw.verify(manifest, csv)
    for path, value in leaves(manifest):
        if path == ("digest",):
            continue
        bad = copy.deepcopy(manifest)
        set_path(bad, path, tampered(value))
        with pytest.raises(verify_draw.Mismatch):
            verify_draw.verify(bad, csv)


def test_tampering_with_any_field_is_detected_even_when_the_self_digest_is_recomputed(published):
    manifest, csv = published
    checked = 0
    for path, value in leaves(manifest):
        if path[0] in ("digest", "context"):
            continue
        bad = copy.deepcopy(manifest)
        set_path(bad, path, tampered(value))
        bad["digest"] = manifest_digest(bad)
        with pytest.raises(verify_draw.Mismatch):
            verify_draw.verify(bad, csv)
        checked += 1
    assert checked > 100


def test_reordering_or_dropping_selected_entries_is_detected(published):
    manifest, csv = published
    for change in ("swap", "drop", "extra"):
        bad = copy.deepcopy(manifest)
        selected = bad["result"]["selected"]
        if change == "swap":
            selected[0], selected[1] = selected[1], selected[0]
        elif change == "drop":
            selected.pop()
        else:
            selected.append(dict(selected[0]))
        bad["digest"] = manifest_digest(bad)
        with pytest.raises(verify_draw.Mismatch) as err:
            verify_draw.verify(bad, csv)
        assert "result.selected" in str(err.value)


def test_tampering_with_any_candidate_row_is_detected(published):
    manifest, csv = published
    header, *rows = csv.decode().rstrip("\n").split("\n")
    edits = []
    for n, row in enumerate(rows):
        key, stratum, weight, recent, forced, excluded = row.split(",")
        variants = [
            f"{key},{'B' if stratum == 'A' else 'A'},{weight},{recent},{forced},{excluded}",
            f"{key},{stratum},{int(weight) + 1},{recent},{forced},{excluded}",
            f"{key},{stratum},{weight},{1 - int(recent)},{forced},{excluded}",
            f"{key},{stratum},{weight},{recent},{'' if forced else 'complaint'},",
            f"{key},{stratum},{weight},{recent},,{'' if excluded else 'cap'}",
            None,
        ]
        for v in variants:
            changed = rows[:n] + ([] if v is None else [v]) + rows[n + 1 :]
            edits.append(("\n".join([header, *changed]) + "\n").encode())
    edits.append(("\n".join([header, *rows[::-1]]) + "\n").encode())
    edits.append(("\n".join([header, *rows, rows[-1]]) + "\n").encode())
    for data in edits:
        with pytest.raises((verify_draw.Mismatch, verify_draw.Unreadable)):
            verify_draw.verify(manifest, data)


def test_the_first_difference_names_the_field_and_the_key(published, tmp_path):
    manifest, csv = published
    bad = copy.deepcopy(manifest)
    drawn = bad["result"]["parts"][0]["drawn"]
    expected_key = drawn[2]
    drawn[2] = "SOMEONE-ELSE"
    bad["digest"] = manifest_digest(bad)
    (tmp_path / "m.json").write_text(json.dumps(bad, ensure_ascii=False))
    (tmp_path / "c.csv").write_bytes(csv)
    proc = run_cli(str(tmp_path / "m.json"), str(tmp_path / "c.csv"))
    assert proc.returncode == 1
    assert "result.parts[0].drawn[2]" in proc.stdout and expected_key in proc.stdout


def test_a_wrong_secret_is_reported_as_a_commitment_failure(published):
    manifest, csv = published
    bad = copy.deepcopy(manifest)
    bad["secret"] = "00" * 32
    with pytest.raises(verify_draw.Mismatch, match="commitment"):
        verify_draw.verify(bad, csv)


def test_unreadable_inputs_exit_with_status_2(published, tmp_path):
    manifest, csv = published
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "m.json").write_bytes(manifest_json(manifest))
    (tmp_path / "c.csv").write_bytes(csv)
    (tmp_path / "bad.csv").write_bytes(b"key,stratum\nA,x\n")
    assert run_cli(str(tmp_path / "bad.json"), str(tmp_path / "c.csv")).returncode == 2
    assert run_cli(str(tmp_path / "m.json"), str(tmp_path / "missing.csv")).returncode == 2
    assert run_cli(str(tmp_path / "m.json"), str(tmp_path / "bad.csv")).returncode == 2
    floats = json.loads(manifest_json(manifest))
    floats["pool"]["count"] = 1.5
    (tmp_path / "float.json").write_text(json.dumps(floats))
    assert run_cli(str(tmp_path / "float.json"), str(tmp_path / "c.csv")).returncode == 2


def test_help_describes_every_form():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "MANIFEST" in proc.stdout and "rfc3797" in proc.stdout and "explain" in proc.stdout


def test_the_rfc3797_command_reproduces_the_rfc_example():
    proc = run_cli(
        "rfc3797", "--pool", "25", "--select", "10", "--source", "9319", "--source", "2 5 12 8 10",
        "--source", "9 18 26 34 41 45",
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.strip() == "17 7 2 16 25 23 8 24 19 13"

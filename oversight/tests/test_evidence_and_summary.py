"""The evidence pack of a task (with a real draw) and the task summary."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from core.models import AuditEntry
from draws import services as draw_services
from draws.tests.helpers import INPUTS, WITNESSES, make_firms, make_task, params
from oversight.models import SummaryState, TaskSummary
from oversight.tests.conftest import make_item, make_record


@pytest.fixture
def drawn(world):
    make_firms(world.county, 60)
    task = make_task(world, params=params("0.1"))
    _item, version = make_item(world, world.market, "EV-1")
    task.items.add(version)
    coord = world.users["coordinator"]
    draw = draw_services.do_draw(draw_services.do_commit(task, coord), coord, WITNESSES, INPUTS)
    target = draw.selections.order_by("position").first().target
    record = make_record(
        task, target, world.users["inspector"], "published", approver=world.users["approver"],
        categories={version: "no_problem"},
    )  # fmt: skip
    task.refresh_from_db()
    return task, draw, record


def _pack(client, task):
    response = client.get(reverse("oversight-evidence", args=[task.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_evidence_pack_holds_the_draw_its_verification_records_and_the_verified_chain(client, world, drawn):
    task, draw, record = drawn
    client.force_login(world.users["auditor"])
    zf = _pack(client, task)
    names = set(zf.namelist())
    assert {"index.html", "task.json", "records.csv", "records.json", "audit/entries.json"} <= names
    assert {"draws/1/MANIFEST.json", "draws/1/CANDIDATES.csv", "draws/1/verification.json"} <= names
    verification = json.loads(zf.read("draws/1/verification.json"))
    assert verification["ok"] is True
    assert {c["check"] for c in verification["checks"]} == {
        "manifest digest",
        "verify_draw.py",
        "stored selection = manifest",
    }
    chain = json.loads(zf.read("audit/chain-verification.json"))
    assert chain["ok"] is True and chain["entries_of_this_task_ok"] is True and chain["bad_entries"] == []
    entries = json.loads(zf.read("audit/entries.json"))
    types = {e["object_type"] for e in entries}
    assert {"draws.Task", "draws.Draw"} <= types
    assert any(e["action"] == "transition" and e["object_type"] == "draws.Draw" for e in entries)
    rows = json.loads(zf.read("records.json"))
    assert rows[0]["record"] == record.pk and rows[0]["entered_by"] and rows[0]["result_published_at"]
    index = zf.read("index.html").decode()
    assert "chain OK" in index and task.name in index
    # The download itself is in the audit trail.
    assert AuditEntry.objects.filter(action="action", object_id=str(task.pk), after__contains="evidence_pack").exists()


def test_the_evidence_pack_detects_a_tampered_audit_row(client, world, drawn):
    task, draw, _record = drawn
    entry = AuditEntry.objects.filter(object_type="draws.Draw", object_id=str(draw.pk), action="transition").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET after = %s WHERE seq = %s", ['{"state":"drawn","selected":"1"}', entry.seq]
        )
    client.force_login(world.users["coordinator"])
    zf = _pack(client, task)
    chain = json.loads(zf.read("audit/chain-verification.json"))
    assert chain["ok"] is False and chain["first_broken_seq"] == entry.seq
    assert chain["bad_entries"] == [entry.seq]
    assert "BROKEN" in zf.read("index.html").decode()


def test_a_tampered_manifest_fails_its_verification(client, world, drawn):
    task, draw, _record = drawn
    manifest = json.loads(draw.manifest)
    manifest["seed"] = "0" * 64
    type(draw).objects.filter(pk=draw.pk).update(manifest=json.dumps(manifest))
    client.force_login(world.users["coordinator"])
    verification = json.loads(_pack(client, task).read("draws/1/verification.json"))
    assert verification["ok"] is False


def test_the_evidence_pack_is_hidden_from_others(client, world, drawn):
    task, _draw, _record = drawn
    client.force_login(world.users["outsider"])
    assert client.get(reverse("oversight-evidence", args=[task.pk])).status_code == 404
    client.force_login(world.users["inspector"])
    assert client.get(reverse("oversight-evidence", args=[task.pk])).status_code == 403


def test_the_summary_is_generated_edited_filed_and_then_immutable(client, world, drawn):
    task, _draw, _record = drawn
    client.force_login(world.users["coordinator"])
    url = reverse("oversight-summary", args=[task.pk])
    page = client.get(url).content.decode()
    selected = task.draws.get().selections.count()
    assert f"共抽取检查对象{selected}户" in page and "已公示结果1户" in page
    assert client.post(url, {"text": "", "action": "save"}).status_code == 422
    assert not TaskSummary.objects.exists()
    client.post(url, {"text": "初稿", "action": "save"})
    summary = TaskSummary.objects.get(task=task)
    assert summary.text == "初稿" and summary.state == SummaryState.DRAFT
    client.post(url, {"text": "定稿", "action": "file"})
    summary.refresh_from_db()
    assert summary.state == SummaryState.FILED and summary.filed_by == world.users["coordinator"]
    assert summary.text == "定稿" and summary.filed_at is not None
    response = client.post(url, {"text": "改动", "action": "save"})
    assert response.status_code == 409 and "不能修改" in response.content.decode()
    summary.refresh_from_db()
    assert summary.text == "定稿"
    summary.text = "直接改"
    with pytest.raises(ValidationError):
        summary.save()
    assert AuditEntry.objects.filter(object_type="oversight.TaskSummary", action="transition").count() == 1
    # The approver reads it but may not write it.
    client.force_login(world.users["approver"])
    assert "定稿" in client.get(url).content.decode()
    assert client.post(url, {"text": "x", "action": "save"}).status_code == 403

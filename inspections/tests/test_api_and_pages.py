import base64
import datetime as dt
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ApiToken
from conftest import make_user
from directory.models import Inspector
from inspections.models import FollowUp, Record, RecordState, Result
from inspections.tests.conftest import JPG, published, submitted

SCRIPT = "<script>alert(1)</script>"


def _body(visit, key=None, **extra):
    body = {
        "task_id": visit.task.pk,
        "target_key": visit.target.key,
        "idempotency_key": key or uuid.uuid4().hex,
        "checked_on": dt.date.today().isoformat(),
        "methods": ["other_authority"],
        "item_ids": [visit.version.pk],
        "results": [{"item_version_id": visit.version.pk, "category": "no_problem"}],
        "findings": [{"checkpoint_id": p.pk, "outcome": "ok"} for p in visit.points],
        "signature_kind": "missing",
        "signature_missing_reason": "书面检查",
        "source_system": "税务系统",
    }
    body.update(extra)
    return body


def test_another_authoritys_system_submits_by_token_once(client, visit):
    tax_user = make_user("tax_inspector", "inspector", visit.world.county, visit.world.tax)
    Inspector.objects.create(
        organisation=visit.world.county, department=visit.world.tax, name="税务检查员", user=tax_user
    )
    _, raw = ApiToken.issue(tax_user, "tax system")
    body = _body(visit, key="tax-0001-abcdef")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    first = client.post("/api/inspections/records", body, content_type="application/json", **auth)
    assert first.status_code == 201, first.content
    again = client.post("/api/inspections/records", body, content_type="application/json", **auth)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["source"] == "api"
    assert Record.objects.count() == 1


def test_a_token_of_another_organisation_cannot_submit(client, visit):
    other = make_user("xp_inspector", "inspector", visit.world.other_county, visit.world.other_market)
    _, raw = ApiToken.issue(other, "x")
    response = client.post(
        "/api/inspections/records", _body(visit), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 404


def test_the_api_refuses_a_target_not_in_the_task(client, visit):
    client.force_login(visit.world.users["inspector"])
    response = client.post(
        "/api/inspections/records", _body(visit, target_key=visit.outside.key), content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["error"] == "not_in_task"


def test_the_api_refuses_publishing_before_approval_and_self_approval(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["approver"])
    assert client.post(f"/api/inspections/records/{record.pk}/publish").status_code == 409
    assert client.post(f"/api/inspections/records/{record.pk}/approve").status_code == 200
    assert client.post(f"/api/inspections/records/{record.pk}/publish").json()["state"] == "published"


def test_the_api_uploads_an_attachment_and_refuses_a_disguised_file(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["inspector"])
    url = f"/api/inspections/records/{record.pk}/attachments"
    good = client.post(url, {"kind": "photo", "file": SimpleUploadedFile("a/../现场.jpg", JPG)})
    assert good.status_code == 201 and good.json()["name"] == "现场.jpg"
    bad = client.post(url, {"kind": "photo", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")})
    assert bad.status_code == 422 and bad.json()["error"] == "file_type"


def test_the_api_corrects_a_published_result_as_a_new_version(client, visit):
    record = published(visit)
    result = record.results.get()
    client.force_login(visit.world.users["inspector"])
    response = client.post(
        f"/api/inspections/results/{result.pk}/correct",
        {"category": "ordered_to_correct", "reason": "复核"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    assert Result.objects.get(pk=result.pk).category == "no_problem"


def test_the_api_creates_and_closes_a_follow_up(client, visit):
    record = published(visit, categories={visit.version.pk: "ordered_to_correct"})
    result = record.results.get()
    client.force_login(visit.world.users["coordinator"])
    response = client.post(
        f"/api/inspections/results/{result.pk}/follow-ups",
        {"kind": "transfer", "other_authority": "县卫生健康委员会"},
        content_type="application/json",
    )
    assert response.status_code == 201
    fid = response.json()["id"]
    closed = client.post(
        f"/api/inspections/follow-ups/{fid}/close", {"reason": "已移送"}, content_type="application/json"
    )
    assert closed.json()["state"] == "closed"
    outsider = visit.world.users["outsider"]
    client.force_login(outsider)
    assert client.get(f"/api/inspections/tasks/{visit.task.pk}/progress").status_code == 404
    assert (
        client.post(
            f"/api/inspections/results/{result.pk}/correct",
            {"category": "x", "reason": "y"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_record_form_submits_once_and_the_record_page_escapes_script(client, visit):
    client.force_login(visit.world.users["inspector"])
    url = reverse("inspection-record-form", args=[visit.task.pk, visit.target.key])
    page = client.get(url, {"items": visit.version.pk})
    assert page.status_code == 200 and 'name="idempotency_key"' in page.content.decode()
    assert "record.js" in page.content.decode()
    data = {
        "idempotency_key": "form-key-0001",
        "items": [visit.version.pk],
        "checked_on": dt.date.today().isoformat(),
        "methods": ["onsite"],
        f"category_{visit.version.pk}": "no_problem",
        "summary": SCRIPT,
        "signature_kind": "drawn",
        "signature_drawn": "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode(),
        "attachments": [SimpleUploadedFile("<img src=x onerror=alert(1)>.jpg", JPG)],
    }
    for p in visit.points:
        data[f"outcome_{p.pk}"] = "ok"
        data[f"note_{p.pk}"] = SCRIPT
    first = client.post(url, data)
    assert first.status_code == 302
    data["attachments"] = [SimpleUploadedFile("a.jpg", JPG)]
    second = client.post(url, data)  # the retry after a lost connection
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Record.objects.count() == 1
    record_page = client.get(first["Location"]).content.decode()
    assert SCRIPT not in record_page and "&lt;script&gt;" in record_page
    assert "print.css" in record_page


def test_the_record_form_refuses_a_wrong_upload_with_a_message(client, visit):
    client.force_login(visit.world.users["inspector"])
    url = reverse("inspection-record-form", args=[visit.task.pk, visit.target.key])
    data = {
        "idempotency_key": "form-key-0002",
        "items": [visit.version.pk],
        "methods": ["onsite"],
        f"category_{visit.version.pk}": "no_problem",
        "signature_kind": "missing",
        "signature_missing_reason": "不在场",
        "attachments": [SimpleUploadedFile("evil.jpg", b"#!/bin/sh\nrm -rf /")],
    }
    for p in visit.points:
        data[f"outcome_{p.pk}"] = "ok"
    response = client.post(url, data)
    assert response.status_code == 422 and 'data-testid="form-error"' in response.content.decode()
    assert Record.objects.count() == 0


def test_the_form_of_a_target_not_in_the_task_is_not_found(client, visit):
    client.force_login(visit.world.users["inspector"])
    assert client.get(reverse("inspection-record-form", args=[visit.task.pk, visit.outside.key])).status_code == 404


def test_approver_and_publisher_pages_walk_a_record_to_publication(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["approver"])
    assert visit.target.name in client.get(reverse("inspection-approvals")).content.decode()
    client.post(reverse("inspection-approve", args=[record.pk]))
    page = client.get(reverse("inspection-publication")).content.decode()
    assert visit.target.name in page
    client.post(reverse("inspection-publish", args=[record.pk]))
    assert Record.objects.get(pk=record.pk).state == RecordState.PUBLISHED
    client.force_login(visit.world.users["coordinator"])
    firm = client.get(reverse("inspection-firm", args=[visit.target.key]))
    assert firm.status_code == 200 and "v1" in firm.content.decode()
    task_page = client.get(reverse("inspection-task", args=[visit.task.pk])).content.decode()
    assert 'data-testid="progress"' in task_page


def test_the_return_and_correct_actions_from_pages(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["approver"])
    client.post(reverse("inspection-return", args=[record.pk]), {"reason": "缺少照片"})
    assert Record.objects.get(pk=record.pk).state == RecordState.RETURNED
    record = Record.objects.get(pk=record.pk)
    record.state = RecordState.SUBMITTED
    record.save()
    client.post(reverse("inspection-approve", args=[record.pk]))
    client.post(reverse("inspection-publish", args=[record.pk]))
    client.force_login(visit.world.users["inspector"])
    result = Result.objects.get()
    client.post(reverse("inspection-correct", args=[result.pk]), {"category": "ordered_to_correct", "reason": "复核"})
    assert Result.objects.filter(version=2).exists()


def test_the_follow_up_close_page_lists_the_firm(client, visit):
    record = submitted(visit, categories={visit.version.pk: "not_publicised"})
    client.force_login(visit.world.users["approver"])
    client.post(reverse("inspection-approve", args=[record.pk]))
    follow_up = FollowUp.objects.get()
    client.force_login(visit.world.users["coordinator"])
    assert visit.target.name in client.get(reverse("inspection-follow-ups")).content.decode()
    url = reverse("inspection-follow-up-close", args=[follow_up.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": ""}).status_code == 422
    assert client.post(url, {"note": "已列入"}).status_code == 302
    client.force_login(visit.world.users["outsider"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("inspection-record", args=[record.pk])).status_code == 404
    assert client.get(reverse("inspection-firm", args=[visit.target.key])).status_code == 404

"""The import API and pages: permissions, scope, upload limits, the job's progress and error report."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uscc import make_uscc
from directory.models import Target
from jobs.models import Job
from jobs.runner import claim_next, run_job


def csv_file(n=2, bad=True, name="t.csv"):
    rng = random.Random(5)
    lines = ["统一社会信用代码,企业名称"] + [f"{make_uscc(rng, '9', '1', '411722')},公司{i}" for i in range(n)]
    if bad:
        lines.append("123,坏")
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("gbk"), content_type="text/csv")


def post(client, org, file=None, mode="good_rows"):
    return client.post("/api/directory/imports", {"file": file or csv_file(), "organisation": org.pk, "mode": mode})


@pytest.mark.parametrize(
    "role", ["administrator", "organiser", "participant", "inspector", "approver", "auditor", "norole"]
)
def test_only_coordinators_may_import(client, world, role):
    client.force_login(world.users[role])
    assert post(client, world.county).status_code == 403
    assert client.get("/directory/imports/").status_code == 403
    assert Job.objects.count() == 0


def test_coordinator_imports_through_a_job_and_downloads_the_error_report(client, world):
    client.force_login(world.users["coordinator"])
    response = post(client, world.county)
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert response.json()["state"] == "queued"
    job = claim_next()
    assert job.pk == job_id and claim_next() is None
    run_job(job)
    data = client.get(f"/api/directory/imports/{job_id}").json()
    assert data["state"] == "done" and data["percent"] == 100
    assert data["result"]["created"] == 2 and data["result"]["bad_rows"] == 1
    assert data["result"]["errors"][0]["line"] == 4 and data["result"]["errors"][0]["reason"] == "key_length"
    report = client.get(f"/api/directory/imports/{job_id}/errors")
    assert report.status_code == 200 and report.content.startswith(b"PK")
    assert "key_length" in client.get(f"/api/directory/imports/{job_id}/errors?format=csv").content.decode("utf-8-sig")
    page = client.get(f"/directory/imports/{job_id}/")
    assert page.status_code == 200 and "key_length" not in page.content.decode()
    assert client.get(f"/directory/imports/{job_id}/errors/").status_code == 200
    assert Target.objects.count() == 2


def test_another_organisations_job_is_not_found(client, world):
    client.force_login(world.users["coordinator"])
    job_id = post(client, world.county).json()["id"]
    client.force_login(world.users["outsider"])
    assert client.get(f"/api/directory/imports/{job_id}").status_code == 404
    assert client.get(f"/api/directory/imports/{job_id}/errors").status_code == 404
    assert client.get(f"/directory/imports/{job_id}/").status_code == 404
    assert post(client, world.county).status_code == 404


def test_upload_limit_and_empty_file(client, world, settings):
    client.force_login(world.users["coordinator"])
    settings.SUIJI_MAX_UPLOAD_BYTES = 50
    response = post(client, world.county, csv_file(20))
    assert response.status_code == 413 and response.json()["message_zh"]
    settings.SUIJI_MAX_UPLOAD_BYTES = 10_000
    response = post(client, world.county, SimpleUploadedFile("e.csv", b""))
    assert response.status_code == 422
    assert post(client, world.county, mode="sometimes").status_code == 422
    assert Job.objects.count() == 0


def test_page_starts_a_job_and_polls_progress(client, world, settings):
    settings.SUIJI_JOBS_EAGER = True
    client.force_login(world.users["coordinator"])
    response = client.post(
        "/directory/imports/", {"file": csv_file(bad=False), "organisation": world.county.pk, "mode": "all_or_nothing"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "<progress" in page.content.decode()
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in partial and Target.objects.count() == 2


def test_binary_upload_changes_nothing(client, world, settings):
    settings.SUIJI_JOBS_EAGER = True
    client.force_login(world.users["coordinator"])
    data = post(client, world.county, SimpleUploadedFile("x.csv", b"\x00\x01\x02binary" * 20)).json()
    job = Job.objects.get(pk=data["id"])
    assert job.result["fatal"]["reason"] == "binary" and Target.objects.count() == 0


def test_export_is_scoped(client, world):
    Target.objects.create(organisation=world.county, key="A" * 18, name="本县")
    Target.objects.create(organisation=world.other_county, key="B" * 18, name="外县")
    client.force_login(world.users["organiser"])
    text = client.get("/directory/export/").content.decode("utf-8-sig")
    assert "本县" in text and "外县" not in text
    assert client.get("/directory/export/?format=xlsx").content.startswith(b"PK")

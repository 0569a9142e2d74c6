"""Importing inspectors and experts: encodings, Excel, Chinese headers, row errors, modes, the command, the page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from core.models import AuditEntry
from directory.importing.people import parse_date, run_people_import
from directory.models import Expert, Expertise, Inspector
from orgs.models import Unit, UnitKind

HEADER = "姓名,执法单位,职务,证件类型,执法证号,证件有效期,擅长领域,所属区域,状态,可任组长"
GOOD = [
    "张三,城关市场监管所,所长,市场监管执法证,41172201001,2030-12-31,食品、特种设备,411722,在岗,是",
    "李四,综合行政执法大队,科员,行政执法证,41172201002,2030年6月30日,食品,上蔡县,休假,否",
    "王五,上蔡县市场监督管理局,科员,,41172201003,20301231,,,,",
]


@pytest.fixture
def setup(world):
    Expertise.objects.create(code="food", name="食品")
    Expertise.objects.create(code="equipment", name="特种设备")
    Unit.objects.create(department=world.market, kind=UnitKind.STATION, name="城关市场监管所")
    Unit.objects.create(department=world.market, kind=UnitKind.BRIGADE, name="综合行政执法大队")
    return world


def write(tmp_path, lines, encoding="utf-8", name="p.csv"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def test_parse_date_forms():
    assert {
        parse_date(t).isoformat() for t in ("2030-01-02", "2030/1/2", "2030.01.02", "2030年1月2日", "20300102")
    } == {"2030-01-02"}
    with pytest.raises(ValueError):
        parse_date("明年")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding(setup, tmp_path, encoding):
    result = run_people_import(write(tmp_path, [HEADER, *GOOD], encoding), setup.county)
    assert result.committed and result.created == 3 and result.error_count == 0, result.as_dict()
    a = Inspector.objects.get(certificate_no="41172201001")
    assert (a.unit.name, a.department, a.position, a.certificate_kind, a.status, a.is_team_leader_eligible) == (
        "城关市场监管所",
        setup.market,
        "所长",
        "market",
        "active",
        True,
    )
    assert sorted(a.expertise.values_list("code", flat=True)) == ["equipment", "food"]
    b = Inspector.objects.get(certificate_no="41172201002")
    assert b.status == "leave" and b.region_id == "411722" and b.certificate_expiry.isoformat() == "2030-06-30"
    c = Inspector.objects.get(certificate_no="41172201003")
    assert c.unit is None and c.department == setup.market


def test_xlsx(setup, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for line in GOOD:
        ws.append(line.split(","))
    path = tmp_path / "p.xlsx"
    wb.save(path)
    result = run_people_import(path, setup.county)
    assert result.committed and result.created == 3


BAD = [
    (",城关市场监管所,,,41172201011,,,,,", "姓名", "missing_name"),
    ("甲,不存在所,,,41172201012,,,,,", "执法单位", "unknown_unit"),
    ("乙,城关市场监管所,,,41172201013,明年,,,,", "证件有效期", "bad_date"),
    ("丙,城关市场监管所,,,41172201014,,法律,,,", "擅长领域", "unknown_expertise"),
    ("丁,城关市场监管所,,,41172201015,,,999999,,", "所属区域", "unknown_region"),
    ("戊,城关市场监管所,,,41172201016,,,,离职了,", "状态", "bad_status"),
    ("己,城关市场监管所,,假证,41172201017,,,,,", "证件类型", "bad_certificate_kind"),
    ("庚,城关市场监管所,,,41172201018,,,,,也许", "可任组长", "bad_flag"),
    ("张三,城关市场监管所,,,41172201001,,,,,", "执法证号", "duplicate"),
    ("辛,,,,41172201019,,,,,", "执法单位", "missing_unit"),
]


def test_every_bad_row_is_reported_with_line_column_and_reason(setup, tmp_path):
    lines = [HEADER, GOOD[0], *(b[0] for b in BAD)]
    result = run_people_import(write(tmp_path, lines), setup.county, error_path=tmp_path / "e.csv")
    got = {(e["line"], e["column"], e["reason"]) for e in result.errors}
    assert got == {(i + 3, col, reason) for i, (_, col, reason) in enumerate(BAD)}
    assert result.committed and result.created == 1 and result.bad_rows == len(BAD)
    assert (tmp_path / "e.csv").read_text(encoding="utf-8-sig").count("\n") == len(BAD) + 1


def test_all_or_nothing_stores_nothing(setup, tmp_path):
    result = run_people_import(write(tmp_path, [HEADER, *GOOD, BAD[1][0]]), setup.county, mode="all_or_nothing")
    assert not result.committed and result.error_count == 1 and Inspector.objects.count() == 0


def test_reimport_updates_and_another_organisations_certificate_is_refused(setup, tmp_path):
    run_people_import(write(tmp_path, [HEADER, *GOOD]), setup.county)
    changed = GOOD[0].replace("所长", "副所长")
    result = run_people_import(write(tmp_path, [HEADER, changed]), setup.county)
    assert result.updated == 1 and Inspector.objects.get(certificate_no="41172201001").position == "副所长"
    # The same rows again: matched, nothing to change, so counted unchanged and not written.
    entries = AuditEntry.objects.count()
    result = run_people_import(write(tmp_path, [HEADER, changed, *GOOD[1:]]), setup.county)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert AuditEntry.objects.count() == entries + 1  # the import's summary only: no person was saved
    # Only the expertise differs: updated.
    result = run_people_import(write(tmp_path, [HEADER, changed.replace("食品、特种设备", "食品")]), setup.county)
    assert (result.updated, result.unchanged) == (1, 0)
    assert list(Inspector.objects.get(certificate_no="41172201001").expertise.values_list("code", flat=True)) == [
        "food"
    ]
    Inspector.objects.create(
        organisation=setup.other_county, department=setup.other_market, name="外", certificate_no="41172101009"
    )
    line = "外,城关市场监管所,,,41172101009,,,,,"
    result = run_people_import(write(tmp_path, [HEADER, line]), setup.county)
    assert result.errors[0]["reason"] == "other_organisation"
    assert Inspector.objects.get(certificate_no="41172101009").organisation == setup.other_county


def test_unreadable_or_headerless_files_are_fatal(setup, tmp_path):
    assert run_people_import(write(tmp_path, ["a,b", "1,2"]), setup.county).fatal["reason"] == "missing_column"
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    assert run_people_import(empty, setup.county).fatal["reason"] == "empty"


def test_experts(setup, tmp_path):
    lines = ["姓名,工作单位,职称,专业领域,联系电话,状态", "赵六,省质检院,高级工程师,食品,13800000000,在职"]
    result = run_people_import(write(tmp_path, lines), setup.county, kind="experts")
    assert result.created == 1
    e = Expert.objects.get()
    assert (e.employer, e.title, e.phone) == ("省质检院", "高级工程师", "13800000000")


def test_the_command(setup, tmp_path):
    out = io.StringIO()
    call_command(
        "import_inspectors", str(write(tmp_path, [HEADER, *GOOD])), organisation=setup.county.pk, quiet=True, stdout=out
    )
    assert "3 created" in out.getvalue() and Inspector.objects.count() == 3
    with pytest.raises(SystemExit):
        call_command(
            "import_experts",
            str(write(tmp_path, ["姓名,专业领域", "甲,法律"])),
            organisation=setup.county.pk,
            mode="all_or_nothing",
            quiet=True,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not Expert.objects.exists()


def test_the_upload_page_and_error_report(client, setup, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(setup.users["coordinator"])
    data = ("\n".join([HEADER, GOOD[0], BAD[1][0]]) + "\n").encode("gbk")
    response = client.post(
        reverse("people-imports"),
        {
            "kind": "inspectors",
            "mode": "good_rows",
            "organisation": setup.county.pk,
            "file": SimpleUploadedFile("人员.csv", data),
        },
    )
    assert response.status_code == 302
    job_id = int(response["Location"].split("job=")[1])
    queued = client.get(response["Location"]).content.decode()  # a background job: queued, with its progress bar
    assert 'data-testid="import-state"' in queued and "<progress" in queued and "hx-get" in queued
    assert not Inspector.objects.exists()
    from jobs.models import Job
    from jobs.runner import claim_next, run_job

    job = claim_next()
    assert job is not None and job.pk == job_id
    assert run_job(job).state == "done"
    assert Job.objects.get(pk=job_id).done == 2
    page = client.get(response["Location"]).content.decode()
    assert "不存在所" in page and "新增1" in page and "hx-get" not in page.split('id="people-import-status"')[1][:80]
    report = client.get(reverse("people-import-errors", args=[job_id]) + "?format=csv")
    assert report.status_code == 200 and "unknown_unit" in report.content.decode("utf-8-sig")
    assert client.get(reverse("people-import-errors", args=[job_id])).status_code == 200
    client.force_login(setup.users["outsider"])
    assert client.get(reverse("people-import-errors", args=[job_id])).status_code == 404
    client.force_login(setup.users["approver"])
    assert client.get(reverse("people-import-errors", args=[job_id])).status_code == 403
    client.force_login(setup.users["coordinator"])
    bad = {
        "kind": "nobody",
        "mode": "good_rows",
        "organisation": setup.county.pk,
        "file": SimpleUploadedFile("x.csv", data),
    }
    assert client.post(reverse("people-imports"), bad).status_code == 422
    other = {
        **bad,
        "kind": "inspectors",
        "organisation": setup.other_county.pk,
        "file": SimpleUploadedFile("x.csv", data),
    }
    assert client.post(reverse("people-imports"), other).status_code == 422
    assert Inspector.objects.count() == 1

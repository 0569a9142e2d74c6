"""The record form of a joint visit: one section per department, every check point; the printable record."""

import base64
import datetime as dt
import struct
import zlib

import pytest
from django.urls import reverse

from inspections.models import Finding, Record
from inspections.tests.conftest import make_visit


def tiny_png() -> bytes:
    """A real 1×1 PNG, as a drawn signature's canvas exports it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def joint(world):
    return make_visit(world, joint=True)


def _form_data(visit, key="joint-key-0001", **extra):
    versions = [visit.version] + [v for v, _ in visit.others]
    points = visit.points + [p for _, ps in visit.others for p in ps]
    data = {
        "idempotency_key": key,
        "items": [v.pk for v in versions],
        "checked_on": dt.date.today().isoformat(),
        "methods": ["onsite", "written"],
        "signature_kind": "drawn",
        "signature_drawn": "data:image/png;base64," + base64.b64encode(tiny_png()).decode(),
    }
    for v in versions:
        data[f"category_{v.pk}"] = "no_problem"
    for p in points:
        data[f"outcome_{p.pk}"] = "ok"
    data.update(extra)
    return data


def test_the_form_of_a_joint_visit_has_one_section_per_department_with_every_check_point(client, joint):
    client.force_login(joint.world.users["inspector"])
    page = client.get(reverse("inspection-record-form", args=[joint.task.pk, joint.target.key])).content.decode()
    assert page.count('data-testid="record-section"') == 2
    market = page.index(f'data-department="{joint.world.market.pk}"')
    tax = page.index(f'data-department="{joint.world.tax.pk}"')
    for p in joint.points:
        assert market < page.index(f'name="outcome_{p.pk}"') < tax
    for _, points in joint.others:
        for p in points:
            assert page.index(f'name="outcome_{p.pk}"') > tax
    assert page.count('<option value="">') >= 2  # a result per item, never pre-filled
    assert "selected" not in page.split('name="category_')[1].split("</select>")[0]
    assert 'name="viewport"' in page and "record.css" in page


def test_a_joint_record_has_a_result_per_item_and_a_finding_per_check_point(client, joint):
    client.force_login(joint.world.users["inspector"])
    url = reverse("inspection-record-form", args=[joint.task.pk, joint.target.key])
    response = client.post(url, _form_data(joint))
    assert response.status_code == 302
    record = Record.objects.get()
    assert record.results.count() == 2
    assert Finding.objects.filter(record=record).count() == len(joint.points) + len(joint.others[0][1])
    assert client.post(url, _form_data(joint)).status_code == 302 and Record.objects.count() == 1


def test_a_joint_record_missing_a_department_s_check_point_is_refused(client, joint):
    client.force_login(joint.world.users["inspector"])
    data = _form_data(joint)
    del data[f"outcome_{joint.others[0][1][0].pk}"]
    response = client.post(reverse("inspection-record-form", args=[joint.task.pk, joint.target.key]), data)
    assert response.status_code == 422 and Record.objects.count() == 0


def test_the_printable_record_matches_the_paper_form_and_shows_the_signature(client, joint):
    client.force_login(joint.world.users["inspector"])
    client.post(reverse("inspection-record-form", args=[joint.task.pk, joint.target.key]), _form_data(joint))
    record = Record.objects.get()
    client.force_login(joint.world.users["approver"])
    page = client.get(reverse("inspection-record", args=[record.pk])).content.decode()
    assert page.count('data-testid="record-section"') == 2
    assert joint.world.market.name in page and joint.world.tax.name in page
    assert "print.css" in page and 'media="print"' in page and 'data-testid="signature-image"' in page
    signature = client.get(reverse("inspection-signature", args=[record.pk]))
    assert signature.status_code == 200 and signature["Content-Type"] == "image/png"
    assert b"".join(signature.streaming_content).startswith(b"\x89PNG")
    client.force_login(joint.world.users["outsider"])
    assert client.get(reverse("inspection-signature", args=[record.pk])).status_code in (403, 404)
    client.logout()
    assert client.get(reverse("inspection-signature", args=[record.pk])).status_code == 302


def test_a_record_without_signature_has_no_signature_file(client, joint):
    client.force_login(joint.world.users["inspector"])
    data = _form_data(joint, signature_kind="missing", signature_drawn="", signature_missing_reason="负责人外出")
    client.post(reverse("inspection-record-form", args=[joint.task.pk, joint.target.key]), data)
    record = Record.objects.get()
    client.force_login(joint.world.users["approver"])
    assert client.get(reverse("inspection-signature", args=[record.pk])).status_code == 404
    assert "负责人外出" in client.get(reverse("inspection-record", args=[record.pk])).content.decode()

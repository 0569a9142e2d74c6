import io

from django.urls import reverse
from openpyxl import Workbook

from catalog.excel import COLUMNS
from catalog.models import InspectionItem, VersionStatus
from catalog.services import do_publish
from catalog.tests.helpers import make_item

HOSTILE = '<script>alert("x")</script>'


def test_hostile_text_is_escaped_on_the_pages(client, world):
    item = make_item(world, name=HOSTILE, points=[{"text": HOSTILE, "method": "", "finding_criteria": HOSTILE}])
    client.force_login(world.users["inspector"])
    for url in (reverse("catalog-items"), reverse("catalog-item", args=[item.pk])):
        page = client.get(url).content.decode()
        assert HOSTILE not in page and "&lt;script&gt;" in page


def test_the_list_filters_and_hides_other_organisations(client, world):
    make_item(world, name="食品抽查")
    make_item(world, name="价格抽查", category="general", ratio_max="0.3")
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("catalog-items"), {"category": "general"}).content.decode()
    assert "价格抽查" in page and "食品抽查" not in page
    rows = client.get(reverse("catalog-items"), {"q": "食品"}, HTTP_HX_REQUEST="true").content.decode()
    assert "食品抽查" in rows and "<html" not in rows
    client.force_login(world.users["outsider"])
    assert "食品抽查" not in client.get(reverse("catalog-items")).content.decode()


def test_outsider_gets_404_and_non_coordinator_403(client, world):
    item = make_item(world)
    client.force_login(world.users["outsider"])
    assert client.get(reverse("catalog-item", args=[item.pk])).status_code == 404
    assert client.get(reverse("catalog-revise", args=[item.pk])).status_code == 404
    assert client.post(reverse("catalog-publish", args=[item.pk, 1])).status_code == 404
    client.force_login(world.users["organiser"])
    assert client.get(reverse("catalog-item", args=[item.pk])).status_code == 200
    assert client.get(reverse("catalog-revise", args=[item.pk])).status_code == 403
    assert client.post(reverse("catalog-publish", args=[item.pk, 1])).status_code == 403
    assert item.latest_version().status == VersionStatus.DRAFT


def _form(**kw):
    data = {
        "department": "",
        "name": "广告发布监督检查",
        "sub_item": "",
        "category": "general",
        "methods": ["onsite", "online"],
        "ratio_min_pct": "5",
        "ratio_max_pct": "30",
        "cp-TOTAL_FORMS": "3",
        "cp-INITIAL_FORMS": "0",
        "cp-MIN_NUM_FORMS": "0",
        "cp-MAX_NUM_FORMS": "200",
        "cp-0-order": "2",
        "cp-0-text": "第二点",
        "cp-1-order": "1",
        "cp-1-text": "第一点",
        "cp-1-method": "online",
    }
    data.update(kw)
    return data


def test_create_revise_and_publish_through_the_pages(client, world):
    client.force_login(world.users["coordinator"])
    r = client.post(reverse("catalog-new"), _form(department=world.market.pk, ratio_min_pct="4"))
    assert r.status_code == 400 and not InspectionItem.objects.exists()
    r = client.post(reverse("catalog-new"), _form(department=world.market.pk, ratio_max_pct=""))
    assert r.status_code == 400 and not InspectionItem.objects.exists()
    r = client.post(reverse("catalog-new"), _form(department=world.market.pk))
    item = InspectionItem.objects.get()
    assert r.status_code == 302
    v1 = item.latest_version()
    assert [p.text for p in v1.checkpoints.all()] == ["第一点", "第二点"]
    client.post(reverse("catalog-publish", args=[item.pk, 1]))
    assert client.get(reverse("catalog-revise", args=[item.pk])).status_code == 200
    r = client.post(reverse("catalog-revise", args=[item.pk]), _form(ratio_min_pct="10", reason="调整比例"))
    assert r.status_code == 302
    v1.refresh_from_db()
    assert v1.status == VersionStatus.PUBLISHED and item.versions.count() == 2
    page = client.get(reverse("catalog-item", args=[item.pk])).content.decode()
    assert 'data-testid="version-2"' in page and "调整比例" in page


def test_the_import_page_shows_row_errors(client, world):
    wb = Workbook()
    wb.active.append(COLUMNS)
    wb.active.append([1, "", "某事项", "", "", "一般", "现场检查", "", "", "3%", "", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "list.xlsx"
    client.force_login(world.users["coordinator"])
    r = client.post(reverse("catalog-import"), {"file": buf})
    assert r.status_code == 422
    page = r.content.decode()
    assert "抽查比例下限" in page and "抽查比例上限" in page
    assert not InspectionItem.objects.exists()


def test_export_page_downloads_the_published_list(client, world):
    item = make_item(world)
    do_publish(world.users["coordinator"], item.latest_version())
    client.force_login(world.users["approver"])
    r = client.get(reverse("catalog-export"))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")

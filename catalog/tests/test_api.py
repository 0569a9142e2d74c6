import pytest

from catalog.models import InspectionItem, VersionStatus
from catalog.services import do_publish
from catalog.tests.helpers import make_item

BODY = {
    "name": "特种设备使用单位监督检查",
    "sub_item": "电梯",
    "category": "general",
    "ratio_min": "0.05",
    "ratio_max": "0.3",
    "methods": ["onsite", "written"],
    "object_type": "特种设备使用单位",
    "checkpoints": [
        {"text": "电梯是否在检验有效期内", "method": "onsite", "finding_criteria": "超期未检"},
        {"text": "是否有维保记录", "method": "written", "finding_criteria": ""},
    ],
}


@pytest.fixture
def api(client):
    client.handler.enforce_csrf_checks = False
    return client


def test_a_coordinator_creates_revises_and_publishes(api, world):
    api.force_login(world.users["coordinator"])
    r = api.post("/api/catalog/items", BODY, content_type="application/json")
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["department_id"] == world.market.pk and item["published"] is None
    assert [p["order"] for p in item["versions"][0]["checkpoints"]] == [1, 2]
    r = api.post(f"/api/catalog/items/{item['id']}/versions/1/publish")
    assert r.status_code == 200 and r.json()["published"]["number"] == 1
    r = api.post(f"/api/catalog/items/{item['id']}/versions/1/publish")
    assert r.status_code == 409 and r.json()["message_zh"]
    r = api.post(
        f"/api/catalog/items/{item['id']}/versions", {**BODY, "ratio_max": "0.2"}, content_type="application/json"
    )
    assert r.status_code == 201
    versions = {v["number"]: v for v in r.json()["versions"]}
    assert versions[1]["status"] == "published" and versions[1]["ratio_max"] == "0.3000"
    assert versions[2]["status"] == "draft" and len(versions[2]["checkpoints"]) == 2
    listed = api.get("/api/catalog/items").json()["items"]
    assert [i["published"]["number"] for i in listed] == [1]


def test_the_api_refuses_a_ratio_below_five_percent(api, world):
    api.force_login(world.users["coordinator"])
    r = api.post("/api/catalog/items", {**BODY, "ratio_min": "0.04"}, content_type="application/json")
    assert r.status_code == 422
    assert "5%" in r.json()["message_zh"] and "5%" in r.json()["message_en"]
    assert not InspectionItem.objects.exists()


def test_the_api_refuses_a_general_item_without_upper_ratio(api, world):
    api.force_login(world.users["coordinator"])
    r = api.post("/api/catalog/items", {**BODY, "ratio_max": None}, content_type="application/json")
    assert r.status_code == 422
    assert not InspectionItem.objects.exists()


def test_another_organisations_items_are_not_found(api, world):
    item = make_item(world)
    api.force_login(world.users["outsider"])
    assert api.get(f"/api/catalog/items/{item.pk}").status_code == 404
    assert api.post(f"/api/catalog/items/{item.pk}/versions/1/publish").status_code == 404
    r = api.post(f"/api/catalog/items/{item.pk}/versions", BODY, content_type="application/json")
    assert r.status_code == 404
    assert api.get("/api/catalog/items").json()["count"] == 0


def test_a_non_coordinator_may_read_but_not_write(api, world):
    item = make_item(world)
    api.force_login(world.users["inspector"])
    assert api.get(f"/api/catalog/items/{item.pk}").status_code == 200
    assert api.post(f"/api/catalog/items/{item.pk}/versions/1/publish").status_code == 403
    r = api.post(f"/api/catalog/items/{item.pk}/versions", BODY, content_type="application/json")
    assert r.status_code == 403
    assert item.latest_version().status == VersionStatus.DRAFT


def test_a_city_auditor_reads_county_items(api, world):
    item = make_item(world)
    do_publish(world.users["coordinator"], item.latest_version())
    api.force_login(world.users["city_auditor"])
    assert api.get(f"/api/catalog/items/{item.pk}").status_code == 200
    r = api.get(f"/api/catalog/export.xlsx?organisation={world.county.pk}")
    assert r.status_code == 200 and r.content[:2] == b"PK"

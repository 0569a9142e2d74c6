import datetime as dt
import json

from plans.models import Plan, PlanStatus
from plans.tests.helpers import YEAR, make_plan, published_plan, published_version


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def line_body(world, version, **overrides):
    body = {
        "name": "食品生产企业抽查",
        "kind": "undirected",
        "items": [version.pk],
        "ratio": "0.05",
        "window_start": str(dt.date(YEAR, 3, 1)),
        "window_end": str(dt.date(YEAR, 6, 30)),
        "lead_department": world.market.pk,
        "departments": [world.tax.pk],
    }
    body.update(overrides)
    return body


def test_a_coordinator_drafts_a_plan_and_an_approver_approves_it_then_it_is_published(client, world):
    client.force_login(world.users["coordinator"])
    response = post(client, "/api/plans", {"year": YEAR, "title": "年度计划"})
    assert response.status_code == 201
    plan_id = response.json()["id"]
    version = published_version(world)
    response = post(client, f"/api/plans/{plan_id}/lines", line_body(world, version))
    assert response.status_code == 201, response.content
    assert response.json()["ratio"] in ("0.0500", 0.05, "0.05")
    assert post(client, f"/api/plans/{plan_id}/approve").status_code == 403
    client.force_login(world.users["approver"])
    assert post(client, f"/api/plans/{plan_id}/approve").json()["status"] == "approved"
    client.force_login(world.users["coordinator"])
    assert post(client, f"/api/plans/{plan_id}/publish").json()["status"] == "published"
    response = post(client, f"/api/plans/{plan_id}/adjust", {"reason": "调整检查时间"})
    assert response.status_code == 201
    detail = client.get(f"/api/plans/{response.json()['id']}").json()
    assert detail["number"] == 2 and len(detail["lines"]) == 1 and detail["republish_deadline"]
    assert detail["versions"] == [plan_id, detail["id"]]


def test_the_api_refuses_a_low_ratio_with_a_bilingual_message(client, world):
    plan = make_plan(world, lines=0)
    version = published_version(world)
    client.force_login(world.users["coordinator"])
    response = post(client, f"/api/plans/{plan.pk}/lines", line_body(world, version, ratio="0.01"))
    assert response.status_code == 422
    assert response.json()["error"] == "ratio_too_low"
    assert response.json()["message_zh"] and response.json()["message_en"]


def test_a_second_plan_for_the_same_year_is_a_conflict(client, world):
    make_plan(world, lines=0)
    client.force_login(world.users["coordinator"])
    assert post(client, "/api/plans", {"year": YEAR}).status_code == 409


def test_another_countys_plan_is_not_found(client, world):
    plan = published_plan(world)
    client.force_login(world.users["outsider"])
    assert client.get(f"/api/plans/{plan.pk}").status_code == 404
    assert post(client, f"/api/plans/{plan.pk}/adjust", {"reason": "x"}).status_code == 404
    assert client.get("/api/plans").json() == []


def test_a_non_coordinator_may_not_change_a_plan(client, world):
    plan = make_plan(world, lines=0)
    version = published_version(world)
    for role in ("approver", "organiser", "inspector"):
        client.force_login(world.users[role])
        assert post(client, f"/api/plans/{plan.pk}/lines", line_body(world, version)).status_code == 403
    client.force_login(world.users["approver"])
    assert client.get(f"/api/plans/{plan.pk}").status_code == 200
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT

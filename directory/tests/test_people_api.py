"""The inspector and expert directories over the API: scope, permissions, validation, conflicts, 入库率."""

import datetime as dt
import json

import pytest

from core.models import AuditEntry
from directory.models import Conflict, Expert, Expertise, Inspector, Target, UnitStaffing
from orgs.models import Unit, UnitKind

TODAY = dt.date.today()


@pytest.fixture
def people(world):
    food = Expertise.objects.create(code="food", name="食品")
    Expertise.objects.create(code="equipment", name="特种设备")
    station = Unit.objects.create(department=world.market, kind=UnitKind.STATION, name="城关市场监管所")
    brigade = Unit.objects.create(department=world.market, kind=UnitKind.BRIGADE, name="综合行政执法大队")
    ok = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        unit=station,
        name="甲",
        certificate_no="41172201001",
        certificate_expiry=TODAY + dt.timedelta(days=400),
    )
    ok.expertise.add(food)
    soon = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        unit=station,
        name="乙",
        certificate_no="41172201002",
        certificate_expiry=TODAY + dt.timedelta(days=30),
    )
    expired = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        unit=brigade,
        name="丙",
        certificate_no="41172201003",
        certificate_expiry=TODAY - dt.timedelta(days=1),
    )
    retired = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        unit=brigade,
        name="丁",
        certificate_no="41172201004",
        status="retired",
    )
    other = Inspector.objects.create(
        organisation=world.other_county, department=world.other_market, name="戊", certificate_no="41172101001"
    )
    expert = Expert.objects.create(organisation=world.county, name="专家甲", employer="省质检院", phone="13800000000")
    expert.expertise.add(food)
    other_expert = Expert.objects.create(organisation=world.other_county, name="专家乙")
    return {
        "ok": ok,
        "soon": soon,
        "expired": expired,
        "retired": retired,
        "other": other,
        "station": station,
        "brigade": brigade,
        "expert": expert,
        "other_expert": other_expert,
    }


def _send(client, method, path, body):
    client.handler.enforce_csrf_checks = False
    return client.generic(method, path, json.dumps(body), content_type="application/json")


def names(response):
    return {p["name"] for p in response.json()["items"]}


def test_eligibility_for_draws(people):
    assert people["ok"].eligible_for_draw() and people["soon"].eligible_for_draw()
    assert not people["expired"].eligible_for_draw() and not people["retired"].eligible_for_draw()
    no_cert = Inspector(status="active", certificate_no="")
    assert not no_cert.eligible_for_draw()
    assert people["expert"].eligible_for_draw()


def test_list_filters(client, world, people):
    client.force_login(world.users["organiser"])
    assert names(client.get("/api/directory/inspectors")) == {"甲", "乙", "丙", "丁"}
    assert names(client.get(f"/api/directory/inspectors?unit={people['brigade'].pk}")) == {"丙", "丁"}
    assert names(client.get("/api/directory/inspectors?status=retired")) == {"丁"}
    assert names(client.get("/api/directory/inspectors?expertise=food")) == {"甲"}
    assert names(client.get("/api/directory/inspectors?expiring=true")) == {"乙"}
    assert names(client.get("/api/directory/inspectors?eligible=false")) == {"丙", "丁"}
    assert names(client.get("/api/directory/inspectors?q=41172201003")) == {"丙"}
    items = client.get("/api/directory/inspectors?eligible=true").json()["items"]
    assert {i["name"] for i in items} == {"甲", "乙"} and all(i["eligible_for_draw"] for i in items)
    assert client.get("/api/directory/inspectors?status=dead").status_code == 422
    assert names(client.get("/api/directory/experts?expertise=food")) == {"专家甲"}


def test_another_countys_people_are_invisible(client, world, people):
    client.force_login(world.users["outsider"])
    assert names(client.get("/api/directory/inspectors")) == {"戊"}
    assert client.get(f"/api/directory/inspectors/{people['ok'].pk}").status_code == 404
    assert client.get(f"/api/directory/experts/{people['expert'].pk}").status_code == 404
    patch = {"reason": "x", "name": "改"}
    assert _send(client, "PATCH", f"/api/directory/inspectors/{people['ok'].pk}", patch).status_code == 404
    assert _send(client, "PATCH", f"/api/directory/experts/{people['expert'].pk}", patch).status_code == 404
    conflict = {"party_name": "某公司", "reason": "亲属"}
    path = f"/api/directory/inspectors/{people['ok'].pk}/conflicts"
    assert _send(client, "POST", path, conflict).status_code == 404
    staffing = {"enforcement_staff": 3}
    assert _send(client, "PUT", f"/api/directory/staffing/{people['station'].pk}", staffing).status_code == 404
    assert Inspector.objects.get(pk=people["ok"].pk).name == "甲" and not Conflict.objects.exists()


def test_non_coordinators_may_read_but_not_write(client, world, people):
    client.force_login(world.users["approver"])
    assert client.get(f"/api/directory/inspectors/{people['ok'].pk}").status_code == 200
    body = {"name": "新", "department_id": world.market.pk}
    assert _send(client, "POST", "/api/directory/inspectors", body).status_code == 403
    patch = {"reason": "x", "name": "改"}
    assert _send(client, "PATCH", f"/api/directory/inspectors/{people['ok'].pk}", patch).status_code == 403
    conflict = {"party_name": "某公司", "reason": "亲属"}
    assert _send(client, "POST", f"/api/directory/experts/{people['expert'].pk}/conflicts", conflict).status_code == 403
    assert (
        _send(client, "PUT", f"/api/directory/staffing/{people['station'].pk}", {"enforcement_staff": 1}).status_code
        == 403
    )
    client.force_login(world.users["inspector"])
    assert client.get(f"/api/directory/inspectors/{people['ok'].pk}").status_code == 403
    assert Inspector.objects.count() == 5


def test_expert_phone_is_shown_only_to_managers(client, world, people):
    client.force_login(world.users["auditor"])
    assert client.get(f"/api/directory/experts/{people['expert'].pk}").json()["phone"] is None
    client.force_login(world.users["coordinator"])
    assert client.get(f"/api/directory/experts/{people['expert'].pk}").json()["phone"] == "13800000000"


def test_a_coordinator_creates_and_updates_an_inspector(client, world, people):
    client.force_login(world.users["coordinator"])
    body = {
        "name": "己",
        "unit_id": people["station"].pk,
        "position": "科员",
        "expertise": ["food", "equipment"],
        "certificate_no": "41172201009",
        "certificate_kind": "market",
        "certificate_expiry": "2030-01-01",
        "region_id": "411722",
        "is_team_leader_eligible": True,
    }
    response = _send(client, "POST", "/api/directory/inspectors", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["department_id"] == world.market.pk and data["expertise"] == ["equipment", "food"]
    assert data["eligible_for_draw"] and data["certificate_kind"] == "market"
    path = f"/api/directory/inspectors/{data['id']}"
    assert _send(client, "PATCH", path, {"status": "leave"}).status_code == 422  # no reason
    response = _send(client, "PATCH", path, {"status": "leave", "reason": "产假"})
    assert response.status_code == 200 and response.json()["status"] == "leave"
    assert not response.json()["eligible_for_draw"]
    entry = AuditEntry.objects.filter(object_type="directory.Inspector", object_id=str(data["id"])).last()
    assert entry.reason == "产假" and entry.actor == world.users["coordinator"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x"},  # no department or unit
        {"name": "x", "department_id": 999999},
        {"name": "x", "unit_id": 999999},
        {"name": "x", "department_id": "OTHER"},  # another county's department
        {"name": "x", "department_id": "MARKET", "status": "gone"},
        {"name": "x", "department_id": "MARKET", "certificate_kind": "fake"},
        {"name": "x", "department_id": "MARKET", "expertise": ["nope"]},
        {"name": "x", "department_id": "MARKET", "region_id": "999999"},
        {"name": "x", "department_id": "MARKET", "certificate_no": "41172201001"},  # taken
        {"name": "x", "department_id": "MARKET", "certificate_expiry": "soon"},
        {"name": "x" * 101, "department_id": "MARKET"},
    ],
)
def test_bad_inspector_input_changes_nothing(client, world, people, body):
    body = dict(body)
    if body.get("department_id") == "MARKET":
        body["department_id"] = world.market.pk
    if body.get("department_id") == "OTHER":
        body["department_id"] = world.other_market.pk
    client.force_login(world.users["coordinator"])
    count, entries = Inspector.objects.count(), AuditEntry.objects.count()
    response = _send(client, "POST", "/api/directory/inspectors", body)
    assert response.status_code == 422 and response.json()["message_zh"]
    assert Inspector.objects.count() == count and AuditEntry.objects.count() == entries


def test_creating_in_another_organisation_is_refused(client, world, people):
    client.force_login(world.users["coordinator"])
    body = {"name": "x", "organisation_id": world.other_county.pk}
    assert _send(client, "POST", "/api/directory/experts", body).status_code == 404
    assert not Expert.objects.filter(name="x").exists()


def test_experts_create_and_update(client, world, people):
    client.force_login(world.users["coordinator"])
    response = _send(
        client, "POST", "/api/directory/experts", {"name": "专家丙", "expertise": ["food"], "title": "高工"}
    )
    assert response.status_code == 201
    path = f"/api/directory/experts/{response.json()['id']}"
    assert _send(client, "PATCH", path, {"status": "retired"}).status_code == 422
    assert _send(client, "PATCH", path, {"status": "bad", "reason": "x"}).status_code == 422
    response = _send(client, "PATCH", path, {"status": "retired", "reason": "退休"})
    assert response.json()["status"] == "retired" and not response.json()["eligible_for_draw"]


def test_conflicts_are_declared_and_withdrawn_with_reasons(client, world, people):
    firm = Target.objects.create(organisation=world.county, key="91411722MA40000009", name="甲公司")
    Target.objects.create(organisation=world.other_county, key="91411721MA40000000", name="乙公司")
    client.force_login(world.users["coordinator"])
    path = f"/api/directory/inspectors/{people['ok'].pk}/conflicts"
    for bad in (
        {"reason": "亲属"},
        {"reason": "", "target_key": firm.key},
        {"reason": "x", "target_key": "91411721MA40000000"},  # another county's firm
        {"reason": "x", "party_name": "某人", "party_uscc": "123"},
        {"reason": "x", "party_name": "某人", "declared_at": "2026-01-02", "valid_until": "2025-01-01"},
    ):
        assert _send(client, "POST", path, bad).status_code == 422, bad
    assert not Conflict.objects.exists()
    response = _send(client, "POST", path, {"target_key": firm.key.lower(), "reason": "配偶任该公司股东"})
    assert response.status_code == 201 and response.json()["target_key"] == firm.key and response.json()["active"]
    response = _send(
        client,
        "POST",
        f"/api/directory/experts/{people['expert'].pk}/conflicts",
        {"party_name": "张某某", "reason": "曾任其顾问"},
    )
    assert response.status_code == 201
    detail = client.get(f"/api/directory/inspectors/{people['ok'].pk}").json()
    conflict_id = detail["conflicts"][0]["id"]
    withdraw = f"/api/directory/conflicts/{conflict_id}/withdraw"
    assert _send(client, "POST", withdraw, {"reason": ""}).status_code == 422
    client.force_login(world.users["outsider"])
    assert _send(client, "POST", withdraw, {"reason": "x"}).status_code == 404
    client.force_login(world.users["coordinator"])
    response = _send(client, "POST", withdraw, {"reason": "已退股"})
    assert response.status_code == 200 and not response.json()["active"]
    assert _send(client, "POST", withdraw, {"reason": "again"}).status_code == 422
    conflict = Conflict.objects.get(pk=conflict_id)
    assert conflict.withdraw_reason == "已退股" and conflict.withdrawn_by == world.users["coordinator"]


def test_entry_rates_per_unit(client, world, people):
    client.force_login(world.users["coordinator"])
    rates = {r["unit"]: r for r in client.get("/api/directory/staffing").json()}
    # station: 甲 and 乙 valid; brigade: 丙 expired, 丁 retired
    assert rates["城关市场监管所"]["entered"] == 2 and rates["城关市场监管所"]["rate"] is None
    assert rates["综合行政执法大队"]["entered"] == 0
    path = f"/api/directory/staffing/{people['station'].pk}"
    assert _send(client, "PUT", path, {"enforcement_staff": -1}).status_code == 422
    response = _send(client, "PUT", path, {"enforcement_staff": 2, "as_of": "2026-01-01"})
    assert response.status_code == 200 and response.json()["rate"] == 1.0 and response.json()["complete"]
    response = _send(client, "PUT", f"/api/directory/staffing/{people['brigade'].pk}", {"enforcement_staff": 4})
    assert response.json()["rate"] == 0.0 and not response.json()["complete"]
    assert UnitStaffing.objects.get(unit=people["station"]).enforcement_staff == 2
    client.force_login(world.users["outsider"])
    assert client.get("/api/directory/staffing").json() == []

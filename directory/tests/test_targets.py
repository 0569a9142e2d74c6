"""Searching the target directory by every field, and changing a target with a reason and a history."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from core.models import AuditEntry
from directory.models import Tag, Target, TargetChange

A = "91411722MA40000009"
B = "91411722MA4000001X"
OTHER = "91411721MA40000000"


@pytest.fixture
def firms(world):
    a = Target.objects.create(
        organisation=world.county,
        key=A,
        name="上蔡县甲食品有限公司",
        kind="enterprise",
        region_id="411722",
        industry_id="13",
        registration_authority="上蔡县市场监督管理局",
        founded=dt.date(2015, 5, 1),
        status="active",
        credit_class="C",
        abnormal_operation=True,
        complaint_count=7,
    )
    a.supervising_departments.add(world.market)
    a.tags.add(Tag.objects.create(name="重点监管"))
    b = Target.objects.create(
        organisation=world.county,
        key=B,
        name="上蔡县乙商店",
        kind="individual",
        region_id="411722",
        founded=dt.date(2022, 1, 1),
        status="suspended",
        credit_class="A",
        serious_violation=True,
    )
    o = Target.objects.create(organisation=world.other_county, key=OTHER, name="西平县甲食品有限公司")
    return a, b, o


FILTERS = [
    ("q=甲食品", {A}),
    (f"q={A[:10]}", {A, B}),
    ("kind=individual", {B}),
    ("region=4117", {A, B}),
    ("region=411721", set()),
    ("industry=13", {A}),
    ("industry=C", {A}),
    ("authority=上蔡县市场", {A}),
    ("founded_from=2020-01-01", {B}),
    ("founded_to=2020-01-01", {A}),
    ("status=suspended", {B}),
    ("credit_class=C", {A}),
    ("abnormal=true", {A}),
    ("abnormal=false", {B}),
    ("serious=true", {B}),
    ("complaints_min=5", {A}),
    ("tag=重点监管", {A}),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_every_filter_works_in_the_api_and_on_the_page(client, world, firms, query, expected):
    client.force_login(world.users["organiser"])
    items = client.get(f"/api/directory/targets?{query}").json()["items"]
    assert {t["key"] for t in items} == expected
    page = client.get(f"{reverse('targets')}?{query}").content.decode()
    for key in (A, B):
        assert (key in page) == (key in expected)
    assert OTHER not in page


def test_supervising_department_filter(client, world, firms):
    client.force_login(world.users["organiser"])
    items = client.get(f"/api/directory/targets?department={world.market.pk}").json()["items"]
    assert [t["key"] for t in items] == [A]
    assert items[0]["tags"] == ["重点监管"]


def test_bad_filters_are_refused_by_the_api_and_named_on_the_page(client, world, firms):
    client.force_login(world.users["organiser"])
    for query in ("credit_class=E", "founded_from=yesterday", "complaints_min=-1", "region=41x"):
        assert client.get(f"/api/directory/targets?{query}").status_code == 422
    page = client.get(f"{reverse('targets')}?founded_from=yesterday&credit_class=A").content.decode()
    assert "founded_from" in page and B in page and A not in page


def test_pages_keep_the_filters(client, world):
    for i in range(60):
        Target.objects.create(organisation=world.county, key=f"91411722MA4{i:07d}", name=f"企业{i}", credit_class="D")
    client.force_login(world.users["organiser"])
    page = client.get(f"{reverse('targets')}?credit_class=D&kind=enterprise").content.decode()
    assert "credit_class=D" in page and "kind=enterprise" in page and "page=2" in page


def _patch(client, key, body):
    client.handler.enforce_csrf_checks = False
    return client.patch(f"/api/directory/targets/{key}", json.dumps(body), content_type="application/json")


def test_a_coordinator_changes_a_target_with_a_reason_and_it_is_kept_as_history(client, world, firms):
    client.force_login(world.users["coordinator"])
    entries = AuditEntry.objects.count()
    response = _patch(
        client, A, {"reason": "核查登记信息", "credit_class": "D", "region": "411721", "tags": ["重点监管", "食品"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["credit_class"] == "D" and response.json()["tags"] == ["重点监管", "食品"]
    change = TargetChange.objects.get(target__key=A)
    assert change.reason == "核查登记信息" and change.actor == world.users["coordinator"]
    assert json.loads(change.before) == {"credit_class": "C", "region": "411722", "tags": ["重点监管"]}
    assert json.loads(change.after)["credit_class"] == "D"
    new = AuditEntry.objects.order_by("seq")[entries:]
    assert any(e.object_type == "directory.Target" and e.reason == "核查登记信息" for e in new)
    history = client.get(f"/api/directory/targets/{A}/history").json()["items"]
    assert history[0]["reason"] == "核查登记信息" and history[0]["actor"] == "coordinator"
    page = client.get(reverse("target-detail", args=[A])).content.decode()
    assert "核查登记信息" in page and "credit_class" in page


def test_an_unchanged_patch_writes_no_history(client, world, firms):
    client.force_login(world.users["coordinator"])
    assert _patch(client, A, {"reason": "x", "credit_class": "C"}).status_code == 200
    assert not TargetChange.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"credit_class": "D"},
        {"reason": "", "credit_class": "D"},
        {"reason": "x", "credit_class": "E"},
        {"reason": "x", "region": "999999"},
        {"reason": "x", "industry": "9999"},
        {"reason": "x", "name": ""},
        {"reason": "x", "kind": "planet"},
        {"reason": "x", "status": "gone"},
        {"reason": "x", "complaint_count": -1},
        {"reason": "x", "complaint_count": "many"},
        {"reason": "x", "founded": "2999-01-01"},
        {"reason": "x", "credit_class": "D", "region": "000000"},
    ],
)
def test_bad_input_of_every_kind_changes_nothing(client, world, firms, body):
    client.force_login(world.users["coordinator"])
    before = Target.objects.get(key=A)
    entries = AuditEntry.objects.count()
    response = _patch(client, A, body)
    assert response.status_code == 422
    assert response.json()["message_zh"]
    after = Target.objects.get(key=A)
    assert (after.credit_class, after.region_id, after.name, after.complaint_count) == (
        before.credit_class,
        before.region_id,
        before.name,
        before.complaint_count,
    )
    assert not TargetChange.objects.exists() and AuditEntry.objects.count() == entries


def test_patch_scope_and_permission(client, world, firms):
    client.force_login(world.users["outsider"])
    assert _patch(client, A, {"reason": "x", "credit_class": "D"}).status_code == 404
    assert client.get(f"/api/directory/targets/{A}/history").status_code == 404
    assert client.get(reverse("target-detail", args=[A])).status_code == 404
    assert client.get(reverse("target-edit", args=[A])).status_code == 404
    client.force_login(world.users["organiser"])
    assert _patch(client, A, {"reason": "x", "credit_class": "D"}).status_code == 403
    assert client.get(reverse("target-detail", args=[A])).status_code == 200
    assert client.get(reverse("target-edit", args=[A])).status_code == 403
    client.force_login(world.users["inspector"])
    assert client.get(reverse("target-detail", args=[A])).status_code == 403
    assert client.get(f"/api/directory/targets/{A}/history").status_code == 403
    assert Target.objects.get(key=A).credit_class == "C"


def test_the_edit_page_requires_a_reason_and_records_the_change(client, world, firms):
    client.force_login(world.users["coordinator"])
    url = reverse("target-edit", args=[A])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": "上蔡县甲食品有限公司",
        "kind": "enterprise",
        "industry": "13",
        "region": "411722",
        "status": "active",
        "credit_class": "B",
        "complaint_count": "7",
        "founded": "2015-05-01",
        "registration_authority": "上蔡县市场监督管理局",
        "abnormal_operation": "on",
        "tags": "重点监管",
    }
    assert client.post(url, data).status_code == 422
    assert client.post(url, {**data, "reason": "x", "region": "123456"}).status_code == 422
    assert Target.objects.get(key=A).credit_class == "C"
    response = client.post(url, {**data, "reason": "信用修复"})
    assert response.status_code == 302
    assert Target.objects.get(key=A).credit_class == "B"
    change = TargetChange.objects.get()
    assert json.loads(change.after) == {"credit_class": "B"} and change.reason == "信用修复"
    assert "信用修复" in client.get(reverse("target-detail", args=[A])).content.decode()

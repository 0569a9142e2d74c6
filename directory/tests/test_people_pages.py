"""The inspector and expert pages: lists with filters, detail, create/edit, conflicts, 入库率; scope and permissions."""

import datetime as dt

import pytest
from django.urls import reverse

from directory.models import Conflict, Expert, Expertise, Inspector, UnitStaffing
from orgs.models import Unit, UnitKind

TODAY = dt.date.today()


@pytest.fixture
def people(world):
    Expertise.objects.create(code="food", name="食品")
    station = Unit.objects.create(department=world.market, kind=UnitKind.STATION, name="城关市场监管所")
    ok = Inspector.objects.create(
        organisation=world.county, department=world.market, unit=station, name="甲一", certificate_no="C1"
    )
    expired = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        unit=station,
        name="乙二",
        certificate_no="C2",
        certificate_expiry=TODAY - dt.timedelta(days=3),
    )
    soon = Inspector.objects.create(
        organisation=world.county,
        department=world.market,
        name="丙三",
        certificate_no="C3",
        certificate_expiry=TODAY + dt.timedelta(days=10),
    )
    other = Inspector.objects.create(organisation=world.other_county, department=world.other_market, name="丁四")
    expert = Expert.objects.create(organisation=world.county, name="专家甲", phone="13800000000")
    other_expert = Expert.objects.create(organisation=world.other_county, name="专家乙")
    return {
        "ok": ok,
        "expired": expired,
        "soon": soon,
        "other": other,
        "station": station,
        "expert": expert,
        "other_expert": other_expert,
    }


def test_list_with_filters_and_flags(client, world, people):
    client.force_login(world.users["auditor"])
    page = client.get(reverse("inspectors")).content.decode()
    assert "甲一" in page and "乙二" in page and "丁四" not in page
    assert page.count('data-testid="not-eligible"') == 1
    assert "丙三" in client.get(reverse("inspectors") + "?expiring=1").content.decode()
    assert "甲一" not in client.get(reverse("inspectors") + "?expiring=1").content.decode()
    only_bad = client.get(reverse("inspectors") + "?eligible=0").content.decode()
    assert "乙二" in only_bad and "甲一" not in only_bad
    by_unit = client.get(reverse("inspectors") + f"?unit={people['station'].pk}").content.decode()
    assert "丙三" not in by_unit and "甲一" in by_unit
    experts = client.get(reverse("experts")).content.decode()
    assert "专家甲" in experts and "专家乙" not in experts


def test_detail_pages_scope_and_phone(client, world, people):
    client.force_login(world.users["auditor"])
    page = client.get(reverse("inspector-detail", args=[people["expired"].pk])).content.decode()
    assert 'data-testid="not-eligible"' in page
    assert "13800000000" not in client.get(reverse("expert-detail", args=[people["expert"].pk])).content.decode()
    client.force_login(world.users["coordinator"])
    assert "13800000000" in client.get(reverse("expert-detail", args=[people["expert"].pk])).content.decode()
    client.force_login(world.users["outsider"])
    for name, obj in (
        ("inspector-detail", "ok"),
        ("inspector-edit", "ok"),
        ("expert-detail", "expert"),
        ("expert-edit", "expert"),
    ):
        assert client.get(reverse(name, args=[people[obj].pk])).status_code == 404
    client.force_login(world.users["inspector"])
    assert client.get(reverse("inspector-detail", args=[people["ok"].pk])).status_code == 403


def test_create_and_edit_an_inspector_through_the_pages(client, world, people):
    client.force_login(world.users["coordinator"])
    data = {
        "name": "戊五",
        "unit_id": people["station"].pk,
        "certificate_kind": "administrative",
        "certificate_no": "C9",
        "status": "active",
        "expertise": ["food"],
    }
    assert client.post(reverse("inspector-new"), {**data, "certificate_no": "C1"}).status_code == 422  # taken
    response = client.post(reverse("inspector-new"), data)
    assert response.status_code == 302
    inspector = Inspector.objects.get(name="戊五")
    assert inspector.department == world.market and list(inspector.expertise.values_list("code", flat=True)) == ["food"]
    edit = reverse("inspector-edit", args=[inspector.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**data, "status": "retired"}).status_code == 422  # no reason
    assert Inspector.objects.get(pk=inspector.pk).status == "active"
    assert client.post(edit, {**data, "status": "retired", "reason": "退休"}).status_code == 302
    assert Inspector.objects.get(pk=inspector.pk).status == "retired"
    client.force_login(world.users["organiser"])
    assert client.post(edit, {**data, "reason": "x", "status": "active"}).status_code == 403
    assert client.post(reverse("inspector-new"), data).status_code == 403


def test_create_and_edit_an_expert_through_the_pages(client, world, people):
    client.force_login(world.users["coordinator"])
    response = client.post(reverse("expert-new"), {"name": "专家丙", "status": "active", "expertise": ["food"]})
    assert response.status_code == 302
    expert = Expert.objects.get(name="专家丙")
    edit = reverse("expert-edit", args=[expert.pk])
    assert (
        client.post(edit, {"name": "专家丙", "status": "leave", "region_id": "999999", "reason": "x"}).status_code
        == 422
    )
    assert client.post(edit, {"name": "专家丙", "status": "leave", "reason": "出差"}).status_code == 302
    assert Expert.objects.get(pk=expert.pk).status == "leave"


def test_conflicts_through_the_pages(client, world, people):
    client.force_login(world.users["coordinator"])
    url = reverse("conflict-add", args=["inspectors", people["ok"].pk])
    client.post(url, {"party_name": "某公司"})  # no reason
    client.post(url, {"reason": "亲属"})  # no party
    assert not Conflict.objects.exists()
    client.post(url, {"party_name": "某公司", "reason": "亲属任法定代表人"})
    conflict = Conflict.objects.get()
    page = client.get(reverse("inspector-detail", args=[people["ok"].pk])).content.decode()
    assert "某公司" in page and "亲属任法定代表人" in page
    client.post(
        reverse("conflict-add", args=["experts", people["expert"].pk]), {"party_name": "某人", "reason": "师生"}
    )
    assert Conflict.objects.filter(expert=people["expert"]).exists()
    assert client.post(reverse("conflict-add", args=["nobody", 1]), {}).status_code == 404
    withdraw = reverse("conflict-withdraw", args=[conflict.pk])
    client.post(withdraw, {"reason": ""})
    assert Conflict.objects.get(pk=conflict.pk).withdrawn_at is None
    client.force_login(world.users["outsider"])
    assert client.post(withdraw, {"reason": "x"}).status_code == 404
    assert (
        client.post(
            reverse("conflict-add", args=["inspectors", people["ok"].pk]), {"party_name": "x", "reason": "y"}
        ).status_code
        == 404
    )
    client.force_login(world.users["approver"])
    assert client.post(withdraw, {"reason": "x"}).status_code == 403
    client.force_login(world.users["coordinator"])
    assert client.post(withdraw, {"reason": "关系已解除"}).status_code == 302
    assert Conflict.objects.get(pk=conflict.pk).withdraw_reason == "关系已解除"


def test_the_staffing_page_shows_the_rate_and_highlights_100_percent(client, world, people):
    client.force_login(world.users["coordinator"])
    url = reverse("inspector-staffing")
    client.post(url, {"unit": people["station"].pk, "enforcement_staff": "abc"})
    assert not UnitStaffing.objects.exists()
    client.post(url, {"unit": people["station"].pk, "enforcement_staff": "2"})
    page = client.get(url).content.decode()
    assert 'data-testid="incomplete">50%' in page  # 甲一 valid, 乙二 expired
    client.post(url, {"unit": people["station"].pk, "enforcement_staff": "1"})
    assert 'data-testid="complete">100%' in client.get(url).content.decode()
    client.force_login(world.users["approver"])
    assert client.post(url, {"unit": people["station"].pk, "enforcement_staff": "9"}).status_code == 403
    client.force_login(world.users["outsider"])
    assert client.post(url, {"unit": people["station"].pk, "enforcement_staff": "9"}).status_code == 404
    assert "城关市场监管所" not in client.get(url).content.decode()
    assert UnitStaffing.objects.get().enforcement_staff == 1

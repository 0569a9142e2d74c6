import io

from django.urls import reverse
from openpyxl import load_workbook

from plans.models import Plan, PlanStatus
from plans.tests.helpers import YEAR, make_plan, published_plan, published_version


def test_the_board_shows_plans_by_year_with_deadlines(client, world):
    plan = published_plan(world)
    client.force_login(world.users["coordinator"])
    client.post(reverse("plan-adjust", args=[plan.pk]), {"reason": "调整"})
    page = client.get(reverse("plans")).content.decode()
    assert f'data-testid="plans-{YEAR}"' in page
    draft = Plan.objects.get(organisation=world.county, year=YEAR, number=2)
    assert f'data-testid="plan-row-{draft.pk}"' in page
    assert draft.republish_deadline.strftime("%Y-%m-%d") in page


def test_a_coordinator_creates_a_plan_and_adds_a_line_through_the_pages(client, world):
    version = published_version(world)
    client.force_login(world.users["coordinator"])
    response = client.post(reverse("plan-new"), {"year": YEAR, "title": "计划"})
    plan = Plan.objects.get(organisation=world.county, year=YEAR)
    assert response.status_code == 302
    form = {
        "name": "批次一",
        "kind": "undirected",
        "items": [version.pk],
        "ratio": "0.05",
        "window_start": f"{YEAR}-03-01",
        "window_end": f"{YEAR}-04-30",
        "lead_department": world.market.pk,
        "departments": [world.tax.pk],
    }
    response = client.post(reverse("plan-line-new", args=[plan.pk]), form)
    assert response.status_code == 302, response.content.decode()
    assert plan.lines.count() == 1
    response = client.post(reverse("plan-line-new", args=[plan.pk]), {**form, "ratio": "0.03"})
    assert response.status_code == 400
    assert plan.lines.count() == 1


def test_approve_and_publish_buttons_move_the_plan_along(client, world):
    plan = make_plan(world)
    client.force_login(world.users["coordinator"])
    assert client.post(reverse("plan-approve", args=[plan.pk])).status_code == 403
    client.force_login(world.users["approver"])
    assert 'data-testid="approve"' in client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    client.post(reverse("plan-approve", args=[plan.pk]))
    client.force_login(world.users["coordinator"])
    client.post(reverse("plan-publish", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED


def test_another_countys_plan_pages_are_not_found(client, world):
    plan = published_plan(world)
    client.force_login(world.users["outsider"])
    for name in ("plan-detail", "plan-export", "plan-line-new"):
        assert client.get(reverse(name, args=[plan.pk])).status_code == 404
    for name in ("plan-approve", "plan-publish", "plan-adjust"):
        assert client.post(reverse(name, args=[plan.pk])).status_code == 404


def test_roles_without_plan_permissions_are_refused(client, world):
    plan = make_plan(world)
    for role in ("organiser", "inspector", "participant", "auditor", "norole"):
        client.force_login(world.users[role])
        assert client.get(reverse("plan-detail", args=[plan.pk])).status_code == 403
        assert client.post(reverse("plan-publish", args=[plan.pk])).status_code == 403
    client.force_login(world.users["approver"])
    assert client.get(reverse("plan-line-new", args=[plan.pk])).status_code == 403
    assert client.post(reverse("plan-publish", args=[plan.pk])).status_code == 403


def test_the_export_is_the_annexed_plan_table_with_the_lines(client, world):
    plan = make_plan(world, lines=2)
    client.force_login(world.users["approver"])
    response = client.get(reverse("plan-export", args=[plan.pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == f"{YEAR}年度行政执法检查计划表"
    assert rows[2][:3] == ("序号", "抽查任务", "检查事项")
    assert "牵头部门" in rows[2] and "配合部门" in rows[2]
    assert [r[1] for r in rows[3:]] == ["批次1", "批次2"]
    assert rows[3][6] == "5%" and rows[3][8] == world.market.name and rows[3][9] == world.tax.name
    joint = load_workbook(io.BytesIO(response.content)).worksheets[1]  # the joint plan table
    jrows = list(joint.iter_rows(values_only=True))
    assert jrows[0][0] == f"{YEAR}年度联合抽查工作计划表"
    assert jrows[2][:4] == ("序号", "联合抽查任务", "牵头部门", "配合部门")
    assert [r[1] for r in jrows[3:]] == ["批次1", "批次2"]  # both lines have a participating department
    assert jrows[3][2] == world.market.name and jrows[3][3] == world.tax.name
    assert jrows[3][4].startswith(f"{world.market.name}：")

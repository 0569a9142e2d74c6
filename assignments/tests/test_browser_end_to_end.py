"""In a real browser, from the annual plan to confirmed teams at the door.

A coordinator publishes a plan with a joint line of two departments (approved by the approver), an
organiser creates the task from the line, the participating department accepts, the organiser runs
the witnessed draw and the matching, both departments confirm their shares, the inspector sees the
visit with every item to check, and the public sees the plan and the task notice. Every step is in
the audit trail.
"""

import datetime as dt
import re

import pytest

from assignments.models import Confirmation, MatchRun
from assignments.tests.helpers import make_inspector
from core.audit import verify_chain
from core.models import AuditEntry
from directory.models import Expertise
from draws.models import Draw, DrawState, ParticipantState, Task
from draws.tests.helpers import fill_ceremony, make_firms
from draws.tests.planning_helpers import YEAR, line_data, version
from plans.models import PlanStatus
from plans.services import do_add_line, do_create_plan
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _as(page, username):
    page.context.clear_cookies()
    sign_in(page, username)


def test_from_the_annual_plan_to_confirmed_teams(page, browser, live_server, live_world):
    w = live_world
    make_firms(w.county, 100)
    food = Expertise.objects.create(code="food", name="食品")
    market_item = version(w, "SC-01", name="食品经营许可情况检查")
    market_item.expertise.add(food)
    tax_item = version(w, "SW-01", w.tax, name="发票使用情况检查")
    for n in range(6):
        user = w.users["inspector"] if n == 0 else None
        make_inspector(w.county, w.market, f"SC{n:04d}", expertise=[food], leader=n < 3, user=user)
    for n in range(4):
        make_inspector(w.county, w.tax, f"SW{n:04d}")
    plan = do_create_plan(w.users["coordinator"], w.county, YEAR, f"{YEAR}年度双随机抽查工作计划")
    line = do_add_line(w.users["coordinator"], plan, line_data(w, [market_item, tax_item], name="食品经营者联合抽查"))

    # The plan: approved by the approver, published by the coordinator.
    _as(page, "approver")
    page.goto(f"/plans/{plan.pk}/")
    page.click("[data-testid=approve]")
    page.locator("[data-testid=plan-status]", has_text=re.compile("审批|批准|Approved")).wait_for()
    _as(page, "coordinator")
    page.goto(f"/plans/{plan.pk}/")
    page.click("[data-testid=publish]")
    page.locator("[data-testid=plan-status]", has_text=re.compile("发布|公布|Published")).wait_for()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED

    # The task, from the joint line, by the lead department's organiser.
    _as(page, "organiser")
    page.click("#main-nav a[data-nav=tasks]")
    page.goto("/tasks/new/")
    page.click(f"[data-testid=line-{line.pk}]")
    page.wait_for_url(re.compile(rf"/tasks/from-line/{line.pk}/$"))
    page.locator("[data-testid=preview-expected]", has_text="10").wait_for()
    page.click("[data-testid=create-from-line]")
    page.wait_for_url(re.compile(r"/tasks/\d+/$"))
    task = Task.objects.get(plan_line=line)
    assert set(task.items.all()) == {market_item, tax_item}

    # The participating department accepts.
    _as(page, "participant")
    page.goto(f"/tasks/{task.pk}/")
    page.click("[data-testid=accept]")
    page.locator(f"[data-participant='{w.tax.pk}'][data-state=accepted]").wait_for()
    assert task.participants.get().state == ParticipantState.ACCEPTED

    # The witnessed draw and the matching, by the organiser.
    _as(page, "organiser")
    page.goto(f"/tasks/{task.pk}/")
    page.click("[data-testid=commit]")
    assert len(page.locator("[data-testid=commitment]").inner_text()) == 64
    fill_ceremony(page, "2 7 1 8 2 8")
    page.locator("[data-testid=selections] tbody tr").first.wait_for()
    draw = Draw.objects.get(task=task)
    assert draw.state == DrawState.DRAWN and draw.witnesses.count() == 1
    page.click("[data-testid=matching-link]")
    page.select_option("[data-testid=mode]", "pool")
    page.fill("[data-testid=team-size]", "2")
    page.click("[data-testid=run-match]")
    page.locator("[data-testid=run]").wait_for()
    assert page.locator("[data-testid=matched]").inner_text() == "10"

    # Both departments confirm their share.
    for username, department in (("organiser", w.market), ("participant", w.tax)):
        _as(page, username)
        page.goto("/assignments/confirmations/")
        share = page.locator("[data-testid=share]", has_text=department.name)
        share.locator("[data-testid=claim]").click()
        page.locator("[data-testid=share]", has_text=department.name).locator("[data-testid=confirm]").click()
        page.locator("[data-testid=share]", has_text=department.name).locator("[data-testid=confirmed]").wait_for()
    run = MatchRun.objects.get(task=task)
    assert Confirmation.objects.filter(run=run, confirmed_at__isnull=False).count() == 2

    # The inspector sees the visit with every item of both departments.
    _as(page, "inspector")
    page.click("#main-nav a[data-nav=checks]")
    visit = page.locator("[data-testid=visit]").first
    visit.wait_for()
    text = visit.inner_text()
    assert "食品经营许可情况检查" in text and "发票使用情况检查" in text

    # The public sees the plan and the task notice, without signing in.
    visitor = browser.new_context(base_url=live_server.url, locale="zh-CN")
    public = visitor.new_page()
    public.goto("/portal/plans/")
    assert f"{YEAR}年度双随机抽查工作计划" in public.content()
    assert "食品经营者联合抽查" in public.content()
    public.goto("/portal/tasks/")
    notice = public.content()
    assert task.name in notice and "食品经营许可情况检查" in notice and "上蔡县税务局" in notice
    visitor.close()

    # All of it in the trace, and the chain holds.
    traced = set(AuditEntry.objects.values_list("object_type", flat=True))
    assert {"plans.Plan", "draws.Task", "draws.TaskParticipant", "draws.Draw", "assignments.MatchRun"} <= traced
    assert AuditEntry.objects.filter(object_type="assignments.Confirmation").count() >= 2
    assert verify_chain().ok
    assert dt.date.today() <= task.window_start

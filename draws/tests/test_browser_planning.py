"""In a real browser: a coordinator creates a task from a published joint plan line with a live preview,
and the invited department accepts and adds its own item."""

import re

import pytest

from draws.models import ParticipantState, Task
from draws.tests.helpers import make_firms
from draws.tests.planning_helpers import joint_line, version
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_joint_task_from_the_plan_page_to_the_participants_acceptance(page, browser, live_server, live_world):
    make_firms(live_world.county, 100)
    line = joint_line(live_world)
    extra = version(live_world, "SW-02", live_world.tax, name="发票管理情况检查")
    sign_in(page, "coordinator")
    page.goto(f"/plans/{line.plan_id}/")
    page.click("[data-testid=task-from-line]")
    page.wait_for_url(re.compile(rf"/tasks/from-line/{line.pk}/$"))
    assert page.locator("[data-testid=preview-expected]").inner_text() == "10"
    page.fill("input[name=ratio]", "0.2")
    page.locator("[data-testid=preview-expected]", has_text="20").wait_for()
    page.fill("input[name=ratio]", "0.01")
    page.locator("[data-testid=preview-error]").wait_for()
    assert "5%" in page.locator("[data-testid=preview-error]").inner_text()
    page.fill("input[name=ratio]", "0.2")
    page.locator("[data-testid=preview-expected]", has_text="20").wait_for()
    page.click("[data-testid=create-from-line]")
    page.wait_for_url(re.compile(r"/tasks/\d+/$"))
    assert page.locator(f"[data-participant='{live_world.tax.pk}']").get_attribute("data-state") == "invited"
    task = Task.objects.get()
    assert task.params["parts"][0]["overall"] == {"ratio": "0.2"}

    other = browser.new_context(base_url=live_server.url, locale="zh-CN")
    tax = other.new_page()
    sign_in(tax, "participant")
    tax.goto(f"/tasks/{task.pk}/")
    assert tax.locator("[data-testid=commit]").count() == 0
    tax.click("[data-testid=accept]")
    tax.locator(f"[data-participant='{live_world.tax.pk}'][data-state=accepted]").wait_for()
    tax.check(f"[data-testid=add-items-form] input[value='{extra.pk}']")
    tax.click("[data-testid=add-items]")
    tax.locator(f"[data-item='{extra.pk}']").wait_for()
    other.close()
    assert task.participants.get().state == ParticipantState.ACCEPTED
    assert extra in task.items.all()

"""In a real browser: the organiser runs the matching, the participating department confirms its share,
and the inspector sees the visit with every item to check."""

import re

import pytest

from assignments.models import Confirmation
from assignments.tests.helpers import joint_task
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_matching_confirmation_and_my_checks_in_the_browser(page, live_world):
    joint = joint_task(live_world)
    sign_in(page, "organiser")
    page.goto(f"/tasks/{joint.task.pk}/")
    page.click("[data-testid=matching-link]")
    page.select_option("[data-testid=mode]", "pool")
    page.fill("[data-testid=team-size]", "2")
    page.click("[data-testid=run-match]")
    page.locator("[data-testid=run]").wait_for()
    assert page.locator("[data-testid=matched]").inner_text() == "6"
    assert page.locator("[data-testid=visits] tbody tr").count() == 6
    page.context.clear_cookies()

    sign_in(page, "participant")
    page.click("#main-nav a[data-nav=confirmations]")
    share = page.locator("[data-testid=share]")
    share.wait_for()
    assert "上蔡县税务局" in share.inner_text()
    page.click("[data-testid=claim]")
    page.click("[data-testid=confirm]")
    page.locator("[data-testid=confirmed]").wait_for()
    assert Confirmation.objects.get(department=live_world.tax).confirmed_by == live_world.users["participant"]
    page.context.clear_cookies()

    sign_in(page, "inspector")
    page.click("#main-nav a[data-nav=checks]")
    visit = page.locator("[data-testid=visit]").first
    visit.wait_for()
    text = visit.inner_text()
    assert "食品经营许可情况检查" in text and "发票使用情况检查" in text
    visit.locator("[data-testid=enter-record]").click()
    page.wait_for_url(re.compile(r"/inspections/tasks/\d+/visit/\w+/"))
    page.locator("#record-form").wait_for()  # 谁检查谁录入: the assigned inspector may enter the record

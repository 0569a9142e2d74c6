"""The main pages in a real browser: headless Chromium driven by Playwright."""

import re

import pytest

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAV = {
    "administrator": [
        "home",
        "orgs",
        "targets",
        "inspectors",
        "catalog",
        "tasks",
        "calendar",
        "refdata",
        "audit",
        "admin",
    ],
    "coordinator": [
        "home",
        "orgs",
        "targets",
        "imports",
        "inspectors",
        "catalog",
        "plans",
        "tasks",
        "inspections",
        "calendar",
        "refdata",
    ],
    "organiser": ["home", "orgs", "targets", "inspectors", "catalog", "tasks", "calendar", "refdata"],
    "participant": ["home", "orgs", "targets", "inspectors", "catalog", "calendar", "refdata"],
    "inspector": ["home", "orgs", "catalog", "inspections", "calendar", "refdata"],
    "approver": [
        "home",
        "orgs",
        "targets",
        "inspectors",
        "catalog",
        "plans",
        "tasks",
        "inspections",
        "calendar",
        "refdata",
    ],
    "auditor": ["home", "orgs", "targets", "inspectors", "catalog", "tasks", "calendar", "refdata", "audit"],
}
# oversight: the dashboard, before the calendar, for the roles holding oversight.view
for _role in ("coordinator", "approver", "auditor"):
    NAV[_role].insert(NAV[_role].index("calendar"), "oversight")
# assignments: "My checks" (checks.enter) and "Confirmations" (assignments.confirm), before the oversight and calendar
NAV["inspector"].insert(NAV["inspector"].index("calendar"), "checks")
NAV["participant"].insert(NAV["participant"].index("calendar"), "confirmations")


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("role", sorted(NAV))
def test_each_role_signs_in_and_sees_its_own_navigation(page, live_world, role):
    sign_in(page, role)
    assert page.locator("[data-testid=current-user]").inner_text() == role
    keys = page.locator("#main-nav a").evaluate_all("els => els.map(e => e.dataset.nav)")
    assert keys == NAV[role]
    assert page.locator("h1").inner_text() == "工作台"


def test_a_wrong_password_shows_a_chinese_error(page, live_world):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    error = page.locator("[data-testid=login-error]").inner_text()
    assert "用户名" in error or "密码" in error


def test_the_deadline_calculator_answers_in_place(page, live_world):
    sign_in(page, "inspector")
    page.goto("/calendar/?year=2026")
    assert page.locator('td[data-date="2026-02-14"]').get_attribute("data-work") == "1"
    page.fill("input[name=start]", "2026-09-30")
    page.fill("input[name=days]", "1")
    page.click("text=加上工作日" if page.locator("text=加上工作日").count() else "section button[type=submit]")
    answer = page.locator("[data-testid=add-answer]")
    answer.wait_for()
    assert "2026-10-08" in answer.inner_text()
    assert page.url.endswith("/calendar/?year=2026")  # answered in place, no navigation


def test_the_reference_search_updates_as_one_types(page, live_world):
    sign_in(page, "coordinator")
    page.goto("/refdata/")
    page.fill("[data-testid=refdata-q]", "上蔡")
    page.locator("[data-testid=refdata-results] td", has_text="411722").wait_for()
    assert "上蔡县" in page.locator("[data-testid=refdata-results]").inner_text()


def test_the_administrator_verifies_the_audit_chain_in_the_admin(page, live_world):
    sign_in(page, "administrator")
    page.goto("/admin/core/auditentry/")
    page.click("[data-testid=admin-verify]")
    message = page.locator(".messagelist").inner_text()
    assert "#" not in message
    assert re.search(r"\d+", message)


def test_the_language_switch_turns_the_ui_english(page, live_world):
    sign_in(page, "auditor")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state()
    page.locator("h1", has_text="Workbench").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"

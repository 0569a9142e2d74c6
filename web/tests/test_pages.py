"""Server-rendered pages: role navigation, pending work, language, offline assets, search fragments."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import PASSWORD
from directory.models import Target
from workcal.models import CalendarOverride

NAV = {
    "administrator": {
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
    },
    "coordinator": {
        "home",
        "orgs",
        "targets",
        "inspectors",
        "imports",
        "catalog",
        "plans",
        "tasks",
        "inspections",
        "calendar",
        "refdata",
    },
    "organiser": {"home", "orgs", "targets", "inspectors", "catalog", "tasks", "calendar", "refdata"},
    "participant": {"home", "orgs", "targets", "inspectors", "catalog", "calendar", "refdata"},
    "inspector": {"home", "orgs", "catalog", "inspections", "calendar", "refdata"},
    "approver": {
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
    },
    "auditor": {"home", "orgs", "targets", "inspectors", "catalog", "tasks", "calendar", "refdata", "audit"},
}
PANELS = {
    "administrator": {"calendar"},
    "coordinator": {"plans", "tasks"},
    "organiser": {"tasks"},
    "participant": {"assignments"},
    "inspector": {"checks"},
    "approver": {"approvals", "publication"},
    "auditor": {"witness"},
}
# oversight: the dashboard for the roles holding oversight.view; the deadlines panel for every role with orgs.view
for _role in ("coordinator", "approver", "auditor"):
    NAV[_role].add("oversight")
for _panels in PANELS.values():
    _panels.add("deadlines")
# assignments: "My checks" (checks.enter) and "Confirmations" (assignments.confirm)
NAV["inspector"].add("checks")
NAV["participant"].add("confirmations")


@pytest.mark.parametrize("role", sorted(NAV))
def test_each_role_sees_its_own_navigation_and_pending_work(client, world, role):
    client.force_login(world.users[role])
    page = client.get(reverse("home")).content.decode()
    assert set(re.findall(r'data-nav="([a-z]+)"', page)) == NAV[role]
    assert set(re.findall(r'data-panel="([a-z]+)"', page)) == PANELS[role]


def test_the_administrator_is_asked_for_next_years_calendar_until_it_is_entered(client, world):
    client.force_login(world.users["administrator"])
    next_year = dt.date.today().year + 1
    page = client.get(reverse("home")).content.decode()
    assert f"?year={next_year}" in page
    CalendarOverride.objects.create(date=dt.date(next_year, 1, 1), is_workday=False, note="元旦")
    page = client.get(reverse("home")).content.decode()
    assert f"?year={next_year}" not in page


def test_the_ui_is_chinese_by_default_and_english_on_request(client, world):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "工作台" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
    assert "Workbench" in page


def test_pages_load_every_asset_from_this_server(client, world):
    client.force_login(world.users["administrator"])
    for name in ["home", "orgs", "targets", "calendar", "refdata", "audit"]:
        page = client.get(reverse(name)).content.decode()
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not url.startswith(("http:", "https:", "//")), (name, url)
    login = client.get(reverse("login"))
    assert login.status_code in (200, 302)


def test_the_sign_in_page_signs_in_and_rejects_wrong_passwords_in_chinese(client, world):
    response = client.post(reverse("login"), {"username": "inspector", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode() or "正确" in response.content.decode()
    response = client.post(reverse("login"), {"username": "inspector", "password": PASSWORD})
    assert response.status_code == 302


def test_sign_in_is_throttled_after_repeated_failures(client, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "approver", "password": "wrong"})
    # Even the right password is refused while the lock holds.
    response = client.post(reverse("login"), {"username": "approver", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    body = response.content.decode()
    assert "15" in body and 'data-testid="login-error"' in body
    # Another user is not locked.
    assert client.post(reverse("login"), {"username": "auditor", "password": PASSWORD}).status_code == 302


def test_the_reference_search_finds_divisions_and_industries(client, world):
    client.force_login(world.users["inspector"])
    page = client.get(reverse("refdata"), {"q": "上蔡"}, HTTP_HX_REQUEST="true").content.decode()
    assert "411722" in page and "<html" not in page
    page = client.get(reverse("refdata"), {"q": "13", "kind": "industry"}).content.decode()
    assert "农副食品加工业" in page and "<html" in page


def test_the_target_list_searches_by_code_and_name(client, world):
    Target.objects.create(organisation=world.county, key="91411722MA40000009", name="上蔡县甲食品有限公司")
    Target.objects.create(organisation=world.county, key="92411722MA40000001", name="上蔡县乙商店", credit_class="D")
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("targets"), {"q": "91411722"}).content.decode()
    assert "甲食品" in page and "乙商店" not in page
    page = client.get(reverse("targets"), {"credit_class": "D"}, HTTP_HX_REQUEST="true").content.decode()
    assert "乙商店" in page and "甲食品" not in page


def test_hostile_text_in_a_search_is_escaped(client, world):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("targets"), {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client, world):
    client.force_login(world.users["inspector"])
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in page

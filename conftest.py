"""Shared fixtures: a small world of organisations and one user per role.

``world`` builds 河南省 > 驻马店市 > {上蔡县, 西平县}, a market-regulation
bureau and a tax bureau in each county, and users: one per role in 上蔡县,
a coordinator in 西平县 (the outsider for scoping tests) and an auditor at
city level (who oversees both counties).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# guard would otherwise refuse the database calls made by the test itself.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Test-pass-2026!"


@dataclass
class World:
    province: object
    city: object
    county: object
    other_county: object
    market: object
    tax: object
    other_market: object
    users: dict[str, object] = field(default_factory=dict)


def make_user(username: str, role: str | None, org, department=None, **extra):
    from accounts.models import User, UserRole

    user = User.objects.create_user(
        username=username, password=PASSWORD, organisation=org, department=department, full_name=username, **extra
    )
    if role:
        UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    from accounts.models import Role
    from orgs.models import Department, DepartmentKind, Organisation, OrgLevel

    province = Organisation.objects.create(name="河南省", level=OrgLevel.PROVINCE, division_id="410000")
    city = Organisation.objects.create(name="驻马店市", level=OrgLevel.CITY, parent=province, division_id="411700")
    county = Organisation.objects.create(name="上蔡县", level=OrgLevel.COUNTY, parent=city, division_id="411722")
    other = Organisation.objects.create(name="西平县", level=OrgLevel.COUNTY, parent=city, division_id="411721")
    market = Department.objects.create(organisation=county, kind=DepartmentKind.MARKET, name="上蔡县市场监督管理局")
    tax = Department.objects.create(organisation=county, kind=DepartmentKind.TAXATION, name="上蔡县税务局")
    other_market = Department.objects.create(
        organisation=other, kind=DepartmentKind.MARKET, name="西平县市场监督管理局"
    )
    w = World(province, city, county, other, market, tax, other_market)
    for role in Role.values:
        dept = tax if role == Role.PARTICIPANT else market
        w.users[role] = make_user(role, role, county, dept, is_staff=role == Role.ADMINISTRATOR)
    w.users["outsider"] = make_user("outsider", Role.COORDINATOR, other, other_market)
    w.users["city_auditor"] = make_user("city_auditor", Role.AUDITOR, city)
    w.users["norole"] = make_user("norole", None, county, market)
    return w


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CHROMIUM = os.environ.get("SUIJI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (installed by `make test`)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("SUIJI_SKIP_BROWSER") == "1":
            pytest.skip(f"SKIPPED browser tests: {CHROMIUM} not found and SUIJI_SKIP_BROWSER=1")
        pytest.fail(f"{CHROMIUM} not found: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def live_world(transactional_db) -> World:
    from refdata.loader import load_all
    from refdata.models import Division, Industry

    load_all(Division, Industry)
    return build_world()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def world_tx(transactional_db) -> World:
    from refdata.loader import load_all
    from refdata.models import Division, Industry

    load_all(Division, Industry)
    return build_world()

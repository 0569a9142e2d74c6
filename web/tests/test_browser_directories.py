"""The list-and-directories pages in a real browser: a GBK import with a bad row, and an item published."""

import re

import pytest

from directory.models import Target
from web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GOOD = ["91110000600037341L", "91440300708461136T"]


def test_a_coordinator_imports_a_gbk_file_and_sees_the_bad_row(page, live_world, settings, tmp_path):
    settings.SUIJI_JOBS_EAGER = True
    rows = [
        "统一社会信用代码,企业名称,住所,信用风险分类",
        f"{GOOD[0]},上蔡县甲食品有限公司,上蔡县蔡都镇1号,A",
        f"{GOOD[1]},上蔡县乙商贸有限公司,上蔡县芦岗镇2号,C",
        "91110000600037341X,上蔡县丙餐饮店,上蔡县黄埠镇3号,B",
    ]
    path = tmp_path / "名录.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    sign_in(page, "coordinator")
    page.goto("/directory/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=organisation]", str(live_world.county.pk))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/directory/imports/\d+/$"))
    status = page.locator("#import-status")
    status.locator("table").first.wait_for()
    text = status.inner_text()
    assert re.search(r"\b4\b", text)  # the line of the bad row
    assert set(Target.objects.values_list("key", flat=True)) == set(GOOD)
    page.goto("/directory/targets/?q=上蔡县乙")
    assert "上蔡县乙商贸有限公司" in page.content()


def test_a_coordinator_creates_and_publishes_an_inspection_item(page, live_world):
    sign_in(page, "coordinator")
    page.goto("/catalog/new/")
    page.select_option("select[name=department]", str(live_world.market.pk))
    page.fill("input[name=name]", "食品经营许可情况的检查")
    page.select_option("select[name=category]", "key")
    page.check("input[name=methods][value=onsite]")
    page.fill("input[name=ratio_min_pct]", "5")
    page.fill("textarea[name$='0-text']", "是否持有有效的食品经营许可证")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/catalog/\d+/$"))
    page.click("[data-testid=publish]")
    page.locator("[data-testid=version-1]", has_text=re.compile("2026|20\\d\\d")).wait_for()
    assert "食品经营许可情况的检查" in page.content()

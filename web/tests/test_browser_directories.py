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


def test_a_new_user_imports_a_gbk_export_fixes_the_bad_rows_and_finds_a_firm_and_its_history(
    page, live_world, settings, tmp_path
):
    """The list-and-directories issue's "done when": a GBK export of a few thousand firms with bad
    rows, the bad rows explained and downloadable, fixed and imported again (an upsert that records
    what changed), a firm found by USCC and by name, and its history."""
    import io
    import random

    from openpyxl import load_workbook

    from core.uscc import make_uscc

    settings.SUIJI_JOBS_EAGER = True
    rng = random.Random(2026)
    keys = sorted({make_uscc(rng, "9", "1", "411722") for _ in range(3000)})
    header = "统一社会信用代码,企业名称,住所,行业代码,所属区域,信用风险分类,登记状态"
    good = [f"{k},上蔡县样本{i}食品有限公司,上蔡县蔡都镇{i}号,52,411722,A,存续" for i, k in enumerate(keys)]
    bad = list(good)
    bad[10] = bad[10].replace(keys[10], keys[10][:17] + ("0" if keys[10][17] != "0" else "1"))  # check character
    bad[20] = bad[20].replace("上蔡县样本20食品有限公司", "")  # no name
    bad[30] = bad[30].replace(",A,", ",Z,")  # unknown class

    def upload(lines, name):
        path = tmp_path / name
        path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode("gbk"))
        page.goto("/directory/imports/")
        page.set_input_files("input[name=file]", str(path))
        page.select_option("select[name=organisation]", str(live_world.county.pk))
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/directory/imports/\d+/$"))
        page.locator("#import-status table").first.wait_for()
        return page.locator("#import-status")

    sign_in(page, "coordinator")
    status = upload(bad, "名录导出.csv")
    rows = status.locator("table").nth(1).locator("tbody tr")
    assert rows.count() == 3
    lines = [rows.nth(i).locator("td").first.inner_text() for i in range(3)]
    assert lines == ["12", "22", "32"]  # the header is line 1
    assert "校验" in rows.nth(0).inner_text() and "名称" in rows.nth(1).inner_text()
    assert Target.objects.count() == 2997
    with page.expect_download() as download:
        status.get_by_role("link", name=re.compile("Excel|错误报告|error report", re.I)).click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [12, 22, 32]

    fixed = list(good)
    fixed[40] = fixed[40].replace(",A,", ",C,")  # and one firm's class changes meanwhile
    status = upload(fixed, "名录导出-修正.csv")
    table = status.locator("table").first.locator("tr")
    figures = [table.nth(i).locator("td").inner_text() for i in range(table.count())]
    assert figures[:5] == ["3000", "3", "1", "2996", "0"]  # rows, created, updated, unchanged, bad rows
    assert status.locator("table").count() == 1  # no error table this time
    assert Target.objects.count() == 3000 and Target.objects.get(key=keys[40]).credit_class == "C"

    page.goto(f"/directory/targets/?q={keys[40]}")
    page.get_by_role("link", name="上蔡县样本40食品有限公司").click()
    page.wait_for_url(re.compile(rf"/directory/targets/{keys[40]}/$"))
    history = page.locator("[data-testid=history]").inner_text()
    assert "credit_class" in history and "A → C" in history and "#" in history
    page.goto("/directory/targets/?q=样本2999食品")
    assert page.get_by_role("link", name="上蔡县样本2999食品有限公司").count() == 1

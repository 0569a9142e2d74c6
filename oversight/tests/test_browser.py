"""A coordinator opens the dashboard, clicks a number, sees the records behind it and downloads a table."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from conftest import PASSWORD
from oversight.tests.conftest import build_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_coordinator_drills_down_and_downloads_a_table(page, live_world):
    data = build_data(live_world)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("[data-panel=deadlines]").count() == 1
    page.click("[data-nav=oversight]")
    page.wait_for_url(re.compile(r"/oversight/"))
    assert page.locator("[data-testid=n-published]").inner_text() == "3"
    assert page.evaluate("typeof window.Chart") == "function"  # the vendored chart library loaded
    page.click("[data-testid=n-published]")
    page.wait_for_url(re.compile(r"/oversight/drill/published/"))
    assert page.locator("[data-testid=drill-total]").inner_text() == "3"
    rows = page.locator("[data-testid=row]")
    assert rows.count() == 3
    assert "任务B" in page.locator("[data-testid=drill]").inner_text()
    page.go_back()
    with page.expect_download() as info:
        page.click("[data-testid=table-progress]")
    download = info.value
    assert download.suggested_filename.startswith("progress-")
    ws = load_workbook(BytesIO(open(download.path(), "rb").read())).active
    assert ws.cell(row=1, column=1).value == f"上蔡县{data.year}年度随机抽查工作进展情况统计表"

"""A coordinator opens the dashboard, clicks a number, sees the records behind it, downloads every
statutory table and the evidence pack of a task."""

from __future__ import annotations

import json
import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook

from conftest import PASSWORD
from oversight.tests.conftest import build_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


TITLES = {
    "plan": "年度行政执法检查计划表",
    "progress": "年度随机抽查工作进展情况统计表",
    "joint": "年度联合检查工作进展情况统计表",
    "nonmarket_plan": "年度非市场监管领域抽查工作计划表",
    "adoption": "年度非市场监管领域推行“双随机、一公开”情况统计表",
}


def test_a_coordinator_drills_down_and_downloads_the_tables_and_an_evidence_pack(page, live_world):
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
    for key, title in TITLES.items():
        with page.expect_download() as info:
            page.click(f"[data-testid=table-{key}]")
        download = info.value
        assert download.suggested_filename.startswith(f"{key}-") and download.suggested_filename.endswith(".xlsx")
        ws = load_workbook(BytesIO(open(download.path(), "rb").read())).active
        assert ws.cell(row=1, column=1).value == f"上蔡县{data.year}{title}", key
    # The tasks behind the number, and the evidence pack of one of them.
    page.click("[data-testid=n-tasks]")
    page.wait_for_url(re.compile(r"/oversight/drill/tasks/"))
    task_b = data.tasks["b"]
    with page.expect_download() as info:
        page.click(f"[data-testid=evidence-{task_b.pk}]")
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as zf:
        names = set(zf.namelist())
        assert {"index.html", "task.json", "audit/chain-verification.json"} <= names
        assert json.loads(zf.read("audit/chain-verification.json"))["ok"] is True
        index = zf.read("index.html").decode()
    assert "任务B" in index and "chain OK" in index

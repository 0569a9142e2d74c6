"""Each statutory table's figures equal a direct count on the fixture data."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from draws.models import Selection
from inspections import services as insp
from inspections.models import Record, Result
from oversight import stats, tables
from oversight.stats import Scope

PROGRESS = tables.PROGRESS_HEADERS


def scope(data, org=None, dept=None):
    return Scope(org or data.world.county, dept, dt.date(data.year, 1, 1), dt.date(data.year, 12, 31))


def row_of(table, dept_name):
    rows = [r for r in table.rows if r[2] == dept_name]
    assert len(rows) == 1
    return dict(zip(table.headers, rows[0], strict=True))


def direct(data, dept):
    """Counts written independently of oversight.stats: this year's non-draft county tasks led by dept."""
    year, county = data.year, data.world.county
    task_q = dict(
        organisation=county, department=dept, state__in=["announced", "drawn", "closed"], window_start__year=year
    )
    tasks = list(data.tasks["a"].__class__.objects.filter(**task_q))
    drawn = Selection.objects.filter(draw__task__in=tasks, draw__state="drawn").count()
    recs = Record.objects.filter(task__in=tasks)
    published = recs.filter(state="published")
    problem_ids = set(
        Result.objects.filter(
            record__in=published,
            category__in=["not_publicised", "false_publicity", "unreachable", "ordered_to_correct"]
            + ["non_cooperation", "pending_follow_up", "non_compliant"],
            superseded_by__isnull=True,
        ).values_list("record_id", flat=True)
    )
    return {
        "抽查任务数": len(tasks),
        "已抽取户数": drawn,
        "已检查户数": recs.filter(state__in=["submitted", "approved", "published"]).count(),
        "已完成（已公示）户数": published.count(),
        "未完成户数": drawn - published.count(),
        "发现问题户数": len(problem_ids),
        "逾期公示户数": published.filter(published_late=True).count(),
    }


def test_the_progress_table_equals_a_direct_count(data):
    w = data.world
    table = tables.progress_table(scope(data))
    for dept in (w.market, w.tax):
        row = row_of(table, dept.name)
        for column, value in direct(data, dept).items():
            assert row[column] == value, (dept.name, column)
    market, tax = row_of(table, w.market.name), row_of(table, w.tax.name)
    # The same, as literal figures of the fixture (the voided draw, the draft, last year's task never count).
    assert [market[h] for h in PROGRESS[3:13]] == [3, 2, "66.7%", 1, 0, 3, 4, 3, 2, 2]
    assert [tax[h] for h in PROGRESS[3:13]] == [1, 1, "100.0%", 1, 1, 2, 3, 2, 1, 2]
    assert market["发现问题户数"] == 1 and market["逾期公示户数"] == 1 and market["按时公示率"] == "50.0%"
    total = dict(zip(table.headers, table.total, strict=True))
    assert total["已抽取户数"] == 7 and total["已完成（已公示）户数"] == 3 and total["未完成户数"] == 4


def test_a_check_done_but_not_published_is_not_complete_until_published(data):
    """Publishing through the real services moves the figure; submitting alone does not."""
    w = data.world
    record = data.records["a2"]  # submitted
    before = row_of(tables.progress_table(scope(data)), w.market.name)
    insp.do_approve_record(w.users["approver"], record)
    mid = row_of(tables.progress_table(scope(data)), w.market.name)
    assert mid["已完成（已公示）户数"] == before["已完成（已公示）户数"]
    insp.do_publish_record(w.users["approver"], record)
    after = row_of(tables.progress_table(scope(data)), w.market.name)
    assert after["已完成（已公示）户数"] == before["已完成（已公示）户数"] + 1
    assert after["未完成户数"] == before["未完成户数"] - 1


def test_the_city_sees_both_counties_and_a_department_filter_keeps_one_row(data):
    w = data.world
    city = tables.progress_table(scope(data, org=w.city))
    assert dict(zip(city.headers, city.total, strict=True))["已抽取户数"] == 8
    assert row_of(city, w.other_market.name)["已完成（已公示）户数"] == 1
    one = tables.progress_table(scope(data, dept=w.tax))
    assert [r[2] for r in one.rows] == [w.tax.name]


def test_the_plan_tables(data):
    plan = tables.plan_table(scope(data))
    rows = [dict(zip(plan.headers, r, strict=True)) for r in plan.rows]
    assert [r["抽查任务"] for r in rows] == ["食品经营抽查", "涉税联合抽查"]
    # Line 1: 3 targets planned; task A drew 4 (the voided draw does not count), 3 checked, 2 published.
    assert [rows[0][h] for h in ("已建任务数", "计划抽查户数", "已抽取户数", "已检查户数", "已完成（已公示）户数")] == [
        1, 3, 4, 3, 2
    ]  # fmt: skip
    # Line 2: 10 % of task B's 20 candidates = 2 planned.
    assert rows[1]["计划抽查户数"] == 2 and rows[1]["配合部门"] == data.world.market.name
    assert rows[1]["已抽取户数"] == Selection.objects.filter(draw__task=data.tasks["b"], draw__state="drawn").count()
    non_market = tables.plan_table(scope(data), non_market=True)
    assert [r[2] for r in non_market.rows] == ["涉税联合抽查"]
    assert "非市场监管领域" in non_market.title


def test_the_joint_table(data):
    joint = tables.joint_table(scope(data))
    assert len(joint.rows) == 1
    row = dict(zip(joint.headers, joint.rows[0], strict=True))
    b = data.tasks["b"]
    assert row["联合抽查任务"] == b.name and row["参与部门"] == data.world.market.name
    assert row["参与部门数"] == 2 and row["检查事项数"] == b.items.count() == 2
    assert row["已抽取户数"] == Selection.objects.filter(draw__task=b, draw__state="drawn").count() == 3
    assert row["已检查户数"] == Record.objects.filter(task=b).exclude(state__in=["draft", "returned"]).count() == 2
    assert row["已完成（已公示）户数"] == Record.objects.filter(task=b, state="published").count() == 1
    assert row["未完成户数"] == 2 and row["发现问题户数"] == 0


def test_the_adoption_table_lists_the_non_market_departments(data):
    w = data.world
    table = tables.adoption_table(scope(data))
    assert [r[2] for r in table.rows] == [w.tax.name]
    row = row_of(table, w.tax.name)
    assert row["是否建立随机抽查事项清单"] == "是" and row["清单事项数"] == 1
    assert row["年度计划抽查批次"] == 1 and row["抽查任务数"] == 1 and row["其中联合抽查任务数"] == 1
    assert row["已抽取户数"] == 3 and row["已完成（已公示）户数"] == 1 and row["结果公示率"] == "33.3%"
    assert row["执法检查人员入库数"] == 0 and row["入库率"] == "—"


@pytest.mark.parametrize("key", sorted(tables.TABLES))
def test_each_table_downloads_as_xlsx_with_the_computed_figures(client, data, key):
    client.force_login(data.world.users["coordinator"])
    response = client.get(reverse("oversight-table", args=[key]) + f"?year={data.year}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    expected = tables.build(key, scope(data))
    assert ws.cell(row=1, column=1).value == expected.title
    assert [c.value for c in ws[3]] == expected.headers
    for i, row in enumerate(expected.rows, start=4):
        assert [c.value for c in ws[i]] == [None if v == "" else v for v in row]


def test_tables_refuse_bad_input_and_hide_other_organisations(client, data):
    w = data.world
    client.force_login(w.users["outsider"])
    assert client.get(reverse("oversight-table", args=["progress"]) + f"?org={w.county.pk}").status_code == 404
    client.force_login(w.users["coordinator"])
    bad = client.get(reverse("oversight-table", args=["progress"]) + "?year=abc")
    assert bad.status_code == 400 and "年份无效" in bad.content.decode()
    assert client.get(reverse("oversight-table", args=["nope"])).status_code == 404
    client.force_login(w.users["inspector"])
    assert client.get(reverse("oversight-table", args=["progress"])).status_code == 403


def test_stats_and_tables_agree(data):
    s = scope(data)
    table = tables.progress_table(s)
    total = dict(zip(table.headers, table.total, strict=True))
    assert total["已抽取户数"] == stats.selections(s).count()
    assert total["已检查户数"] == stats.checked(s).count()
    assert total["已完成（已公示）户数"] == stats.published(s).count()
    assert total["未完成户数"] == stats.not_complete(s).count()

"""The portal's plan notices (with every version) and result notices (per task and per firm), and their open data."""

import json

import pytest
from django.urls import reverse

from inspections import services as inspections
from inspections.tests.conftest import make_visit, submission
from plans.services import do_adjust, do_approve
from plans.services import do_publish as do_publish_plan
from plans.tests.helpers import published_plan
from portal import opendata
from portal.tests.schema_check import errors
from portal.tests.test_portal import HOSTILE, body, csv_rows

FORMULA_TASK = '=HYPERLINK("http://evil","2026年抽查")'
FORMULA_FIRM = "@SUM(1+1)上蔡县某某商行"


def publish_visit(world, **extra):
    """A joint visit (two departments' items) submitted by the inspector, approved and published."""
    visit = make_visit(world, **extra)
    record, _ = inspections.do_submit_record(world.users["inspector"], submission(visit))
    inspections.do_approve_record(world.users["approver"], record)
    return visit, inspections.do_publish_record(world.users["approver"], record)


def adjusted_plan(world):
    """Version 1 published, then adjusted (version 2, published, with its reason), then a draft version 3."""
    first = published_plan(world)
    second = do_adjust(world.users["coordinator"], first, "新增联合抽查事项" + HOSTILE)
    do_approve(world.users["approver"], second)
    second = do_publish_plan(world.users["coordinator"], second)
    do_adjust(world.users["coordinator"], second, "尚未公布的调整")
    return first, second


@pytest.fixture
def published_world(world):
    visit, record = publish_visit(world, task_name=FORMULA_TASK, name=FORMULA_FIRM, joint=True)
    first, second = adjusted_plan(world)
    return world, visit, record, first, second


def test_plan_notices_show_every_published_version_with_the_reason_but_no_draft(client, published_world):
    world, *_ = published_world
    page = client.get(reverse("portal-plans")).content.decode()
    assert page.count('data-testid="plan"') == 1  # one organisation and year
    assert page.count('data-testid="plan-version"') == 2
    assert 'data-status="published"' in page and 'data-status="superseded"' in page
    assert "新增联合抽查事项" in page and HOSTILE not in page and "&lt;script&gt;" in page
    assert "尚未公布的调整" not in page
    assert "批次1" in page  # the plan's line


def test_a_firms_public_page_lists_every_published_result(client, published_world):
    world, visit, record, *_ = published_world
    page = client.get(reverse("portal-firm", args=[visit.target.key])).content.decode()
    assert page.count('data-testid="result"') == 2  # one per item of the joint visit
    assert "食品经营许可情况检查" in page and "纳税申报情况检查" in page
    # a correction is a new version; the corrected one stays, marked
    result = record.results.get(item_version=visit.version)
    fix = inspections.do_correct_result(world.users["inspector"], result, "ordered_to_correct", "复核后更正")
    assert (
        client.get(reverse("portal-firm", args=[visit.target.key])).content.decode().count('data-testid="result"') == 2
    )
    inspections.do_approve_result(world.users["approver"], fix)
    inspections.do_publish_result(world.users["approver"], fix)
    from django.core.cache import cache

    cache.clear()
    page = client.get(reverse("portal-firm", args=[visit.target.key])).content.decode()
    assert page.count('data-testid="result"') == 3 and 'data-testid="corrected"' in page and "复核后更正" in page


def test_unpublished_results_stay_off_the_portal_and_open_data(client, world):
    visit = make_visit(world)
    record, _ = inspections.do_submit_record(world.users["inspector"], submission(visit))
    inspections.do_approve_record(world.users["approver"], record)  # approved, not yet published
    page = client.get(reverse("portal-firm", args=[visit.target.key])).content.decode()
    assert 'data-testid="result"' not in page
    assert visit.target.name not in client.get(reverse("portal-results")).content.decode()
    assert json.loads(body(client.get(reverse("portal-data-json", args=["results"])))) == []


def test_results_per_task_and_the_task_notice_with_its_items(client, published_world):
    world, visit, record, *_ = published_world
    other, _ = publish_visit(
        world, key="91411722MA40000025", name="另一家被检查企业", task_name="另一项抽查", code="SC-02"
    )
    page = client.get(reverse("portal-results") + f"?task={visit.task.pk}").content.decode()
    assert 'data-testid="results-task"' in page and visit.target.key in page and other.target.key not in page
    assert client.get(reverse("portal-results") + "?task=abc").status_code == 404
    assert client.get(reverse("portal-results") + "?task=999999").status_code == 404
    draft = make_visit(world, key="91411722MA40000041", task_name="尚未公示的草稿任务", code="SC-03").task
    assert client.get(reverse("portal-results") + f"?task={draft.pk}").status_code == 404
    everything = client.get(reverse("portal-results")).content.decode()
    assert visit.target.key in everything and other.target.key in everything
    assert "检查员" not in everything and "41000001" not in everything  # no inspector personal data


def test_task_notices_list_the_items_of_every_department(client, published_world):
    from draws.models import Task

    world, visit, *_ = published_world
    Task.objects.filter(pk=visit.task.pk).update(is_public=True, state="drawn")
    page = client.get(reverse("portal-tasks")).content.decode()
    assert 'data-testid="task-items"' in page
    assert "食品经营许可情况检查" in page and "纳税申报情况检查" in page
    assert world.tax.name in page and world.market.name in page
    assert f"?task={visit.task.pk}" in page


def test_plans_and_results_open_data_validate_against_their_schemas(client, published_world):
    world, visit, *_ = published_world
    for name in ("plans", "results"):
        schema = json.loads(client.get(reverse("portal-data-schema", args=[name])).content)
        rows = json.loads(body(client.get(reverse("portal-data-json", args=[name]))))
        assert rows and errors(schema, rows) == [], name
        assert errors(schema, [{**rows[0], "entered_by": "x"}])  # nothing beyond the documented fields
    plans = json.loads(body(client.get(reverse("portal-data-json", args=["plans"]))))
    assert {(r["version"], r["status"]) for r in plans} == {(1, "superseded"), (2, "published")}
    assert any(HOSTILE in r["reason"] for r in plans)
    results = json.loads(body(client.get(reverse("portal-data-json", args=["results"]))))
    assert {r["item_name"] for r in results} == {"食品经营许可情况检查", "纳税申报情况检查"}
    assert all(r["key"] == visit.target.key and r["task_name"] == FORMULA_TASK for r in results)
    text = body(client.get(reverse("portal-data-json", args=["results"]))).decode()
    assert "检查员" not in text and "41000001" not in text and "inspector" not in text


def test_hostile_task_and_firm_names_are_escaped_and_neutralised_in_csv(client, published_world):
    world, visit, *_ = published_world
    rows = csv_rows(client.get(reverse("portal-data-csv", args=["results"])))
    assert rows and all(r["task_name"] == "'" + FORMULA_TASK and r["name"] == "'" + FORMULA_FIRM for r in rows)
    plans = csv_rows(client.get(reverse("portal-data-csv", args=["plans"])))
    assert any(r["reason"].startswith("新增联合抽查事项<script>") for r in plans)
    for url in (reverse("portal-results"), reverse("portal-firm", args=[visit.target.key]), reverse("portal-plans")):
        page = client.get(url).content.decode()
        assert HOSTILE not in page, url
    assert opendata.csv_cell("-1 cmd") == "'-1 cmd"

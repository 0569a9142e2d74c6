"""The public portal: open to anyone, showing only what is published, escaping and neutralising hostile text."""

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import reverse

from catalog.services import do_publish
from catalog.tests.helpers import make_item
from directory.models import Target
from draws import services
from draws.models import SelectionPublication
from draws.tests.helpers import INPUTS, WITNESSES, make_firms, make_task
from portal import opendata
from portal.search import PAGE_SIZE, search_firms
from portal.tests.schema_check import errors

HOSTILE = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil","click")'


def published_item(world, **overrides):
    item = make_item(world, **overrides)
    return do_publish(world.users["coordinator"], item.latest_version())


def drawn(world, n_firms=100, **extra):
    if not Target.objects.filter(organisation=world.county).exists():
        make_firms(world.county, n_firms)
    task = make_task(world, **extra)
    draw = services.do_commit(task, world.users["coordinator"])
    return services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[dict]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def portal_world(world):
    version = published_item(world)
    draw = drawn(world)
    return world, version, draw


def public_urls(version, draw):
    firm = draw.selections.first().key
    urls = [
        reverse("portal-home"),
        reverse("portal-items"),
        reverse("portal-item", args=[version.pk]),
        reverse("portal-tasks"),
        reverse("portal-firms"),
        reverse("portal-firms") + "?q=测试企业",
        reverse("portal-firm", args=[firm]),
        reverse("portal-data"),
    ]
    for name in opendata.DATASETS:
        urls += [reverse(f"portal-data-{kind}", args=[name]) for kind in ("json", "csv", "schema")]
    if apps.is_installed("plans"):
        urls.append(reverse("portal-plans"))
    if apps.is_installed("inspections"):
        urls.append(reverse("portal-results"))
    return urls


def test_every_portal_page_and_dataset_answers_anonymous_visitors(client, portal_world):
    _, version, draw = portal_world
    for url in public_urls(version, draw):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response, url
        assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"], url


def test_signed_in_users_see_the_same_portal(client, portal_world):
    world, version, draw = portal_world
    client.force_login(world.users["inspector"])
    for url in public_urls(version, draw)[:8]:
        assert client.get(url).status_code == 200, url


def test_sections_of_apps_not_installed_are_hidden_and_answer_404(client, db):
    home = client.get(reverse("portal-home")).content.decode()
    for section, app, name in (("plans", "plans", "portal-plans"), ("results", "inspections", "portal-results")):
        installed = apps.is_installed(app)
        assert (f'data-tab="{section}"' in home) == installed
        if not installed:
            assert client.get(reverse(name)).status_code == 404


def test_the_portal_refuses_writes(client, db):
    assert client.post(reverse("portal-home")).status_code == 405


def test_the_sign_in_page_links_to_the_portal(client, db):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("portal-home")}"' in page


# --- what is published, and only that ---------------------------------------------------------------


def test_only_published_item_versions_are_listed(client, world):
    published = published_item(world, name="已公布事项")
    make_item(world, name="草稿事项")
    page = client.get(reverse("portal-items")).content.decode()
    assert "已公布事项" in page and "草稿事项" not in page
    rows = json.loads(body(client.get(reverse("portal-data-json", args=["items"]))))
    assert [r["item_code"] for r in rows] == [published.item.code]


def test_draft_and_non_public_tasks_are_not_announced(client, world):
    make_firms(world.county, 50)
    make_task(world, name="草稿任务")
    drawn(world, name="内部任务", is_public=False)
    drawn(world, name="公开任务")
    page = client.get(reverse("portal-tasks")).content.decode()
    assert "公开任务" in page and "草稿任务" not in page and "内部任务" not in page
    names = {r["name"] for r in json.loads(body(client.get(reverse("portal-data-json", args=["tasks"]))))}
    assert names == {"公开任务"}
    assert 'data-testid="how-to-verify"' in page and reverse("verifier-download") in page


def test_a_confidential_selection_stays_off_the_portal_until_the_checks_are_done(client, world):
    draw = drawn(world, selection_publication=SelectionPublication.AFTER_CHECKS)
    chosen = draw.selections.first()
    firm_page = client.get(reverse("portal-firm", args=[chosen.key])).content.decode()
    assert 'data-testid="firm-draw"' not in firm_page
    draws = json.loads(body(client.get(reverse("portal-data-json", args=["draws"]))))
    assert draws[0]["commitment"] == draw.commitment and draws[0]["seed"] is None
    assert draws[0]["manifest_url"] is None
    assert json.loads(body(client.get(reverse("portal-data-json", args=["selections"])))) == []
    draw.task.checks_done = True
    draw.task.save()
    cache.clear()  # pages are kept a minute in the server's cache
    firm_page = client.get(reverse("portal-firm", args=[chosen.key])).content.decode()
    assert 'data-testid="firm-draw"' in firm_page and reverse("public-draw", args=[draw.pk]) in firm_page
    selections = json.loads(body(client.get(reverse("portal-data-json", args=["selections"]))))
    assert len(selections) == draw.selections.count() and selections[0]["position"] == 1


def test_the_firm_page_shows_public_fields_but_no_credit_class_or_complaints(client, world):
    Target.objects.create(
        organisation=world.county,
        key="91411722MA9XYZ1234",
        name="上蔡县公开测试有限公司",
        address="上蔡县蔡都街道1号",
        legal_representative="张某某",
        credit_class="D",
        complaint_count=7391,
        abnormal_operation=True,
    )
    response = client.get(reverse("portal-firm", args=["91411722MA9XYZ1234"]))
    page = response.content.decode()
    assert "上蔡县蔡都街道1号" in page
    assert "7391" not in page and "张某某" not in page
    firm = response.context["firm"]
    assert not {"credit_class", "complaint_count", "legal_representative"} & set(firm)
    assert firm["abnormal_operation"] is True  # the abnormal-operation list is public information
    assert client.get(reverse("portal-firm", args=["91411722MA9XYZ0000"])).status_code == 404


def test_no_witness_or_staff_personal_data_in_open_data(client, portal_world):
    world, _, draw = portal_world
    everything = b"".join(body(client.get(reverse("portal-data-json", args=[n]))) for n in opendata.DATASETS)
    for user in world.users.values():
        assert user.username.encode() not in everything or user.username in {"auditor", "approver"}
    assert draw.secret.encode() not in everything
    assert WITNESSES[0].name.encode() not in everything


# --- hostile text ---------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_pages_and_neutralised_in_csv(client, world):
    version = published_item(world, name=HOSTILE, sub_item=FORMULA, content="+1+2", frequency="@SUM(A1)")
    Target.objects.create(organisation=world.county, key="91411722MA9XYZ5678", name=HOSTILE + "有限公司")
    for url in (
        reverse("portal-items"),
        reverse("portal-item", args=[version.pk]),
        reverse("portal-firms") + "?q=" + HOSTILE,
        reverse("portal-firm", args=["91411722MA9XYZ5678"]),
    ):
        page = client.get(url).content.decode()
        assert HOSTILE not in page and "&lt;script&gt;" in page, url
    row = csv_rows(client.get(reverse("portal-data-csv", args=["items"])))[0]
    assert row["sub_item"] == "'" + FORMULA
    assert row["content"] == "'+1+2" and row["frequency"] == "'@SUM(A1)"
    assert row["name"] == HOSTILE  # not a formula: CSV quoting is enough
    assert json.loads(body(client.get(reverse("portal-data-json", args=["items"]))))[0]["sub_item"] == FORMULA


@pytest.mark.parametrize("value", ["=1+1", "-2", "+3", "@x", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value):
    assert opendata.csv_cell(value) == "'" + value


def test_numbers_booleans_and_null_are_written_plainly():
    assert [opendata.csv_cell(v) for v in (-1, True, False, None, "安全")] == ["-1", "true", "false", "", "安全"]


# --- open data schemas ------------------------------------------------------------------------------------


def test_every_dataset_validates_against_its_published_schema(client, portal_world):
    draw = portal_world[2]
    services.do_request_void(draw, portal_world[0].users["coordinator"], "见证人未到场")
    services.do_approve_void(draw, portal_world[0].users["approver"])
    from portal.tests.test_results_and_plans import adjusted_plan, publish_visit

    adjusted_plan(portal_world[0])
    publish_visit(portal_world[0], key="91411722MA40000033", code="SC-09", joint=True)
    for name, dataset in opendata.DATASETS.items():
        schema = json.loads(client.get(reverse("portal-data-schema", args=[name])).content)
        rows = json.loads(body(client.get(reverse("portal-data-json", args=[name]))))
        assert rows, name
        assert errors(schema, rows) == [], name
        assert list(rows[0]) == [f.name for f in dataset.fields]
        table = csv_rows(client.get(reverse("portal-data-csv", args=[name])))
        assert len(table) == len(rows) and list(table[0]) == list(rows[0])


def test_the_validator_catches_wrong_types_and_missing_or_extra_fields(client, db):
    schema = opendata.schema(opendata.DATASETS["tasks"])
    good = {f.name: f.example for f in opendata.DATASETS["tasks"].fields}
    assert errors(schema, [good]) == []
    assert errors(schema, [{**good, "task_id": "7"}])
    assert errors(schema, [{**good, "selection_public": 1}])
    assert errors(schema, [{k: v for k, v in good.items() if k != "name"}])
    assert errors(schema, [{**good, "secret": "x"}])


def test_the_documentation_page_lists_every_field_of_every_dataset(client, db):
    page = client.get(reverse("portal-data")).content.decode()
    for dataset in opendata.DATASETS.values():
        assert f'id="{dataset.name}"' in page
        for f in dataset.fields:
            assert f"<code>{f.name}</code>" in page


def test_an_unknown_dataset_is_404(client, db):
    assert client.get("/portal/data/users.json").status_code == 404
    assert client.get("/portal/data/users.csv").status_code == 404


# --- firm search ------------------------------------------------------------------------------------------


def test_search_by_uscc_is_exact_and_case_insensitive(world):
    firms = make_firms(world.county, 30)
    key = firms[7].key
    found = search_firms(key.lower())
    assert found.mode == "key" and [f["key"] for f in found.firms] == [key]
    assert search_firms(key[:-1] + "0").firms == [] or search_firms(key[:-1] + "0").firms[0]["key"] != key


def test_search_by_name_prefix_pages_in_name_order(world):
    make_firms(world.county, PAGE_SIZE + 5)
    first = search_firms("测试企业")
    assert first.mode == "prefix" and len(first.firms) == PAGE_SIZE and first.has_next
    second = search_firms("测试企业", page=2)
    assert len(second.firms) == 5 and not second.has_next
    names = [f["name"] for f in first.firms + second.firms]
    assert names == sorted(names)


def test_search_falls_back_to_names_containing_the_text(client, world):
    make_firms(world.county, 30)
    found = search_firms("企业2")
    assert found.mode == "contains" and {f["name"] for f in found.firms} >= {"测试企业2", "测试企业20"}
    page = client.get(reverse("portal-firms") + "?q=企业2").content.decode()
    assert "测试企业2" in page
    assert 'data-testid="no-firm"' in client.get(reverse("portal-firms") + "?q=不存在").content.decode()


def test_search_results_carry_only_public_fields(world):
    make_firms(world.county, 3)
    firm = search_firms("测试企业").firms[0]
    assert not {"credit_class", "complaint_count", "legal_representative", "draw_digest"} & set(firm)


def test_bad_page_numbers_are_harmless(client, world):
    make_firms(world.county, 3)
    for q in ("?q=测试&page=abc", "?q=测试&page=-4", "?q=测试&page=99999", "?q=" + "长" * 500):
        assert client.get(reverse("portal-firms") + q).status_code == 200

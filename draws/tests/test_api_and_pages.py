"""Task and draw endpoints and pages: permissions, scoping, public downloads, confidentiality."""

import json

import pytest
from django.urls import reverse

from draws import services
from draws.models import Draw, SelectionPublication
from draws.tests.helpers import CEREMONY_FORM, INPUTS, WITNESSES, make_firms, make_task, params


def drawn(world, **extra):
    make_firms(world.county, 100)
    task = make_task(world, **extra)
    draw = services.do_commit(task, world.users["coordinator"])
    return services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)


def api_post(client, path, body=None):
    client.handler.enforce_csrf_checks = False
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_a_coordinator_runs_a_whole_draw_through_the_api(client, world):
    make_firms(world.county, 100)
    client.force_login(world.users["coordinator"])
    body = {
        "organisation_id": world.county.pk,
        "department_id": world.market.pk,
        "name": "API 任务",
        "params": params("0.1"),
        "stratify_by": "none",
    }
    created = api_post(client, "/api/draws/tasks", body)
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    assert client.get(f"/api/draws/tasks/{task_id}/preview").json() == {"candidates": 100}
    committed = api_post(client, f"/api/draws/tasks/{task_id}/commit")
    assert committed.status_code == 201
    draw_id = committed.json()["id"]
    run = api_post(
        client,
        f"/api/draws/draws/{draw_id}/run",
        {
            "witnesses": [{"name": "张某", "role": "公证员"}],
            "inputs": [{"label": "彩票", "value": "07 19 23 30 31 33"}],
        },
    )
    assert run.status_code == 200, run.content
    assert run.json()["state"] == "drawn" and len(run.json()["seed"]) == 64
    again = api_post(
        client,
        f"/api/draws/draws/{draw_id}/run",
        {"witnesses": [{"name": "张某", "role": "公证员"}], "inputs": [{"label": "彩票", "value": "1 2 3"}]},
    )
    assert again.status_code == 409 and again.json()["message_zh"]


def test_the_api_refuses_a_low_ratio_with_a_bilingual_message(client, world):
    client.force_login(world.users["coordinator"])
    body = {"organisation_id": world.county.pk, "department_id": world.market.pk, "name": "x", "params": params("0.01")}
    response = api_post(client, "/api/draws/tasks", body)
    assert response.status_code == 422
    assert response.json()["error"] == "ratio_too_low"
    assert "5%" in response.json()["message_zh"]


@pytest.mark.parametrize("rule", ["exclude", "0.5", "0.125"])
def test_the_api_refuses_a_recent_rule_the_directory_has_no_data_for(client, world, rule):
    from draws.models import Task

    client.force_login(world.users["coordinator"])
    design = params("0.1")
    design["parts"][0]["recent"] = rule
    body = {"organisation_id": world.county.pk, "department_id": world.market.pk, "name": "x", "params": design}
    response = api_post(client, "/api/draws/tasks", body)
    assert response.status_code == 422 and response.json()["error"] == "recent_rule_unsupported"
    assert "exclude_inspected_days" in response.json()["message_zh"] and not Task.objects.exists()
    design["parts"][0]["recent"] = "keep"
    assert api_post(client, "/api/draws/tasks", body).status_code == 201


@pytest.mark.parametrize(
    "role, status", [("inspector", 403), ("participant", 403), ("approver", 403), ("outsider", 404)]
)
def test_only_organisers_of_the_organisation_create_tasks(client, world, role, status):
    client.force_login(world.users[role])
    body = {"organisation_id": world.county.pk, "department_id": world.market.pk, "name": "x", "params": params()}
    assert api_post(client, "/api/draws/tasks", body).status_code == status


def test_another_countys_tasks_and_draws_are_invisible(client, world):
    draw = drawn(world)
    client.force_login(world.users["outsider"])
    assert client.get(f"/api/draws/tasks/{draw.task_id}").status_code == 404
    assert client.get(f"/api/draws/draws/{draw.pk}").status_code == 404
    assert client.get("/api/draws/tasks").json() == []
    assert client.get(reverse("task-detail", args=[draw.task_id])).status_code == 404
    assert api_post(client, f"/api/draws/draws/{draw.pk}/void-request", {"reason": "我想作废它"}).status_code == 404


def test_the_public_sees_commitment_manifest_and_candidates_of_a_public_draw(client, world):
    draw = drawn(world)
    page = client.get(reverse("public-draw", args=[draw.pk])).content.decode()
    assert draw.commitment in page and draw.seed in page
    manifest = client.get(f"/api/draws/public/draws/{draw.pk}/manifest.json")
    assert manifest.status_code == 200 and json.loads(manifest.content)["seed"] == draw.seed
    csv = b"".join(client.get(f"/api/draws/public/draws/{draw.pk}/candidates.csv").streaming_content)
    assert csv.startswith(b"key,stratum,weight,recent,forced,excluded\n")
    assert client.get(reverse("verifier-download")).status_code == 200


def test_a_confidential_selection_is_withheld_until_the_checks_are_done(client, world):
    draw = drawn(world, selection_publication=SelectionPublication.AFTER_CHECKS)
    page = client.get(reverse("public-draw", args=[draw.pk])).content.decode()
    assert draw.commitment in page
    assert draw.seed not in page and 'data-testid="confidential"' in page
    assert client.get(f"/api/draws/public/draws/{draw.pk}/manifest.json").status_code == 404
    draw.task.checks_done = True
    draw.task.save()
    assert client.get(f"/api/draws/public/draws/{draw.pk}/manifest.json").status_code == 200


def test_a_non_public_task_has_no_public_page(client, world):
    draw = drawn(world, is_public=False)
    assert client.get(reverse("public-draw", args=[draw.pk])).status_code == 404
    assert client.get(f"/api/draws/public/draws/{draw.pk}/candidates.csv").status_code == 404


def test_a_voided_draw_and_its_redraw_both_stay_public(client, world):
    draw = drawn(world)
    services.do_request_void(draw, world.users["coordinator"], "见证人未签字")
    services.do_approve_void(draw, world.users["approver"])
    second = services.do_commit(draw.task, world.users["coordinator"])
    page = client.get(reverse("public-draw", args=[second.pk])).content.decode()
    assert "#1" in page and "#2" in page
    old = client.get(reverse("public-draw", args=[draw.pk])).content.decode()
    assert "见证人未签字" in old


def test_the_task_form_creates_a_task_and_refuses_a_low_ratio(client, world):
    client.force_login(world.users["organiser"])
    form = {
        "name": "表单任务",
        "department": world.market.pk,
        "method": "uniform",
        "allocation": "ratio",
        "ratio": "3%",
        "statuses": ["active"],
        "selection_publication": "with_notice",
        "is_public": "on",
    }
    refused = client.post(reverse("task-new"), form)
    assert refused.status_code == 400
    form["ratio"] = "5%"
    created = client.post(reverse("task-new"), form)
    assert created.status_code == 302
    task = world.county.tasks.get()
    assert task.params["parts"][0]["overall"] == {"ratio": "0.05"}


def test_the_ceremony_pages_commit_draw_and_void(client, world):
    make_firms(world.county, 80)
    task = make_task(world)
    client.force_login(world.users["coordinator"])
    client.post(reverse("task-commit", args=[task.pk]))
    draw = Draw.objects.get(task=task)
    client.post(reverse("draw-run", args=[draw.pk]), CEREMONY_FORM)
    draw.refresh_from_db()
    assert draw.state == "drawn"
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="selections"' in page
    client.post(reverse("draw-void-request", args=[draw.pk]), {"reason": "程序测试作废"})
    client.force_login(world.users["approver"])
    client.post(reverse("draw-void-approve", args=[draw.pk]))
    draw.refresh_from_db()
    assert draw.state == "voided"


def test_an_inspector_cannot_open_the_task_pages_or_run_a_draw(client, world):
    draw = drawn(world)
    client.force_login(world.users["inspector"])
    assert client.get(reverse("tasks")).status_code == 403
    assert client.get(reverse("task-detail", args=[draw.task_id])).status_code == 403
    assert client.post(reverse("draw-void-request", args=[draw.pk]), {"reason": "恶意作废请求"}).status_code == 403


def test_another_departments_draft_task_is_hidden_from_an_organiser(client, world):
    from conftest import make_user

    tax_organiser = make_user("tax_organiser", "organiser", world.county, world.tax)
    draft = make_task(world, name="市场监管局草稿任务")
    client.force_login(tax_organiser)
    assert client.get(f"/api/draws/tasks/{draft.pk}").status_code == 404
    assert draft.name not in client.get(reverse("tasks")).content.decode()
    client.force_login(world.users["organiser"])  # the market bureau's own organiser
    assert client.get(f"/api/draws/tasks/{draft.pk}").status_code == 200
    make_firms(world.county, 30)
    services.do_commit(draft, world.users["coordinator"])
    client.force_login(tax_organiser)
    assert client.get(f"/api/draws/tasks/{draft.pk}").status_code == 200  # announced: no longer a draft

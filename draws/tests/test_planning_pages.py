"""Pages and API of tasks from plan lines and joint tasks: the permission matrix rows, forms, previews, notices."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from draws import planning, services
from draws.models import ParticipantState, Task, TaskParticipant
from draws.tests.helpers import INPUTS, WITNESSES, make_firms, make_task
from draws.tests.planning_helpers import inspected, joint_line, version

ROLES = ["administrator", "coordinator", "organiser", "participant", "inspector", "approver", "auditor", "norole"]


def api_post(client, path, body=None):
    client.handler.enforce_csrf_checks = False
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def joint_task(world):
    task = planning.do_create_task_from_line(world.users["coordinator"], joint_line(world))
    return task, task.participants.get()


# --- permission matrix rows -------------------------------------------------------------------------------

# The page of a line: organisers of the lead department's organisation (coordinator, organiser); the rest 403.
LINE_PAGE = {"coordinator": 200, "organiser": 200}


@pytest.mark.parametrize("role", ROLES + ["outsider"])
def test_the_from_line_pages_answer_each_role(client, world, role):
    line = joint_line(world)
    client.force_login(world.users[role])
    expected = LINE_PAGE.get(role, 404 if role == "outsider" else 403)
    assert client.get(reverse("task-from-line", args=[line.pk])).status_code == expected
    assert client.get(reverse("task-from-line-preview", args=[line.pk])).status_code == expected


def test_the_from_line_pages_send_a_signed_out_visitor_to_sign_in(client, world):
    line = joint_line(world)
    for name in ("task-from-line", "task-from-line-preview"):
        response = client.get(reverse(name, args=[line.pk]))
        assert response.status_code == 302 and "login" in response["Location"]


# Task detail of a joint task in draft: who sees it (participant: only as an invited department's user).
DETAIL = {
    "administrator": 200,
    "coordinator": 200,
    "organiser": 200,
    "participant": 200,
    "approver": 200,
    "auditor": 200,
    "inspector": 403,
    "norole": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("role", sorted(DETAIL))
def test_a_joint_tasks_page_answers_each_role(client, world, role):
    task, _ = joint_task(world)
    client.force_login(world.users[role])
    assert client.get(reverse("task-detail", args=[task.pk])).status_code == DETAIL[role]
    api = client.get(f"/api/draws/tasks/{task.pk}/joint")
    assert api.status_code == {200: 200, 403: 403, 404: 404}[DETAIL[role]]


ACT = {"inspector": 403, "approver": 403, "auditor": 403, "norole": 403, "outsider": 404}


@pytest.mark.parametrize("role", sorted(ACT))
def test_only_organisers_and_invited_departments_act(client, world, role):
    task, participant = joint_task(world)
    health = world.county.departments.create(kind="health", name="上蔡县卫健委")
    extra = version(world, "SC-07")
    client.force_login(world.users[role])
    expected = ACT[role]
    assert client.post(reverse("task-invite", args=[task.pk]), {"department": health.pk}).status_code == expected
    assert client.post(reverse("task-respond", args=[participant.pk]), {"accept": "1"}).status_code == expected
    assert client.post(reverse("task-add-items", args=[task.pk]), {"items": [extra.pk]}).status_code == expected
    body = {"department_id": health.pk}
    assert api_post(client, f"/api/draws/tasks/{task.pk}/participants", body).status_code == expected
    assert api_post(client, f"/api/draws/participants/{participant.pk}/respond", {"accept": True}).status_code == (
        expected
    )
    assert api_post(client, f"/api/draws/tasks/{task.pk}/items", {"item_ids": [extra.pk]}).status_code == expected
    assert api_post(client, f"/api/draws/plan-lines/{task.plan_line_id}/tasks").status_code == expected
    participant.refresh_from_db()
    assert participant.state == ParticipantState.INVITED
    assert not task.participants.filter(department=health).exists() and extra not in task.items.all()
    assert Task.objects.count() == 1


def test_the_api_refuses_a_signed_out_caller(client, world):
    task, participant = joint_task(world)
    for path in (
        f"/api/draws/plan-lines/{task.plan_line_id}/tasks",
        f"/api/draws/tasks/{task.pk}/participants",
        f"/api/draws/participants/{participant.pk}/respond",
        f"/api/draws/tasks/{task.pk}/items",
    ):
        response = api_post(client, path, {})
        assert response.status_code == 401, path


# --- the from-line page -------------------------------------------------------------------------------------


def test_the_plan_page_offers_a_task_for_each_line_of_a_published_plan(client, world):
    line = joint_line(world)
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("plan-detail", args=[line.plan_id])).content.decode()
    assert reverse("task-from-line", args=[line.pk]) in page
    client.force_login(world.users["approver"])  # reads plans, does not organise tasks
    assert (
        reverse("task-from-line", args=[line.pk])
        not in client.get(reverse("plan-detail", args=[line.plan_id])).content.decode()
    )


def test_a_draft_plan_page_offers_no_task(client, world):
    line = joint_line(world, publish=False)
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("plan-detail", args=[line.plan_id])).content.decode()
    assert reverse("task-from-line", args=[line.pk]) not in page


def test_the_from_line_page_shows_the_line_and_a_live_preview(client, world):
    make_firms(world.county, 100)
    from directory.models import Target

    firms = list(Target.objects.order_by("key")[:3])
    inspected(world, firms[0], days_ago=5)
    line = joint_line(world)
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("task-from-line", args=[line.pk])).content.decode()
    assert line.name in page and world.tax.name in page and 'data-testid="preview-candidates">100<' in page
    assert 'data-testid="preview-expected">10<' in page
    url = reverse("task-from-line-preview", args=[line.pk])
    base = {
        "name": line.name,
        "ratio": "0.2",
        "window_start": line.window_start.isoformat(),
        "window_end": line.window_end.isoformat(),
        "selection_publication": "with_notice",
    }
    fragment = client.get(url, {**base, "exclude_inspected_days": "30"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="preview-excluded">1<' in fragment and 'data-testid="preview-expected">20<' in fragment
    assert "<html" not in fragment
    bad = client.get(url, {**base, "ratio": "0.04"}).content.decode()
    assert "5%" in bad and 'data-testid="preview-error"' in bad


def test_the_from_line_form_creates_the_task_or_shows_the_refusal(client, world):
    line = joint_line(world)
    client.force_login(world.users["coordinator"])
    url = reverse("task-from-line", args=[line.pk])
    form = {
        "name": "联合抽查任务",
        "notice": "",
        "ratio": "0.04",
        "window_start": line.window_start.isoformat(),
        "window_end": line.window_end.isoformat(),
        "is_public": "on",
        "selection_publication": "with_notice",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400 and "5%" in refused.content.decode() and not Task.objects.exists()
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {**form, "ratio": "0.1", "window_start": past, "window_end": past})
    assert refused.status_code == 400 and "检查时间已经过去" in refused.content.decode() and not Task.objects.exists()
    created = client.post(url, {**form, "ratio": "0.1", "exclude_inspected_days": "90"})
    task = Task.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse("task-detail", args=[task.pk])
    assert task.plan_line == line and task.scope == {"exclude_inspected_days": 90} and task.name == "联合抽查任务"
    assert line.plan.organisation.name in task.notice  # the default notice


# --- the task page: items by department, participants, forms --------------------------------------------------


def test_the_invited_department_accepts_and_adds_its_items_through_the_task_page(client, world):
    task, participant = joint_task(world)
    extra = version(world, "SW-02", world.tax, name="发票管理情况检查")
    client.force_login(world.users["participant"])
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="respond-form"' in page and 'data-testid="commit"' not in page
    assert world.tax.name in page and world.market.name in page
    response = client.post(reverse("task-respond", args=[participant.pk]), {"accept": "1"})
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.state == ParticipantState.ACCEPTED
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="add-items-form"' in page and extra.name in page and 'data-testid="respond-form"' not in page
    client.post(reverse("task-add-items", args=[task.pk]), {"items": [extra.pk]})
    assert extra in task.items.all()


def test_the_lead_department_invites_from_the_task_page(client, world):
    task, _ = joint_task(world)
    health = world.county.departments.create(kind="health", name="上蔡县卫健委")
    client.force_login(world.users["organiser"])
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="invite-form"' in page and health.name in page
    client.post(reverse("task-invite", args=[task.pk]), {"department": health.pk})
    assert task.participants.get(department=health).state == ParticipantState.INVITED
    again = client.post(reverse("task-invite", args=[task.pk]), {"department": health.pk}, follow=True)
    assert "已受邀" in again.content.decode() and task.participants.filter(department=health).count() == 1


def test_a_tax_organiser_reads_the_joint_task_but_cannot_run_it(client, world):
    from conftest import make_user

    tax_organiser = make_user("tax_organiser", "organiser", world.county, world.tax)
    task, _ = joint_task(world)
    client.force_login(tax_organiser)
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="respond-form"' in page and 'data-testid="commit"' not in page
    assert 'data-testid="invite-form"' not in page


# --- the public notice ------------------------------------------------------------------------------------


def test_the_public_notice_lists_every_item_and_every_participating_department(client, world):
    make_firms(world.county, 50)
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=True)
    extra = version(world, "SW-02", world.tax, name="发票管理情况检查")
    planning.do_add_items(world.users["participant"], task, [extra])
    draw = services.do_commit(task, world.users["coordinator"])
    client.logout()
    cache.clear()  # the portal keeps public pages for a minute
    for url in (reverse("portal-tasks"), reverse("public-draw", args=[draw.pk])):
        page = client.get(url).content.decode()
        for v in task.items.all():
            assert v.name in page, (url, v.name)
        assert world.tax.name in page and world.market.name in page, url
    services.do_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)


def test_a_declined_department_is_not_on_the_public_notice(client, world):
    make_firms(world.county, 50)
    task, participant = joint_task(world)
    planning.do_respond(world.users["participant"], participant, accept=False)
    services.do_commit(task, world.users["coordinator"])
    assert not task.items.filter(item__department=world.tax).exists()  # its items left with it
    cache.clear()
    page = client.get(reverse("portal-tasks")).content.decode()
    assert world.market.name in page and world.tax.name not in page


# --- API ----------------------------------------------------------------------------------------------


def test_a_joint_task_through_the_api(client, world):
    make_firms(world.county, 50)
    line = joint_line(world)
    client.force_login(world.users["coordinator"])
    created = api_post(client, f"/api/draws/plan-lines/{line.pk}/tasks", {"ratio": "0.2", "exclude_inspected_days": 30})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["plan_line_id"] == line.pk and body["exclude_inspected_days"] == 30
    assert {i["department_id"] for i in body["items"]} == {world.market.pk, world.tax.pk}
    assert [(p["department_id"], p["state"]) for p in body["participants"]] == [(world.tax.pk, "invited")]
    task_id, participant_id = body["id"], body["participants"][0]["id"]
    health = world.county.departments.create(kind="health", name="上蔡县卫健委")
    invited = api_post(client, f"/api/draws/tasks/{task_id}/participants", {"department_id": health.pk})
    assert invited.status_code == 201 and invited.json()["department"] == health.name
    again = api_post(client, f"/api/draws/tasks/{task_id}/participants", {"department_id": health.pk})
    assert again.status_code == 409 and again.json()["error"] == "already_invited" and again.json()["message_zh"]

    client.force_login(world.users["participant"])
    accepted = api_post(client, f"/api/draws/participants/{participant_id}/respond", {"accept": True})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    extra = version(world, "SW-02", world.tax)
    market_item = version(world, "SC-09")
    wrong = api_post(client, f"/api/draws/tasks/{task_id}/items", {"item_ids": [market_item.pk]})
    assert wrong.status_code == 403 and wrong.json()["error"] == "other_department_item"
    added = api_post(client, f"/api/draws/tasks/{task_id}/items", {"item_ids": [extra.pk]})
    assert added.status_code == 200 and extra.pk in {i["id"] for i in added.json()["items"]}

    client.force_login(world.users["coordinator"])
    assert api_post(client, f"/api/draws/tasks/{task_id}/commit").status_code == 201
    late = api_post(client, f"/api/draws/tasks/{task_id}/items", {"item_ids": [version(world, "SC-10").pk]})
    assert late.status_code == 409 and late.json()["error"] == "pool_frozen"


def test_the_api_refuses_bad_lines_with_bilingual_messages(client, world):
    line = joint_line(world)
    client.force_login(world.users["coordinator"])
    low = api_post(client, f"/api/draws/plan-lines/{line.pk}/tasks", {"ratio": "0.01"})
    assert low.status_code == 422 and low.json()["error"] == "ratio_too_low" and "5%" in low.json()["message_zh"]
    client.force_login(world.users["outsider"])
    assert api_post(client, f"/api/draws/plan-lines/{line.pk}/tasks").status_code == 404
    assert not Task.objects.exists() and not TaskParticipant.objects.exists()


def test_the_ad_hoc_api_takes_items(client, world):
    own = version(world, "SC-01")
    tax_item = version(world, "SW-01", world.tax)
    client.force_login(world.users["coordinator"])
    body = {
        "organisation_id": world.county.pk,
        "department_id": world.market.pk,
        "name": "临时任务",
        "params": {"parts": [{"name": "main", "overall": {"ratio": "0.1"}}]},
        "item_ids": [own.pk],
    }
    created = api_post(client, "/api/draws/tasks", body)
    assert created.status_code == 201, created.content
    assert list(Task.objects.get(pk=created.json()["id"]).items.all()) == [own]
    refused = api_post(client, "/api/draws/tasks", {**body, "item_ids": [tax_item.pk]})
    assert refused.status_code == 403 and refused.json()["error"] == "other_department_item"
    assert Task.objects.count() == 1


def test_the_ad_hoc_page_offers_the_list_and_the_exclusion(client, world):
    own = version(world, "SC-01", name="食品经营许可检查")
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("task-new")).content.decode()
    assert own.name in page and "exclude_inspected_days" in page
    form = {
        "name": "临时任务",
        "department": world.market.pk,
        "method": "uniform",
        "allocation": "ratio",
        "ratio": "0.1",
        "selection_publication": "with_notice",
        "statuses": ["active", "operating"],
        "items": [own.pk],
        "exclude_inspected_days": "60",
    }
    response = client.post(reverse("task-new"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get()
    assert list(task.items.all()) == [own] and task.scope["exclude_inspected_days"] == 60
    detail = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="exclude-days"' in detail and own.name in detail
    assert 'data-testid="excluded-now">0<' in detail


def test_make_task_helper_still_makes_item_less_tasks(world):
    assert not make_task(world).items.exists()


def test_the_new_task_page_offers_the_lines_of_the_published_plan(client, world):
    from draws.tests.planning_helpers import joint_line
    from plans.services import do_approve, do_publish

    line = joint_line(world, publish=False)
    client.force_login(world.users["organiser"])  # the lead department's organiser
    assert f'data-testid="line-{line.pk}"' not in client.get("/tasks/new/").content.decode()  # a draft plan
    do_approve(world.users["approver"], line.plan)
    do_publish(world.users["coordinator"], line.plan)
    assert f'data-testid="line-{line.pk}"' in client.get("/tasks/new/").content.decode()
    client.force_login(world.users["outsider"])  # another county's coordinator
    assert f'data-testid="line-{line.pk}"' not in client.get("/tasks/new/").content.decode()


def test_the_from_line_form_takes_a_risk_policy(client, world):
    line = joint_line(world)
    client.force_login(world.users["organiser"])
    url = reverse("task-from-line", args=[line.pk])
    form = {
        "name": "按风险分类抽查",
        "window_start": line.window_start.isoformat(),
        "window_end": line.window_end.isoformat(),
        "selection_publication": "with_notice",
        "risk": "both",
        **{f"weight_{c}": w for c, w in zip("ABCD", (1, 2, 4, 8), strict=True)},
    }
    missing = client.post(url, {**form, "ratio_A": "0.05"})  # ratios for B, C, D missing
    assert missing.status_code == 400 and not Task.objects.exists()
    ratios = {"ratio_A": "0.05", "ratio_B": "0.1", "ratio_C": "0.2", "ratio_D": "0.5"}
    assert client.post(url, {**form, **ratios, "force_complaints": "3"}).status_code == 302
    task = Task.objects.get()
    assert task.stratify_by == "credit_class" and task.weights["class"] == {"A": 1, "B": 2, "C": 4, "D": 8}
    assert [s["ratio"] for s in task.params["parts"][0]["strata"]] == ["0.05", "0.1", "0.2", "0.5"]
    assert task.force_complaints == 3

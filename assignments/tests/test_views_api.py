"""Pages and API of the matching: who may see and do what, bad input, the visit notice."""

import json

import pytest
from django.urls import reverse

from assignments import services
from assignments.models import MatchRun
from assignments.tests.helpers import joint_task

TASK_READERS = {"administrator", "coordinator", "organiser", "approver", "auditor"}
ROLES = ["administrator", "coordinator", "organiser", "participant", "inspector", "approver", "auditor", "norole"]


@pytest.fixture
def joint(world):
    return joint_task(world)


@pytest.fixture
def matched(joint):
    services.do_run_match(joint.world.users["coordinator"], joint.task)
    return joint


def post_json(client, path, body=None):
    client.handler.enforce_csrf_checks = False
    return client.post(path, json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_the_matching_page_and_downloads_answer_each_role(client, matched, role):
    client.force_login(matched.world.users[role])
    run = MatchRun.objects.get()
    visit = run.visits.first()
    pages = [
        reverse("assignment-task", args=[matched.task.pk]),
        reverse("assignment-manifest", args=[run.pk]),
        reverse("assignment-inspectors", args=[run.pk]),
        reverse("assignment-targets", args=[run.pk]),
        reverse("assignment-notice", args=[visit.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == (200 if role in TASK_READERS else 403), url


def test_other_organisations_see_404(client, matched):
    client.force_login(matched.world.users["outsider"])
    run = MatchRun.objects.get()
    assert client.get(reverse("assignment-task", args=[matched.task.pk])).status_code == 404
    assert client.get(reverse("assignment-manifest", args=[run.pk])).status_code == 404
    assert client.get(f"/api/assignments/runs/{run.pk}").status_code == 404
    assert post_json(client, f"/api/assignments/tasks/{matched.task.pk}/runs", {}).status_code == 404


def test_signed_out_visitors_go_to_sign_in(client, matched):
    for name in ("assignment-confirmations", "my-checks"):
        assert "login" in client.get(reverse(name))["Location"]
    assert "login" in client.get(reverse("assignment-task", args=[matched.task.pk]))["Location"]


def test_an_organiser_runs_the_matching_on_the_page(client, joint):
    client.force_login(joint.world.users["organiser"])
    url = reverse("assignment-task", args=[joint.task.pk])
    response = client.post(url, {"mode": "pool", "team_size": "1", "pooling": "none", "leader": "on"}, follow=True)
    assert "至少须有两名" in response.content.decode() and not MatchRun.objects.exists()
    response = client.post(url, {"mode": "pool", "team_size": "2", "pooling": "none", "leader": "on"}, follow=True)
    page = response.content.decode()
    run = MatchRun.objects.get()
    assert run.created_by == joint.world.users["organiser"] and run.recuse_last_time is False
    assert run.manifest_digest in page and 'data-testid="visits"' in page
    manifest = client.get(reverse("assignment-manifest", args=[run.pk]))
    assert json.loads(manifest.content)["digest"] == run.manifest_digest


def test_the_page_shows_unmatched_targets_with_their_reason(client, joint):
    for p in joint.tax:
        p.delete()
    services.do_run_match(joint.world.users["coordinator"], joint.task)
    client.force_login(joint.world.users["coordinator"])
    page = client.get(reverse("assignment-task", args=[joint.task.pk])).content.decode()
    assert 'data-testid="unmatched"' in page and "无“税务”部门的检查人员" in page
    assert "neighbours" in page and "parent" in page  # pooling offered


def test_the_redraw_form_records_a_redraw_in_the_trace(client, matched):
    client.force_login(matched.world.users["coordinator"])
    visit = MatchRun.objects.get().visits.order_by("position").first()
    slot = next(m.slot for m in visit.current_members() if m.department == matched.world.tax)
    url = reverse("assignment-redraw", args=[visit.pk])
    response = client.post(url, {"slot": slot, "reason_kind": "illness", "reason": ""}, follow=True)
    assert "请说明重新抽取的理由" in response.content.decode()
    response = client.post(url, {"slot": slot, "reason_kind": "illness", "reason": "因病住院"}, follow=True)
    assert 'data-testid="redraw-trace"' in response.content.decode()
    r = visit.redraws.get()
    assert client.get(reverse("assignment-redraw-record", args=[r.pk])).json()["digest"] == r.record_digest
    client.force_login(matched.world.users["auditor"])
    assert client.post(url, {"slot": slot, "reason_kind": "illness", "reason": "x"}).status_code == 403


def test_a_participant_claims_and_confirms_on_the_page(client, matched):
    client.force_login(matched.world.users["participant"])
    page = client.get(reverse("assignment-confirmations")).content.decode()
    assert matched.task.name in page and "上蔡县税务局" in page and "上蔡县市场监督管理局" not in page
    c = MatchRun.objects.get().confirmations.get(department=matched.world.tax)
    client.post(reverse("assignment-confirm", args=[c.pk, "claim"]))
    client.post(reverse("assignment-confirm", args=[c.pk, "confirm"]), {"note": "已核对"})
    response = client.post(reverse("assignment-confirm", args=[c.pk, "confirm"]), follow=True)
    assert "不能重复确认" in response.content.decode()
    c.refresh_from_db()
    assert c.confirmed_by == matched.world.users["participant"]
    market = MatchRun.objects.get().confirmations.get(department=matched.world.market)
    assert client.post(reverse("assignment-confirm", args=[market.pk, "claim"])).status_code == 404


def test_the_inspector_sees_the_visits_with_every_item_and_the_record_link(client, matched):
    client.force_login(matched.world.users["inspector"])
    page = client.get(reverse("my-checks")).content.decode()
    visits = services.my_visits(matched.world.users["inspector"])
    assert visits
    for v in visits:
        assert v.key in page
        assert reverse("inspection-record-form", args=[matched.task.pk, v.key]) in page
    assert "食品经营许可情况检查" in page and "发票使用情况检查" in page and "要点一" in page
    home = client.get(reverse("home")).content.decode()
    assert matched.task.name in home  # the "My checks" panel


def test_the_visit_notice_lists_every_departments_items_and_is_issued_once(client, matched):
    client.force_login(matched.world.users["coordinator"])
    visit = MatchRun.objects.get().visits.first()
    url = reverse("assignment-notice", args=[visit.pk])
    page = client.get(url).content.decode()
    assert "食品经营许可情况检查" in page and "发票使用情况检查" in page and "上蔡县税务局" in page
    client.post(url)
    response = client.post(url, follow=True)
    assert "每次检查只告知一次" in response.content.decode()
    client.force_login(matched.world.users["auditor"])
    assert client.post(url).status_code == 403


def test_the_api_runs_claims_confirms_and_redraws(client, joint):
    w = joint.world
    client.force_login(w.users["coordinator"])
    bad = post_json(client, f"/api/assignments/tasks/{joint.task.pk}/runs", {"team_size": 1})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_team_size" and "message_en" in bad.json()
    assert not MatchRun.objects.exists()
    created = post_json(client, f"/api/assignments/tasks/{joint.task.pk}/runs", {"mode": "pool", "team_size": 2})
    assert created.status_code == 201
    body = created.json()
    assert body["matched"] == 6 and len(body["visits"]) == 6 and len(body["confirmations"]) == 2
    listed = client.get(f"/api/assignments/tasks/{joint.task.pk}/runs").json()
    assert [r["id"] for r in listed] == [body["id"]]
    manifest = client.get(f"/api/assignments/runs/{body['id']}/manifest.json").json()
    assert manifest["digest"] == body["manifest_digest"]
    visit = body["visits"][0]
    slot = next(m["slot"] for m in visit["members"] if m["department"] == "上蔡县税务局")
    no_reason = post_json(client, f"/api/assignments/visits/{visit['id']}/redraw", {"slot": slot, "reason_kind": "x"})
    assert no_reason.status_code == 422
    r = post_json(
        client,
        f"/api/assignments/visits/{visit['id']}/redraw",
        {"slot": slot, "reason_kind": "illness", "reason": "病假"},
    )
    assert r.status_code == 201 and r.json()["number"] == 1
    trace = client.get(f"/api/assignments/visits/{visit['id']}/redraws").json()
    assert trace[0]["reason"] == "病假"
    record = client.get(f"/api/assignments/redraws/{r.json()['id']}/record.json").json()
    assert record["digest"] == r.json()["record_digest"]

    client.force_login(w.users["participant"])
    shares = client.get("/api/assignments/confirmations").json()
    assert [s["department"] for s in shares] == ["上蔡县税务局"] and shares[0]["status"] == "open"
    cid = shares[0]["id"]
    assert post_json(client, f"/api/assignments/confirmations/{cid}/claim").json()["status"] == "claimed"
    assert post_json(client, f"/api/assignments/confirmations/{cid}/confirm").json()["status"] == "confirmed"
    again = post_json(client, f"/api/assignments/confirmations/{cid}/confirm")
    assert again.status_code == 409 and again.json()["error"] == "already_confirmed"
    assert post_json(client, f"/api/assignments/tasks/{joint.task.pk}/runs").status_code == 403

    client.force_login(w.users["inspector"])
    mine = client.get("/api/assignments/my-visits").json()
    assert mine and all("食品经营许可情况检查" in v["items"] for v in mine)
    assert all(v["record_form"].startswith("/inspections/tasks/") for v in mine)

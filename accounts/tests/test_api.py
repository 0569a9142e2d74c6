"""The JSON API: schema, token authentication, CSRF, and error bodies."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken


def test_the_openapi_schema_and_docs_page_are_served(client, db):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["info"]["title"] == "Suiji API"
    assert "/api/orgs" in body["paths"] and "/api/me" in body["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "http" not in "".join(line for line in docs.content.decode().splitlines() if "<script src" in line)


def test_a_token_is_shown_once_and_then_authenticates(client, world):
    client.force_login(world.users["coordinator"])
    client.handler.enforce_csrf_checks = False
    created = client.post("/api/tokens", {"name": "对接系统"}, content_type="application/json")
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("sj_")
    stored = ApiToken.objects.get()
    assert stored.key_hash != raw and raw not in stored.key_hash
    assert "token" not in client.get("/api/tokens").json()[0]

    api = Client()
    me = api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200
    assert me.json()["username"] == "coordinator"
    assert "plans.manage" in me.json()["permissions"]


def test_a_token_does_not_need_csrf_but_a_session_does(client, world):
    user = world.users["administrator"]
    _, raw = ApiToken.issue(user, "ci")
    body = {"date": "2026-12-31", "is_workday": False, "note": "年终"}
    api = Client(enforce_csrf_checks=True)
    ok = api.post("/api/calendar/overrides", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ok.status_code == 201
    session = Client(enforce_csrf_checks=True)
    session.force_login(user)
    body["date"] = "2026-12-30"
    forged = session.post("/api/calendar/overrides", body, content_type="application/json")
    assert forged.status_code in (401, 403)


def test_revoked_expired_and_unknown_tokens_are_refused(client, world):
    user = world.users["coordinator"]
    revoked, raw_revoked = ApiToken.issue(user, "old")
    revoked.revoked = True
    revoked.save()
    _, raw_expired = ApiToken.issue(user, "expired", expires=timezone.now() - dt.timedelta(days=1))
    api = Client()
    for raw in (raw_revoked, raw_expired, "sj_not-a-token"):
        response = api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 401
        assert response.json()["message_en"]


def test_a_user_can_revoke_only_their_own_tokens(client, world):
    mine, _ = ApiToken.issue(world.users["coordinator"], "mine")
    theirs, _ = ApiToken.issue(world.users["auditor"], "theirs")
    client.force_login(world.users["coordinator"])
    client.handler.enforce_csrf_checks = False
    assert client.delete(f"/api/tokens/{theirs.pk}").status_code == 404
    assert client.delete(f"/api/tokens/{mine.pk}").status_code == 204
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (mine.revoked, theirs.revoked) == (True, False)


def test_an_administrator_creates_an_organisation_below_their_own(client, world):
    client.force_login(world.users["administrator"])
    client.handler.enforce_csrf_checks = False
    response = client.post(
        "/api/orgs",
        {"name": "上蔡县开发区", "level": "county", "parent_id": world.county.pk},
        content_type="application/json",
    )
    # A county cannot have a county below it: refused with a reason, nothing stored.
    assert response.status_code == 422
    assert response.json()["message_zh"].startswith("组织机构数据不符合要求")
    assert not world.county.children.exists()


def test_bad_json_and_wrong_types_get_a_json_error(client, world):
    client.force_login(world.users["administrator"])
    client.handler.enforce_csrf_checks = False
    broken = client.post("/api/orgs", "{not json", content_type="application/json")
    assert broken.status_code in (400, 422)
    assert broken.json()["error"]
    wrong = client.post("/api/orgs", {"name": "", "level": "planet", "parent_id": "x"}, content_type="application/json")
    assert wrong.status_code == 422
    assert wrong.json()["error"] == "invalid"
    assert wrong.json()["message_zh"]


def test_an_unknown_object_is_a_json_404(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get("/api/orgs/999999")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"

"""The permission matrix: every role against every page and endpoint, and scoping between organisations.

Adding a page or an endpoint without a row here fails
``test_every_page_and_endpoint_is_in_the_matrix``.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PASSWORD
from directory.models import Target

ROLES = ["administrator", "coordinator", "organiser", "participant", "inspector", "approver", "auditor", "norole"]
ALL = set(ROLES) - {"norole"}
DIRECTORY_READERS = {"administrator", "coordinator", "organiser", "participant", "approver", "auditor"}
AUDIT_READERS = {"administrator", "auditor"}
TASK_READERS = {"administrator", "coordinator", "organiser", "approver", "auditor"}
TASK_ORGANISERS = {"coordinator", "organiser"}

# page name -> roles that get 200; others get 403 (or 302 to a sign-in page for the admin site).
PAGES = {
    "tasks": TASK_READERS,
    "task-new": TASK_ORGANISERS,
    "home": ALL | {"norole"},
    "orgs": ALL,
    "targets": DIRECTORY_READERS,
    "target-imports": {"coordinator"},
    "target-export": DIRECTORY_READERS,
    "calendar": ALL | {"norole"},
    "refdata": ALL | {"norole"},
    "audit": AUDIT_READERS,
    "admin:index": {"administrator"},
    "catalog-items": ALL,
    "catalog-new": {"coordinator"},
    "catalog-import": {"coordinator"},
    "catalog-export": ALL,
    "inspectors": DIRECTORY_READERS,
    "experts": DIRECTORY_READERS,
    "inspector-staffing": DIRECTORY_READERS,
    "inspector-new": {"coordinator"},
    "expert-new": {"coordinator"},
    "people-imports": {"coordinator"},
    "plans": {"coordinator", "approver"},
    "plan-new": {"coordinator"},
}
# Pages with parameters or actions, covered by their own tests.
PAGES_ELSEWHERE = {
    # draws/tests/test_api_and_pages.py
    "task-detail",
    "task-commit",
    "draw-run",
    "draw-void-request",
    "draw-void-approve",
    "public-draws",
    "public-draw",
    "verifier-download",
    "draw-job",  # draws/tests/test_jobs.py
}
PAGES_ELSEWHERE |= {"login", "logout", "calendar-add", "set_language", "target-import", "target-import-errors"}
PAGES_ELSEWHERE |= {"catalog-item", "catalog-revise", "catalog-publish"}  # catalog/tests/test_pages.py
# directory/tests/test_people_pages.py and test_targets.py
PAGES_ELSEWHERE |= {"target-detail", "target-edit", "inspector-detail", "inspector-edit", "expert-detail"}
PAGES_ELSEWHERE |= {"expert-edit", "conflict-add", "conflict-withdraw", "people-import-errors"}
# portal/tests/test_portal.py: public pages, no sign-in
PAGES_ELSEWHERE |= {"portal-home", "portal-items", "portal-item", "portal-plans", "portal-tasks", "portal-results"}
PAGES_ELSEWHERE |= {"portal-firms", "portal-firm", "portal-data", "portal-data-json", "portal-data-csv"}
PAGES_ELSEWHERE |= {"portal-data-schema"}
# plans/tests/test_pages.py
PAGES_ELSEWHERE |= {"plan-detail", "plan-line-new", "plan-approve", "plan-publish", "plan-adjust", "plan-export"}
# draws/tests/test_planning_pages.py: tasks from plan lines, joint tasks
PAGES_ELSEWHERE |= {"task-from-line", "task-from-line-preview", "task-invite", "task-add-items", "task-respond"}
# inspections/tests/test_api_and_pages.py
INSPECTION_READERS = {"administrator", "coordinator", "organiser", "inspector", "approver", "auditor"}
PAGES["inspections"] = INSPECTION_READERS
PAGES["inspection-follow-ups"] = INSPECTION_READERS
PAGES["inspection-approvals"] = {"approver"}
PAGES["inspection-publication"] = {"coordinator", "approver"}
PAGES_ELSEWHERE |= {"inspection-task", "inspection-record-form", "inspection-record", "inspection-approve"}
PAGES_ELSEWHERE |= {"inspection-return", "inspection-publish", "inspection-correct", "inspection-firm"}
PAGES_ELSEWHERE |= {"inspection-follow-up-close", "inspection-signature"}

# (method, path, body) -> roles that succeed; others get 403 (401 when signed out).
API = {
    ("GET", "/api/draws/tasks", None): TASK_READERS,
    ("GET", "/api/me", None): ALL | {"norole"},
    ("GET", "/api/tokens", None): ALL | {"norole"},
    ("GET", "/api/orgs", None): ALL,
    ("GET", "/api/audit", None): AUDIT_READERS,
    ("GET", "/api/audit/verify", None): AUDIT_READERS,
    ("GET", "/api/directory/targets", None): DIRECTORY_READERS,
    ("GET", "/api/directory/inspectors", None): DIRECTORY_READERS,
    ("GET", "/api/directory/experts", None): DIRECTORY_READERS,
    ("GET", "/api/directory/staffing", None): DIRECTORY_READERS,
    ("POST", "/api/directory/experts", '{"name": "x"}'): {"coordinator"},
    ("GET", "/api/calendar/days?year=2026", None): ALL | {"norole"},
    ("GET", "/api/calendar/add?start=2026-02-13&days=1", None): ALL | {"norole"},
    ("GET", "/api/calendar/overrides", None): ALL | {"norole"},
    ("GET", "/api/catalog/items", None): ALL,
    ("GET", "/api/catalog/export.xlsx", None): ALL,
    ("GET", "/api/plans", None): {"coordinator", "approver"},
    ("POST", "/api/plans", '{"year": 2099}'): {"coordinator"},
    (
        "POST",
        "/api/catalog/items",
        '{"name": "x", "category": "key", "ratio_min": "0.05", "methods": ["onsite"]}',
    ): {"coordinator"},
    ("POST", "/api/calendar/overrides", '{"date": "2026-12-31", "is_workday": false, "note": "x"}'): {"administrator"},
}
# Endpoints that take an object, and the public ones, have their own tests below.
API_ELSEWHERE = {
    # draws/tests/test_api_and_pages.py and test_services.py
    "/api/draws/tasks/{task_id}",
    "/api/draws/tasks/{task_id}/preview",
    "/api/draws/tasks/{task_id}/draws",
    "/api/draws/tasks/{task_id}/commit",
    "/api/draws/draws/{draw_id}",
    "/api/draws/draws/{draw_id}/run",
    "/api/draws/draws/{draw_id}/void-request",
    "/api/draws/draws/{draw_id}/void-approve",
    "/api/draws/public/draws/{draw_id}/announcement.json",
    "/api/draws/public/draws/{draw_id}/manifest.json",
    "/api/draws/public/draws/{draw_id}/candidates.csv",
    "/api/orgs/{org_id}",
    "/api/orgs/{org_id}/departments",
    "/api/tokens/{token_id}",
    "/api/calendar/overrides/{date}",
    "/api/directory/targets/{key}",
    # directory/tests/test_people_api.py and test_targets.py
    "/api/directory/targets/{key}/history",
    "/api/directory/inspectors/{inspector_id}",
    "/api/directory/inspectors/{inspector_id}/conflicts",
    "/api/directory/experts/{expert_id}",
    "/api/directory/experts/{expert_id}/conflicts",
    "/api/directory/conflicts/{conflict_id}/withdraw",
    "/api/directory/staffing/{unit_id}",
    # directory imports: directory/tests/test_import_api.py
    "/api/directory/imports",
    "/api/directory/imports/{job_id}",
    "/api/directory/imports/{job_id}/errors",
    "/api/catalog/items/{item_id}",
    "/api/catalog/items/{item_id}/versions",
    "/api/catalog/items/{item_id}/versions/{number}/publish",
    "/api/catalog/import",
    # plans/tests/test_api.py
    "/api/plans/{plan_id}",
    "/api/plans/{plan_id}/lines",
    "/api/plans/{plan_id}/approve",
    "/api/plans/{plan_id}/publish",
    "/api/plans/{plan_id}/adjust",
    "/api/refdata/divisions",
    "/api/refdata/industries",
}
# inspections/tests/test_api_and_pages.py
API[("GET", "/api/inspections/records", None)] = INSPECTION_READERS
API[("GET", "/api/inspections/results", None)] = INSPECTION_READERS
API[("GET", "/api/inspections/follow-ups", None)] = INSPECTION_READERS
API_ELSEWHERE |= {"/api/inspections/records/{record_id}", "/api/inspections/records/{record_id}/attachments"}
API_ELSEWHERE |= {"/api/inspections/records/{record_id}/approve", "/api/inspections/records/{record_id}/return"}
API_ELSEWHERE |= {"/api/inspections/records/{record_id}/publish", "/api/inspections/results/{result_id}/correct"}
API_ELSEWHERE |= {"/api/inspections/results/{result_id}/approve", "/api/inspections/results/{result_id}/publish"}
API_ELSEWHERE |= {"/api/inspections/results/{result_id}/follow-ups", "/api/inspections/follow-ups/{follow_up_id}/close"}
API_ELSEWHERE |= {"/api/inspections/tasks/{task_id}/progress"}
# draws/tests/test_planning_pages.py: tasks from plan lines, joint tasks
API_ELSEWHERE |= {"/api/draws/plan-lines/{line_id}/tasks", "/api/draws/tasks/{task_id}/joint"}
API_ELSEWHERE |= {"/api/draws/tasks/{task_id}/participants", "/api/draws/participants/{participant_id}/respond"}
API_ELSEWHERE |= {"/api/draws/tasks/{task_id}/items"}
# oversight/tests/: the dashboard, drill-down lists, statutory tables, alerts, task summary, evidence pack
OVERSIGHT_READERS = {"coordinator", "approver", "auditor"}
PAGES["oversight"] = OVERSIGHT_READERS
PAGES["oversight-alerts"] = OVERSIGHT_READERS
PAGES_ELSEWHERE |= {"oversight-drill", "oversight-table", "oversight-summary", "oversight-evidence"}
API[("GET", "/api/oversight/indicators", None)] = OVERSIGHT_READERS
API[("GET", "/api/oversight/departments", None)] = OVERSIGHT_READERS
API[("GET", "/api/oversight/alerts", None)] = OVERSIGHT_READERS
API_ELSEWHERE |= {"/api/oversight/tables/{key}"}

# assignments/tests/test_views_api.py: inspector matching, confirmations, my checks, visit notice
CONFIRMERS = {"participant", "coordinator", "organiser"}
PAGES["assignment-confirmations"] = CONFIRMERS
PAGES["my-checks"] = {"inspector"}
PAGES_ELSEWHERE |= {"assignment-task", "assignment-manifest", "assignment-inspectors", "assignment-targets"}
PAGES_ELSEWHERE |= {"assignment-redraw", "assignment-notice", "assignment-redraw-record", "assignment-confirm"}
API[("GET", "/api/assignments/confirmations", None)] = CONFIRMERS
API[("GET", "/api/assignments/my-visits", None)] = {"inspector"}
API_ELSEWHERE |= {"/api/assignments/tasks/{task_id}/runs", "/api/assignments/runs/{run_id}"}
API_ELSEWHERE |= {"/api/assignments/runs/{run_id}/manifest.json", "/api/assignments/visits/{visit_id}/redraw"}
API_ELSEWHERE |= {"/api/assignments/visits/{visit_id}/redraws", "/api/assignments/redraws/{redraw_id}/record.json"}
API_ELSEWHERE |= {"/api/assignments/confirmations/{confirmation_id}/claim"}
API_ELSEWHERE |= {"/api/assignments/confirmations/{confirmation_id}/confirm"}


def _names(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in {"admin", "api"}:
                continue
            yield from _names(p.url_patterns, prefix)
        elif isinstance(p, URLPattern) and p.name:
            yield p.name


def test_every_page_and_endpoint_is_in_the_matrix(client, db):
    pages = set(_names(get_resolver().url_patterns))
    assert pages - set(PAGES) - PAGES_ELSEWHERE == set()
    schema = client.get("/api/openapi.json").json()
    covered = {path.split("?")[0] for _, path, _ in API} | API_ELSEWHERE
    assert set(schema["paths"]) - covered == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_pages_answer_each_role_as_the_matrix_says(client, world, role, page):
    client.force_login(world.users[role])
    response = client.get(reverse(page))
    if role in PAGES[page]:
        assert response.status_code == 200
    elif page.startswith("admin:"):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("page", sorted(PAGES))
def test_pages_send_a_signed_out_visitor_to_sign_in(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("call", sorted(API, key=str), ids=lambda c: f"{c[0]} {c[1]}")
def test_api_answers_each_role_as_the_matrix_says(client, world, role, call):
    method, path, body = call
    client.force_login(world.users[role])
    if method == "GET":
        response = client.get(path)
    else:
        client.handler.enforce_csrf_checks = False
        response = client.generic(method, path, body, content_type="application/json")
    if role in API[call]:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
        assert response.json()["message_zh"]


@pytest.mark.parametrize("call", sorted(API, key=str), ids=lambda c: f"{c[0]} {c[1]}")
def test_api_refuses_a_signed_out_caller(client, db, call):
    method, path, body = call
    response = client.generic(method, path, body or "", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def _firm(org, key, name="上蔡县示例食品有限公司"):
    return Target.objects.create(organisation=org, key=key, name=name)


def test_a_county_user_cannot_see_another_countys_organisation(client, world):
    client.force_login(world.users["outsider"])
    assert client.get(f"/api/orgs/{world.county.pk}").status_code == 404
    assert client.get(f"/api/orgs/{world.county.pk}/departments").status_code == 404
    ids = {o["id"] for o in client.get("/api/orgs").json()["items"]}
    assert ids == {world.other_county.pk}
    page = client.get(reverse("orgs")).content.decode()
    assert "西平县" in page and "上蔡县" not in page


def test_a_county_user_cannot_see_another_countys_targets(client, world):
    _firm(world.county, "91411722MA40000009")
    _firm(world.other_county, "91411721MA40000000", "西平县示例商贸有限公司")
    client.force_login(world.users["outsider"])
    keys = {t["key"] for t in client.get("/api/directory/targets").json()["items"]}
    assert keys == {"91411721MA40000000"}
    assert client.get("/api/directory/targets/91411722MA40000009").status_code == 404
    page = client.get(reverse("targets")).content.decode()
    assert "91411722MA40000009" not in page and "91411721MA40000000" in page


def test_a_city_auditor_sees_both_counties(client, world):
    _firm(world.county, "91411722MA40000009")
    _firm(world.other_county, "91411721MA40000000")
    client.force_login(world.users["city_auditor"])
    ids = {o["id"] for o in client.get("/api/orgs").json()["items"]}
    assert {world.county.pk, world.other_county.pk, world.city.pk} <= ids
    assert world.province.pk not in ids
    assert client.get("/api/directory/targets").json()["count"] == 2


def test_a_county_auditor_sees_only_its_own_audit_entries(client, world):
    client.force_login(world.users["auditor"])
    entries = client.get("/api/audit?page=1").json()["items"]
    assert entries
    assert {e["organisation_id"] for e in entries} <= {world.county.pk}


def test_a_county_administrator_cannot_create_an_organisation_under_another_county(client, world):
    client.force_login(world.users["administrator"])
    client.handler.enforce_csrf_checks = False
    body = {"name": "某街道", "level": "county", "parent_id": world.other_county.pk}
    response = client.post("/api/orgs", body, content_type="application/json")
    assert response.status_code == 404


def test_the_admin_site_lists_only_the_administrators_organisations(client, world):
    client.force_login(world.users["administrator"])
    page = client.get(reverse("admin:orgs_organisation_changelist")).content.decode()
    assert "上蔡县" in page and "西平县" not in page
    other = reverse("admin:orgs_organisation_change", args=[world.other_county.pk])
    assert client.get(other).status_code == 302  # the admin redirects an invisible object to its index


def test_a_user_without_a_role_is_refused_everything_but_the_basics(client, world):
    client.force_login(world.users["norole"])
    assert client.get("/api/me").json()["permissions"] == []
    assert client.get("/api/orgs").status_code == 403


def test_an_inactive_user_cannot_sign_in(client, world):
    user = world.users["coordinator"]
    user.is_active = False
    user.save()
    response = client.post(reverse("login"), {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session

"""The dashboard's numbers, their drill-down lists, and the typed API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import Target
from draws.tests.helpers import make_draw
from oversight import stats

EXPECTED = {
    "items_listed": 4,
    "items_covered": 3,
    "items_uncovered": 1,
    "plan_lines": 2,
    "tasks": 2,
    "joint_tasks": 1,
    "drawn": 7,
    "checked": 5,
    "published": 3,
    "not_complete": 4,
    "joint_checks": 2,
    "problems": 1,
    "published_late": 1,
    "overdue": 1,
    "inspectors": 2,
    "multi_firms": 1,
}


def test_the_dashboard_shows_every_indicator_of_the_fixture(client, data):
    client.force_login(data.world.users["coordinator"])
    page = client.get(reverse("oversight") + f"?year={data.year}").content.decode()
    shown = dict(re.findall(r'data-testid="n-([a-z_]+)">(\d+)', page))
    assert {k: int(v) for k, v in shown.items()} == EXPECTED
    assert "vendor/chart.js-4.6.1/chart.umd.min.js" in page and "cdn" not in page.lower()
    assert 'data-testid="rate-coverage">75%' in page
    assert 'data-testid="rate-entry">50%' in page


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_each_number_drills_down_to_as_many_records(client, data, metric):
    client.force_login(data.world.users["auditor"])
    response = client.get(reverse("oversight-drill", args=[metric]) + f"?year={data.year}")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'data-testid="drill-total">(\d+)<', page).group(1) == str(EXPECTED[metric])
    assert page.count('data-testid="row"') == EXPECTED[metric]


def test_the_drill_down_is_paginated(client, data):
    w = data.world
    many = [Target.objects.create(organisation=w.county, key=f"91411722MB4{i:07d}", name=f"批量{i}") for i in range(60)]
    task = data.tasks["a"]
    extra = task.__class__.objects.create(
        organisation=w.county, department=w.market, name="大任务", params={}, created_by=w.users["coordinator"],
        state="drawn", window_start=task.window_start, window_end=task.window_end,
    )  # fmt: skip
    make_draw(extra, w.users["coordinator"], 1, many, 600)
    client.force_login(w.users["coordinator"])
    url = reverse("oversight-drill", args=["drawn"]) + f"?year={data.year}"
    first = client.get(url).content.decode()
    assert 'data-testid="drill-total">67<' in first and first.count('data-testid="row"') == 50
    second = client.get(url + "&page=2").content.decode()
    assert second.count('data-testid="row"') == 17


def test_a_department_filter_narrows_every_number(client, data):
    w = data.world
    s = stats.scope_for(w.users["coordinator"], {"year": str(data.year), "dept": str(w.tax.pk)})
    counts = stats.indicators(s)["counts"]
    assert counts["drawn"] == 3 and counts["published"] == 1 and counts["items_listed"] == 1
    assert counts["multi_firms"] == 1  # f0 was also checked by the market bureau


def test_other_organisations_are_404_and_bad_input_is_400(client, data):
    w = data.world
    client.force_login(w.users["outsider"])
    assert client.get(reverse("oversight") + f"?org={w.county.pk}").status_code == 404
    assert client.get(reverse("oversight-drill", args=["drawn"]) + f"?org={w.county.pk}").status_code == 404
    client.force_login(w.users["coordinator"])
    assert client.get(reverse("oversight") + f"?dept={w.other_market.pk}").status_code == 404
    bad = client.get(reverse("oversight") + "?from=2026-05-01&to=2026-01-01")
    assert bad.status_code == 400 and "截止日期不能早于起始日期" in bad.content.decode()
    assert client.get(reverse("oversight-drill", args=["nope"])).status_code == 404


def test_the_api_gives_the_same_numbers_typed(client, data):
    w = data.world
    client.force_login(w.users["approver"])
    body = client.get(f"/api/oversight/indicators?year={data.year}").json()
    assert body["counts"] == EXPECTED
    assert body["planned_targets"] == 5 and body["declared_staff"] == 4
    assert body["rates"]["completion"] == round(3 / 7, 4)
    assert body["rates"]["problem_rate"] == round(1 / 3, 4)
    assert {r["code"]: r["achieved"] for r in body["item_ratios"]} == {"M1": 0.4, "M2": 0.15, "T1": 0.15}
    table = client.get(f"/api/oversight/tables/progress?year={data.year}").json()
    assert table["total"][9] == 7
    depts = client.get(f"/api/oversight/departments?year={data.year}").json()
    assert {d["department"]: d["drawn"] for d in depts} == {w.market.name: 4, w.tax.name: 3}
    bad = client.get("/api/oversight/indicators?from=x")
    assert bad.status_code == 400 and bad.json()["message_zh"]
    assert client.get(f"/api/oversight/indicators?org={w.other_county.pk}").status_code == 404
    assert client.get("/api/oversight/tables/nope").status_code == 404


def test_after_a_write_the_snapshot_is_served_marked_stale_and_one_refresh_is_queued(client, data, settings):
    from inspections import services as insp
    from jobs.models import Job, JobState
    from jobs.runner import run_job
    from oversight.models import FigureSnapshot

    w = data.world
    client.force_login(w.users["coordinator"])
    url = reverse("oversight") + f"?year={data.year}"
    page = client.get(url).content.decode()
    assert 'data-testid="n-published">3<' in page and 'data-testid="figures-stale"' not in page
    assert FigureSnapshot.objects.count() == 1
    page = client.get(url).content.decode()  # nothing changed: the snapshot is current
    assert 'data-testid="figures-stale"' not in page and not Job.objects.filter(kind=stats.REFRESH_JOB).exists()
    insp.do_approve_record(w.users["approver"], data.records["a2"])
    insp.do_publish_record(w.users["approver"], data.records["a2"])
    for _ in range(2):
        page = client.get(url).content.decode()
        assert 'data-testid="n-published">3<' in page  # the previous figures, marked as such
        assert 'data-testid="figures-stale"' in page
        # the lists behind the numbers are live
        assert client.get(reverse("oversight-drill", args=["published"]) + f"?year={data.year}").context["total"] == 4
    jobs = list(Job.objects.filter(kind=stats.REFRESH_JOB))
    assert len(jobs) == 1 and jobs[0].state == JobState.QUEUED  # queued once, not once per view
    assert run_job(jobs[0]).state == JobState.DONE
    page = client.get(url).content.decode()
    assert 'data-testid="n-published">4<' in page and 'data-testid="figures-stale"' not in page
    api = client.get(f"/api/oversight/indicators?year={data.year}").json()
    assert api["counts"]["published"] == 4 and api["freshness"] == "current"


def test_stale_figures_are_computed_in_the_request_when_asked_too_old_or_turned_off(client, data, settings):
    from core import audit
    from core.models import AuditAction
    from inspections import services as insp
    from oversight.models import FigureSnapshot

    w = data.world
    client.force_login(w.users["coordinator"])
    url = reverse("oversight") + f"?year={data.year}"
    client.get(url)
    insp.do_approve_record(w.users["approver"], data.records["a2"])
    insp.do_publish_record(w.users["approver"], data.records["a2"])
    page = client.get(url + "&fresh=1").content.decode()  # the "compute now" link
    assert 'data-testid="n-published">4<' in page and 'data-testid="figures-stale"' not in page
    insp.do_publish_record(w.users["approver"], data.records["b4"])
    limit = settings.SUIJI_OVERSIGHT_STALE_SECONDS
    FigureSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(seconds=limit + 1))
    assert 'data-testid="n-published">5<' in client.get(url).content.decode()  # older than the limit
    settings.SUIJI_OVERSIGHT_STALE_SECONDS = 0
    audit.record(AuditAction.ACTION, w.county, after={"note": "any audited write"}, reason="test")
    api = client.get(f"/api/oversight/indicators?year={data.year}").json()
    assert api["freshness"] == "computed" and api["counts"]["published"] == 5
    assert client.get(f"/api/oversight/indicators?year={data.year}").json()["freshness"] == "current"


def test_the_grouped_counts_equal_the_metric_querysets(data):
    s = stats.scope_for(data.world.users["coordinator"], {"year": str(data.year)})
    fast = stats._fast_counts(s)
    for key in stats.FAST:
        assert fast[key] == stats.METRICS[key].queryset(s).count(), key
    assert stats.multi_department_count(s) == stats.multi_department_firms(s).count() == 1
    d = stats.scope_for(data.world.users["coordinator"], {"year": str(data.year), "dept": str(data.world.market.pk)})
    assert stats.multi_department_count(d) == stats.multi_department_firms(d).count() == 1


def test_refresh_figures_computes_every_organisation_so_the_first_view_is_served(client, data, capsys):
    from django.core.management import CommandError, call_command

    from jobs.models import Job, JobState
    from jobs.runner import run_job
    from orgs.models import Organisation
    from oversight.models import FigureSnapshot

    client.force_login(data.world.users["coordinator"])  # signing in is itself an audited write
    call_command("refresh_figures", "--year", str(data.year))
    n = Organisation.objects.count()
    assert capsys.readouterr().out.strip().endswith(f"computed={n}")
    assert FigureSnapshot.objects.count() == n
    api = client.get(f"/api/oversight/indicators?year={data.year}").json()
    assert api["freshness"] == "current" and api["counts"]["published"] == 3
    call_command("refresh_figures", "--queue")
    job = Job.objects.get(kind=stats.DEFAULTS_JOB)
    assert run_job(job).state == JobState.DONE and job.result == {"computed": n}
    with pytest.raises(CommandError):
        call_command("refresh_figures", "--year", "1900")


def test_the_largest_figure_is_computed_beside_the_rest_on_its_own_connection(world_tx):
    import threading

    from django.db import connection, transaction

    from directory.models import Target

    seen = []

    def count(scope):
        seen.append(threading.current_thread().name)
        return Target.objects.count()

    Target.objects.create(organisation=world_tx.county, key="91411722MA40000000", name="测试企业", kind="enterprise")
    assert not connection.in_atomic_block
    assert stats._beside(count, None)() == 1  # committed rows are seen from the other connection
    assert seen[-1].startswith("oversight")
    with transaction.atomic():  # uncommitted rows: computed here, on this connection
        Target.objects.create(organisation=world_tx.county, key="91411722MA40000019", name="测试二", kind="enterprise")
        assert stats._beside(count, None)() == 2
    assert seen[-1] == threading.current_thread().name
    s = stats.Scope(world_tx.province, None, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert stats._indicators(s)["counts"]["multi_firms"] == 0  # the whole computation, threaded

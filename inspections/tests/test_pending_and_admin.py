"""The home page shows real pending inspection work; the admin shows the workflow's rows read-only."""

import datetime as dt

from django.urls import reverse

from inspections.models import Record
from inspections.tests.conftest import published, submitted


def _panel(page: str, key: str) -> str:
    start = page.index(f'data-panel="{key}"')
    return page[start : page.index("</article>", start)]


def test_a_submitted_record_waits_in_the_approvers_panel_not_the_inspectors(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["approver"])
    panel = _panel(client.get(reverse("home")).content.decode(), "approvals")
    assert visit.target.name in panel and reverse("inspection-record", args=[record.pk]) in panel
    client.force_login(visit.world.users["inspector"])
    assert 'data-panel="approvals"' not in client.get(reverse("home")).content.decode()


def test_the_approvals_panel_empties_once_approved(client, visit):
    record = submitted(visit)
    from inspections import services

    services.do_approve_record(visit.world.users["approver"], record)
    client.force_login(visit.world.users["approver"])
    assert visit.target.name not in _panel(client.get(reverse("home")).content.decode(), "approvals")


def test_the_publication_panel_lists_overdue_and_approaching_results_only(client, visit):
    record = submitted(visit)
    client.force_login(visit.world.users["approver"])
    page = client.get(reverse("home")).content.decode()
    assert visit.target.name not in _panel(page, "publication")  # 20 working days ahead
    yesterday = dt.date.today() - dt.timedelta(days=1)
    Record.objects.filter(pk=record.pk).update(publish_deadline=yesterday)
    panel = _panel(client.get(reverse("home")).content.decode(), "publication")
    assert visit.target.name in panel and yesterday.isoformat() in panel


def test_a_published_record_leaves_the_publication_panel(client, visit):
    record = published(visit)
    Record.objects.filter(pk=record.pk).update(publish_deadline=dt.date.today() - dt.timedelta(days=1))
    client.force_login(visit.world.users["approver"])
    assert visit.target.name not in _panel(client.get(reverse("home")).content.decode(), "publication")


def test_the_admin_shows_records_and_results_read_only(client, visit):
    record = published(visit)
    result = record.results.get()
    client.force_login(visit.world.users["administrator"])
    assert client.get(reverse("admin:inspections_record_changelist")).status_code == 200
    assert client.get(reverse("admin:inspections_result_changelist")).status_code == 200
    view = client.get(reverse("admin:inspections_result_change", args=[result.pk]))
    assert view.status_code == 200 and 'name="category"' not in view.content.decode()
    client.post(reverse("admin:inspections_result_change", args=[result.pk]), {"category": "pending_follow_up"})
    result.refresh_from_db()
    assert result.category == "no_problem"
    assert client.get(reverse("admin:inspections_result_add")).status_code == 403
    assert client.get(reverse("admin:inspections_riskrule_add")).status_code == 200
    client.force_login(visit.world.users["approver"])
    assert client.get(reverse("admin:inspections_record_changelist")).status_code in (302, 403)

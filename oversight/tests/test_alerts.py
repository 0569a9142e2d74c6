"""Deadline alerts: the function, the home panel, the list page, and the daily e-mails."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from inspections.models import FollowUp
from jobs.models import Job, JobState
from jobs.runner import run_job
from oversight.alerts import alerts_for, send_alerts
from oversight.models import AlertSent, AlertSettings, TaskSummary
from plans.models import Plan


def kinds(alerts):
    return {a["kind"] for a in alerts}


def test_the_coordinator_gets_every_kind_of_deadline(data):
    w = data.world
    today = dt.date(data.year, 12, 18)
    alerts = alerts_for(w.users["coordinator"], today)
    by_key = {a["key"].split(":")[0] + ":" + a["key"].split(":")[1]: a for a in alerts}
    # Next year's plan is not published and its filing deadline (15 January) is less than 30 days away.
    assert f"plan-filing:{w.county.pk}" in by_key and by_key[f"plan-filing:{w.county.pk}"]["due"].year == data.year + 1
    # Task A's window closes on 20 December with f3 not entered; task B with f5 not entered.
    entries = [a for a in alerts if a["kind"] == "entry"]
    assert {a["key"].split(":")[1] for a in entries} == {str(data.tasks["a"].pk), str(data.tasks["b"].pk)}
    assert "1" in entries[0]["text"]
    # b4 is approved and past its publication deadline.
    pub = [a for a in alerts if a["kind"] == "publication"]
    assert len(pub) == 1 and pub[0]["overdue"] and str(data.tasks["b"].pk) in pub[0]["key"]
    assert alerts == sorted(alerts, key=lambda a: (a["due"], a["key"]))


def test_re_publication_follow_up_and_summary_deadlines(data):
    w = data.world
    today = dt.date(data.year, 12, 18)
    draft = Plan.objects.create(
        organisation=w.county, year=data.year, number=2, republish_deadline=dt.date(data.year, 12, 1)
    )
    result = data.records["a1"].results.first()
    FollowUp.objects.create(
        result=result, organisation=w.county, kind="case", owner=w.county, deadline=dt.date(data.year, 12, 19)
    )
    task = data.tasks["a"]
    task.window_end = dt.date(data.year, 12, 4)
    task.save()
    alerts = alerts_for(w.users["coordinator"], today)
    assert {"plan_republish", "follow_up", "summary"} <= kinds(alerts)
    assert any(a["key"].startswith(f"summary:{task.pk}:") for a in alerts)
    assert any(a["key"].startswith(f"plan-republish:{draft.pk}") and a["overdue"] for a in alerts)
    TaskSummary.objects.create(task=task, organisation=w.county, text="x", edited_by=w.users["coordinator"])
    TaskSummary.objects.filter(task=task).update(state="filed")
    keys = [a["key"] for a in alerts_for(w.users["coordinator"], today)]
    assert not any(k.startswith(f"summary:{task.pk}:") for k in keys)
    assert any(k.startswith(f"summary:{data.tasks['old'].pk}:") for k in keys)  # last year's task: still owed


def test_each_role_sees_only_its_own_deadlines(data):
    w = data.world
    today = dt.date(data.year, 12, 18)
    assert kinds(alerts_for(w.users["inspector"], today)) == {"entry"}
    assert kinds(alerts_for(w.users["approver"], today)) == {"plan_filing", "publication"}
    assert alerts_for(w.users["norole"], today) == []
    outsider = alerts_for(w.users["outsider"], today)
    assert outsider and all("上蔡县" not in a["text"] and "任务" not in a["text"] for a in outsider)
    assert {a["kind"] for a in outsider} == {"plan_filing"}  # 西平县 has no plan at all


def test_the_home_page_panel_and_the_list_page(client, data):
    w = data.world
    client.force_login(w.users["approver"])
    home = client.get(reverse("home")).content.decode()
    assert 'data-panel="deadlines"' in home and "任务B" in home  # b4's overdue publication
    page = client.get(reverse("oversight-alerts")).content.decode()
    assert 'data-testid="alert-publication"' in page


def test_send_alerts_sends_once_a_day_only_where_enabled(settings, data):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = data.world
    coordinator, approver = w.users["coordinator"], w.users["approver"]
    coordinator.email = "coordinator@example.cn"
    coordinator.save()
    approver.email = ""
    approver.save()
    w.users["outsider"].email = "outsider@example.cn"
    w.users["outsider"].save()
    today = dt.date(data.year, 12, 18)
    assert send_alerts(today) == {"emails": 0, "alerts": 0}  # no organisation enabled yet
    AlertSettings.objects.create(organisation=w.county, email_enabled=True)
    first = send_alerts(today)
    assert first["emails"] == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coordinator@example.cn"] and "任务B" in mail.outbox[0].body
    assert send_alerts(today) == {"emails": 0, "alerts": 0}  # the same day: nothing resent
    assert len(mail.outbox) == 1
    assert AlertSent.objects.filter(user=coordinator, day=today).count() == first["alerts"]
    send_alerts(today + dt.timedelta(days=1))
    assert len(mail.outbox) == 2  # a new day: still due, sent again


def test_the_command_and_the_scheduled_job(settings, data):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = data.world
    AlertSettings.objects.create(organisation=w.county, email_enabled=True)
    w.users["approver"].email = "approver@example.cn"
    w.users["approver"].save()
    call_command("send_alerts", "--date", f"{data.year}-12-18")
    assert len(mail.outbox) == 1
    call_command("send_alerts", "--date", f"{data.year}-12-18")
    assert len(mail.outbox) == 1
    call_command("send_alerts", "--queue")
    job = Job.objects.get(kind="oversight.send_alerts")
    job = run_job(job)
    assert job.state == JobState.DONE and "emails" in job.result

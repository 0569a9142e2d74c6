"""Large freezes and draws run as background jobs whose page shows their progress (draws/jobs.py)."""

import pytest
from django.urls import reverse

from draws import jobs as draw_jobs
from draws import services
from draws.models import Draw, DrawState, Selection
from draws.tests.helpers import CEREMONY_FORM, INPUTS, WITNESSES, make_firms, make_task
from jobs.models import Job, JobState
from jobs.runner import claim_next, run_job


@pytest.fixture
def large(settings):
    """Every task counts as large: the pages go through jobs, which the worker (here: the test) runs."""
    settings.SUIJI_DRAW_JOB_MIN = 1
    settings.SUIJI_JOBS_EAGER = False
    return settings


def test_the_pages_freeze_and_draw_a_large_task_through_jobs_that_show_their_steps(client, world, large):
    make_firms(world.county, 80)
    task = make_task(world)
    client.force_login(world.users["coordinator"])

    response = client.post(reverse("task-commit", args=[task.pk]))
    job = Job.objects.get(kind=draw_jobs.COMMIT)
    assert response.status_code == 302 and response.url == reverse("draw-job", args=[job.pk])
    assert not Draw.objects.filter(task=task).exists()  # nothing frozen until the worker runs it
    detail = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'data-testid="running-job"' in detail and reverse("draw-job", args=[job.pk]) in detail
    page = client.get(response.url).content.decode()
    assert "读取任务范围" in page and 'data-state="queued"' in page and 'hx-trigger="every 1s"' in page

    seen = []
    run_job(claim_next(), extra_progress=lambda done, total, message: seen.append((done, total, message)))
    assert seen == [(0, 3, "read"), (1, 3, "freeze"), (2, 3, "record"), (3, 3, "done")]
    job.refresh_from_db()
    draw = Draw.objects.get(task=task)
    assert job.state == JobState.DONE and job.result == {"task": task.pk, "draw": draw.pk, "pool_size": 80}
    page = client.get(reverse("draw-job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "候选名单已冻结" in page and reverse("task-detail", args=[task.pk]) in page
    assert "hx-trigger" not in page  # over: the page stops asking
    assert 'data-testid="running-job"' not in client.get(reverse("task-detail", args=[task.pk])).content.decode()

    response = client.post(reverse("draw-run", args=[draw.pk]), CEREMONY_FORM)
    ceremony = Job.objects.get(kind=draw_jobs.DRAW)
    assert response.url == reverse("draw-job", args=[ceremony.pk])
    assert ceremony.params["witnesses"] == [["王某", "人大代表", ""]]
    assert ceremony.params["inputs"] == [["见证人", "9 3 1 9"]]
    seen.clear()
    run_job(claim_next(), extra_progress=lambda done, total, message: seen.append(message))
    assert seen == ["check", "draw", "store", "done"]
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN and draw.selected == Selection.objects.filter(draw=draw).count() > 0
    assert draw.witnesses.get().name == "王某"
    ceremony.refresh_from_db()
    assert ceremony.result == {"task": task.pk, "draw": draw.pk, "selected": draw.selected}
    client.cookies.load({"django_language": "en"})
    page = client.get(reverse("draw-job", args=[ceremony.pk])).content.decode()
    assert "The draw is done and its manifest is stored." in page


def test_a_small_task_is_still_frozen_and_drawn_in_the_request(client, world, settings):
    settings.SUIJI_DRAW_JOB_MIN = 81
    make_firms(world.county, 80)
    task = make_task(world)
    client.force_login(world.users["coordinator"])
    assert client.post(reverse("task-commit", args=[task.pk])).url == reverse("task-detail", args=[task.pk])
    draw = Draw.objects.get(task=task)
    client.post(reverse("draw-run", args=[draw.pk]), CEREMONY_FORM)
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN and not Job.objects.exists()


def test_a_refused_job_keeps_the_reason_in_both_languages_and_stores_nothing(client, world, large):
    make_firms(world.county, 80)
    task = make_task(world, params={"parts": [{"name": "main", "method": "uniform", "overall": {"count": 500}}]})
    client.force_login(world.users["coordinator"])
    job_url = client.post(reverse("task-commit", args=[task.pk])).url
    job = run_job(claim_next())
    assert job.state == JobState.FAILED and job.result["code"] and job.result["message_zh"]
    assert not Draw.objects.filter(task=task).exists()
    page = client.get(job_url).content.decode()
    assert job.result["message_zh"] in page and "未保存任何内容" in page
    client.cookies.load({"django_language": "en"})
    assert job.result["message_en"] in client.get(job_url).content.decode()


def test_witness_input_is_checked_before_any_job_is_queued(client, world, large):
    make_firms(world.county, 80)
    task = make_task(world)
    draw = services.do_commit(task, world.users["coordinator"])
    client.force_login(world.users["coordinator"])
    bad = {**CEREMONY_FORM, "i-0-value": "九 三"}
    response = client.post(reverse("draw-run", args=[draw.pk]), bad)
    assert response.url == reverse("task-detail", args=[task.pk])
    assert not Job.objects.exists()
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_a_second_ceremony_job_is_refused_while_one_waits_and_only_one_draw_happens(client, world, large):
    make_firms(world.county, 80)
    task = make_task(world)
    draw = services.do_commit(task, world.users["coordinator"])
    first = draw_jobs.start_draw(draw, world.users["coordinator"], WITNESSES, INPUTS)
    with pytest.raises(services.WorkflowError) as refused:
        draw_jobs.start_draw(draw, world.users["organiser"], WITNESSES, INPUTS)
    assert refused.value.code == "job_pending" and refused.value.status == 409
    client.force_login(world.users["organiser"])
    client.post(reverse("draw-run", args=[draw.pk]), CEREMONY_FORM)  # the page says so and queues nothing
    assert Job.objects.filter(kind=draw_jobs.DRAW).count() == 1
    run_job(claim_next())
    first.refresh_from_db()
    assert first.state == JobState.DONE
    # Once it is over, a new job may be queued, and it is refused by the ceremony itself: drawn once.
    late = draw_jobs.start_draw(draw, world.users["organiser"], WITNESSES, INPUTS)
    late = run_job(claim_next())
    assert late.state == JobState.FAILED and late.result["code"] == "already_drawn"
    assert Draw.objects.get(pk=draw.pk).selections.count() == Draw.objects.get(pk=draw.pk).selected


def test_eager_jobs_run_in_the_request(client, world, settings):
    settings.SUIJI_DRAW_JOB_MIN = 1
    settings.SUIJI_JOBS_EAGER = True
    make_firms(world.county, 80)
    task = make_task(world)
    client.force_login(world.users["coordinator"])
    job_url = client.post(reverse("task-commit", args=[task.pk])).url
    assert Job.objects.get().state == JobState.DONE and Draw.objects.filter(task=task).exists()
    assert "候选名单已冻结" in client.get(job_url).content.decode()


@pytest.mark.parametrize(("user", "status"), [("outsider", 404), ("inspector", 403), (None, 403)])
def test_a_draw_job_page_is_for_the_organisers_of_its_organisation(client, world, large, user, status):
    make_firms(world.county, 80)
    job = draw_jobs.start_commit(make_task(world), world.users["coordinator"])
    if user:
        client.force_login(world.users[user])
    assert client.get(reverse("draw-job", args=[job.pk])).status_code == status
    client.force_login(world.users["organiser"])
    assert client.get(reverse("draw-job", args=[job.pk])).status_code == 200


def test_an_import_job_is_not_shown_as_a_draw_job(client, world, large):
    user = world.users["coordinator"]
    other = Job.objects.create(kind="directory.import", organisation=world.county, created_by=user)
    client.force_login(user)
    assert client.get(reverse("draw-job", args=[other.pk])).status_code == 404

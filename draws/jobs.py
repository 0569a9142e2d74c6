"""Large freezes and draws as background jobs, their progress shown by a page.

A page freezes or draws a task of at least ``settings.SUIJI_DRAW_JOB_MIN`` candidates
through a job (``manage.py run_jobs`` runs it; ``SUIJI_JOBS_EAGER`` runs it in the
request), so that nobody stares at a page that does not answer for seconds. The job
calls the same ``services.do_commit`` / ``services.do_draw`` as the request would, in
one transaction, so a job that fails has stored nothing; a refusal is kept with the
job in Chinese and in English. Witnesses and their inputs are checked before the job
is queued, so a typing mistake is reported at once. The API freezes and draws in the
request whatever the size: its clients wait for the answer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from draws import services
from draws.models import Draw, Task
from jobs.models import Job, JobState
from jobs.runner import Progress, register

COMMIT = "draws.commit"
DRAW = "draws.ceremony"
KINDS = (COMMIT, DRAW)


def is_large(candidates: int) -> bool:
    return candidates >= settings.SUIJI_DRAW_JOB_MIN


def pending(kinds: tuple[str, ...] = KINDS, **params: int) -> QuerySet[Job]:
    """Queued or running jobs of these kinds for this task or draw (``task=…``, ``draw=…``)."""
    lookups = {f"params__{name}": value for name, value in params.items()}
    return Job.objects.filter(kind__in=kinds, state__in=[JobState.QUEUED, JobState.RUNNING], **lookups)


def _busy() -> services.WorkflowError:
    return services.WorkflowError(
        "job_pending",
        "该任务已有一项正在排队或进行的抽取作业，请等待其完成。",
        "A job for this task is already queued or running; wait for it to finish.",
        409,
    )


def _start(job: Job) -> Job:
    if getattr(settings, "SUIJI_JOBS_EAGER", False):
        from jobs.runner import run_job

        run_job(job)
    return job


def start_commit(task: Task, user: Any) -> Job:
    """Queue the freeze of ``task`` (the checks that need no pool are made now)."""
    services.check_can_run(user, task)
    services.check_ratio_floor(services.check_params(task.params))
    if pending((COMMIT,), task=task.pk).exists():
        raise _busy()
    job = Job.objects.create(kind=COMMIT, params={"task": task.pk}, created_by=user, organisation=task.organisation)
    return _start(job)


def start_draw(draw: Draw, user: Any, witnesses: list[services.WitnessIn], inputs: list[tuple[str, str]]) -> Job:
    """Queue the ceremony of ``draw``; witnesses and inputs are checked now."""
    services.check_can_run(user, draw.task)
    services.check_draw_inputs(draw, witnesses, inputs)
    if pending((DRAW,), draw=draw.pk).exists():
        raise _busy()
    params = {
        "draw": draw.pk,
        "task": draw.task_id,
        "witnesses": [[w.name, w.role, w.affiliation] for w in witnesses],
        "inputs": [list(pair) for pair in inputs],
    }
    job = Job.objects.create(kind=DRAW, params=params, created_by=user, organisation=draw.task.organisation)
    return _start(job)


def _stepper(steps: tuple[str, ...], progress: Progress) -> Any:
    def step(name: str) -> None:
        progress(steps.index(name), len(steps), name, force=True)

    return step


def _refused(job: Job, exc: services.WorkflowError) -> None:
    """Keep the refusal with the job, in both languages, for its page."""
    job.result = {**(job.result or {}), "code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en}


@register(COMMIT)
def run_commit(job: Job, progress: Progress) -> dict[str, Any]:
    task = Task.objects.select_related("organisation").get(pk=job.params["task"])
    try:
        draw = services.do_commit(task, job.created_by, step=_stepper(services.COMMIT_STEPS, progress))
    except services.WorkflowError as exc:
        _refused(job, exc)
        raise
    progress(len(services.COMMIT_STEPS), len(services.COMMIT_STEPS), "done", force=True)
    return {"task": task.pk, "draw": draw.pk, "pool_size": draw.pool_size}


@register(DRAW)
def run_draw(job: Job, progress: Progress) -> dict[str, Any]:
    draw = Draw.objects.select_related("task__organisation").get(pk=job.params["draw"])
    witnesses = [services.WitnessIn(*w) for w in job.params["witnesses"]]
    inputs = [(label, value) for label, value in job.params["inputs"]]
    try:
        draw = services.do_draw(draw, job.created_by, witnesses, inputs, step=_stepper(services.DRAW_STEPS, progress))
    except services.WorkflowError as exc:
        _refused(job, exc)
        raise
    progress(len(services.DRAW_STEPS), len(services.DRAW_STEPS), "done", force=True)
    return {"task": draw.task_id, "draw": draw.pk, "selected": draw.selected}

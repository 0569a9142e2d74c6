"""Running jobs: a registry of handlers by kind, claiming queued jobs, and progress files.

A handler is ``handler(job, progress)`` where ``progress(done, total, message="")``
reports how far it is; it returns the result (a JSON-able dict) or raises.
``run_job`` runs one job to the end in the calling thread (the worker command
uses it, and so do tests). Progress goes to ``VAR_DIR/jobs/<id>.json`` so that
pages can show it while the handler holds a long database transaction.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jobs.models import Job, JobState

log = logging.getLogger("suiji.jobs")

Progress = Callable[..., None]
Handler = Callable[[Job, Progress], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {}
# Modules that register handlers, imported when a job is first run.
HANDLER_MODULES = ("directory.importing.job", "directory.importing.people", "draws.jobs")


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return decorator


def jobs_dir() -> Path:
    path = Path(settings.VAR_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_path(job_id: int) -> Path:
    return jobs_dir() / f"{job_id}.json"


def read_progress(job: Job) -> dict[str, Any]:
    """The latest progress of a job: from its file while it runs, else from the row."""
    if job.state == JobState.RUNNING:
        try:
            return json.loads(progress_path(job.pk).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return {"done": job.done, "total": job.total, "message": job.message}


def percent(progress: dict[str, Any]) -> int:
    total = progress.get("total") or 0
    if not total:
        return 0
    return max(0, min(100, int(100 * progress.get("done", 0) / total)))


def _progress_writer(job: Job) -> Progress:
    path = progress_path(job.pk)
    last = [0.0]

    def progress(done: int, total: int, message: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - last[0] < 0.25:
            return
        last[0] = now
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"done": done, "total": total, "message": message}), encoding="utf-8")
        os.replace(tmp, path)

    return progress


def run_job(job: Job, extra_progress: Progress | None = None) -> Job:
    """Run a job (already claimed or still queued) in this thread and store its outcome."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    handler = _HANDLERS.get(job.kind)
    job.state = JobState.RUNNING
    job.started = timezone.now()
    job.save(update_fields=["state", "started"])
    writer = _progress_writer(job)

    def progress(done: int, total: int, message: str = "", force: bool = False) -> None:
        writer(done, total, message, force)
        if extra_progress is not None:
            extra_progress(done, total, message)

    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        result = handler(job, progress)
    except Exception as exc:  # the job fails; the worker goes on
        log.exception("job %s failed", job.pk)
        job.state = JobState.FAILED
        job.message = str(exc)[:2000]
        job.result = {**(job.result or {}), "exception": type(exc).__name__}
    else:
        job.state = JobState.DONE
        job.result = result
    job.finished = timezone.now()
    job.save(update_fields=["state", "message", "result", "error_file", "done", "total", "finished"])
    progress_path(job.pk).unlink(missing_ok=True)
    return job


def claim_next() -> Job | None:
    """Take the oldest queued job, so that two workers never run the same one."""
    with transaction.atomic():
        qs = Job.objects.filter(state=JobState.QUEUED).order_by("created", "pk")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        job = qs.first()
        if job is None:
            return None
        # The conditional update makes the claim safe on SQLite too.
        claimed = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.RUNNING, started=timezone.now()
        )
        if not claimed:
            return None
    job.refresh_from_db()
    return job

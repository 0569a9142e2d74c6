"""API for directory imports: start one (upload), follow it, download its error report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from accounts.permissions import can_see_org, restrict
from directory.importing.job import KIND
from directory.importing.mapping import MappingError, parse_overrides
from directory.importing.report import errors_csv, errors_xlsx
from directory.importing.service import UploadError, start_upload_import
from jobs.models import Job
from jobs.runner import percent, read_progress
from orgs.models import Organisation
from suiji.api import ApiError, ensure_perm, not_found

router = Router(tags=["directory imports"])


class JobOut(Schema):
    id: int
    state: str
    organisation_id: int
    done: int
    total: int
    percent: int
    message: str
    result: dict[str, Any]
    has_error_report: bool


def job_out(job: Job) -> dict[str, Any]:
    progress = read_progress(job)
    result = dict(job.result or {})
    result["errors"] = list(result.get("errors", []))[:100]
    return {
        "id": job.pk,
        "state": job.state,
        "organisation_id": job.organisation_id,
        "done": progress.get("done", 0),
        "total": progress.get("total", 0),
        "percent": 100 if job.is_over else percent(progress),
        "message": progress.get("message", "") if not job.is_over else job.message,
        "result": result,
        "has_error_report": bool(job.error_file),
    }


def visible_job(request: HttpRequest, job_id: int) -> Job:
    ensure_perm(request, "directory.manage")
    job = restrict(Job.objects.filter(kind=KIND), request.user).filter(pk=job_id).first()
    if job is None:
        raise not_found()
    return job


@router.post("/imports", response={202: JobOut}, summary="Start an import of targets (CSV or .xlsx)")
def start_import(
    request: HttpRequest,
    file: File[UploadedFile],
    organisation: Form[int],
    mode: Form[str] = "good_rows",
    mapping: Form[str] = "",
):
    ensure_perm(request, "directory.manage")
    org = Organisation.objects.filter(pk=organisation).first()
    if org is None or not can_see_org(request.user, org):
        raise not_found()
    try:
        overrides = parse_overrides([m for m in mapping.splitlines() if m.strip()])
        job = start_upload_import(file, org, request.user, mode, overrides)
    except (UploadError, MappingError) as exc:
        status = getattr(exc, "status", 422)
        raise ApiError(status, exc.reason, exc.message_zh, exc.message_en) from exc
    return Status(202, job_out(job))


@router.get("/imports/{job_id}", response=JobOut, summary="State, progress, counts and the first 100 errors")
def get_import(request: HttpRequest, job_id: int):
    return job_out(visible_job(request, job_id))


@router.get("/imports/{job_id}/errors", summary="All errors of an import as .xlsx (or ?format=csv)")
def import_errors(request: HttpRequest, job_id: int, format: str = "xlsx") -> HttpResponse:
    job = visible_job(request, job_id)
    return error_report_response(job, format)


def error_report_response(job: Job, format: str) -> HttpResponse:
    from pathlib import Path

    path = Path(job.error_file) if job.error_file else None
    if path is None or not path.is_file():
        raise not_found()
    if format == "csv":
        response = HttpResponse(errors_csv(path), content_type="text/csv; charset=utf-8")
        name = f"import-{job.pk}-errors.csv"
    else:
        response = HttpResponse(
            errors_xlsx(path), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"import-{job.pk}-errors.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Pages for importing and exporting the target directory."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import can_see_org, require_perm, restrict
from directory.importing.export import write_csv, write_xlsx
from directory.importing.job import KIND
from directory.importing.mapping import MappingError, parse_overrides
from directory.importing.runner import MODES
from directory.importing.service import UploadError, start_upload_import
from directory.models import CreditClass, Target
from jobs.models import Job
from jobs.runner import percent, read_progress
from orgs.models import Organisation


def _orgs(user):
    return restrict(Organisation.objects.all(), user, org_field="")


@require_perm("directory.manage")
def imports(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        org = _orgs(request.user).filter(pk=request.POST.get("organisation") or 0).first()
        mode = request.POST.get("mode", "good_rows")
        if org is None:
            error = _("Choose an organisation.")
        else:
            try:
                overrides = parse_overrides([m for m in request.POST.get("mapping", "").splitlines() if m.strip()])
                job = start_upload_import(request.FILES.get("file"), org, request.user, mode, overrides)
            except (UploadError, MappingError) as exc:
                error = exc.message_zh if (request.LANGUAGE_CODE or "").startswith("zh") else exc.message_en
            else:
                return redirect("target-import", job_id=job.pk)
    jobs = restrict(Job.objects.filter(kind=KIND), request.user).select_related("organisation", "created_by")[:20]
    context = {
        "orgs": _orgs(request.user),
        "modes": MODES,
        "jobs": jobs,
        "error": error,
        "active": "targets",
    }
    return render(request, "directory/imports.html", context, status=422 if error else 200)


def _job(request: HttpRequest, job_id: int) -> Job:
    job = restrict(Job.objects.filter(kind=KIND), request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@require_perm("directory.manage")
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    progress = read_progress(job)
    result = job.result or {}
    context = {
        "job": job,
        "progress": progress,
        "percent": 100 if job.is_over else percent(progress),
        "result": result,
        "errors": list(result.get("errors", []))[:100],
        "active": "targets",
    }
    template = "directory/_import_status.html" if request.headers.get("HX-Request") else "directory/import_job.html"
    return render(request, template, context)


@require_perm("directory.manage")
def import_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    from directory.import_api import error_report_response
    from suiji.api import ApiError

    job = _job(request, job_id)
    try:
        return error_report_response(job, request.GET.get("format", "xlsx"))
    except ApiError as exc:
        raise Http404 from exc


@require_perm("directory.view")
def export(request: HttpRequest) -> HttpResponse:
    qs = restrict(Target.objects.all(), request.user)
    credit_class = request.GET.get("credit_class", "")
    if credit_class in CreditClass.values:
        qs = qs.filter(credit_class=credit_class)
    org_id = request.GET.get("organisation", "")
    if org_id.isdigit():
        org = Organisation.objects.filter(pk=int(org_id)).first()
        if org is None or not can_see_org(request.user, org):
            raise Http404
        qs = qs.filter(organisation__path__startswith=org.path)
    if request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        write_xlsx(qs, out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="targets.xlsx"'
        return response
    text = io.StringIO()
    write_csv(qs, text)
    response = HttpResponse(("\ufeff" + text.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="targets.csv"'
    return response

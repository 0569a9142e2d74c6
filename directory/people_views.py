"""Pages of the directories beyond import/export: a target's detail, edit and history; the inspector and
expert directories with conflicts of interest; units' entry rates; imports of people."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import has_perm, require_perm, restrict
from directory import services
from directory.forms import ConflictForm, ExpertForm, InspectorForm, TargetForm
from directory.importing import people
from directory.importing.report import errors_csv, errors_xlsx
from directory.importing.service import UploadError, check_upload, save_upload
from directory.models import Expert, Expertise, Inspector, InspectorStatus, Target
from directory.people_api import EXPIRING_DAYS, filter_people, visible_conflicts, visible_units
from jobs.models import Job
from orgs.models import Department, Organisation, Unit


def _msg(request: HttpRequest, exc) -> str:
    return exc.message_zh if (request.LANGUAGE_CODE or "").startswith("zh") else exc.message_en


def _apply_error(request: HttpRequest, form, exc: services.DirectoryError) -> None:
    name = exc.field if exc.field in form.fields else None
    form.add_error(name, _msg(request, exc))


# --- targets ----------------------------------------------------------------------------------


def _target(request: HttpRequest, key: str) -> Target:
    target = (
        restrict(Target.objects.select_related("region", "industry", "organisation"), request.user)
        .filter(key=key.strip().upper())
        .first()
    )
    if target is None:
        raise Http404
    return target


def _history(target: Target) -> list[dict]:
    rows = []
    for change in target.changes.select_related("actor", "job")[:200]:
        before, after = json.loads(change.before or "{}"), json.loads(change.after or "{}")
        rows.append(
            {
                "change": change,
                "fields": [{"name": k, "before": before.get(k), "after": after.get(k)} for k in sorted(after)],
            }
        )
    return rows


@require_perm("directory.view")
def target_detail(request: HttpRequest, key: str) -> HttpResponse:
    target = _target(request, key)
    context = {
        "target": target,
        "tags": target.tags.all(),
        "departments": target.supervising_departments.all(),
        "history": _history(target),
        "can_edit": has_perm(request.user, "directory.manage"),
        "active": "targets",
    }
    return render(request, "directory/target_detail.html", context)


@require_perm("directory.manage")
def target_edit(request: HttpRequest, key: str) -> HttpResponse:
    target = _target(request, key)
    initial = {
        "name": target.name,
        "kind": target.kind,
        "legal_representative": target.legal_representative,
        "address": target.address,
        "business_scope": target.business_scope,
        "industry": target.industry_id or "",
        "region": target.region_id or "",
        "registration_authority": target.registration_authority,
        "founded": target.founded,
        "status": target.status,
        "credit_class": target.credit_class,
        "abnormal_operation": target.abnormal_operation,
        "serious_violation": target.serious_violation,
        "complaint_count": target.complaint_count,
        "tags": ", ".join(target.tags.values_list("name", flat=True)),
    }
    form = TargetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.update_target(target, form.changes(), request.user, form.cleaned_data["reason"])
        except services.DirectoryError as exc:
            _apply_error(request, form, exc)
        else:
            messages.success(request, _("The change was saved.") if change else _("Nothing was changed."))
            return redirect("target-detail", key=target.key)
    context = {"form": form, "target": target, "active": "targets"}
    return render(request, "directory/target_edit.html", context, status=422 if form.errors else 200)


# --- inspectors and experts -------------------------------------------------------------------

KINDS = {
    "inspectors": {"model": Inspector, "list": "inspectors", "detail": "inspector-detail", "edit": "inspector-edit"},
    "experts": {"model": Expert, "list": "experts", "detail": "expert-detail", "edit": "expert-edit"},
}


def _people(request: HttpRequest, kind: str):
    model = KINDS[kind]["model"]
    qs = restrict(model.objects.select_related("organisation", "region"), request.user).prefetch_related("expertise")
    if kind == "inspectors":
        qs = qs.select_related("department", "unit")
    return qs


def _person(request: HttpRequest, kind: str, pk: int):
    person = _people(request, kind).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def _list(request: HttpRequest, kind: str) -> HttpResponse:
    g = request.GET
    unit = g.get("unit", "")
    filters = {
        "q": g.get("q", "").strip()[:100],
        "unit": int(unit) if unit.isdigit() else None,
        "status": g.get("status") if g.get("status") in InspectorStatus.values else None,
        "expertise": g.get("expertise", "")[:40] or None,
        "expiring": g.get("expiring") == "1",
        "eligible": {"1": True, "0": False}.get(g.get("eligible", "")),
    }
    qs = filter_people(_people(request, kind), filters, inspectors=kind == "inspectors")
    order = ("organisation", "department", "name", "pk") if kind == "inspectors" else ("organisation", "name", "pk")
    page = Paginator(qs.order_by(*order), 50).get_page(g.get("page"))
    context = {
        "kind": kind,
        "page": page,
        "f": filters,
        "raw": g,
        "units": visible_units(request.user).select_related("department") if kind == "inspectors" else [],
        "statuses": InspectorStatus.choices,
        "expertise": Expertise.objects.all(),
        "today": dt.date.today(),
        "soon": dt.date.today() + dt.timedelta(days=EXPIRING_DAYS),
        "can_manage": has_perm(request.user, "directory.manage"),
        "active": kind,
    }
    return render(request, "directory/people_list.html", context)


@require_perm("directory.view")
def inspector_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "inspectors")


@require_perm("directory.view")
def expert_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "experts")


def _detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    person = _person(request, kind, pk)
    context = {
        "kind": kind,
        "person": person,
        "conflicts": person.conflicts.select_related("target", "declared_by", "withdrawn_by"),
        "conflict_form": ConflictForm(),
        "can_manage": has_perm(request.user, "directory.manage"),
        "show_phone": has_perm(request.user, "directory.manage"),
        "eligible": person.eligible_for_draw(),
        "active": kind,
    }
    return render(request, "directory/person_detail.html", context)


@require_perm("directory.view")
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, "inspectors", pk)


@require_perm("directory.view")
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, "experts", pk)


def _orgs(request: HttpRequest):
    return restrict(Organisation.objects.all(), request.user, org_field="")


def _form(request: HttpRequest, kind: str, person=None) -> HttpResponse:
    org = person.organisation if person else request.user.organisation
    if org is None and person is None:
        org = _orgs(request).filter(pk=request.POST.get("organisation") or request.GET.get("organisation") or 0).first()
    if org is None:
        raise Http404
    editing = person is not None
    if kind == "inspectors":
        initial = services._inspector_data(person) if person else {"department_id": request.user.department_id}
        if person:
            initial["expertise"] = [e.code for e in person.expertise.all()]
        form = InspectorForm(
            request.POST or None,
            initial=initial,
            departments=Department.objects.filter(organisation=org),
            units=Unit.objects.filter(department__organisation=org).select_related("department"),
            editing=editing,
        )
    else:
        initial = services._expert_data(person) if person else {}
        if person:
            initial["expertise"] = [e.code for e in person.expertise.all()]
        form = ExpertForm(request.POST or None, initial=initial, editing=editing)
    if request.method == "POST" and form.is_valid():
        save = services.save_inspector if kind == "inspectors" else services.save_expert
        try:
            person = save(org, form.values(), request.user, person, form.cleaned_data.get("reason", ""))
        except services.DirectoryError as exc:
            _apply_error(request, form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(KINDS[kind]["detail"], pk=person.pk)
    context = {"kind": kind, "form": form, "person": person, "organisation": org, "active": kind}
    return render(request, "directory/person_form.html", context, status=422 if form.errors else 200)


@require_perm("directory.manage")
def inspector_new(request: HttpRequest) -> HttpResponse:
    return _form(request, "inspectors")


@require_perm("directory.manage")
def inspector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, "inspectors", _person(request, "inspectors", pk))


@require_perm("directory.manage")
def expert_new(request: HttpRequest) -> HttpResponse:
    return _form(request, "experts")


@require_perm("directory.manage")
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, "experts", _person(request, "experts", pk))


@require_POST
@require_perm("directory.manage")
def conflict_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    person = _person(request, kind, pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.add_conflict(person, form.cleaned_data, request.user, restrict(Target.objects.all(), request.user))
        except services.DirectoryError as exc:
            messages.error(request, _msg(request, exc))
        else:
            messages.success(request, _("The conflict of interest was recorded."))
    else:
        messages.error(request, _("Give a reason and a target or a person or firm."))
    return redirect(KINDS[kind]["detail"], pk=person.pk)


@require_POST
@require_perm("directory.manage")
def conflict_withdraw(request: HttpRequest, conflict_id: int) -> HttpResponse:
    conflict = visible_conflicts(request.user).filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404
    try:
        services.withdraw_conflict(conflict, request.user, request.POST.get("reason", ""))
    except services.DirectoryError as exc:
        messages.error(request, _msg(request, exc))
    else:
        messages.success(request, _("The conflict of interest was withdrawn."))
    if conflict.inspector_id:
        return redirect("inspector-detail", pk=conflict.inspector_id)
    return redirect("expert-detail", pk=conflict.expert_id)


# --- 入库率 -------------------------------------------------------------------------------------


@require_perm("directory.view")
def staffing(request: HttpRequest) -> HttpResponse:
    units = visible_units(request.user)
    can_manage = has_perm(request.user, "directory.manage")
    if request.method == "POST":
        if not can_manage:
            return render(request, "403.html", status=403)
        unit = units.filter(pk=request.POST.get("unit") or 0).first()
        if unit is None:
            raise Http404
        try:
            services.set_staffing(
                unit, request.POST.get("enforcement_staff", ""), request.POST.get("as_of"), request.user
            )
        except services.DirectoryError as exc:
            messages.error(request, _msg(request, exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("inspector-staffing")
    rates = services.unit_rates(units)
    declared = sum(r.declared or 0 for r in rates)
    entered = sum(r.entered for r in rates if r.declared)
    context = {
        "rates": rates,
        "total_rate": round(100 * entered / declared) if declared else None,
        "can_manage": can_manage,
        "today": dt.date.today(),
        "active": "inspectors",
    }
    return render(request, "directory/staffing.html", context)


# --- imports of people ------------------------------------------------------------------------


@require_perm("directory.manage")
def people_imports(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        org = _orgs(request).filter(pk=request.POST.get("organisation") or 0).first()
        kind = request.POST.get("kind", "")
        mode = request.POST.get("mode", "good_rows")
        uploaded = request.FILES.get("file")
        if org is None:
            error = _("Choose an organisation.")
        elif kind not in people.KINDS or mode not in people.MODES:
            error = _("Choose what to import and how.")
        else:
            try:
                check_upload(uploaded)
            except UploadError as exc:
                error = _msg(request, exc)
            else:
                path = save_upload(uploaded)
                job = people.import_as_job(path, org, request.user, kind=kind, mode=mode, filename=uploaded.name or "")
                messages.info(request, job.message)
                return redirect(f"{request.path}?job={job.pk}")
    jobs = restrict(Job.objects.filter(kind=people.JOB_KIND), request.user).select_related("organisation", "created_by")
    shown = None
    if (request.GET.get("job") or "").isdigit():
        shown = jobs.filter(pk=int(request.GET["job"])).first()
    from jobs.runner import percent, read_progress

    context = {
        "orgs": _orgs(request),
        "jobs": jobs[:20],
        "shown": shown,
        "percent": (100 if shown.is_over else percent(read_progress(shown))) if shown else 0,
        "errors": (shown.result.get("errors") or [])[:100] if shown else [],
        "error": error,
        "modes": people.MODES,
        "active": "inspectors",
    }
    return render(request, "directory/people_imports.html", context, status=422 if error else 200)


@require_perm("directory.manage")
def people_import_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    from pathlib import Path

    job = restrict(Job.objects.filter(kind=people.JOB_KIND), request.user).filter(pk=job_id).first()
    path = Path(job.error_file) if job and job.error_file else None
    if path is None or not path.is_file():
        raise Http404
    if request.GET.get("format") == "csv":
        response = HttpResponse(errors_csv(path), content_type="text/csv; charset=utf-8")
        name = f"people-import-{job.pk}-errors.csv"
    else:
        response = HttpResponse(
            errors_xlsx(path), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"people-import-{job.pk}-errors.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

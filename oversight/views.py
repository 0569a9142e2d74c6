from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import require_perm, restrict
from draws.models import Task
from orgs.models import Department, Organisation
from oversight import alerts, evidence, services, stats, tables
from oversight.models import SummaryState, TaskSummary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: HttpRequest) -> stats.Scope:
    try:
        return stats.scope_for(request.user, request.GET)
    except stats.ScopeError as exc:
        if exc.status == 404:
            raise Http404 from exc
        raise


def _bad_scope(request: HttpRequest, exc: stats.ScopeError) -> HttpResponse:
    return render(
        request, "oversight/error.html", {"zh": exc.message_zh, "en": exc.message_en, "active": "oversight"}, status=400
    )


def _choices(request: HttpRequest, scope: stats.Scope) -> dict[str, Any]:
    orgs = restrict(Organisation.objects.all(), request.user, org_field="").order_by("path")
    depts = Department.objects.filter(organisation__path__startswith=scope.path).order_by("organisation__path", "name")
    return {"orgs": orgs, "departments": depts}


@require_perm("oversight.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    started = time.perf_counter()
    try:
        scope = _scope(request)
    except stats.ScopeError as exc:
        return _bad_scope(request, exc)
    data = stats.indicators(scope, fresh=request.GET.get("fresh") == "1")
    c = data["counts"]
    funnel = [
        {"key": "plan_lines", "label": _("Planned targets"), "value": data["planned_targets"]},
        {"key": "drawn", "label": _("Drawn"), "value": c["drawn"]},
        {"key": "checked", "label": _("Checked"), "value": c["checked"]},
        {"key": "published", "label": _("Published"), "value": c["published"]},
    ]
    chart = {
        "funnel": {"labels": [f["label"] for f in funnel], "values": [f["value"] for f in funnel]},
        "ratios": {
            "labels": [r["code"] for r in data["item_ratios"]],
            "achieved": [round(100 * r["achieved"], 2) for r in data["item_ratios"]],
            "minimum": [round(100 * r["minimum"], 2) for r in data["item_ratios"]],
        },
        "departments": data["departments"],
    }
    context = {
        "scope": scope,
        "qs": scope.querystring(),
        "data": data,
        "c": c,
        "funnel": funnel,
        "chart": chart,
        "metrics": stats.METRICS,
        "tables": [(key, title) for key, (title, _fn) in tables.TABLES.items()],
        "active": "oversight",
        **_choices(request, scope),
    }
    context["server_ms"] = round(1000 * (time.perf_counter() - started))
    return render(request, "oversight/dashboard.html", context)


@require_perm("oversight.view")
def drill(request: HttpRequest, metric: str) -> HttpResponse:
    m = stats.METRICS.get(metric)
    if m is None:
        raise Http404
    try:
        scope = _scope(request)
    except stats.ScopeError as exc:
        return _bad_scope(request, exc)
    # Page through the ids only (a sort of integers), then fetch the 50 rows of the page with their relations.
    base = m.queryset(scope)
    order = ORDER.get(m.kind, ("pk",))
    page = Paginator(base.order_by(*order).values_list("pk", flat=True), 50).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    rows = {obj.pk: obj for obj in _decorate(m.kind, base.model.objects.filter(pk__in=ids))}
    page.object_list = [rows[i] for i in ids if i in rows]
    context = {
        "metric": m,
        "scope": scope,
        "qs": scope.querystring(),
        "page": page,
        "total": page.paginator.count,
        "active": "oversight",
    }
    return render(request, "oversight/drill.html", context)


ORDER = {
    "items": ("organisation__path", "code", "pk"),
    "tasks": ("-pk",),
    "lines": ("plan__organisation__path", "order", "pk"),
    "inspectors": ("department__name", "name", "pk"),
    "targets": ("key",),
}


def _decorate(kind: str, qs: Any) -> Any:
    if kind == "records":
        return qs.select_related("task", "target", "entered_by", "organisation").order_by("pk")
    if kind == "selections":
        return qs.select_related("draw__task", "target").order_by("draw__task_id", "position")
    if kind == "items":
        return qs.select_related("department", "organisation").order_by("organisation__path", "code")
    if kind == "tasks":
        return qs.select_related("department", "organisation").order_by("-pk")
    if kind == "lines":
        return qs.select_related("plan__organisation", "lead_department").order_by("plan__organisation__path", "order")
    if kind == "inspectors":
        return qs.select_related("department", "unit").order_by("department__name", "name")
    if kind == "targets":
        return qs.order_by("key")
    return qs


@require_perm("oversight.view")
def table_download(request: HttpRequest, key: str) -> HttpResponse:
    if key not in tables.TABLES:
        raise Http404
    try:
        scope = _scope(request)
    except stats.ScopeError as exc:
        return _bad_scope(request, exc)
    table = tables.build(key, scope)
    response = HttpResponse(tables.to_xlsx(table, scope), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{key}-{scope.organisation.pk}-{scope.year}.xlsx"'
    return response


@require_perm("oversight.view")
def alert_list(request: HttpRequest) -> HttpResponse:
    rows = alerts.alerts_for(request.user)
    return render(request, "oversight/alerts.html", {"alerts": rows, "active": "oversight"})


def _task(request: HttpRequest, task_id: int) -> Task:
    task = restrict(Task.objects.select_related("organisation", "department"), request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


@require_perm("oversight.view")
def summary(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    existing = TaskSummary.objects.filter(task=task).select_related("filed_by", "edited_by").first()
    may_write = services.may_write_summary(request.user, task)
    if request.method == "POST":
        if not may_write:
            return render(request, "403.html", status=403)
        text = request.POST.get("text", "")
        try:
            if request.POST.get("action") == "file":
                services.do_file(request.user, task, text)
                messages.success(request, _("The summary has been filed."))
            else:
                services.do_save(request.user, task, text)
                messages.success(request, _("The summary has been saved."))
        except services.OversightError as exc:
            context = {
                "task": task,
                "summary": existing,
                "text": text,
                "error": exc,
                "may_write": may_write,
                "due": services.summary_due(task),
                "active": "oversight",
            }
            return render(request, "oversight/summary.html", context, status=exc.status)
        return redirect("oversight-summary", task_id=task.pk)
    text = existing.text if existing else services.draft_text(task)
    context = {
        "task": task,
        "summary": existing,
        "text": text,
        "filed": existing is not None and existing.state == SummaryState.FILED,
        "may_write": may_write,
        "due": services.summary_due(task),
        "active": "oversight",
    }
    return render(request, "oversight/summary.html", context)


@require_perm("oversight.view")
def evidence_pack(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    data = evidence.build_pack(task, request.user)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="evidence-task-{task.pk}.zip"'
    return response

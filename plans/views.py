from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from draws.access import can_organise
from plans.access import may_approve, may_manage, may_read, visible_plans
from plans.excel import export_plan
from plans.forms import AdjustForm, LineForm, PlanForm
from plans.models import Plan, PlanStatus
from plans.services import (
    LineData,
    PlanError,
    do_add_line,
    do_adjust,
    do_approve,
    do_create_plan,
    do_publish,
    filing_deadline,
    overdue,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reader(view):
    """Sign-in, then plans.manage or approve, else 403."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        from django.contrib.auth.views import redirect_to_login

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_read(request.user):
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _plan_or_404(request: HttpRequest, plan_id: int) -> Plan:
    plan = visible_plans(request.user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


@_reader
def plan_board(request: HttpRequest) -> HttpResponse:
    plans = list(visible_plans(request.user).order_by("-year", "organisation__path", "-number"))
    today = timezone.localdate()
    years: dict[int, list[dict]] = {}
    for plan in plans:
        years.setdefault(plan.year, []).append(
            {
                "plan": plan,
                "filing_deadline": filing_deadline(plan.organisation, plan.year),
                "overdue": overdue(plan, today),
            }
        )
    context = {"years": sorted(years.items(), reverse=True), "can_manage": may_manage(request.user), "active": "plans"}
    return render(request, "plans/board.html", context)


@_reader
def plan_new(request: HttpRequest) -> HttpResponse:
    if not may_manage(request.user):
        return _forbidden(request)
    form = PlanForm(request.POST or None, initial={"year": timezone.localdate().year + 1})
    if request.method == "POST" and form.is_valid():
        try:
            plan = do_create_plan(
                request.user, request.user.organisation, form.cleaned_data["year"], form.cleaned_data["title"]
            )
        except PlanError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("plan-detail", plan_id=plan.pk)
    return render(
        request, "plans/plan_form.html", {"form": form, "active": "plans"}, status=400 if form.errors else 200
    )


@_reader
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    lines = plan.lines.select_related("lead_department").prefetch_related("items", "departments")
    versions = Plan.objects.filter(organisation_id=plan.organisation_id, year=plan.year).order_by("-number")
    can_manage = may_manage(request.user, plan)
    context = {
        "plan": plan,
        "lines": lines,
        "versions": versions,
        "can_manage": can_manage,
        "can_approve": may_approve(request.user, plan) and plan.created_by_id != request.user.pk,
        "filing_deadline": filing_deadline(plan.organisation, plan.year),
        "overdue": overdue(plan),
        "adjust_form": AdjustForm(),
        "is_draft": plan.status == PlanStatus.DRAFT,
        "active": "plans",
    }
    context["can_task"] = plan.status == PlanStatus.PUBLISHED and can_organise(request.user)  # draws/planning.py
    return render(request, "plans/plan_detail.html", context)


@_reader
def line_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    if not may_manage(request.user, plan):
        return _forbidden(request)
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, _("Only a draft plan can be changed."))
        return redirect("plan-detail", plan_id=plan.pk)
    form = LineForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        data = LineData(
            name=cd["name"],
            kind=cd["kind"],
            items=[v.pk for v in cd["items"]],
            objects_text=cd["objects_text"],
            scope=cd["scope"],
            ratio=cd["ratio"] or None,
            count=cd["count"],
            method=cd["method"],
            window_start=cd["window_start"],
            window_end=cd["window_end"],
            lead_department=cd["lead_department"].pk,
            departments=[d.pk for d in cd["departments"]],
        )
        try:
            do_add_line(request.user, plan, data)
        except PlanError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The line was added."))
            return redirect("plan-detail", plan_id=plan.pk)
    context = {"form": form, "plan": plan, "active": "plans"}
    return render(request, "plans/line_form.html", context, status=400 if form.errors else 200)


def _act(request: HttpRequest, plan_id: int, allowed, action, done: str) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    if not allowed(request.user, plan):
        return _forbidden(request)
    try:
        result = action(plan)
    except PlanError as exc:
        if exc.status == 403:
            return _forbidden(request)
        messages.error(request, exc.message)
        return redirect("plan-detail", plan_id=plan.pk)
    messages.success(request, done)
    return redirect("plan-detail", plan_id=result.pk)


@require_POST
@_reader
def plan_approve(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _act(request, plan_id, may_approve, lambda p: do_approve(request.user, p), _("The plan is approved."))


@require_POST
@_reader
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _act(request, plan_id, may_manage, lambda p: do_publish(request.user, p), _("The plan is published."))


@require_POST
@_reader
def plan_adjust(request: HttpRequest, plan_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        plan_id,
        may_manage,
        lambda p: do_adjust(request.user, p, reason),
        _("A new draft version was made; publish it before the re-publication deadline."),
    )


@_reader
def plan_export(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_id)
    response = HttpResponse(export_plan(plan), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.year}-v{plan.number}.xlsx"'
    return response

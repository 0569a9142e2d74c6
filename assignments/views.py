"""Pages: the task's matching, department confirmations, the inspector's checks, the visit notice."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import has_perm
from assignments import services
from assignments.models import Confirmation, MatchRun, Mode, Pooling, Redraw, RedrawReason, Visit
from draws.access import can_read_tasks, visible_tasks


def _signed_in(view):  # type: ignore[no-untyped-def]
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _message(request: HttpRequest, exc: services.AssignmentError) -> str:
    lang = (getattr(request, "LANGUAGE_CODE", "") or "zh-hans").lower()
    return exc.message_en if lang.startswith("en") else exc.message_zh


def _task(request: HttpRequest, task_id: int):  # type: ignore[no-untyped-def]
    if not can_read_tasks(request.user):
        raise PermissionDenied
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


def _run(request: HttpRequest, run_id: int) -> MatchRun:
    run = MatchRun.objects.select_related("task").filter(pk=run_id).first()
    if run is None:
        raise Http404
    _task(request, run.task_id)
    return run


def _visit(request: HttpRequest, visit_id: int) -> Visit:
    visit = Visit.objects.select_related("run", "run__task", "selection__target").filter(pk=visit_id).first()
    if visit is None:
        raise Http404
    _task(request, visit.run.task_id)
    return visit


def _int_or_none(value: str | None) -> int | None | str:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


@_signed_in
def task_matching(request: HttpRequest, task_id: int) -> HttpResponse:
    """Run the matching (mode, team size, pooling) and see the result, the unmatched and the trace."""
    task = _task(request, task_id)
    may_run = services.can_organise(request.user, task)
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied
        size = _int_or_none(request.POST.get("team_size"))
        try:
            services.do_run_match(
                request.user,
                task,
                mode=request.POST.get("mode", "pool"),
                team_size=size if size is not None else 2,
                cap=_int_or_none(request.POST.get("cap")),
                leader=request.POST.get("leader") == "on",
                pooling=request.POST.get("pooling", Pooling.NONE),
                recuse_last_time=request.POST.get("recuse_last_time") == "on",
            )
        except services.AssignmentError as exc:
            messages.error(request, _message(request, exc))
        else:
            messages.success(
                request, "已完成检查人员随机匹配。" if not request.LANGUAGE_CODE.startswith("en") else "Matched."
            )
        return redirect("assignment-task", task_id=task.pk)
    run = services.current_run(task)
    visits = []
    if run is not None:
        for v in run.visits.select_related("selection__target").order_by("position"):
            visits.append({"visit": v, "members": list(v.current_members()), "redraws": list(v.redraws.all())})
    today = timezone.localdate()
    context = {
        "task": task,
        "run": run,
        "runs": list(task.match_runs.order_by("number")),
        "visits": visits,
        "unmatched": list(run.unmatched.select_related("selection__target")) if run else [],
        "confirmations": [
            {"c": c, "status": services.confirmation_status(c, today)}
            for c in (run.confirmations.select_related("department", "claimed_by", "confirmed_by") if run else [])
        ],
        "may_run": may_run,
        "modes": Mode.choices,
        "poolings": Pooling.choices,
        "reasons": RedrawReason.choices,
        "items": services.visit_items(task),
        "active": "tasks",
    }
    return render(request, "assignments/task.html", context)


@_signed_in
def run_file(request: HttpRequest, run_id: int, kind: str) -> HttpResponse:
    run = _run(request, run_id)
    if kind == "manifest":
        body, ctype, name = run.manifest, "application/json", f"MATCH_MANIFEST-task{run.task_id}-{run.number}.json"
    elif kind == "inspectors":
        body, ctype, name = (
            run.inspectors_csv,
            "text/csv; charset=utf-8",
            f"INSPECTORS-task{run.task_id}-{run.number}.csv",
        )
    else:
        body, ctype, name = run.targets_csv, "text/csv; charset=utf-8", f"TARGETS-task{run.task_id}-{run.number}.csv"
    response = HttpResponse(body.encode("utf-8"), content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@_signed_in
def redraw_record(request: HttpRequest, redraw_id: int) -> HttpResponse:
    redraw = Redraw.objects.select_related("visit__run").filter(pk=redraw_id).first()
    if redraw is None:
        raise Http404
    _task(request, redraw.visit.run.task_id)
    response = HttpResponse(redraw.record.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="REDRAW-{redraw.visit_id}-{redraw.number}.json"'
    return response


@_signed_in
@require_POST
def visit_redraw(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    if not services.can_organise(request.user, visit.run.task):
        raise PermissionDenied
    slot = _int_or_none(request.POST.get("slot"))
    try:
        if not isinstance(slot, int):
            raise services.AssignmentError("bad_slot", "请选择要替换的岗位。", "Choose the slot to replace.")
        services.do_redraw(
            request.user, visit, slot, request.POST.get("reason_kind", ""), request.POST.get("reason", "")
        )
    except services.AssignmentError as exc:
        messages.error(request, _message(request, exc))
    else:
        messages.success(
            request, "已随机重新抽取该岗位。" if not request.LANGUAGE_CODE.startswith("en") else "Redrawn."
        )
    return redirect("assignment-task", task_id=visit.run.task_id)


@_signed_in
def visit_notice(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The printable visit notice (检查告知书): every item of every department, the window; issued once."""
    visit = _visit(request, visit_id)
    may_issue = services.can_organise(request.user, visit.run.task)
    if request.method == "POST":
        if not may_issue:
            raise PermissionDenied
        try:
            services.do_issue_notice(request.user, visit)
        except services.AssignmentError as exc:
            messages.error(request, _message(request, exc))
        return redirect("assignment-notice", visit_id=visit.pk)
    context = {
        "visit": visit,
        "task": visit.run.task,
        "target": visit.selection.target,
        "items": services.visit_items(visit.run.task),
        "members": list(visit.current_members()),
        "may_issue": may_issue,
        "active": "tasks",
    }
    return render(request, "assignments/notice.html", context)


def _may_see_confirmations(user: Any) -> bool:
    return has_perm(user, "assignments.confirm") or has_perm(user, "tasks.manage")


@_signed_in
def confirmations(request: HttpRequest) -> HttpResponse:
    """Each department sees its own share of every task's matching, claims it and confirms it."""
    if not _may_see_confirmations(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    rows = [
        {"c": c, "status": services.confirmation_status(c, today), "share": services.share_of(c)}
        for c in services.latest_only(services.confirmations_for(request.user))
    ]
    return render(request, "assignments/confirmations.html", {"rows": rows, "active": "confirmations"})


@_signed_in
@require_POST
def confirmation_act(request: HttpRequest, confirmation_id: int, action: str) -> HttpResponse:
    if not _may_see_confirmations(request.user):
        raise PermissionDenied
    c = services.confirmations_for(request.user).filter(pk=confirmation_id).first()
    if c is None or action not in ("claim", "confirm"):
        raise Http404
    try:
        if action == "claim":
            services.do_claim(request.user, c)
        else:
            services.do_confirm(request.user, c, request.POST.get("note", ""))
    except services.AssignmentError as exc:
        messages.error(request, _message(request, exc))
    else:
        messages.success(request, "已认领。" if action == "claim" else "已确认。")
    return redirect("assignment-confirmations")


@_signed_in
def my_checks(request: HttpRequest) -> HttpResponse:
    """The inspector's visits: target, window, team and every item to check, linking to the record form."""
    if not has_perm(request.user, "checks.enter"):
        raise PermissionDenied
    rows = []
    items_of: dict[int, list[Any]] = {}
    for v in services.my_visits(request.user):
        task = v.run.task
        if task.pk not in items_of:
            items_of[task.pk] = services.visit_items(task)
        rows.append({"visit": v, "task": task, "members": list(v.current_members()), "items": items_of[task.pk]})
    return render(request, "assignments/my_checks.html", {"rows": rows, "active": "checks"})


def confirmation_for_api(user: Any, confirmation_id: int) -> Confirmation | None:
    return services.confirmations_for(user).filter(pk=confirmation_id).first()

"""Pages for tasks from plan lines and joint tasks (draws/planning.py holds the rules)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from draws import planning
from draws.access import can_organise, can_read_tasks, visible_tasks
from draws.forms import AddItemsForm, InviteForm, LineTaskForm
from draws.models import TaskParticipant
from draws.services import WorkflowError
from orgs.models import Department


def _message(request: HttpRequest, exc: WorkflowError) -> str:
    lang = (getattr(request, "LANGUAGE_CODE", "") or "zh-hans").lower()
    return exc.message_en if lang.startswith("en") else exc.message_zh


def _line(request: HttpRequest, line_id: int) -> Any:
    if not can_organise(request.user):
        raise PermissionDenied
    line = planning.visible_lines(request.user).filter(pk=line_id).first()
    if line is None:
        raise Http404
    return line


def _initial(line: Any) -> dict[str, Any]:
    return {
        "name": line.name,
        "notice": planning.default_notice(line),
        "ratio": line.ratio,
        "count": line.count,
        "window_start": line.window_start,
        "window_end": line.window_end,
        "is_public": True,
        "selection_publication": "with_notice",
        "risk": "none",
    }


def _preview(request: HttpRequest, line: Any, form: LineTaskForm) -> dict[str, Any]:
    """The preview of the task the form gives: counts, or the refusal in the user's language."""
    if not form.is_valid():
        return {"error": _("Correct the fields marked below.")}
    try:
        task, versions, _departments = planning.build_task_from_line(request.user, line, **form.overrides())
        counts = planning.preview(task)
    except WorkflowError as exc:
        return {"error": _message(request, exc)}
    return {"counts": counts}


def task_from_line(request: HttpRequest, line_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    line = _line(request, line_id)
    form = LineTaskForm(request.POST or None, initial=_initial(line))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                task = planning.do_create_task_from_line(request.user, line, **form.overrides())
            except WorkflowError as exc:
                form.add_error(None, _message(request, exc))
            else:
                messages.success(request, _("Task created from the plan line."))
                return redirect("task-detail", task.pk)
        status = 400
    preview_form = form if request.method == "POST" else LineTaskForm(_initial(line))
    context = {
        "line": line,
        "form": form,
        "preview": _preview(request, line, preview_form),
        "departments": list(line.departments.all()),
        "items": list(line.items.select_related("item__department")),
        "active": "tasks",
    }
    return render(request, "draws/task_from_line.html", context, status=status)


def task_from_line_preview(request: HttpRequest, line_id: int) -> HttpResponse:
    """The htmx fragment: how many firms the scope and the design give with the values typed so far."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    line = _line(request, line_id)
    form = LineTaskForm(request.GET)
    return render(request, "draws/_line_preview.html", {"preview": _preview(request, line, form), "line": line})


def _reader(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not (can_read_tasks(request.user) or planning.is_joint_reader(request.user)):
        raise PermissionDenied


def _task(request: HttpRequest, task_id: int) -> Any:
    _reader(request)
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


@require_POST
def task_invite(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    if not can_organise(request.user):
        raise PermissionDenied
    form = InviteForm(request.POST, departments=Department.objects.filter(organisation=task.organisation))
    if not form.is_valid():
        messages.error(request, _("Choose a department of this organisation."))
        return redirect("task-detail", task.pk)
    try:
        planning.do_invite(request.user, task, form.cleaned_data["department"])
        messages.success(request, _("The department is invited."))
    except WorkflowError as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, _message(request, exc))
    return redirect("task-detail", task.pk)


@require_POST
def task_respond(request: HttpRequest, participant_id: int) -> HttpResponse:
    _reader(request)
    participant = TaskParticipant.objects.select_related("task__organisation").filter(pk=participant_id).first()
    if participant is None or not visible_tasks(request.user).filter(pk=participant.task_id).exists():
        raise Http404
    try:
        planning.do_respond(request.user, participant, request.POST.get("accept") == "1")
        messages.success(request, _("Your answer is recorded."))
    except WorkflowError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, _message(request, exc))
    return redirect("task-detail", participant.task_id)


@require_POST
def task_add_items(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    if not (request.user.is_superuser or request.user.has_role(*planning.JOINT_ROLES)):
        raise PermissionDenied
    form = AddItemsForm(request.POST, items=planning.list_items(task.organisation))
    if not form.is_valid():
        messages.error(request, _("Choose at least one published item of the list."))
        return redirect("task-detail", task.pk)
    try:
        planning.do_add_items(request.user, task, form.cleaned_data["items"])
        messages.success(request, _("The items are added to the task."))
    except WorkflowError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, _message(request, exc))
    return redirect("task-detail", task.pk)

import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import can_see_org, has_perm, restrict
from draws import jobs as draw_jobs
from draws import planning, services
from draws.access import can_organise, can_read_tasks, public_draws, public_result_visible, visible_tasks
from draws.forms import InputFormSet, TaskForm, VoidForm, WitnessFormSet
from draws.models import Draw, DrawState
from jobs.models import Job, JobState
from jobs.runner import percent, read_progress
from orgs.models import Department


def _signed_in_reader(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not can_read_tasks(request.user):
        raise PermissionDenied


def _show_error(request: HttpRequest, exc: services.WorkflowError) -> None:
    lang = (request.LANGUAGE_CODE or "zh-hans").lower()
    messages.error(request, exc.message_en if lang.startswith("en") else exc.message_zh)


def task_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    _signed_in_reader(request)
    tasks = visible_tasks(request.user).prefetch_related("draws")[:200]
    return render(
        request, "draws/task_list.html", {"tasks": tasks, "can_organise": can_organise(request.user), "active": "tasks"}
    )


def task_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not can_organise(request.user) or request.user.organisation_id is None:
        raise PermissionDenied
    departments = restrict(Department.objects.filter(is_active=True), request.user)
    initial = {"selection_publication": "with_notice", "department": request.user.department_id}
    items = planning.list_items(request.user.organisation)
    form = TaskForm(request.POST or None, departments=departments, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data["task_fields"]
        fields["organisation"] = fields["department"].organisation
        try:
            task = services.do_create_task(request.user, **fields)
        except services.WorkflowError as exc:
            form.add_error(None, exc.message_zh if not request.LANGUAGE_CODE.startswith("en") else exc.message_en)
        else:
            messages.success(request, _("Task created."))
            return redirect("task-detail", task.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "active": "tasks", "plan_lines": planning.lines_for_tasks(request.user)}
    return render(request, "draws/task_new.html", context, status=status)


def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not planning.is_joint_reader(request.user):
        _signed_in_reader(request)
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    draws = list(task.draws.prefetch_related("witnesses").order_by("number"))
    live = next((d for d in draws if d.state != DrawState.VOIDED), None)
    selections = list(live.selections.select_related("target")[:1000]) if live and live.state == DrawState.DRAWN else []
    try:
        preview = services.preview_count(task)
    except services.WorkflowError:
        preview = None
    context = {
        "task": task,
        "draws": draws,
        "live": live,
        "selections": selections,
        "preview": preview,
        "params": json.dumps(task.params, ensure_ascii=False, indent=1),
        "scope": json.dumps(task.scope, ensure_ascii=False),
        "can_organise": can_organise(request.user),
        "can_approve": has_perm(request.user, "approve"),
        "witness_formset": WitnessFormSet(prefix="w"),
        "input_formset": InputFormSet(prefix="i"),
        "void_form": VoidForm(),
        "running_jobs": list(draw_jobs.pending(task=task.pk)) if can_organise(request.user) else [],
        "active": "tasks",
    }
    context.update(planning.detail_context(task, request.user))  # items per department, joint participation
    return render(request, "draws/task_detail.html", context)


def _organiser_draw(request: HttpRequest, draw_id: int) -> Draw:
    if not request.user.is_authenticated or not can_organise(request.user):
        raise PermissionDenied
    draw = get_object_or_404(Draw.objects.select_related("task__organisation"), pk=draw_id)
    if not can_see_org(request.user, draw.task.organisation):
        raise Http404
    return draw


@require_POST
def task_commit(request: HttpRequest, task_id: int) -> HttpResponse:
    if not request.user.is_authenticated or not can_organise(request.user):
        raise PermissionDenied
    task = visible_tasks(request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    try:
        if draw_jobs.is_large(services.preview_count(task)):
            job = draw_jobs.start_commit(task, request.user)
            return redirect("draw-job", job.pk)
        services.do_commit(task, request.user)
        messages.success(request, _("The candidate list is frozen and the commitment recorded."))
    except services.WorkflowError as exc:
        _show_error(request, exc)
    return redirect("task-detail", task.pk)


@require_POST
def draw_run(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = _organiser_draw(request, draw_id)
    witnesses = WitnessFormSet(request.POST, prefix="w")
    inputs = InputFormSet(request.POST, prefix="i")
    if not (witnesses.is_valid() and inputs.is_valid()):
        messages.error(request, _("Every witness needs a name and a role, and every input a source and numbers."))
        return redirect("task-detail", draw.task_id)
    people = [services.WitnessIn(f["name"], f["role"], f.get("affiliation", "")) for f in witnesses.cleaned_data if f]
    entered = [(f["label"], f["value"]) for f in inputs.cleaned_data if f]
    try:
        if draw_jobs.is_large(draw.pool_size):
            job = draw_jobs.start_draw(draw, request.user, people, entered)
            return redirect("draw-job", job.pk)
        services.do_draw(draw, request.user, people, entered)
        messages.success(request, _("The draw is done and its manifest is stored."))
    except services.WorkflowError as exc:
        _show_error(request, exc)
    return redirect("task-detail", draw.task_id)


def draw_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A large freeze or draw running as a background job: its step, then where its result is."""
    if not request.user.is_authenticated or not can_organise(request.user):
        raise PermissionDenied
    job = restrict(Job.objects.filter(kind__in=draw_jobs.KINDS), request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    progress = read_progress(job)
    result = job.result or {}
    lang = (request.LANGUAGE_CODE or "zh-hans").lower()
    refusal = result.get("message_en" if lang.startswith("en") else "message_zh") or (
        job.message if job.state == JobState.FAILED else ""
    )
    steps = services.COMMIT_STEPS if job.kind == draw_jobs.COMMIT else services.DRAW_STEPS
    labels = {
        "read": _("Reading the task's scope from the directory"),
        "freeze": _("Checking and writing the frozen candidate list"),
        "record": _("Recording the digest, parameters and commitment"),
        "check": _("Re-reading the frozen list and checking its digest"),
        "draw": _("Drawing"),
        "store": _("Storing the selection and the manifest"),
    }
    current = progress.get("message") if not job.is_over else None
    context = {
        "job": job,
        "is_commit": job.kind == draw_jobs.COMMIT,
        "percent": 100 if job.finished_ok else percent(progress),
        "steps": [(labels[name], name == current) for name in steps],
        "refusal": refusal,
        "task_id": job.params.get("task"),
        "active": "tasks",
    }
    template = "draws/_job_status.html" if request.headers.get("HX-Request") else "draws/draw_job.html"
    return render(request, template, context)


@require_POST
def draw_void_request(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = _organiser_draw(request, draw_id)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Voiding a draw needs a reason."))
        return redirect("task-detail", draw.task_id)
    try:
        services.do_request_void(draw, request.user, form.cleaned_data["reason"])
        messages.success(request, _("The request to void the draw waits for an approver."))
    except services.WorkflowError as exc:
        _show_error(request, exc)
    return redirect("task-detail", draw.task_id)


@require_POST
def draw_void_approve(request: HttpRequest, draw_id: int) -> HttpResponse:
    if not request.user.is_authenticated or not has_perm(request.user, "approve"):
        raise PermissionDenied
    draw = get_object_or_404(Draw.objects.select_related("task__organisation"), pk=draw_id)
    if not can_see_org(request.user, draw.task.organisation):
        raise Http404
    try:
        services.do_approve_void(draw, request.user)
        messages.success(request, _("The draw is void; a new draw may be committed."))
    except services.WorkflowError as exc:
        _show_error(request, exc)
    return redirect("task-detail", draw.task_id)


# --- public pages (no sign-in) -----------------------------------------------------------------------


def public_draw_list(request: HttpRequest) -> HttpResponse:
    draws = public_draws().order_by("-committed_at")[:200]
    return render(request, "draws/public_list.html", {"draws": draws})


def public_draw(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = get_object_or_404(public_draws().prefetch_related("witnesses"), pk=draw_id)
    show_result = public_result_visible(draw)
    manifest = json.loads(draw.manifest) if show_result else None
    announcement = json.loads(draw.announcement)
    selections = list(draw.selections.all()[:2000]) if show_result else []
    siblings = list(public_draws().filter(task=draw.task).order_by("number"))
    context = {
        "draw": draw,
        "announcement": announcement,
        "manifest": manifest,
        "selections": selections,
        "siblings": siblings,
        "show_result": show_result,
    }
    return render(request, "draws/public_draw.html", context)


def verifier_download(request: HttpRequest) -> FileResponse:
    path = Path(settings.BASE_DIR) / "verify_draw.py"
    return FileResponse(open(path, "rb"), as_attachment=True, filename="verify_draw.py", content_type="text/x-python")

"""Pages: the visit's record form (phone-friendly, offline draft), printable record, approval and
publication queues, the firm's record and follow-up."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import can_see_org, has_perm, restrict
from catalog.models import ItemVersion, Method, VersionStatus
from directory.models import Target
from draws.models import DrawState, Selection, Task
from inspections import files, services
from inspections.models import (
    AttachmentKind,
    FollowUp,
    FollowUpState,
    NonCooperation,
    Outcome,
    Record,
    RecordState,
    Result,
    ResultCategory,
    ResultState,
    SignatureKind,
)


def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _message(request: HttpRequest, exc: services.WorkflowError) -> str:
    lang = (getattr(request, "LANGUAGE_CODE", "") or "zh-hans").lower()
    return exc.message_en if lang.startswith("en") else exc.message_zh


def _reader(request: HttpRequest) -> None:
    if not services.can_read(request.user):
        raise PermissionDenied


def _visible_task(request: HttpRequest, task_id: int) -> Task:
    task = get_object_or_404(Task.objects.select_related("organisation", "department"), pk=task_id)
    if not can_see_org(request.user, task.organisation):
        raise Http404
    return task


def index(request: HttpRequest) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    _reader(request)
    records = services.visible_records(request.user)[:200]
    tasks = restrict(Task.objects.filter(draws__state=DrawState.DRAWN).distinct(), request.user)[:100]
    return render(
        request,
        "inspections/index.html",
        {"records": records, "tasks": tasks, "active": "inspections", "today": timezone.localdate()},
    )


def task_overview(request: HttpRequest, task_id: int) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    _reader(request)
    task = _visible_task(request, task_id)
    selections = list(
        Selection.objects.select_related("target")
        .filter(draw__task=task, draw__state=DrawState.DRAWN)
        .order_by("position")[:2000]
    )
    records = {r.target_id: r for r in Record.objects.filter(task=task)}
    rows = [(s, records.get(s.target_id)) for s in selections]
    follow_ups = FollowUp.objects.filter(result__record__task=task).select_related("result__target", "owner")
    return render(
        request,
        "inspections/task.html",
        {
            "task": task,
            "rows": rows,
            "progress": services.task_progress(task),
            "follow_ups": follow_ups,
            "can_enter": has_perm(request.user, "checks.enter"),
            "active": "inspections",
        },
    )


def _sections(items: list[ItemVersion]) -> list[tuple[Any, list[ItemVersion]]]:
    """Items grouped by their responsible department: one section per department in a joint visit."""
    groups: OrderedDict[Any, list[ItemVersion]] = OrderedDict()
    for version in sorted(items, key=lambda v: (v.item.department_id, v.item.code)):
        groups.setdefault(version.item.department, []).append(version)
    return list(groups.items())


def _uploads(request: HttpRequest) -> list[services.Upload]:
    out = []
    for f in request.FILES.getlist("attachments")[:20]:
        if f.size > files.max_bytes():
            raise services.WorkflowError("file_too_large", "文件过大。", "The file is too large.")
        name = files.safe_name(f.name or "")
        ext = files.extension(name)
        kind = AttachmentKind.PHOTO if ext in ("jpg", "jpeg", "png") else AttachmentKind.DOCUMENT
        if ext == "mp4":
            kind = AttachmentKind.VIDEO
        if request.POST.get("evidence_files"):
            kind = AttachmentKind.EVIDENCE
        out.append(services.Upload(f.name or "", f.read(), kind))
    return out


def record_form(request: HttpRequest, task_id: int, key: str) -> HttpResponse:
    """The record form of one visit; POST submits it (idempotent by its submission key)."""
    if (r := _signed_in(request)) is not None:
        return r
    if not has_perm(request.user, "checks.enter"):
        raise PermissionDenied
    task = _visible_task(request, task_id)
    selection = services.live_selection(task, key)
    if selection is None or selection.target is None:
        raise Http404
    record = Record.objects.filter(task=task, target=selection.target).first()
    if record is not None and record.state not in (RecordState.DRAFT, RecordState.RETURNED):
        return redirect("inspection-record", record.pk)
    items = services.visit_items(task)
    choose_items = items is None
    if choose_items:
        ids = [int(i) for i in (request.POST.getlist("items") or request.GET.getlist("items")) if i.isdigit()]
        if not ids and record is not None:
            ids = list(record.items.values_list("pk", flat=True))
        items = list(
            ItemVersion.objects.select_related("item", "item__department")
            .prefetch_related("checkpoints")
            .filter(pk__in=ids, item__organisation=task.organisation)
        )
    error = ""
    status = 200
    if request.method == "POST":
        post = request.POST
        sub = services.Submission(
            task=task,
            target_key=key,
            idempotency_key=post.get("idempotency_key", ""),
            checked_on=_date(post.get("checked_on")) or timezone.localdate(),
            methods=post.getlist("methods"),
            item_ids=[v.pk for v in items],
            categories={v.pk: post.get(f"category_{v.pk}", "") for v in items},
            findings={
                cp.pk: (post.get(f"outcome_{cp.pk}", ""), post.get(f"note_{cp.pk}", ""))
                for v in items
                for cp in v.checkpoints.all()
            },
            place=post.get("place", ""),
            summary=post.get("summary", ""),
            signature_kind=post.get("signature_kind", ""),
            signature_drawn=post.get("signature_drawn", ""),
            signature_missing_reason=post.get("signature_missing_reason", ""),
            non_cooperation=post.get("non_cooperation", ""),
            non_cooperation_evidence=post.get("non_cooperation_evidence", ""),
        )
        try:
            scan = request.FILES.get("signature_scan")
            if scan is not None:
                if scan.size > files.max_bytes():
                    raise services.WorkflowError("file_too_large", "文件过大。", "The file is too large.")
                sub.signature_scan = services.Upload(scan.name or "", scan.read(), AttachmentKind.DOCUMENT)
            sub.uploads = _uploads(request)
            saved, created = services.do_submit_record(request.user, sub)
        except services.WorkflowError as exc:
            error = _message(request, exc)
            status = exc.status if exc.status in (403, 409, 422) else 422
            if exc.status == 403:
                raise PermissionDenied from exc
        else:
            if created:
                messages.success(request, _("The record was submitted for approval."))
            return redirect("inspection-record", saved.pk)
    published = ItemVersion.objects.select_related("item").filter(
        item__organisation=task.organisation, status=VersionStatus.PUBLISHED
    )
    context = {
        "task": task,
        "selection": selection,
        "target": selection.target,
        "record": record,
        "choose_items": choose_items,
        "available_items": published if choose_items else [],
        "sections": _sections(items),
        "items": items,
        "categories": ResultCategory.choices,
        "outcomes": Outcome.choices,
        "methods": Method.choices,
        "signature_kinds": SignatureKind.choices,
        "non_cooperation_cases": [c for c in NonCooperation.choices if c[0]],
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "today": timezone.localdate().isoformat(),
        "error": error,
        "post": request.POST,
        "active": "inspections",
    }
    return render(request, "inspections/record_form.html", context, status=status)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    """The record as the paper form prints it."""
    if (r := _signed_in(request)) is not None:
        return r
    _reader(request)
    record = services.visible_records(request.user).filter(pk=record_id).first()
    if record is None:
        raise Http404
    items = list(record.items.select_related("item", "item__department").prefetch_related("checkpoints"))
    findings = {f.checkpoint_id: f for f in record.findings.all()}
    sections = [
        (dept, [(v, [(cp, findings.get(cp.pk)) for cp in v.checkpoints.all()]) for v in versions])
        for dept, versions in _sections(items)
    ]
    return render(
        request,
        "inspections/record.html",
        {
            "record": record,
            "sections": sections,
            "results": record.results.select_related("item_version", "superseded_by"),
            "attachments": record.attachments.all(),
            "deadline": services.deadline_status(record),
            "can_approve": has_perm(request.user, "approve") and record.state == RecordState.SUBMITTED,
            "can_publish": services.can_publish(request.user) and record.state == RecordState.APPROVED,
            "can_correct": has_perm(request.user, "checks.enter"),
            "categories": ResultCategory.choices,
            "method_labels": [str(Method(m).label) for m in record.methods if m in Method.values],
            "signature_is_image": files.extension(record.signature_file) in ("png", "jpg", "jpeg"),
            "active": "inspections",
        },
    )


def record_signature(request: HttpRequest, record_id: int) -> HttpResponse:
    """The stored signature (drawn PNG or uploaded scan) of a record, for those who may read the record."""
    if (r := _signed_in(request)) is not None:
        return r
    _reader(request)
    record = services.visible_records(request.user).filter(pk=record_id).first()
    if record is None or not record.signature_file:
        raise Http404
    ext = files.extension(record.signature_file)
    content_type = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "pdf": "application/pdf"}.get(ext)
    if content_type is None:
        raise Http404
    try:
        handle = default_storage.open(record.signature_file, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def approvals(request: HttpRequest) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    if not has_perm(request.user, "approve"):
        raise PermissionDenied
    records = services.visible_records(request.user).filter(state=RecordState.SUBMITTED).order_by("publish_deadline")
    corrections = Result.objects.filter(
        state=ResultState.SUBMITTED, version__gt=1, record__in=services.visible_records(request.user)
    ).select_related("target", "item_version")
    return render(
        request,
        "inspections/approvals.html",
        {"records": records[:500], "corrections": corrections[:200], "active": "inspections"},
    )


def publication(request: HttpRequest) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    if not services.can_publish(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    records = (
        services.visible_records(request.user)
        .filter(state__in=[RecordState.SUBMITTED, RecordState.APPROVED, RecordState.RETURNED])
        .order_by("publish_deadline")[:500]
    )
    rows = [(rec, services.deadline_status(rec, today)) for rec in records]
    corrections = Result.objects.filter(
        state=ResultState.APPROVED, record__in=services.visible_records(request.user)
    ).select_related("target", "item_version")
    return render(
        request,
        "inspections/publication.html",
        {"rows": rows, "corrections": corrections[:200], "active": "inspections"},
    )


def _record_for_action(request: HttpRequest, record_id: int) -> Record:
    if not request.user.is_authenticated:
        raise PermissionDenied
    record = services.visible_records(request.user).filter(pk=record_id).first()
    if record is None:
        raise Http404
    return record


def _act(request: HttpRequest, action, *args) -> None:
    try:
        action(*args)
        messages.success(request, _("Done."))
    except services.WorkflowError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, _message(request, exc))


@require_POST
def record_approve(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _record_for_action(request, record_id)
    _act(request, services.do_approve_record, request.user, record)
    return redirect("inspection-record", record.pk)


@require_POST
def record_return(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _record_for_action(request, record_id)
    _act(request, services.do_return_record, request.user, record, request.POST.get("reason", ""))
    return redirect("inspection-record", record.pk)


@require_POST
def record_publish(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _record_for_action(request, record_id)
    _act(request, services.do_publish_record, request.user, record)
    return redirect("inspection-record", record.pk)


@require_POST
def result_correct(request: HttpRequest, result_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise PermissionDenied
    result = get_object_or_404(Result.objects.select_related("organisation"), pk=result_id)
    if not can_see_org(request.user, result.organisation):
        raise Http404
    _act(
        request,
        services.do_correct_result,
        request.user,
        result,
        request.POST.get("category", ""),
        request.POST.get("reason", ""),
    )
    return redirect("inspection-record", result.record_id)


def firm_record(request: HttpRequest, key: str) -> HttpResponse:
    """The firm's record for staff: every published result, its follow-ups and its risk data."""
    if (r := _signed_in(request)) is not None:
        return r
    if not has_perm(request.user, "directory.view"):
        raise PermissionDenied
    target = get_object_or_404(Target.objects.select_related("organisation"), key=key)
    if not can_see_org(request.user, target.organisation):
        raise Http404
    results = services.published_results(target)
    follow_ups = FollowUp.objects.filter(result__target=target).select_related("owner", "result__item_version")
    return render(
        request,
        "inspections/firm.html",
        {"target": target, "results": results, "follow_ups": follow_ups, "active": "inspections"},
    )


def _follow_up_scope(request: HttpRequest):
    qs = FollowUp.objects.select_related("result__target", "result__item_version", "owner", "owner_unit")
    if request.user.is_superuser:
        return qs
    path = request.user.organisation.path if request.user.organisation_id else "/none/"
    return qs.filter(Q(organisation__path__startswith=path) | Q(owner__path__startswith=path))


def follow_ups(request: HttpRequest) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    _reader(request)
    state = request.GET.get("state", FollowUpState.OPEN)
    qs = _follow_up_scope(request)
    if state in FollowUpState.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "inspections/follow_ups.html",
        {
            "follow_ups": qs[:500],
            "state": state,
            "today": timezone.localdate(),
            "can_manage": services.can_manage_follow_ups(request.user),
            "active": "inspections",
        },
    )


def follow_up_close(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    if (r := _signed_in(request)) is not None:
        return r
    if not services.can_manage_follow_ups(request.user):
        raise PermissionDenied
    follow_up = _follow_up_scope(request).filter(pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            services.do_close_follow_up(request.user, follow_up, request.POST.get("note", ""))
        except services.WorkflowError as exc:
            error = _message(request, exc)
        else:
            messages.success(request, _("The follow-up is closed."))
            return redirect("inspection-follow-ups")
    return render(
        request,
        "inspections/follow_up_close.html",
        {"follow_up": follow_up, "error": error, "active": "inspections"},
        status=422 if error else 200,
    )

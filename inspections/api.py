"""The inspections API: record submission (also from another authority's system, by bearer token),
approval, publication, corrections and follow-up."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from accounts.permissions import can_see_org
from draws.models import Task
from inspections import services
from inspections.models import FollowUp, FollowUpKind, Record, Result
from orgs.models import Organisation, Unit
from suiji.api import ApiError, forbidden, not_found

router = Router(tags=["inspections"])


def _raise(exc: services.WorkflowError) -> None:
    raise ApiError(exc.status, exc.code, exc.message_zh, exc.message_en)


def _reader(request: HttpRequest) -> None:
    if not services.can_read(request.user):
        raise forbidden()


class FindingIn(Schema):
    checkpoint_id: int
    outcome: str
    note: str = Field(default="", max_length=5000)


class ResultIn(Schema):
    item_version_id: int
    category: str


class AttachmentIn(Schema):
    name: str = Field(max_length=255)
    kind: str = "photo"
    data_base64: str


class RecordIn(Schema):
    task_id: int
    target_key: str = Field(max_length=18)
    idempotency_key: str = Field(min_length=8, max_length=64)
    checked_on: dt.date
    methods: list[str]
    item_ids: list[int] = Field(default_factory=list)
    results: list[ResultIn]
    findings: list[FindingIn]
    place: str = Field(default="", max_length=300)
    summary: str = Field(default="", max_length=20000)
    signature_kind: str
    signature_png_base64: str = ""
    signature_missing_reason: str = Field(default="", max_length=500)
    non_cooperation: str = ""
    non_cooperation_evidence: str = Field(default="", max_length=20000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    source_system: str = Field(default="", max_length=100)


class ResultOut(Schema):
    id: int
    record_id: int
    target_key: str
    item_version_id: int
    item_name: str
    category: str
    version: int
    state: str
    superseded_by_id: int | None
    correction_reason: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_target_key(obj: Result) -> str:
        return obj.target.key

    @staticmethod
    def resolve_item_name(obj: Result) -> str:
        return obj.item_version.name


class RecordOut(Schema):
    id: int
    task_id: int
    target_key: str
    state: str
    methods: list[str]
    checked_on: dt.date
    signature_kind: str
    non_cooperation: str
    idempotency_key: str
    source: str
    completed_at: dt.datetime | None
    publish_deadline: dt.date | None
    deadline_status: str
    published_at: dt.datetime | None
    published_late: bool
    results: list[ResultOut]

    @staticmethod
    def resolve_target_key(obj: Record) -> str:
        return obj.target.key

    @staticmethod
    def resolve_deadline_status(obj: Record) -> str:
        return services.deadline_status(obj)

    @staticmethod
    def resolve_results(obj: Record) -> list[Result]:
        return list(obj.results.select_related("target", "item_version"))


class AttachmentOut(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


class ReasonIn(Schema):
    reason: str = Field(default="", max_length=500)


class CorrectionIn(Schema):
    category: str
    reason: str = Field(max_length=500)


class FollowUpIn(Schema):
    kind: FollowUpKind
    deadline: dt.date | None = None
    owner_id: int | None = None
    owner_unit_id: int | None = None
    other_authority: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=5000)


class FollowUpOut(Schema):
    id: int
    result_id: int
    kind: str
    owner_id: int
    owner_unit_id: int | None
    other_authority: str
    deadline: dt.date
    state: str
    note: str
    closure_note: str


class ProgressOut(Schema):
    selected: int
    complete: int
    not_complete: int
    draft: int
    submitted: int
    approved: int
    published: int
    returned: int


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "invalid", "附件编码无效。", "The attachment is not valid base64.") from None


def _record(request: HttpRequest, record_id: int) -> Record:
    record = services.visible_records(request.user).filter(pk=record_id).first()
    if record is None:
        raise not_found()
    return record


def _result(request: HttpRequest, result_id: int) -> Result:
    result = get_object_or_404(Result.objects.select_related("target", "organisation", "record"), pk=result_id)
    if not can_see_org(request.user, result.organisation):
        raise not_found()
    return result


@router.get("/records", response=list[RecordOut])
def list_records(request: HttpRequest, state: str = "", task_id: int | None = None):
    _reader(request)
    qs = services.visible_records(request.user)
    if state:
        qs = qs.filter(state=state)
    if task_id:
        qs = qs.filter(task_id=task_id)
    return list(qs[:500])


@router.post("/records", response={200: RecordOut, 201: RecordOut})
def submit_record(request: HttpRequest, body: RecordIn):
    """Submit a visit's record; repeating the same idempotency key returns the first submission (200)."""
    task = Task.objects.select_related("organisation").filter(pk=body.task_id).first()
    if task is None or not can_see_org(request.user, task.organisation):
        raise not_found()
    signature = body.signature_png_base64
    sub = services.Submission(
        task=task,
        target_key=body.target_key,
        idempotency_key=body.idempotency_key,
        checked_on=body.checked_on,
        methods=body.methods,
        item_ids=body.item_ids,
        categories={r.item_version_id: r.category for r in body.results},
        findings={f.checkpoint_id: (f.outcome, f.note) for f in body.findings},
        place=body.place,
        summary=body.summary,
        signature_kind=body.signature_kind,
        signature_drawn=f"data:image/png;base64,{signature}" if signature else "",
        signature_missing_reason=body.signature_missing_reason,
        non_cooperation=body.non_cooperation,
        non_cooperation_evidence=body.non_cooperation_evidence,
        uploads=[services.Upload(a.name, _decode(a.data_base64), a.kind) for a in body.attachments],
        source="api" if getattr(request, "auth_user", None) is not None else "web",
        source_system=body.source_system,
    )
    try:
        record, created = services.do_submit_record(request.user, sub)
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201 if created else 200, record)


@router.get("/records/{record_id}", response=RecordOut)
def get_record(request: HttpRequest, record_id: int):
    _reader(request)
    return _record(request, record_id)


@router.post("/records/{record_id}/attachments", response={201: AttachmentOut})
def add_attachment(request: HttpRequest, record_id: int, kind: Form[str] = "photo", file: File[UploadedFile] = None):
    _reader(request)
    record = _record(request, record_id)
    if file is None:
        raise ApiError(422, "invalid", "请选择文件。", "Choose a file.")
    if file.size is not None and file.size > services.files.max_bytes():
        raise ApiError(422, "file_too_large", "文件过大。", "The file is too large.")
    try:
        attachment = services.do_add_attachment(
            request.user, record, services.Upload(file.name or "", file.read(), kind)
        )
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, attachment)


def _transition(request: HttpRequest, record_id: int, action, *args):
    record = _record(request, record_id)
    try:
        return action(request.user, record, *args)
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/records/{record_id}/approve", response=RecordOut)
def approve_record(request: HttpRequest, record_id: int):
    return _transition(request, record_id, services.do_approve_record)


@router.post("/records/{record_id}/return", response=RecordOut)
def return_record(request: HttpRequest, record_id: int, body: ReasonIn):
    return _transition(request, record_id, services.do_return_record, body.reason)


@router.post("/records/{record_id}/publish", response=RecordOut)
def publish_record(request: HttpRequest, record_id: int):
    return _transition(request, record_id, services.do_publish_record)


@router.get("/results", response=list[ResultOut])
def list_results(request: HttpRequest, target_key: str = "", state: str = ""):
    _reader(request)
    qs = Result.objects.select_related("target", "item_version").filter(
        record__in=services.visible_records(request.user)
    )
    if target_key:
        qs = qs.filter(target__key=target_key)
    if state:
        qs = qs.filter(state=state)
    return list(qs.order_by("-pk")[:500])


@router.post("/results/{result_id}/correct", response={201: ResultOut})
def correct_result(request: HttpRequest, result_id: int, body: CorrectionIn):
    result = _result(request, result_id)
    try:
        return Status(201, services.do_correct_result(request.user, result, body.category, body.reason))
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/results/{result_id}/approve", response=ResultOut)
def approve_result(request: HttpRequest, result_id: int):
    result = _result(request, result_id)
    try:
        return services.do_approve_result(request.user, result)
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/results/{result_id}/publish", response=ResultOut)
def publish_result(request: HttpRequest, result_id: int):
    result = _result(request, result_id)
    try:
        return services.do_publish_result(request.user, result)
    except services.WorkflowError as exc:
        _raise(exc)


@router.post("/results/{result_id}/follow-ups", response={201: FollowUpOut})
def create_follow_up(request: HttpRequest, result_id: int, body: FollowUpIn):
    result = _result(request, result_id)
    owner = None
    if body.owner_id is not None:
        owner = Organisation.objects.filter(pk=body.owner_id).first()
        if owner is None:
            raise not_found()
    unit = (
        Unit.objects.select_related("department").filter(pk=body.owner_unit_id).first() if body.owner_unit_id else None
    )
    try:
        follow_up = services.do_create_follow_up(
            request.user,
            result,
            kind=body.kind,
            deadline=body.deadline,
            owner=owner,
            owner_unit=unit,
            other_authority=body.other_authority,
            note=body.note,
        )
    except services.WorkflowError as exc:
        _raise(exc)
    return Status(201, follow_up)


@router.get("/follow-ups", response=list[FollowUpOut])
def list_follow_ups(request: HttpRequest, state: str = ""):
    _reader(request)
    path = request.user.organisation.path if request.user.organisation_id else "/none/"
    qs = FollowUp.objects.all()
    if not request.user.is_superuser:
        qs = qs.filter(Q(organisation__path__startswith=path) | Q(owner__path__startswith=path))
    if state:
        qs = qs.filter(state=state)
    return list(qs[:500])


@router.post("/follow-ups/{follow_up_id}/close", response=FollowUpOut)
def close_follow_up(request: HttpRequest, follow_up_id: int, body: ReasonIn):
    follow_up = get_object_or_404(FollowUp.objects.select_related("organisation", "owner"), pk=follow_up_id)
    try:
        return services.do_close_follow_up(request.user, follow_up, body.reason)
    except services.WorkflowError as exc:
        _raise(exc)


@router.get("/tasks/{task_id}/progress", response=ProgressOut)
def task_progress(request: HttpRequest, task_id: int):
    _reader(request)
    task = Task.objects.select_related("organisation").filter(pk=task_id).first()
    if task is None or not can_see_org(request.user, task.organisation):
        raise not_found()
    return services.task_progress(task)

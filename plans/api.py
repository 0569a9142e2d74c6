import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from plans.access import may_approve, may_manage, may_read, visible_plans
from plans.models import LineKind, Plan, PlanLine
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
from suiji.api import ApiError, forbidden, not_found

router = Router(tags=["plans"])


class LineOut(Schema):
    id: int
    order: int
    name: str
    kind: str
    objects_text: str
    items: list[int]
    scope: dict[str, Any]
    ratio: Decimal | None
    count: int | None
    method: str
    window_start: dt.date
    window_end: dt.date
    lead_department: int
    departments: list[int]

    @staticmethod
    def resolve_items(obj: PlanLine) -> list[int]:
        return [v.pk for v in obj.items.all()]

    @staticmethod
    def resolve_departments(obj: PlanLine) -> list[int]:
        return [d.pk for d in obj.departments.all()]

    @staticmethod
    def resolve_lead_department(obj: PlanLine) -> int:
        return obj.lead_department_id


class PlanOut(Schema):
    id: int
    organisation: int
    year: int
    number: int
    title: str
    status: str
    reason: str
    created_by: int | None
    approved_by: int | None
    approved_at: dt.datetime | None
    published_at: dt.datetime | None
    republish_deadline: dt.date | None
    filing_deadline: dt.date
    overdue: bool

    @staticmethod
    def resolve_organisation(obj: Plan) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_created_by(obj: Plan) -> int | None:
        return obj.created_by_id

    @staticmethod
    def resolve_approved_by(obj: Plan) -> int | None:
        return obj.approved_by_id

    @staticmethod
    def resolve_filing_deadline(obj: Plan) -> dt.date:
        return filing_deadline(obj.organisation, obj.year)

    @staticmethod
    def resolve_overdue(obj: Plan) -> bool:
        return overdue(obj)


class PlanDetailOut(PlanOut):
    lines: list[LineOut]
    versions: list[int]

    @staticmethod
    def resolve_lines(obj: Plan) -> list[PlanLine]:
        return list(obj.lines.select_related("lead_department").prefetch_related("items", "departments"))

    @staticmethod
    def resolve_versions(obj: Plan) -> list[int]:
        return list(
            Plan.objects.filter(organisation_id=obj.organisation_id, year=obj.year)
            .order_by("number")
            .values_list("pk", flat=True)
        )


class PlanIn(Schema):
    year: int
    title: str = Field(default="", max_length=200)


class LineIn(Schema):
    name: str = Field(max_length=200)
    kind: LineKind = LineKind.UNDIRECTED
    objects_text: str = Field(default="", max_length=300)
    items: list[int]
    scope: dict[str, Any] = {}
    ratio: str | None = Field(default=None, max_length=10, description='a decimal such as "0.05"')
    count: int | None = None
    method: str = Field(default="", max_length=300)
    window_start: dt.date
    window_end: dt.date
    lead_department: int
    departments: list[int] = []


class AdjustIn(Schema):
    reason: str = Field(max_length=300)


def _error(exc: PlanError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message_zh, exc.message_en)


def _ensure_reader(request: HttpRequest) -> None:
    if not may_read(request.user):
        raise forbidden()


def _plan(request: HttpRequest, plan_id: int) -> Plan:
    _ensure_reader(request)
    plan = visible_plans(request.user).filter(pk=plan_id).first()
    if plan is None:
        raise not_found()
    return plan


def _managed(request: HttpRequest, plan_id: int) -> Plan:
    plan = _plan(request, plan_id)
    if not may_manage(request.user, plan):
        raise forbidden()
    return plan


@router.get("", response=list[PlanOut], summary="The plan versions the caller may see, newest year first")
def list_plans(request: HttpRequest, year: int | None = None):
    _ensure_reader(request)
    qs = visible_plans(request.user)
    if year is not None:
        qs = qs.filter(year=year)
    return list(qs.order_by("organisation__path", "-year", "-number")[:500])


@router.get("/{plan_id}", response=PlanDetailOut, summary="One plan version with its lines")
def get_plan(request: HttpRequest, plan_id: int):
    return _plan(request, plan_id)


@router.post("", response={201: PlanDetailOut}, summary="Draft the first version of a year's plan")
def create_plan(request: HttpRequest, body: PlanIn):
    if not may_manage(request.user):
        raise forbidden()
    try:
        plan = do_create_plan(request.user, request.user.organisation, body.year, body.title)
    except PlanError as exc:
        raise _error(exc)
    return Status(201, plan)


@router.post("/{plan_id}/lines", response={201: LineOut}, summary="Add a line to a draft plan")
def add_line(request: HttpRequest, plan_id: int, body: LineIn):
    plan = _managed(request, plan_id)
    data = LineData(**{**body.dict(), "kind": str(getattr(body.kind, "value", body.kind))})
    try:
        line = do_add_line(request.user, plan, data)
    except PlanError as exc:
        raise _error(exc)
    return Status(201, line)


@router.post("/{plan_id}/approve", response=PlanDetailOut, summary="Approve a draft (not by its drafter)")
def approve_plan(request: HttpRequest, plan_id: int):
    plan = _plan(request, plan_id)
    if not may_approve(request.user, plan):
        raise forbidden()
    try:
        return do_approve(request.user, plan)
    except PlanError as exc:
        raise _error(exc)


@router.post(
    "/{plan_id}/publish", response=PlanDetailOut, summary="Publish an approved version; the previous one is superseded"
)
def publish_plan(request: HttpRequest, plan_id: int):
    plan = _managed(request, plan_id)
    try:
        return do_publish(request.user, plan)
    except PlanError as exc:
        raise _error(exc)


@router.post(
    "/{plan_id}/adjust",
    response={201: PlanDetailOut},
    summary="Adjust the published version: a new draft, due for re-publication within 10 working days",
)
def adjust_plan(request: HttpRequest, plan_id: int, body: AdjustIn):
    plan = _managed(request, plan_id)
    try:
        draft = do_adjust(request.user, plan, body.reason)
    except PlanError as exc:
        raise _error(exc)
    return Status(201, draft)

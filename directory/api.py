import datetime as dt
import json

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from accounts.permissions import restrict
from directory import search, services
from directory.models import Target
from suiji.api import ApiError, ensure_perm, not_found

router = Router(tags=["directory"])


class TargetOut(Schema):
    key: str
    name: str
    kind: str
    legal_representative: str
    address: str
    industry_id: str | None
    region_id: str | None
    founded: dt.date | None
    status: str
    credit_class: str
    abnormal_operation: bool
    serious_violation: bool
    complaint_count: int
    organisation_id: int
    registration_authority: str
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Target) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class TargetFilter(Schema):
    q: str = Field(default="", max_length=100, description="USCC prefix or part of the name")
    kind: str | None = Field(default=None, max_length=30)
    credit_class: str | None = Field(default=None, pattern="^[ABCD]$")
    region: str | None = Field(default=None, pattern=r"^\d{2,6}$", description="division code; a prefix selects below")
    industry: str | None = Field(default=None, pattern=r"^([A-Za-z]|\d{2,4})$", description="section or code prefix")
    authority: str | None = Field(default=None, max_length=100, description="part of the registration authority")
    founded_from: dt.date | None = None
    founded_to: dt.date | None = None
    status: str | None = None
    abnormal: bool | None = None
    serious: bool | None = None
    complaints_min: int | None = Field(default=None, ge=0)
    department: int | None = Field(default=None, description="supervising department id")
    tag: str | None = Field(default=None, max_length=50)


class TargetPatch(Schema):
    """Fields to change, and why (required). ``tags`` replaces the target's tags."""

    reason: str = Field(max_length=300)
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = None
    legal_representative: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    business_scope: str | None = None
    industry: str | None = None
    region: str | None = None
    registration_authority: str | None = Field(default=None, max_length=100)
    founded: dt.date | None = None
    status: str | None = None
    credit_class: str | None = None
    abnormal_operation: bool | None = None
    serious_violation: bool | None = None
    complaint_count: int | None = None
    tags: list[str] | None = None


class TargetChangeOut(Schema):
    at: dt.datetime
    actor: str
    reason: str
    job_id: int | None
    before: dict
    after: dict

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.username if obj.actor_id else ""

    @staticmethod
    def resolve_before(obj) -> dict:
        return json.loads(obj.before or "{}")

    @staticmethod
    def resolve_after(obj) -> dict:
        return json.loads(obj.after or "{}")


@router.get("/targets", response=list[TargetOut], summary="Search the target directory")
@paginate(PageNumberPagination, page_size=50)
def list_targets(request: HttpRequest, filters: Query[TargetFilter]):
    ensure_perm(request, "directory.view")
    qs = restrict(Target.objects.all(), request.user).prefetch_related("tags")
    return search.apply(qs, filters.dict()).order_by("key")


@router.get("/targets/{key}", response=TargetOut, summary="One target by USCC or registration number")
def get_target(request: HttpRequest, key: str) -> Target:
    ensure_perm(request, "directory.view")
    target = restrict(Target.objects.all(), request.user).filter(key=key.strip().upper()).first()
    if target is None:
        raise not_found()
    return target


def _visible_target(request: HttpRequest, key: str) -> Target:
    target = restrict(Target.objects.all(), request.user).filter(key=key.strip().upper()).first()
    if target is None:
        raise not_found()
    return target


@router.patch("/targets/{key}", response=TargetOut, summary="Change a target (coordinators; reason required)")
def update_target(request: HttpRequest, key: str, body: TargetPatch) -> Target:
    ensure_perm(request, "directory.manage")
    target = _visible_target(request, key)
    data = body.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    try:
        services.update_target(target, data, request.user, reason)
    except services.DirectoryError as exc:
        raise ApiError(422, "invalid", exc.message_zh, exc.message_en) from exc
    return Target.objects.prefetch_related("tags").get(pk=target.pk)


@router.get("/targets/{key}/history", response=list[TargetChangeOut], summary="A target's changes: who, when, why")
@paginate(PageNumberPagination, page_size=50)
def target_history(request: HttpRequest, key: str):
    ensure_perm(request, "directory.view")
    return _visible_target(request, key).changes.select_related("actor")

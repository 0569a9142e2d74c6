import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from core.audit import verify_chain
from core.queries import visible_entries
from suiji.api import ensure_perm

router = Router(tags=["audit"])


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_repr: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    organisation_id: int | None
    before: str
    after: str
    reason: str
    entry_hash: str
    prev_hash: str


class AuditFilter(Schema):
    action: str | None = None
    object_type: str | None = Field(default=None, max_length=100)
    object_id: str | None = Field(default=None, max_length=64)


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_broken_seq: int | None
    problem: str


@router.get("", response=list[AuditOut], summary="The audit trail, newest first")
@paginate(PageNumberPagination, page_size=100)
def list_entries(request: HttpRequest, filters: Query[AuditFilter]):
    ensure_perm(request, "audit.view")
    qs = visible_entries(request.user).order_by("-seq")
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    return qs


@router.get("/verify", response=VerifyOut, summary="Verify the whole hash chain")
def verify(request: HttpRequest) -> VerifyOut:
    ensure_perm(request, "audit.view")
    report = verify_chain()
    return VerifyOut(
        ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq, problem=report.problem
    )

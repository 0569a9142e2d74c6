from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from accounts.permissions import can_see_org, restrict
from orgs.models import Department, Organisation, OrgLevel
from refdata.models import Division
from suiji.api import ApiError, ensure_perm, not_found

router = Router(tags=["organisations"])


class OrgOut(Schema):
    id: int
    name: str
    level: str
    parent_id: int | None
    division_id: str | None
    publication_days: int


class DepartmentOut(Schema):
    id: int
    name: str
    kind: str


class OrgIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    level: OrgLevel
    parent_id: int
    division_id: str | None = Field(default=None, pattern=r"^\d{6}$")
    publication_days: int = Field(default=20, ge=1, le=60)


@router.get("", response=list[OrgOut], summary="Organisations I can see")
@paginate(PageNumberPagination, page_size=100)
def list_orgs(request: HttpRequest):
    ensure_perm(request, "orgs.view")
    return restrict(Organisation.objects.all(), request.user, org_field="")


def _visible_org(request: HttpRequest, org_id: int) -> Organisation:
    org = Organisation.objects.filter(pk=org_id).first()
    if org is None or not can_see_org(request.user, org):
        raise not_found()
    return org


@router.get("/{org_id}", response=OrgOut, summary="One organisation")
def get_org(request: HttpRequest, org_id: int) -> Organisation:
    ensure_perm(request, "orgs.view")
    return _visible_org(request, org_id)


@router.get("/{org_id}/departments", response=list[DepartmentOut], summary="Departments of an organisation")
def list_departments(request: HttpRequest, org_id: int) -> list[Department]:
    ensure_perm(request, "orgs.view")
    return list(_visible_org(request, org_id).departments.all())


@router.post("", response={201: OrgOut}, summary="Create an organisation below one I administer")
def create_org(request: HttpRequest, payload: OrgIn) -> Status:
    ensure_perm(request, "orgs.manage")
    parent = _visible_org(request, payload.parent_id)
    if payload.division_id and not Division.objects.filter(pk=payload.division_id).exists():
        raise ApiError(422, "unknown_division", "行政区划代码不存在。", "Unknown administrative division code.")
    org = Organisation(
        name=payload.name,
        level=payload.level,
        parent=parent,
        division_id=payload.division_id,
        publication_days=payload.publication_days,
    )
    try:
        org.full_clean(exclude=["path"])
    except DjangoValidationError as exc:
        raise ApiError(
            422, "invalid", "组织机构数据不符合要求：" + "；".join(exc.messages), "; ".join(exc.messages)
        ) from None
    with transaction.atomic():
        org.save()
    return Status(201, org)

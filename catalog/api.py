import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from accounts.permissions import restrict
from catalog.excel import ImportRefused, both, export_xlsx, import_xlsx
from catalog.models import Category, InspectionItem, ItemVersion, Method, VersionStatus
from catalog.services import CatalogConflict, VersionData, do_create_item, do_publish, do_revise_item
from orgs.models import Department, Organisation
from suiji.api import ApiError, api, ensure_perm, error_body, forbidden, not_found

router = Router(tags=["catalog"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CheckPointOut(Schema):
    order: int
    text: str
    method: str
    finding_criteria: str


class VersionOut(Schema):
    number: int
    status: str
    field: str
    name: str
    sub_item: str
    legal_basis: str
    object_type: str
    content: str
    methods: list[str]
    category: str
    ratio_min: Decimal
    ratio_max: Decimal | None
    frequency: str
    expertise: list[int]
    needs_expert: bool
    published_at: dt.datetime | None
    reason: str
    checkpoints: list[CheckPointOut]

    @staticmethod
    def resolve_expertise(obj: ItemVersion) -> list[int]:
        return [e.pk for e in obj.expertise.all()]

    @staticmethod
    def resolve_checkpoints(obj: ItemVersion) -> list[Any]:
        return list(obj.checkpoints.all())


class ItemOut(Schema):
    id: int
    code: str
    organisation_id: int
    department_id: int
    department: str
    published: VersionOut | None
    latest_number: int | None

    @staticmethod
    def resolve_department(obj: InspectionItem) -> str:
        return obj.department.name

    @staticmethod
    def resolve_published(obj: InspectionItem) -> ItemVersion | None:
        return next((v for v in obj.versions.all() if v.status == VersionStatus.PUBLISHED), None)

    @staticmethod
    def resolve_latest_number(obj: InspectionItem) -> int | None:
        return max((v.number for v in obj.versions.all()), default=None)


class ItemDetailOut(ItemOut):
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj: InspectionItem) -> list[ItemVersion]:
        return sorted(obj.versions.all(), key=lambda v: -v.number)


class CheckPointIn(Schema):
    text: str = Field(max_length=2000)
    method: str = ""
    finding_criteria: str = Field(default="", max_length=2000)


class VersionIn(Schema):
    field: str = Field(default="", max_length=100)
    name: str = Field(min_length=1, max_length=200)
    sub_item: str = Field(default="", max_length=200)
    legal_basis: str = ""
    object_type: str = Field(default="", max_length=200)
    content: str = ""
    methods: list[Method] = []
    category: Category
    ratio_min: Decimal = Field(description="A fraction: 0.05 is 5%")
    ratio_max: Decimal | None = None
    frequency: str = Field(default="", max_length=100)
    expertise: list[int] = []
    needs_expert: bool = Field(default=False, description="An expert of the expert directory joins each visit")
    checkpoints: list[CheckPointIn] = []
    reason: str = Field(default="", max_length=300)


class ItemIn(VersionIn):
    department_id: int | None = Field(default=None, description="Defaults to the caller's department")
    code: str = Field(default="", max_length=40)


class ReviseIn(VersionIn):
    pass


class ItemFilter(Schema):
    q: str = Field(default="", max_length=100)
    department: int | None = None
    category: Category | None = None


def _items(request: HttpRequest):
    versions = ItemVersion.objects.prefetch_related("expertise", "checkpoints")
    return restrict(
        InspectionItem.objects.select_related("department").prefetch_related(Prefetch("versions", queryset=versions)),
        request.user,
    )


def _own_item(request: HttpRequest, item_id: int) -> InspectionItem:
    ensure_perm(request, "catalog.manage")
    item = _items(request).filter(pk=item_id).first()
    if item is None:
        raise not_found()
    if not request.user.is_superuser and item.organisation_id != request.user.organisation_id:
        raise forbidden()
    return item


def _invalid(exc: ValidationError) -> ApiError:
    zh, en = [], []
    for field, messages in exc.error_dict.items() if hasattr(exc, "error_dict") else [("", exc.error_list)]:
        for message in messages:
            z, e = both(message.message)
            zh.append(f"{field}: {z}" if field else z)
            en.append(f"{field}: {e}" if field else e)
    return ApiError(422, "invalid", "；".join(zh), "; ".join(en))


def _data(body: VersionIn) -> VersionData:
    fields = body.dict(exclude={"expertise", "checkpoints", "reason", "department_id", "code"})
    fields["methods"] = [str(m.value) if hasattr(m, "value") else str(m) for m in body.methods]
    fields["category"] = str(getattr(body.category, "value", body.category))
    return VersionData(
        fields=fields,
        expertise=list(body.expertise),
        checkpoints=[p.dict() for p in body.checkpoints],
        reason=body.reason,
    )


def _detail(item_id: int, request: HttpRequest) -> InspectionItem:
    return _items(request).get(pk=item_id)


@router.get("/items", response=list[ItemOut], summary="The inspection items, with their published version")
@paginate(PageNumberPagination, page_size=50)
def list_items(request: HttpRequest, filters: Query[ItemFilter]):
    ensure_perm(request, "orgs.view")
    qs = _items(request)
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(code=q) | Q(versions__name__contains=q) | Q(versions__sub_item__contains=q)).distinct()
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.category:
        qs = qs.filter(versions__category=filters.category).distinct()
    return qs.order_by("organisation__path", "code")


@router.get("/items/{item_id}", response=ItemDetailOut, summary="One item with its versions and check points")
def get_item(request: HttpRequest, item_id: int) -> InspectionItem:
    ensure_perm(request, "orgs.view")
    item = _items(request).filter(pk=item_id).first()
    if item is None:
        raise not_found()
    return item


@router.post("/items", response={201: ItemDetailOut}, summary="Create an item (its first version is a draft)")
def create_item(request: HttpRequest, body: ItemIn):
    ensure_perm(request, "catalog.manage")
    user = request.user
    if body.department_id is None:
        department = user.department
    else:
        department = restrict(Department.objects.all(), user).filter(pk=body.department_id).first()
    if department is None or user.organisation is None:
        raise not_found()
    try:
        item = do_create_item(user, user.organisation, department, _data(body), code=body.code)
    except ValidationError as exc:
        raise _invalid(exc)
    return Status(201, _detail(item.pk, request))


@router.post(
    "/items/{item_id}/versions",
    response={201: ItemDetailOut},
    summary="Revise an item: a published version is kept, the change is a new draft",
)
def revise_item(request: HttpRequest, item_id: int, body: ReviseIn):
    item = _own_item(request, item_id)
    try:
        do_revise_item(request.user, item, _data(body))
    except ValidationError as exc:
        raise _invalid(exc)
    return Status(201, _detail(item.pk, request))


@router.post(
    "/items/{item_id}/versions/{number}/publish",
    response=ItemDetailOut,
    summary="Publish a draft version; the previous published version is superseded",
)
def publish_version(request: HttpRequest, item_id: int, number: int):
    item = _own_item(request, item_id)
    version = get_object_or_404(ItemVersion, item=item, number=number)
    try:
        do_publish(request.user, version)
    except CatalogConflict as exc:
        zh, en = both(exc.message)
        raise ApiError(409, "conflict", zh, en)
    except ValidationError as exc:
        raise _invalid(exc)
    return _detail(item.pk, request)


def _organisation(request: HttpRequest, organisation: int | None) -> Organisation:
    if organisation is None:
        org = request.user.organisation
    else:
        org = restrict(Organisation.objects.all(), request.user, org_field="").filter(pk=organisation).first()
    if org is None:
        raise not_found()
    return org


@router.get("/export.xlsx", summary="The published list of an organisation (or one department) as .xlsx")
def export_items(request: HttpRequest, organisation: int | None = None, department: int | None = None):
    ensure_perm(request, "orgs.view")
    org = _organisation(request, organisation)
    dept = None
    if department is not None:
        dept = Department.objects.filter(organisation=org, pk=department).first()
        if dept is None:
            raise not_found()
    response = HttpResponse(export_xlsx(org, dept), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="inspection-items.xlsx"'
    return response


class ImportOut(Schema):
    created: int
    revised: int
    unchanged: int


@router.post(
    "/import",
    response={200: ImportOut},
    summary="Import the list from .xlsx or CSV: every row is checked, nothing is stored if any row is wrong",
)
def import_items(request: HttpRequest, file: File[UploadedFile], department: Form[int | None] = None):
    ensure_perm(request, "catalog.manage")
    org = request.user.organisation
    if org is None:
        raise not_found()
    dept = None
    if department is not None:
        dept = Department.objects.filter(organisation=org, pk=department).first()
        if dept is None:
            raise not_found()
    try:
        result = import_xlsx(request.user, org, file.read(), dept)
    except ImportRefused as exc:
        body = error_body(
            "import_refused",
            "文件未导入：请按行号和列名修改后重新上传。",
            "The file was not imported: correct the rows listed and upload it again.",
            errors=[e.as_dict() for e in exc.errors],
        )
        return api.create_response(request, body, status=422)
    return Status(200, result)
